"""The fault proxy (``LOCAL_FAULTS``): how a spec reads, which calls it fails, what AWS clients see.

The error shapes are checked the way the functions meet them: real botocore clients
against the proxy, in front of a moto server in this process.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError

from local_stack.faults import (
    FaultDecider,
    FaultPlan,
    FaultProxy,
    FaultSpecError,
    IdempotentTransactions,
    error_response,
)
from local_stack.ports import free_port
from local_stack.runner import MotoEndpoint

EXAMPLE = "dynamodb.UpdateItem=0.1:throttle,events.PutEvents=0.2:partial,sqs.SendMessage=0.05:500,*=0.02:timeout;seed=7"


# --- reading a spec -------------------------------------------------------------------------


def test_the_documented_example_reads_as_four_rules_and_a_seed() -> None:
    plan = FaultPlan.parse(EXAMPLE)

    assert plan.seed == 7
    assert [(r.service, r.operation, r.share, r.kinds) for r in plan.rules] == [
        ("dynamodb", "UpdateItem", 0.1, ("throttle",)),
        ("events", "PutEvents", 0.2, ("partial",)),
        ("sqs", "SendMessage", 0.05, ("500",)),
        (None, None, 0.02, ("timeout",)),
    ]
    assert FaultPlan.parse(plan.describe()).describe() == plan.describe()


def test_the_most_specific_rule_decides_a_call() -> None:
    plan = FaultPlan.parse(
        "*=0.5:timeout,dynamodb.*=0.3:500,dynamodb.GetItem=0.2:throttle,WebhookFunction/dynamodb=1:500"
    )

    assert plan.rule_for("PaymentsApiFunction", "dynamodb", "GetItem").kinds == ("throttle",)
    assert plan.rule_for("PaymentsApiFunction", "dynamodb", "Query").share == 0.3
    assert plan.rule_for("PaymentsApiFunction", "sqs", "SendMessage").kinds == ("timeout",)
    assert plan.rule_for("WebhookFunction", "dynamodb", "GetItem").share == 1


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("dynamo.UpdateItem=0.1:throttle", "unknown service"),
        ("dynamodb.UpdateItems=0.1:throttle", "no operation 'UpdateItems'"),
        ("dynamodb.UpdateItem=0.1:slow", "unknown fault kind"),
        ("dynamodb.UpdateItem=1.5:throttle", "not between 0 and 1"),
        ("dynamodb.UpdateItem=lots:throttle", "neither a share"),
        ("dynamodb.UpdateItem:throttle", "not target=amount:kind"),
        ("sqs.SendMessage=0.1:partial", "events.PutEvents only"),
        ("*=0.1:throttle;sead=3", "unknown option"),
    ],
)
def test_a_spec_that_cannot_mean_anything_is_refused_with_the_reason(spec: str, complaint: str) -> None:
    with pytest.raises(FaultSpecError, match=complaint):
        FaultPlan.parse(spec)


def test_options_alone_make_a_proxy_that_injects_nothing_yet() -> None:
    plan = FaultPlan.parse("seed=3;hold=2")

    assert (plan.rules, plan.seed, plan.hold_seconds) == ([], 3, 2.0)


# --- deciding -------------------------------------------------------------------------------


def _decisions(spec: str, calls: int = 2000, operation: str = "UpdateItem") -> list[str | None]:
    decider = FaultDecider(FaultPlan.parse(spec))
    return [decider.decide("WebhookFunction", "dynamodb", operation) for _ in range(calls)]


def test_the_same_seed_fails_the_same_calls_and_another_seed_others() -> None:
    first = _decisions("dynamodb.UpdateItem=0.1:throttle|500;seed=7")

    assert _decisions("dynamodb.UpdateItem=0.1:throttle|500;seed=7") == first
    assert _decisions("dynamodb.UpdateItem=0.1:throttle|500;seed=8") != first


def test_about_the_chosen_share_of_calls_fails_with_each_listed_kind() -> None:
    decisions = _decisions("dynamodb.UpdateItem=0.1:throttle|500;seed=1", calls=4000)

    failed = [kind for kind in decisions if kind]
    assert 0.08 < len(failed) / len(decisions) < 0.12
    assert set(failed) == {"throttle", "500"}
    assert _decisions("dynamodb.UpdateItem=0.1:throttle", operation="GetItem") == [None] * 2000


def test_a_count_fails_exactly_the_next_calls() -> None:
    assert _decisions("dynamodb.UpdateItem=#2:timeout", calls=5) == ["timeout", "timeout", None, None, None]


def test_a_partial_put_events_refuses_at_least_one_entry_and_not_always_all() -> None:
    decider = FaultDecider(FaultPlan.parse("events.PutEvents=1:partial;seed=4"))

    refusals = [decider.refused_entries("EventPublisherFunction", 10) for _ in range(50)]

    assert all(len(refused) >= 1 for refused in refusals)
    assert any(len(refused) < 10 for refused in refusals)
    assert {code for refused in refusals for code in refused.values()} == {"ThrottlingException", "InternalFailure"}


def test_throttling_errors_carry_the_status_and_body_aws_sends() -> None:
    status, headers, body = error_response("dynamodb", "throughput")

    assert status == 400
    assert json.loads(body)["__type"] == "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
    assert headers["Content-Type"] == "application/x-amz-json-1.0"
    assert error_response("events", "throughput")[2] == error_response("events", "throttle")[2]


# --- through the proxy, as a function's botocore client sees it -----------------------------


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    endpoint = MotoEndpoint(free_port())
    endpoint.start()
    yield endpoint.url
    endpoint.stop()


@pytest.fixture
def proxy(moto_url: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy("127.0.0.1", moto_url, FaultDecider(FaultPlan()), function="TestFunction")
    proxy.start()
    yield proxy
    proxy.stop()


def _client(service: str, url: str, *, attempts: int = 1, read_timeout: float = 5) -> Any:
    config = Config(retries={"mode": "standard", "total_max_attempts": attempts}, read_timeout=read_timeout)
    return boto3.client(service, endpoint_url=url, region_name="eu-west-1", config=config)


def _table(moto_url: str) -> str:
    name = f"faults-{time.monotonic_ns()}"
    _client("dynamodb", moto_url).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def _use(proxy: FaultProxy, spec: str) -> None:
    proxy.decider.replace(FaultPlan.parse(spec))


@pytest.mark.parametrize(
    ("kind", "code", "status"),
    [
        ("throttle", "ThrottlingException", 400),
        ("throughput", "ProvisionedThroughputExceededException", 400),
        ("500", "InternalServerError", 500),
    ],
)
def test_a_failed_dynamodb_call_is_the_error_botocore_knows_and_nothing_is_written(
    proxy: FaultProxy, moto_url: str, kind: str, code: str, status: int
) -> None:
    # given a table, and every PutItem through the proxy failing
    table = _table(moto_url)
    _use(proxy, f"dynamodb.PutItem=1:{kind}")

    # when a function writes through the proxy
    with pytest.raises(ClientError) as failure:
        _client("dynamodb", proxy.url).put_item(TableName=table, Item={"pk": {"S": "a"}})

    # then it gets the error AWS gives, and the table is untouched
    assert failure.value.response["Error"]["Code"] == code
    assert failure.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert "Item" not in _client("dynamodb", moto_url).get_item(TableName=table, Key={"pk": {"S": "a"}})


def test_botocore_retries_a_throttled_call_and_the_proxy_lets_the_retry_through(
    proxy: FaultProxy, moto_url: str
) -> None:
    table = _table(moto_url)
    _use(proxy, "dynamodb.PutItem=#1:throttle")

    _client("dynamodb", proxy.url, attempts=2).put_item(TableName=table, Item={"pk": {"S": "a"}})

    assert proxy.decider.report()["injected"] == {"TestFunction/dynamodb.PutItem:throttle": 1}
    assert "Item" in _client("dynamodb", moto_url).get_item(TableName=table, Key={"pk": {"S": "a"}})


def test_a_throttled_sqs_send_is_request_throttled(proxy: FaultProxy, moto_url: str) -> None:
    url = _client("sqs", moto_url).create_queue(QueueName=f"faults-{time.monotonic_ns()}")["QueueUrl"]
    _use(proxy, "sqs.SendMessage=1:throttle")

    with pytest.raises(ClientError) as failure:
        _client("sqs", proxy.url).send_message(QueueUrl=url, MessageBody="{}")

    assert failure.value.response["Error"]["Code"] == "RequestThrottled"


def test_a_timed_out_call_was_applied_though_the_client_never_heard(proxy: FaultProxy, moto_url: str) -> None:
    # given every PutItem's answer lost
    table = _table(moto_url)
    _use(proxy, "dynamodb.PutItem=1:timeout;hold=5")

    # when a function with a 1 s read timeout writes
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        _client("dynamodb", proxy.url, read_timeout=1).put_item(TableName=table, Item={"pk": {"S": "a"}})

    # then it gave up after its own timeout, and the write is in the table anyway
    assert time.monotonic() - started < 4
    assert "Item" in _client("dynamodb", moto_url).get_item(TableName=table, Key={"pk": {"S": "a"}})


def test_a_partial_put_events_puts_only_the_entries_it_does_not_refuse(proxy: FaultProxy, moto_url: str) -> None:
    # given a bus whose every event reaches a queue
    sqs, events = _client("sqs", moto_url), _client("events", moto_url)
    name = f"faults-{time.monotonic_ns()}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.create_event_bus(Name=name)
    events.put_rule(Name=name, EventBusName=name, EventPattern=json.dumps({"source": ["test"]}))
    events.put_targets(Rule=name, EventBusName=name, Targets=[{"Id": "q", "Arn": queue_arn}])
    _use(proxy, "events.PutEvents=1:partial;seed=5")
    entries = [
        {"EventBusName": name, "Source": "test", "DetailType": "t", "Detail": json.dumps({"n": n})} for n in range(10)
    ]

    # when ten events are put through the proxy
    answer = _client("events", proxy.url).put_events(Entries=entries)

    # then the refused ones say why, are counted, and only the others arrive
    refused = [n for n, result in enumerate(answer["Entries"]) if "ErrorCode" in result]
    assert answer["FailedEntryCount"] == len(refused) >= 1
    assert {answer["Entries"][n]["ErrorCode"] for n in refused} <= {"ThrottlingException", "InternalFailure"}
    received: list[int] = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        received += [json.loads(m["Body"])["detail"]["n"] for m in batch]
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
        )
    assert sorted(received) == [n for n in range(10) if n not in refused]


def test_the_plan_is_shown_and_replaced_over_http(proxy: FaultProxy) -> None:
    import requests

    answer = requests.put(f"{proxy.url}/__faults", data="sqs.*=0.5:500;seed=2", timeout=5)
    refused = requests.put(f"{proxy.url}/__faults", data="sqs.*=2:500", timeout=5)

    assert answer.json()["plan"] == "sqs.*=0.5:500;seed=2;hold=6"
    assert refused.status_code == 400
    assert requests.get(f"{proxy.url}/__faults", timeout=5).json()["plan"] == "sqs.*=0.5:500;seed=2;hold=6"


def test_a_transaction_retried_after_its_answer_was_lost_succeeds_as_on_dynamodb(
    proxy: FaultProxy, moto_url: str
) -> None:
    # given a conditional transaction whose first answer is lost after it was applied
    table = _table(moto_url)
    _use(proxy, "dynamodb.TransactWriteItems=#1:timeout;hold=5")
    put = {"Put": {"TableName": table, "Item": {"pk": {"S": "a"}}, "ConditionExpression": "attribute_not_exists(pk)"}}

    # when botocore retries it (with the same ClientRequestToken)
    _client("dynamodb", proxy.url, attempts=2, read_timeout=1).transact_write_items(TransactItems=[put])

    # then the retry gets the first answer, not a cancelled transaction; written once
    assert "Item" in _client("dynamodb", moto_url).get_item(TableName=table, Key={"pk": {"S": "a"}})


def test_a_transaction_retried_while_the_first_call_still_runs_waits_for_its_answer() -> None:
    # given a first call DynamoDB is slow to answer (queued behind other writes)
    transactions = IdempotentTransactions()
    release, calls = threading.Event(), []

    def slow_forward() -> tuple[int, list[Any], bytes]:
        calls.append("forwarded")
        release.wait(5)
        return 200, [], b"{}"

    first = threading.Thread(target=transactions.run, args=("token-1", slow_forward))
    first.start()
    time.sleep(0.1)

    # when the client, timed out, sends it again with the same token
    retried: list[tuple[int, list[Any], bytes]] = []
    retry = threading.Thread(target=lambda: retried.append(transactions.run("token-1", slow_forward)))
    retry.start()
    release.set()
    first.join(5)
    retry.join(5)

    # then the retry gets the first call's answer; DynamoDB saw one call
    assert (retried, calls) == ([(200, [], b"{}")], ["forwarded"])
