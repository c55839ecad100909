"""The expiry run in moto: what is past its deadline becomes EXPIRED, nothing else, never by a Scan."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local_stack.resources import Stack
from taramoney_payments.aws import aws_client
from taramoney_payments.clock import utc_now
from taramoney_payments.expiry import ExpiryIncomplete, PaymentExpirer
from taramoney_payments.models import Payment, PaymentStatus
from taramoney_payments.repository import PaymentRepository, payment_key
from tests.captured_output import Capture
from tests.conftest import REGION
from tests.dynamodb_stream import TableStream
from tests.lambda_runtime import LambdaContext, load_event, load_handler_module
from tests.payment_writes import new_payment, settle_as_webhook, store_pending

LONG_AGO = timedelta(minutes=30)


@pytest.fixture
def repository(function_env: dict[str, str]) -> PaymentRepository:
    # The client the functions use, so that calls can be watched on it.
    return PaymentRepository(aws_client("dynamodb"), function_env["PAYMENTS_TABLE_NAME"])


@pytest.fixture
def dynamodb_calls(repository: PaymentRepository) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every DynamoDB call the functions' client makes, as (operation, parameters)."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, dict(params)))

    events = aws_client("dynamodb").meta.events
    events.register("before-parameter-build.dynamodb", record)
    yield calls
    events.unregister("before-parameter-build.dynamodb", record)


def overdue(repository: PaymentRepository, minutes_ago: int = 30) -> Payment:
    return store_pending(repository, new_payment(created_at=utc_now() - timedelta(minutes=minutes_ago)))


def raw_item(payment_id: str) -> dict[str, Any]:
    table = aws_client("dynamodb")
    item: dict[str, Any] = table.get_item(TableName=_table_name(), Key=payment_key(payment_id))["Item"]
    return item


def _table_name() -> str:
    from taramoney_payments.settings import get_settings

    return get_settings().payments_table_name


def run_expiry() -> Any:
    return load_handler_module("payment_expiry").lambda_handler(
        load_event("payment_expiry/scheduled.json"), LambdaContext()
    )


def test_the_run_expires_only_payments_past_their_deadline(
    repository: PaymentRepository, dynamodb_calls: list[tuple[str, dict[str, Any]]]
) -> None:
    # given a payment past its deadline, one still within it, and one paid after its deadline passed
    due = overdue(repository)
    fresh = store_pending(repository, new_payment())
    paid = overdue(repository)
    settle_as_webhook(repository._client, _table_name(), paid.payment_id, PaymentStatus.SUCCESS)
    # when the scheduled run comes
    summary = run_expiry()
    # then only the overdue PENDING payment is EXPIRED, with its reason and completion time
    assert summary == {"expired": 1, "settledFirst": 0, "failed": 0}
    expired = repository.get(due.payment_id)
    assert expired is not None
    assert expired.status is PaymentStatus.EXPIRED
    assert expired.failure_reason == "EXPIRED"
    assert expired.completed_at is not None
    assert expired.completed_at >= expired.expires_at
    assert "awaitingExpiry" not in raw_item(due.payment_id)
    assert repository.get(fresh.payment_id).status is PaymentStatus.PENDING  # type: ignore[union-attr]
    assert repository.get(paid.payment_id).status is PaymentStatus.SUCCESS  # type: ignore[union-attr]
    # and it found them through the index, never by reading the whole table
    operations = [operation for operation, _ in dynamodb_calls]
    assert "Scan" not in operations
    assert all(params["IndexName"] == "PendingByExpiry" for op, params in dynamodb_calls if op == "Query")


def test_a_payment_a_webhook_settles_during_the_run_stays_settled(repository: PaymentRepository) -> None:
    # given an overdue payment whose webhook arrives after the run found it and before it writes
    payment = overdue(repository)
    webhook_side = boto3.Session(region_name=REGION).client("dynamodb")

    def webhook_wins(**_: Any) -> None:
        settle_as_webhook(webhook_side, _table_name(), payment.payment_id, PaymentStatus.SUCCESS)

    aws_client("dynamodb").meta.events.register_first("after-call.dynamodb.Query", webhook_wins)
    try:
        # when the run comes
        summary = run_expiry()
    finally:
        aws_client("dynamodb").meta.events.unregister("after-call.dynamodb.Query", webhook_wins)
    # then the payment keeps the webhook's SUCCESS: the run's conditional write lost
    assert summary == {"expired": 0, "settledFirst": 1, "failed": 0}
    settled = repository.get(payment.payment_id)
    assert settled is not None
    assert settled.status is PaymentStatus.SUCCESS
    assert settled.failure_reason is None


def test_each_line_about_a_payment_names_it_even_when_its_expiry_fails(
    repository: PaymentRepository, capture: Capture
) -> None:
    # given two overdue payments, the first of which DynamoDB will not close
    failing, closing = overdue(repository, minutes_ago=40), overdue(repository, minutes_ago=30)

    def refuse_first(params: dict[str, Any], **_: Any) -> None:
        if params["Key"] == payment_key(failing.payment_id):
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "try again"}}, "UpdateItem")

    events = aws_client("dynamodb").meta.events
    events.register("before-parameter-build.dynamodb.UpdateItem", refuse_first)
    context = LambdaContext()
    try:
        # when the run comes (and ends in error, so that the next run retries)
        with pytest.raises(ExpiryIncomplete):
            load_handler_module("payment_expiry").lambda_handler(load_event("payment_expiry/scheduled.json"), context)
    finally:
        events.unregister("before-parameter-build.dynamodb.UpdateItem", refuse_first)

    # then each payment's line names it, the failure with its exception; the run's own lines name none
    lines = {line["message"]: line for line in capture().log_lines}
    assert lines["Payment not expired"]["payment_id"] == failing.payment_id
    assert "InternalServerError" in lines["Payment not expired"]["exception"]
    assert lines["Payment expired"]["payment_id"] == closing.payment_id
    assert "payment_id" not in lines["Expiry run done"]
    assert {line["correlation_id"] for line in lines.values()} == {context.aws_request_id}


def test_a_run_pages_through_the_index_and_stops_at_its_bound(
    repository: PaymentRepository, dynamodb_calls: list[tuple[str, dict[str, Any]]]
) -> None:
    # given seven overdue payments, and a run that reads pages of 2 and closes at most 5
    payments = [overdue(repository, minutes_ago=40 - i) for i in range(7)]
    expirer = PaymentExpirer(repository, max_per_run=5, page_size=2)
    # when it runs
    first = expirer.expire_due()
    # then it closed the five oldest, reading three pages and asking for no more than it may close
    assert first.expired == [p.payment_id for p in payments[:5]]
    queries = [params for operation, params in dynamodb_calls if operation == "Query"]
    assert [query["Limit"] for query in queries] == [2, 2, 1]
    assert "ExclusiveStartKey" not in queries[0]
    assert all("ExclusiveStartKey" in query for query in queries[1:])
    # and the next runs close the rest, then find nothing
    assert expirer.expire_due().expired == [p.payment_id for p in payments[5:]]
    assert expirer.expire_due().expired == []
    assert "Scan" not in [operation for operation, _ in dynamodb_calls]


def test_the_bound_per_run_comes_from_the_configuration(
    repository: PaymentRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given four overdue payments and MAX_EXPIRIES_PER_RUN=3
    for _ in range(4):
        overdue(repository)
    monkeypatch.setenv("MAX_EXPIRIES_PER_RUN", "3")
    from tests.conftest import reset_service_caches

    reset_service_caches()
    # when two runs come, then the first closes three and the second the last one
    assert run_expiry()["expired"] == 3
    assert run_expiry()["expired"] == 1


def test_an_expiry_is_announced_as_payment_expired(aws: Stack, repository: PaymentRepository) -> None:
    # given an overdue payment, and the table's stream feeding the publisher
    stream = TableStream(boto3.Session(region_name=REGION), _table_name())
    payment = overdue(repository)
    # when the run expires it and the stream reaches the publisher
    run_expiry()
    publisher = load_handler_module("event_publisher")
    for batch in stream.next_batches():
        assert publisher.lambda_handler(batch, LambdaContext()) == {"batchItemFailures": []}
    # then the payment events queue holds its Payment Expired event
    sqs = boto3.Session(region_name=REGION).client("sqs")
    messages = sqs.receive_message(QueueUrl=aws.refs["PaymentEventsQueue"], MaxNumberOfMessages=10)["Messages"]
    (event,) = [json.loads(message["Body"]) for message in messages]
    assert event["detail-type"] == "Payment Expired"
    assert event["detail"]["eventId"] == f"{payment.payment_id}:EXPIRED"
    assert event["detail"]["failureReason"] == "EXPIRED"
