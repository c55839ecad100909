"""What an operator reads at 2 a.m.: the logs and metrics of a payment's whole path.

The real handlers run in-process against moto (resources from template.yaml) and a
fake Taramoney over HTTP: POST /payments, then the webhook at the address Taramoney was
given, then the event publisher fed by the table's stream. Their stdout is read back
as Powertools prints it in Lambda: JSON log lines and EMF metric blobs.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from pytest_httpserver import HTTPServer

from local_stack.resources import Stack
from tests.captured_output import Capture, Output
from tests.conftest import REGION, TEST_BUSINESS_ID
from tests.dynamodb_stream import TableStream
from tests.integration.payments_api_harness import (
    payment_body,
    taramoney_accepting_every_order,
)
from tests.integration.webhook_support import add_pending_payment, webhook_event
from tests.lambda_runtime import LambdaContext, load_event, load_handler_module

PHONE_AS_TYPED = "+237 655 12 34 56"
FULL_PHONE_FORMS = ("655123456", "237655123456", PHONE_AS_TYPED)


@pytest.fixture
def taramoney(
    aws: Stack, function_env: dict[str, str], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> HTTPServer:
    return taramoney_accepting_every_order(httpserver, monkeypatch)


def start_payment(request_id: str) -> dict[str, Any]:
    event = load_event("payments_api/start_payment.json")
    event["body"] = json.dumps(payment_body(phoneNumber=PHONE_AS_TYPED))
    event["headers"]["content-length"] = str(len(event["body"]))
    event["requestContext"]["requestId"] = request_id
    answer: dict[str, Any] = load_handler_module("payments_api").lambda_handler(event, LambdaContext())
    return answer


def deliver_webhook(address: str, request_id: str) -> dict[str, Any]:
    """Taramoney's SUCCESS callback, posted to the address it was given for the payment."""
    event = webhook_event("success", path=urlsplit(address).path, payload_changes={"phoneNumber": "237655123456"})
    event["requestContext"]["requestId"] = request_id
    answer: dict[str, Any] = load_handler_module("webhook").lambda_handler(event, LambdaContext())
    return answer


def assert_every_line_carries(output: Output, *, correlation_id: str, payment_id: str) -> None:
    assert output.log_lines, "no log line: this check would prove nothing"
    for line in output.log_lines:
        assert (line.get("correlation_id"), line.get("payment_id")) == (correlation_id, payment_id), line


def test_a_payments_path_is_logged_under_its_ids_with_its_metrics_and_no_phone_number(
    aws: Stack, taramoney: HTTPServer, capture: Capture
) -> None:
    # given the table's stream, read from now on as the publisher's event source mapping would
    stream = TableStream(boto3.Session(region_name=REGION), aws.refs["PaymentsTable"])
    stream.next_batches()

    # when a customer starts a payment
    answer = start_payment(request_id="api-request-1")
    initiation = capture()
    # then every line of the request names it and the payment, and Taramoney's order is counted
    assert answer["statusCode"] == 201, answer
    payment_id = json.loads(answer["body"])["paymentId"]
    assert_every_line_carries(initiation, correlation_id="api-request-1", payment_id=payment_id)
    assert initiation.metric_total("PaymentsInitiated") == 1
    assert initiation.metric_total("PaymentsInitiated", vendor="ORANGE_CAMEROON") == 1
    (latency,) = [point for point in initiation.metrics if point.name == "ProviderLatency"]
    assert (latency.unit, len(latency.values)) == ("Milliseconds", 1)
    assert latency.values[0] > 0
    assert initiation.metric_total("ProviderRejections") == initiation.metric_total("ProviderErrors") == 0

    # when Taramoney calls the webhook address it was given
    (order,) = [json.loads(request.get_data()) for request, _ in taramoney.log]
    assert order["businessId"] == TEST_BUSINESS_ID
    answer = deliver_webhook(order["webHookUrl"], request_id="webhook-request-1")
    settlement = capture()
    # then
    assert answer["statusCode"] == 200, answer
    assert_every_line_carries(settlement, correlation_id="webhook-request-1", payment_id=payment_id)
    assert settlement.metric_total("WebhooksApplied") == 1
    assert settlement.metric_total("PaymentsSucceeded") == 1
    assert settlement.metric_total("PaymentsSucceeded", source="webhook") == 1

    # when the table's stream reaches the event publisher
    (batch,) = stream.next_batches()
    context = LambdaContext()
    answer = load_handler_module("event_publisher").lambda_handler(batch, context)
    publication = capture()
    # then
    assert answer == {"batchItemFailures": []}
    assert_every_line_carries(publication, correlation_id=context.aws_request_id, payment_id=payment_id)
    assert publication.metric_total("PaymentEventsPublished") == 1
    assert publication.metric_total("PaymentEventsFailed") == 0

    # and the whole path wrote no full phone number, only its mask
    everything = "".join(output.text for output in (initiation, settlement, publication))
    for full in FULL_PHONE_FORMS:
        assert full not in everything
    assert all(point.namespace == "TaramoneyPayments" for point in initiation.metrics + settlement.metrics)


