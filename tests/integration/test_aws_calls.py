"""AWS calls per operation, counted with a botocore ``before-call`` hook on the service's session.

Every client of the functions comes from ``taramoney_payments.aws``'s one session, so
one handler registered there sees every call (retries of one call count once). These
are the budgets of issue 9: the webhook settles with one DynamoDB write, a payment
starts with at most four DynamoDB calls once the secret is cached, and a batch of
stream records is announced with one ``PutEvents``.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import boto3
import pytest
from pytest_httpserver import HTTPServer

from local_stack.resources import Stack
from taramoney_payments import aws as aws_clients
from taramoney_payments.models import PaymentStatus
from taramoney_payments.repository import PaymentRepository
from tests.conftest import REGION, reset_service_caches
from tests.dynamodb_stream import TableStream
from tests.integration.payments_api_harness import ORANGE_ACCEPTS, TARAMONEY_PATH, Api, payment_body
from tests.integration.webhook_support import add_pending_payment, deliver, webhook_event
from tests.lambda_runtime import LambdaContext, load_handler_module
from tests.payment_writes import new_payment, settle_as_webhook, store_pending


class AwsCalls:
    """``service.Operation`` -> calls since the last ``take()``."""

    def __init__(self) -> None:
        self._calls: Counter[str] = Counter()
        aws_clients._session().events.register("before-call", self._count)

    def _count(self, event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        self._calls[f"{service}.{operation}"] += 1

    def take(self) -> Counter[str]:
        taken, self._calls = self._calls, Counter()
        return taken


def of_service(calls: Counter[str], service: str) -> int:
    return sum(count for name, count in calls.items() if name.startswith(f"{service}."))


@pytest.fixture
def aws_calls(function_env: dict[str, str]) -> AwsCalls:
    return AwsCalls()


def test_the_webhook_settles_a_payment_with_one_dynamodb_call_and_reads_the_secret_once(aws_calls: AwsCalls) -> None:
    webhook = load_handler_module("webhook")
    payment = add_pending_payment()
    event = webhook_event("success", payment_id=payment.payment_id)
    aws_calls.take()

    first = deliver(webhook, event)
    first_calls = aws_calls.take()
    duplicate = deliver(webhook, event)
    duplicate_calls = aws_calls.take()

    assert first[0] == duplicate[0] == 200
    assert first_calls == Counter({"dynamodb.UpdateItem": 1, "secrets-manager.GetSecretValue": 1})
    assert duplicate_calls == Counter({"dynamodb.UpdateItem": 1})  # the refused condition answers the duplicate


def test_a_payment_starts_with_at_most_four_dynamodb_calls_once_the_secret_is_cached(
    aws_calls: AwsCalls, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, aws: Stack
) -> None:
    monkeypatch.setenv("TARAMONEY_API_URL", httpserver.url_for(TARAMONEY_PATH))
    reset_service_caches()
    aws_calls = AwsCalls()  # the caches (and the session) were just rebuilt
    httpserver.expect_request(TARAMONEY_PATH, method="POST").respond_with_json(ORANGE_ACCEPTS)
    api = Api()

    numbers = ("655123456", "677123456")
    started = [api.post(payment_body(phoneNumber=number), key=str(uuid.uuid4())) for number in numbers]
    first_calls = aws_calls.take()
    third = api.post(payment_body(phoneNumber="699123456"), key=str(uuid.uuid4()))
    warm_calls = aws_calls.take()

    assert [answer.status for answer in [*started, third]] == [201, 201, 201]
    assert first_calls["secrets-manager.GetSecretValue"] == 1  # two payments, one read of the secret
    assert of_service(warm_calls, "dynamodb") <= 4
    assert of_service(warm_calls, "secrets-manager") == 0
    assert set(warm_calls) <= {"dynamodb.PutItem", "dynamodb.TransactWriteItems", "dynamodb.UpdateItem"}


def test_the_publisher_announces_each_batch_with_one_put_events(aws: Stack, aws_calls: AwsCalls) -> None:
    session = boto3.Session(region_name=REGION)
    table = aws.refs["PaymentsTable"]
    repository = PaymentRepository(session.client("dynamodb"), table)
    stream = TableStream(session, table)
    payments = [store_pending(repository, new_payment(phone_number=f"65512{index:04d}")) for index in range(12)]
    stream.next_batches()  # the PENDING writes: not what the publisher is sent
    for payment in payments:
        settle_as_webhook(repository._client, table, payment.payment_id, PaymentStatus.SUCCESS)
    batches = stream.next_batches()
    publisher = load_handler_module("event_publisher")
    aws_calls.take()

    answers = [publisher.lambda_handler(batch, LambdaContext()) for batch in batches]
    calls = aws_calls.take()

    assert all(answer == {"batchItemFailures": []} for answer in answers)
    assert sum(len(batch["Records"]) for batch in batches) == 12
    assert calls["eventbridge.PutEvents"] == len(batches)


def test_forged_webhooks_make_no_aws_call_once_the_signing_key_is_cached(aws_calls: AwsCalls) -> None:
    # The per-source rate-limit story of the public webhook: at most ReservedConcurrentExecutions
    # run at once, and each forgery is refused from memory, costing the table nothing.
    webhook = load_handler_module("webhook")
    payment = add_pending_payment()
    aws_calls.take()
    # given a cold container: the first forgery reads the signing key, and only that
    assert deliver(webhook, webhook_event("forged_token"))[0] == 401
    assert aws_calls.take() == Counter({"secrets-manager.GetSecretValue": 1})
    # when a flood of forgeries of every kind arrives
    forgeries = [
        webhook_event("forged_token"),
        webhook_event("success", path=f"/payments/{payment.payment_id}/{'A' * 43}"),
        webhook_event("success", path=f"/payments/{payment.payment_id}"),
        webhook_event("success", path="/"),
        webhook_event("success", path="/payments/" + "x" * 5000 + "/token"),
        webhook_event("success", method="GET", payment_id=payment.payment_id),
        webhook_event("success", body="{" + " " * 20_000 + "}", payment_id=payment.payment_id),
    ] * 20
    statuses = Counter(deliver(webhook, event)[0] for event in forgeries)
    # then every one is refused, and not one AWS call is made
    assert statuses == Counter({401: 100, 405: 20, 413: 20})
    assert aws_calls.take() == Counter()
