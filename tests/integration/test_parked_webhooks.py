"""Nothing accepted is lost: a webhook the table cannot take is parked on SQS and applied later."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.exceptions import ClientError, EndpointConnectionError

from taramoney_payments.parking import WebhookParking
from taramoney_payments.services import payment_repository, webhook_parking, webhook_receiver
from tests.captured_output import Capture
from tests.integration.webhook_support import (
    PAYMENT_ID,
    add_pending_payment,
    deliver,
    parked_messages,
    stored_item,
    webhook_event,
)
from tests.lambda_runtime import LambdaContext, load_event, load_handler_module


class _Failing:
    """A client whose ``operation`` raises ``error``; every other call goes through."""

    def __init__(self, client: Any, operation: str, error: Callable[[], Exception]) -> None:
        self._client, self._operation, self._error = client, operation, error

    def __getattr__(self, name: str) -> Any:
        if name == self._operation:

            def fail(**_: Any) -> Any:
                raise self._error()

            return fail
        return getattr(self._client, name)


OUTAGES: dict[str, Callable[[], Exception]] = {
    "unreachable": lambda: EndpointConnectionError(endpoint_url="https://dynamodb.eu-west-1.amazonaws.com"),
    "internal error": lambda: ClientError(
        {"Error": {"Code": "InternalServerError", "Message": "Internal server error"}}, "UpdateItem"
    ),
    "throttled": lambda: ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "UpdateItem"
    ),
    "a bug": lambda: KeyError("Attributes"),
}


@pytest.fixture
def webhook(function_env: dict[str, str]) -> Any:
    return load_handler_module("webhook")


@pytest.fixture
def parked_webhooks(function_env: dict[str, str]) -> Any:
    return load_handler_module("parked_webhooks")


@pytest.fixture
def table_down(function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Make the payments table refuse writes as ``outage`` describes, until the test restores it."""

    def go_down(outage: str = "unreachable") -> None:
        for repository in (payment_repository(), webhook_receiver()._repository):
            monkeypatch.setattr(repository, "_client", _Failing(repository._client, "update_item", OUTAGES[outage]))

    return go_down


def parking_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the parking queue unreachable for the webhook."""
    parking = webhook_parking()
    failing = _Failing(
        parking.client,
        "send_message",
        lambda: EndpointConnectionError(endpoint_url="https://sqs.eu-west-1.amazonaws.com"),
    )
    monkeypatch.setattr(webhook_receiver(), "_parking", lambda: WebhookParking(failing, parking.queue_url))


@pytest.mark.parametrize("outage", sorted(OUTAGES))
def test_an_outage_parks_the_payload_and_answers_200(
    webhook: Any, function_env: dict[str, str], table_down: Callable[[str], None], outage: str
) -> None:
    # given
    add_pending_payment()
    table_down(outage)
    event = webhook_event("success")
    # when
    status, body = deliver(webhook, event)
    # then
    assert (status, body) == (200, {"received": True, "paymentId": PAYMENT_ID, "status": "SUCCESS"})
    (record,) = parked_messages(function_env)
    message = json.loads(record["body"])
    assert (message["paymentId"], message["payload"]) == (PAYMENT_ID, event["body"])
    assert message["receivedAt"].endswith("Z")
    assert "token" not in record["body"].lower()
    assert stored_item()["status"] == "PENDING"  # type: ignore[index]


def test_the_parked_payload_is_applied_once_the_table_answers_again(
    webhook: Any,
    parked_webhooks: Any,
    function_env: dict[str, str],
    table_down: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: a webhook parked during an outage
    add_pending_payment()
    table_down("unreachable")
    deliver(webhook, webhook_event("extra_fields"))
    records = parked_messages(function_env)
    # when: the parked-webhooks function runs while the table is still down
    with pytest.raises(BatchProcessingError):  # the whole batch failed: the invocation fails, SQS retries
        parked_webhooks.lambda_handler({"Records": records}, LambdaContext())
    # then
    assert stored_item()["status"] == "PENDING"  # type: ignore[index]
    # when: the table answers again
    monkeypatch.undo()
    applied = parked_webhooks.lambda_handler({"Records": records}, LambdaContext())
    # then
    assert applied == {"batchItemFailures": []}
    item = stored_item()
    assert item is not None
    assert item["status"] == "SUCCESS"
    assert item["providerPaymentId"] == "awerSxlerxrfrt-6"
    (delivery,) = item["deliveries"]
    assert delivery["source"] == "parked-webhook"
    assert json.loads(delivery["payload"])["invoiceUrl"] == "https://www.dklo.co/invoice/456641929164"


def test_a_parked_payload_that_can_never_apply_is_dropped_not_retried(
    parked_webhooks: Any, function_env: dict[str, str], capture: Capture
) -> None:
    # given: a parked webhook for a payment that does not exist, and one for a phone that is not the payment's
    add_pending_payment()
    payload = json.loads(load_event("webhook/success.json")["body"])
    template = load_event("parked_webhooks/parked_success.json")["Records"][0]
    unknown = {**template, "messageId": "m-unknown", "body": json.loads(template["body"]) | {"paymentId": "NoSuchOne"}}
    unknown["body"] = json.dumps(unknown["body"])
    other_phone = {
        **template,
        "messageId": "m-phone",
        "body": json.dumps(
            json.loads(template["body"]) | {"payload": json.dumps(payload | {"phoneNumber": "677123456"})}
        ),
    }
    # when
    answer = parked_webhooks.lambda_handler({"Records": [unknown, other_phone]}, LambdaContext())
    output = capture()
    # then
    assert answer == {"batchItemFailures": []}
    assert stored_item()["status"] == "PENDING"  # type: ignore[index]
    # and both are Taramoney's last word on a payment: kept in the log, counted for the alarm
    assert output.metric_total("ParkedWebhooksRefused") == output.metric_total("AuthenticWebhooksRefused") == 2
    refused = [line for line in output.log_lines if line["message"] == "Parked webhook cannot be applied"]
    assert sorted(line["code"] for line in refused) == ["PAYMENT_NOT_FOUND", "PHONE_NUMBER_MISMATCH"]
    kept = [json.loads(line["payload"]) for line in refused]
    assert sorted(payload["phoneNumber"] for payload in kept) == ["677***456", "696***597"]


def test_only_the_records_that_failed_are_retried(parked_webhooks: Any) -> None:
    # given: a good parked webhook and a message that is not one
    add_pending_payment()
    good = load_event("parked_webhooks/parked_success.json")["Records"][0]
    broken = {**good, "messageId": "m-broken", "body": "not a parked webhook"}
    # when
    answer = parked_webhooks.lambda_handler({"Records": [good, broken]}, LambdaContext())
    # then: the good one is applied, the broken one goes back to SQS (and to the dead-letter queue in the end)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-broken"}]}
    assert stored_item()["status"] == "SUCCESS"  # type: ignore[index]


def test_a_parked_duplicate_changes_nothing(webhook: Any, parked_webhooks: Any) -> None:
    add_pending_payment()
    deliver(webhook, webhook_event("success"))
    settled = stored_item()
    answer = parked_webhooks.lambda_handler(load_event("parked_webhooks/parked_success.json"), LambdaContext())
    assert answer == {"batchItemFailures": []}
    assert stored_item() == settled


def test_only_when_parking_fails_too_the_webhook_answers_500(
    webhook: Any, table_down: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    add_pending_payment()
    table_down("unreachable")
    parking_down(monkeypatch)
    # when
    status, body = deliver(webhook, webhook_event("success"))
    # then
    assert status == 500
    assert body["code"] == "WEBHOOK_NOT_STORED"
    assert body["paymentId"] == PAYMENT_ID  # support can find the payment the lost report was about


def settled_then_table_and_parking_down(
    webhook: Any, table_down: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A payment a first delivery settled (as if that write's answer never came back), then the
    table's writes and the parking queue both failing."""
    add_pending_payment()
    deliver(webhook, webhook_event("success"))
    table_down("unreachable")
    parking_down(monkeypatch)


