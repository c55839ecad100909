"""The logs of a whole payment hold no full phone number and no secret, even when whole events are logged.

The real handlers run in-process against moto and a fake Taramoney over HTTP, with
Powertools told to log every incoming event (``POWERTOOLS_LOGGER_LOG_EVENT``) at DEBUG:
the bodies (phone numbers), the webhook addresses (tokens) and the headers
(``tara-webhook-secret``) all reach the logger, and only the formatter stands between
them and CloudWatch. Everything the functions print is scanned.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from pytest_httpserver import HTTPServer

from local_stack.resources import Stack
from tests.captured_output import Capture
from tests.conftest import REGION, TEST_API_KEY, TEST_SIGNING_KEY
from tests.dynamodb_stream import TableStream
from tests.integration.payments_api_harness import (
    payment_body,
    taramoney_accepting_every_order,
)
from tests.integration.webhook_support import set_shared_secret, webhook_event
from tests.lambda_runtime import LambdaContext, load_event, load_handler_module

SHARED_SECRET = "tara-shared-secret-5f2c9a7e"
PHONE_AS_TYPED = "+237 655 12 34 56"
FULL_PHONE_FORMS = ("655123456", "237655123456", "+237655123456", "00237655123456", PHONE_AS_TYPED, "655 12 34 56")


@pytest.fixture
def everything_logged(
    aws: Stack, function_env: dict[str, str], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> HTTPServer:
    """Taramoney accepts every order; the secret has a shared webhook secret; every event is logged."""
    set_shared_secret(aws.refs["TaramoneySecret"], SHARED_SECRET)
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    return taramoney_accepting_every_order(httpserver, monkeypatch)


def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = load_handler_module(function).lambda_handler(event, LambdaContext())
    return answer


def test_a_whole_payment_logs_no_phone_number_and_no_secret(
    aws: Stack, everything_logged: HTTPServer, capture: Capture
) -> None:
    stream = TableStream(boto3.Session(region_name=REGION), aws.refs["PaymentsTable"])
    stream.next_batches()
    # given a payment started from a phone number typed with spaces
    start = load_event("payments_api/start_payment.json")
    start["body"] = json.dumps(payment_body(phoneNumber=PHONE_AS_TYPED))
    created = invoke("payments_api", start)
    assert created["statusCode"] == 201, created
    payment_id = json.loads(created["body"])["paymentId"]
    (order,) = [json.loads(request.get_data()) for request, _ in everything_logged.log]
    address = urlsplit(order["webHookUrl"]).path
    token = address.rsplit("/", 1)[1]
    # when a forger calls with the right address and a wrong secret, then with a made-up token
    forged_secret = webhook_event("success", path=address, headers={"tara-webhook-secret": "not-the-secret-123"})
    forged_token = webhook_event("success", path=f"/payments/{payment_id}/{'A' * 43}")
    # and Taramoney calls back, with the number in another form
    settled = webhook_event(
        "success",
        path=address,
        headers={"tara-webhook-secret": SHARED_SECRET},
        payload_changes={"phoneNumber": "00237655123456"},
    )
    statuses = [invoke("webhook", event)["statusCode"] for event in (forged_secret, forged_token, settled)]
    read = load_event("payments_api/get_payment.json")
    read["pathParameters"] = {"paymentId": payment_id}
    read["rawPath"] = read["requestContext"]["http"]["path"] = f"/payments/{payment_id}"
    statuses.append(invoke("payments_api", read)["statusCode"])
    (batch,) = stream.next_batches()
    published = invoke("event_publisher", batch)
    # then every step happened
    assert statuses == [401, 401, 200, 200]
    assert published == {"batchItemFailures": []}
    logs = capture().text
    # and the events were logged whole (else this scan would prove little), masked
    assert logs.count("phoneNumber") >= 5, logs  # the POST body, three webhook bodies, the stream record
    assert "655***456" in logs
    assert f"/payments/{payment_id}/***" in logs
    # but no line carries a full phone number, a secret or the address token
    for full in FULL_PHONE_FORMS:
        assert full not in logs, full
    for secret in (TEST_API_KEY, TEST_SIGNING_KEY, SHARED_SECRET, token, token[:20]):
        assert secret not in logs, secret