def test_a_refused_webhook_is_counted_by_its_reason_and_logged_without_the_last_payment(
    aws: Stack, function_env: dict[str, str], capture: Capture
) -> None:
    # given a warm webhook function that has just settled a payment
    webhook = load_handler_module("webhook")
    add_pending_payment()
    assert webhook.lambda_handler(webhook_event("success"), LambdaContext())["statusCode"] == 200
    capture()
    # when a webhook with a forged address token comes next
    event = load_event("webhook/forged_token.json")
    answer = webhook.lambda_handler(event, LambdaContext())
    output = capture()
    # then it is counted by its reason, and its lines name its own request and no payment
    assert answer["statusCode"] == 401
    assert output.metric_total("WebhooksRejected") == 1
    assert output.metric_total("WebhooksRejected", reason="UNAUTHENTICATED") == 1
    assert output.metric_total("WebhooksApplied") == 0
    assert output.metric_total("AuthenticWebhooksRefused") == 0  # a forged call alarms only in a flood
    refusals = [line for line in output.log_lines if line["message"] == "Webhook refused"]
    assert [(line["code"], line["status"]) for line in refusals] == [("UNAUTHENTICATED", 401)]
    assert output.log_lines
    for line in output.log_lines:
        assert line["correlation_id"] == event["requestContext"]["requestId"]
        assert "payment_id" not in line


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"creationDate": "2026-11-28T11:00:03.678"}, "INVALID_PAYLOAD"),  # no offset
        ({"businessId": "another-business"}, "FOREIGN_BUSINESS"),
    ],
)
def test_a_refused_webhook_with_a_valid_token_is_kept_in_an_error_line_and_counted_to_alarm(
    aws: Stack, function_env: dict[str, str], capture: Capture, changes: dict[str, str], code: str
) -> None:
    # given Taramoney's SUCCESS callback, at the payment's own address, that the webhook cannot accept
    payment = add_pending_payment()
    event = webhook_event("success", payload_changes={"phoneNumber": "237655123456", **changes})
    # when it arrives
    answer = load_handler_module("webhook").lambda_handler(event, LambdaContext())
    output = capture()
    # then it is refused, and counted for the alarm that asks someone to settle the payment
    assert answer["statusCode"] in (400, 403)
    assert output.metric_total("AuthenticWebhooksRefused") == 1
    assert output.metric_total("WebhooksRejected", reason=code) == 1
    # and what Taramoney said is kept in the log, its customer's number masked
    (kept,) = [line for line in output.log_lines if line["level"] == "ERROR"]
    assert (kept["code"], kept["payment_id"]) == (code, payment.payment_id)
    payload = json.loads(kept["payload"])
    assert {name: payload[name] for name in changes} == changes
    assert payload["status"] == "SUCCESS"
    assert payload["phoneNumber"] == "655***456"
    assert TEST_BUSINESS_ID not in output.text  # a merchant secret, though the payload carries it
