"""Every sample in events/ (the ones `sam local invoke -e` takes) runs through its real handler, as it is.

Each sample is handed unchanged to the handler of the function its folder names, against
moto, with only the state it presupposes stored first (the payment it names, an overdue
payment for the expiry run); the answer is what a client, Taramoney or the event source
would check.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3
import pytest
from pytest_httpserver import HTTPServer

from local_stack.resources import Stack
from taramoney_payments.clock import utc_now
from taramoney_payments.services import payment_repository
from tests.conftest import EVENTS, REGION
from tests.integration.payments_api_harness import taramoney_accepting_every_order
from tests.integration.webhook_support import PAYMENT_ID, add_pending_payment, stored_item
from tests.lambda_runtime import ROOT, LambdaContext, load_event, load_handler_module
from tests.payment_writes import new_payment, store_pending

GET_SAMPLE_PAYMENT_ID = "Zm9vYmFyYmF6cXV4cXV1eA"


def _body(answer: dict[str, Any]) -> Any:
    return json.loads(answer["body"])


def _queued_events(aws: Stack) -> list[dict[str, Any]]:
    sqs = boto3.Session(region_name=REGION).client("sqs")
    answer = sqs.receive_message(QueueUrl=aws.refs["PaymentEventsQueue"], MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in answer.get("Messages", [])]


def _start_payment(answer: dict[str, Any], aws: Stack) -> None:
    assert answer["statusCode"] == 201, answer
    payment = _body(answer)
    assert (payment["status"], payment["ussdCode"], payment["phoneNumber"]) == ("PENDING", "#150*50#", "655123456")
    assert answer["headers"]["Location"] == f"/payments/{payment['paymentId']}"


def _get_payment(answer: dict[str, Any], aws: Stack) -> None:
    assert answer["statusCode"] == 200, answer
    assert _body(answer)["paymentId"] == GET_SAMPLE_PAYMENT_ID


def _webhook_applied(status: str) -> Callable[[dict[str, Any], Stack], None]:
    def check(answer: dict[str, Any], aws: Stack) -> None:
        assert (answer["statusCode"], _body(answer)) == (
            200,
            {"received": True, "paymentId": PAYMENT_ID, "status": status},
        )
        assert stored_item()["status"] == status  # type: ignore[index]

    return check


def _webhook_refused(answer: dict[str, Any], aws: Stack) -> None:
    assert answer["statusCode"] == 401
    assert _body(answer)["code"] == "UNAUTHENTICATED"
    assert stored_item()["status"] == "PENDING"  # type: ignore[index]


def _parked_applied(answer: dict[str, Any], aws: Stack) -> None:
    assert answer == {"batchItemFailures": []}
    assert stored_item()["status"] == "SUCCESS"  # type: ignore[index]


def _published(answer: dict[str, Any], aws: Stack) -> None:
    assert answer == {"batchItemFailures": []}
    (event,) = _queued_events(aws)
    assert (event["source"], event["detail-type"]) == ("taramoney.payments", "Payment Succeeded")


def _expired(answer: dict[str, Any], aws: Stack) -> None:
    assert answer["expired"] == 1
    assert answer["failed"] == 0


def _a_pending_payment() -> None:
    add_pending_payment()


def _the_payment_to_read() -> None:
    add_pending_payment(payment_id=GET_SAMPLE_PAYMENT_ID, phone_number="677123456")


def _an_overdue_payment() -> None:
    store_pending(payment_repository(), new_payment(created_at=utc_now() - timedelta(minutes=30)))


def _nothing() -> None:
    pass


# sample -> (what must be stored first, what the answer must be)
SAMPLES: dict[str, tuple[Callable[[], None], Callable[[dict[str, Any], Stack], None]]] = {
    "payments_api/start_payment.json": (_nothing, _start_payment),
    "payments_api/get_payment.json": (_the_payment_to_read, _get_payment),
    "webhook/success.json": (_a_pending_payment, _webhook_applied("SUCCESS")),
    "webhook/duplicate.json": (_a_pending_payment, _webhook_applied("SUCCESS")),
    "webhook/extra_fields.json": (_a_pending_payment, _webhook_applied("SUCCESS")),
    "webhook/failure.json": (_a_pending_payment, _webhook_applied("FAILURE")),
    "webhook/forged_token.json": (_a_pending_payment, _webhook_refused),
    "parked_webhooks/parked_success.json": (_a_pending_payment, _parked_applied),
    "event_publisher/payment_succeeded.json": (_nothing, _published),
    "payment_expiry/scheduled.json": (_an_overdue_payment, _expired),
}


@pytest.fixture
def taramoney_accepts(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, function_env: dict[str, str]) -> None:
    taramoney_accepting_every_order(httpserver, monkeypatch)


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_the_sample_runs_through_its_handler(sample: str, aws: Stack, taramoney_accepts: None) -> None:
    # given what the sample presupposes
    prepare, check = SAMPLES[sample]
    prepare()
    # when the sample, unchanged, is handed to the function its folder names
    handler = load_handler_module(sample.split("/")[0]).lambda_handler
    answer = handler(load_event(sample), LambdaContext())
    # then the answer is the one its event source or caller expects
    check(answer, aws)


def test_every_function_has_samples_and_every_sample_is_run() -> None:
    functions = {path.parent.name for path in (ROOT / "functions").glob("*/app.py")}
    samples = {str(path.relative_to(EVENTS)) for path in EVENTS.glob("*/*.json") if path.parent.name != "schemas"}
    assert samples == set(SAMPLES), "give each sample in events/ its check in SAMPLES"
    assert {sample.split("/")[0] for sample in samples} == functions
