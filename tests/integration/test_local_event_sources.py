"""The local stream poller delivers DynamoDB stream batches as Lambda's event source mapping does."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import boto3

from local_stack.event_sources import Filters, Mapping, StreamPoller, schedule_period
from local_stack.functions import InvocationResult
from local_stack.resources import Stack


class _Publisher:
    """A stream function that fails one record once, reporting it as a batch item failure."""

    def __init__(self, fail_once: str) -> None:
        self.batches: list[list[str]] = []
        self._fail_once = fail_once
        self._failed: set[str] = set()

    def __call__(self, function: str, event: dict[str, Any]) -> InvocationResult:
        keys = [record["dynamodb"]["Keys"]["pk"]["S"] for record in event["Records"]]
        self.batches.append(keys)
        for record, key in zip(event["Records"], keys, strict=True):
            if key == self._fail_once and key not in self._failed:
                self._failed.add(key)
                return InvocationResult(
                    result={"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
                )
        return InvocationResult(result={"batchItemFailures": []})


def _run_until(condition: Any, poller: StreamPoller, stopping: threading.Event) -> None:
    poller.start()
    deadline = time.monotonic() + 10
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    stopping.set()
    poller.join(timeout=5)


def test_a_reported_failure_is_retried_from_its_sequence_number_and_filters_apply(aws: Stack) -> None:
    # given three payments written, and a phone item the filter leaves out
    table = boto3.client("dynamodb")
    for pk in ("PAYMENT#1", "PHONE#650000001", "PAYMENT#2", "PAYMENT#3"):
        table.put_item(
            TableName=aws.refs["PaymentsTable"], Item={"pk": {"S": pk}, "entityType": {"S": pk.split("#")[0]}}
        )
    publisher = _Publisher(fail_once="PAYMENT#2")
    stopping = threading.Event()
    mapping = Mapping(
        logical_id="Publisher",
        function="Publisher",
        source_arn=aws.attributes[("PaymentsTable", "StreamArn")],
        batch_size=10,
        filters=Filters({"Filters": [{"Pattern": '{"dynamodb": {"NewImage": {"entityType": {"S": ["PAYMENT"]}}}}'}]}),
        reports_failures=True,
        max_retries=-1,
    )

    # when the poller delivers the stream, and the function reports PAYMENT#2 failed once
    poller = StreamPoller(mapping, publisher, lambda *_: None, stopping)
    _run_until(lambda: len(publisher.batches) >= 2, poller, stopping)

    # then the retry starts at PAYMENT#2, PAYMENT#1 is not delivered again, and phones never reach the function
    assert publisher.batches[:2] == [["PAYMENT#1", "PAYMENT#2", "PAYMENT#3"], ["PAYMENT#2", "PAYMENT#3"]]


def test_a_batch_that_keeps_failing_goes_to_the_on_failure_destination_after_its_retries(aws: Stack) -> None:
    # given a payment written, a function that always fails, one retry allowed
    table = boto3.client("dynamodb")
    table.put_item(TableName=aws.refs["PaymentsTable"], Item={"pk": {"S": "PAYMENT#1"}})
    calls: list[int] = []

    def failing(function: str, event: dict[str, Any]) -> InvocationResult:
        calls.append(len(event["Records"]))
        return InvocationResult(error={"errorType": "RuntimeError", "errorMessage": "EventBridge is down"})

    destination = aws.refs["ParkedWebhooksDeadLetterQueue"]
    mapping = Mapping(
        logical_id="Publisher",
        function="Publisher",
        source_arn=aws.attributes[("PaymentsTable", "StreamArn")],
        batch_size=10,
        filters=Filters(None),
        reports_failures=True,
        max_retries=1,
        on_failure=destination,
    )
    sqs = boto3.client("sqs")
    stopping = threading.Event()

    # when the poller has tried and given up
    def reported() -> list[dict[str, Any]]:
        return sqs.receive_message(QueueUrl=destination).get("Messages", [])

    found: list[dict[str, Any]] = []
    _run_until(
        lambda: bool(found.extend(reported()) or found),
        StreamPoller(mapping, failing, lambda *_: None, stopping),
        stopping,
    )

    # then it tried twice, and the destination says which records were given up
    assert calls == [1, 1]
    info = json.loads(found[0]["Body"])["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    assert info["streamArn"] == mapping.source_arn


def test_schedules_run_at_their_rate_unless_shortened() -> None:
    assert schedule_period("rate(1 minute)", None) == 60
    assert schedule_period("rate(5 minutes)", None) == 300
    assert schedule_period("rate(1 minute)", 1.0) == 1.0
    assert schedule_period("at(2026-12-01T00:00:00)", None) is None
