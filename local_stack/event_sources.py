"""Event source mappings and schedules of the template, run against the emulated endpoint.

- DynamoDB streams: read in order, batches of ``BatchSize``, ``FilterCriteria`` applied;
  a failed batch is retried from its first record, or, with ``ReportBatchItemFailures``,
  from the lowest failed sequence number; ``MaximumRetryAttempts`` honoured.
- SQS: received in batches; succeeded messages deleted, failed ones left to come back
  after the visibility timeout (and to the dead-letter queue, by the redrive policy).
- ``AWS::Events::Rule`` with a ``ScheduleExpression`` and ``AWS::Scheduler::Schedule``:
  their function targets invoked on the schedule's period (``LOCAL_SCHEDULE_SECONDS``
  shortens every period, for tests).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from moto.events.models import EventPattern

from .functions import InvocationResult
from .resources import ACCOUNT_ID, Stack
from .template import Template

Invoke = Callable[[str, Any], InvocationResult]
Log = Callable[[str, str], None]
# moto keeps every shard iterator it hands out: an idle stream is polled twice a second, not more.
_IDLE_POLL_SECONDS = 0.5


class Filters:
    """Lambda event filtering: a record passes when any pattern matches (no filters: all pass)."""

    def __init__(self, criteria: dict[str, Any] | None) -> None:
        self._patterns = [EventPattern.load(f["Pattern"]) for f in (criteria or {}).get("Filters", [])]

    def accepts(self, record: dict[str, Any]) -> bool:
        return not self._patterns or any(pattern.matches_event(record) for pattern in self._patterns)  # type: ignore[arg-type]


def _failed_items(outcome: InvocationResult, reports_failures: bool) -> list[str] | None:
    """None when the whole batch succeeded; else the failed item ids ([] meaning: all of them)."""
    if outcome.failed:
        return []
    if not reports_failures or not isinstance(outcome.result, dict):
        return None
    failures = outcome.result.get("batchItemFailures") or []
    if not isinstance(failures, list):
        return []
    ids = [str(f.get("itemIdentifier") or "") if isinstance(f, dict) else "" for f in failures]
    if any(not item for item in ids):
        return []  # an unreadable report fails the whole batch, as in Lambda
    return ids or None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return int(value.timestamp())
    return value


@dataclass
class Mapping:
    logical_id: str
    function: str
    source_arn: str
    batch_size: int
    filters: Filters
    reports_failures: bool
    max_retries: int  # -1: until the record expires
    on_failure: str | None = None  # queue URL of the OnFailure destination
    function_arn: str = ""

    @classmethod
    def from_properties(cls, logical_id: str, props: dict[str, Any], function: str, default_batch: int) -> Mapping:
        return cls(
            logical_id=logical_id,
            function=function,
            source_arn=props["EventSourceArn"],
            batch_size=int(props.get("BatchSize", default_batch)),
            filters=Filters(props.get("FilterCriteria")),
            reports_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
            max_retries=int(props.get("MaximumRetryAttempts", -1)),
        )

    def with_failure_queue(self, props: dict[str, Any], queue_url_by_arn: dict[str, str]) -> Mapping:
        destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        self.on_failure = queue_url_by_arn.get(destination) if destination else None
        return self


class Poller(threading.Thread):
    def __init__(self, mapping: Mapping, invoke: Invoke, log: Log, stopping: threading.Event) -> None:
        super().__init__(name=mapping.logical_id, daemon=True)
        self.mapping = mapping
        self._invoke = invoke
        self._log = log
        self._stopping = stopping

    def log(self, line: str) -> None:
        self._log(self.mapping.logical_id, line)

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll()
            except Exception as error:
                if self._stopping.is_set():
                    return
                self.log(f"poll failed, retrying: {error!r}")
                self._stopping.wait(1)

    def poll(self) -> None:
        raise NotImplementedError


class StreamPoller(Poller):
    """A DynamoDB stream to a function, shard by shard, in order."""

    def poll(self) -> None:
        client = boto3.client("dynamodbstreams")
        arn = self.mapping.source_arn
        shard = client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = client.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"
        ]
        attempts: dict[str, int] = {}
        while not self._stopping.is_set():
            answer = client.get_records(ShardIterator=iterator, Limit=self.mapping.batch_size)
            records = [self._record(raw) for raw in answer.get("Records", [])]
            if not records:
                iterator = answer["NextShardIterator"]
                self._stopping.wait(_IDLE_POLL_SECONDS)
                continue
            batch = [record for record in records if self.mapping.filters.accepts(record)]
            failed = (
                _failed_items(self._invoke(self.mapping.function, {"Records": batch}), self.mapping.reports_failures)
                if batch
                else None
            )
            if failed is None:
                attempts.clear()
                iterator = answer["NextShardIterator"]
                continue
            sequences = [r["dynamodb"]["SequenceNumber"] for r in batch]
            known = [s for s in failed if s in sequences]
            retry_from = min(known, key=int) if known and len(known) == len(failed) else sequences[0]
            attempts[retry_from] = attempts.get(retry_from, 0) + 1
            if 0 <= self.mapping.max_retries < attempts[retry_from]:
                self.log(f"discarding records from {retry_from}: retries exhausted")
                self._report_discarded([r for r in batch if int(r["dynamodb"]["SequenceNumber"]) >= int(retry_from)])
                attempts.clear()
                iterator = answer["NextShardIterator"]
                continue
            delay = min(5.0, 0.5 * 2 ** (attempts[retry_from] - 1))
            self.log(f"batch failed, retrying from sequence number {retry_from} in {delay:.1f} s")
            self._stopping.wait(delay)
            iterator = client.get_shard_iterator(
                StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=retry_from
            )["ShardIterator"]

    def _report_discarded(self, records: list[dict[str, Any]]) -> None:
        """What Lambda sends to the OnFailure destination: where the discarded records are."""
        if not self.mapping.on_failure or not records:
            return
        created = [r["dynamodb"].get("ApproximateCreationDateTime") for r in records]
        body = {
            "requestContext": {
                "functionArn": self.mapping.function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": self.mapping.max_retries + 1,
            },
            "DDBStreamBatchInfo": {
                "shardId": records[0].get("shardId", ""),
                "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": created[0],
                "approximateArrivalOfLastRecord": created[-1],
                "batchSize": len(records),
                "streamArn": self.mapping.source_arn,
            },
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "version": "1.0",
        }
        boto3.client("sqs").send_message(QueueUrl=self.mapping.on_failure, MessageBody=json.dumps(body))

    def _record(self, raw: dict[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = _jsonable(raw)
        record.setdefault("eventSource", "aws:dynamodb")
        record.setdefault("eventVersion", "1.1")
        record.setdefault("awsRegion", boto3.session.Session().region_name)
        record["eventSourceARN"] = self.mapping.source_arn
        return record


class QueuePoller(Poller):
    """An SQS queue to a function: delete what succeeded, leave what failed."""

    def __init__(self, mapping: Mapping, queue_url: str, *args: Any) -> None:
        super().__init__(mapping, *args)
        self._queue_url = queue_url

    def poll(self) -> None:
        client = boto3.client("sqs")
        while not self._stopping.is_set():
            answer = client.receive_message(
                QueueUrl=self._queue_url,
                MaxNumberOfMessages=min(10, self.mapping.batch_size),
                WaitTimeSeconds=1,
                MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
            )
            messages = answer.get("Messages", [])
            if not messages:
                continue
            records = [self._record(message) for message in messages]
            batch = [record for record in records if self.mapping.filters.accepts(self._filterable(record))]
            failed = (
                _failed_items(self._invoke(self.mapping.function, {"Records": batch}), self.mapping.reports_failures)
                if batch
                else None
            )
            failed_ids = {r["messageId"] for r in batch} if failed == [] else set(failed or [])
            done = [m for m in messages if m["MessageId"] not in failed_ids]
            if failed_ids:
                self.log(f"{len(failed_ids)} message(s) failed: left on the queue for a retry")
            if done:
                client.delete_message_batch(
                    QueueUrl=self._queue_url,
                    Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
                )

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        attributes = {}
        for name, value in message.get("MessageAttributes", {}).items():
            attributes[name] = {
                "stringValue": value.get("StringValue"),
                "binaryValue": _jsonable(value["BinaryValue"]) if "BinaryValue" in value else None,
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value.get("DataType"),
            }
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": attributes,
            "md5OfBody": message.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.mapping.source_arn,
            "awsRegion": boto3.session.Session().region_name,
        }

    @staticmethod
    def _filterable(record: dict[str, Any]) -> dict[str, Any]:
        try:
            body = json.loads(record["body"])
        except ValueError:
            return record
        return {**record, "body": body}


_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days|second|seconds)\)$")
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def schedule_period(expression: str, override: float | None) -> float | None:
    """Seconds between runs of ``rate(...)``/``cron(...)``; None for one-off ``at(...)``."""
    if override:
        return override
    found = _RATE.match(expression.strip())
    if found:
        return int(found.group(1)) * _UNIT_SECONDS[found.group(2).rstrip("s")]
    if expression.startswith("cron("):
        return 60.0  # locally, a cron runs every minute
    return None


class Schedule(threading.Thread):
    def __init__(
        self,
        name: str,
        arn: str,
        function: str,
        period: float,
        payload: Any,
        invoke: Invoke,
        log: Log,
        stopping: threading.Event,
    ) -> None:
        super().__init__(name=name, daemon=True)
        self._arn = arn
        self.function = function
        self.period = period
        self._payload = payload
        self._invoke = invoke
        self._log = log
        self._stopping = stopping

    def run(self) -> None:
        while not self._stopping.wait(self.period):
            event = self._payload if self._payload is not None else self._scheduled_event()
            self._invoke(self.function, event)  # a failure is reported by the runtime; the next run comes anyway

    def _scheduled_event(self) -> dict[str, Any]:
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": boto3.session.Session().region_name,
            "resources": [self._arn],
            "detail": {},
        }


def _target_payload(target: dict[str, Any]) -> Any:
    if "Input" in target:
        return json.loads(target["Input"])
    return None


def event_sources(
    template: Template,
    stack: Stack,
    function_by_arn: dict[str, str],
    invoke: Invoke,
    log: Log,
    stopping: threading.Event,
    schedule_override: float | None,
) -> list[threading.Thread]:
    """Threads for every event source mapping and schedule of the template (not started)."""
    function_by_name = {name.rsplit(":", 1)[-1]: fid for name, fid in function_by_arn.items()}
    queue_url_by_arn = {
        stack.attributes[(logical_id, "Arn")]: stack.refs[logical_id]
        for logical_id in template.of_type("AWS::SQS::Queue")
        if (logical_id, "Arn") in stack.attributes
    }
    threads: list[threading.Thread] = []
    for logical_id, resource in template.of_type("AWS::Lambda::EventSourceMapping").items():
        props = stack.resolve(resource["Properties"])
        function = function_by_name.get(str(props["FunctionName"]).rsplit(":", 1)[-1])
        if function is None or props.get("Enabled", True) in (False, "false"):
            continue
        source = props["EventSourceArn"]
        if ":dynamodb:" in source:
            mapping = Mapping.from_properties(logical_id, props, function, 100).with_failure_queue(
                props, queue_url_by_arn
            )
            mapping.function_arn = next(arn for arn, fid in function_by_arn.items() if fid == function)
            threads.append(StreamPoller(mapping, invoke, log, stopping))
        elif ":sqs:" in source and source in queue_url_by_arn:
            mapping = Mapping.from_properties(logical_id, props, function, 10)
            threads.append(QueuePoller(mapping, queue_url_by_arn[source], invoke, log, stopping))
        else:
            log(logical_id, f"event source {source} is not emulated locally")
    schedules = [
        (logical_id, props, props.get("Targets", []))
        for logical_id, resource in template.of_type("AWS::Events::Rule").items()
        if "ScheduleExpression" in (props := stack.resolve(resource["Properties"]))
    ] + [
        (logical_id, props, [props["Target"]])
        for logical_id, resource in template.of_type("AWS::Scheduler::Schedule").items()
        if "Target" in (props := stack.resolve(resource["Properties"]))
    ]
    for logical_id, props, targets in schedules:
        if props.get("State", "ENABLED") != "ENABLED":
            continue
        period = schedule_period(props["ScheduleExpression"], schedule_override)
        for target in targets:
            function = function_by_arn.get(target.get("Arn", ""))
            if function is None or period is None:
                log(logical_id, f"schedule target {target.get('Arn')} is not emulated locally")
                continue
            arn = stack.attributes.get((logical_id, "Arn"), "")
            threads.append(Schedule(logical_id, arn, function, period, _target_payload(target), invoke, log, stopping))
    return threads