def test_when_parking_fails_a_report_the_payment_already_holds_is_answered_200(
    webhook: Any, table_down: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a settled payment, and now the table's writes and the parking queue both failing
    settled_then_table_and_parking_down(webhook, table_down, monkeypatch)
    # when the same report is retried
    status, body = deliver(webhook, webhook_event("success"))
    # then nothing was lost: it is answered as the duplicate it is, not WEBHOOK_NOT_STORED
    assert (status, body["status"]) == (200, "SUCCESS")


def test_when_parking_fails_with_too_little_time_left_the_payment_is_not_read_again(
    webhook: Any, table_down: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the same settled payment, table writes and parking queue failing
    settled_then_table_and_parking_down(webhook, table_down, monkeypatch)
    # when the same report is retried with less time left than one more DynamoDB call may take
    status, body = deliver(webhook, webhook_event("success"), LambdaContext(remaining_time_in_millis=5_000))
    # then the payment is not read again (reading it would have found the report held, and answered 200):
    # the function answers 500 and counts the webhook lost, rather than being timed out mid-read
    assert (status, body["code"]) == (500, "WEBHOOK_NOT_STORED")


def test_a_parked_webhook_is_applied_under_the_webhook_requests_correlation_id(
    webhook: Any,
    parked_webhooks: Any,
    function_env: dict[str, str],
    table_down: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
    capture: Capture,
) -> None:
    # given: a webhook parked during an outage
    add_pending_payment()
    table_down("throttled")
    event = webhook_event("success")
    deliver(webhook, event)
    parked = capture()
    (record,) = parked_messages(function_env)
    monkeypatch.undo()
    # when: the parked-webhooks function applies it
    parked_webhooks.lambda_handler({"Records": [record]}, LambdaContext())
    applied = capture()
    # then: one search by the webhook's request id finds the parking and the settlement
    request_id = event["requestContext"]["requestId"]
    assert json.loads(record["body"])["correlationId"] == request_id
    assert parked.metric_total("WebhooksParked") == 1
    settled = [line for line in applied.log_lines if line["message"] == "Parked webhook applied"]
    assert [(line["correlation_id"], line["payment_id"]) for line in settled] == [(request_id, PAYMENT_ID)]
    assert applied.metric_total("ParkedWebhooksApplied") == 1
    assert applied.metric_total("PaymentsSucceeded", source="parked-webhook") == 1
