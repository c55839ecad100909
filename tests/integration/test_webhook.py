"""The webhook function URL, driven with function URL events from events/webhook/ (SPEC sections 4 and 5)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from taramoney_payments.aws import aws_client, fail_fast_aws_client
from taramoney_payments.models import PaymentStatus
from taramoney_payments.settlement import DEFAULT_FAILURE_REASON
from taramoney_payments.webhook_payload import MAX_WEBHOOK_BYTES
from tests.captured_output import Capture
from tests.conftest import reset_service_caches
from tests.integration.webhook_support import (
    PAYMENT_ID,
    PHONE,
    add_pending_payment,
    deliver,
    force_status,
    set_shared_secret,
    stored_item,
    webhook_event,
)
from tests.lambda_runtime import LambdaContext, load_event, load_handler_module


@pytest.fixture
def webhook(function_env: dict[str, str]) -> Any:
    return load_handler_module("webhook")


@pytest.fixture
def dynamodb_calls(function_env: dict[str, str]) -> Iterator[list[str]]:
    """The names of the DynamoDB operations the functions call (retries not counted twice)."""
    calls: list[str] = []

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    clients = [aws_client("dynamodb"), fail_fast_aws_client("dynamodb")]
    for client in clients:
        client.meta.events.register("before-call.dynamodb", count)
    yield calls
    for client in clients:
        client.meta.events.unregister("before-call.dynamodb", count)


def test_a_success_settles_the_payment_with_one_dynamodb_call(webhook: Any, dynamodb_calls: list[str]) -> None:
    # given
    add_pending_payment()
    dynamodb_calls.clear()
    # when
    status, body = deliver(webhook, webhook_event("success"))
    # then
    assert (status, body) == (200, {"received": True, "paymentId": PAYMENT_ID, "status": "SUCCESS"})
    assert dynamodb_calls == ["UpdateItem"]
    item = stored_item()
    assert item is not None
    assert item["status"] == "SUCCESS"
    assert item["providerPaymentId"] == "awerSxlerxrfrt-6"
    assert item["collectionId"] == "456641929164"
    assert item["providerCreatedAt"] == "2026-11-28T10:00:03.678Z"
    assert item["providerChangedAt"] == "2026-11-28T10:01:41.112Z"
    assert item["completedAt"] == item["updatedAt"]
    assert "awaitingExpiry" not in item
    assert "failureReason" not in item
    assert [(entry["status"], entry["applied"]) for entry in item["deliveries"]] == [("SUCCESS", True)]


def test_a_failure_settles_the_payment_with_one_dynamodb_call(webhook: Any, dynamodb_calls: list[str]) -> None:
    # given
    add_pending_payment()
    dynamodb_calls.clear()
    # when
    status, body = deliver(webhook, webhook_event("failure"))
    # then
    assert (status, body) == (200, {"received": True, "paymentId": PAYMENT_ID, "status": "FAILURE"})
    assert dynamodb_calls == ["UpdateItem"]
    item = stored_item()
    assert item is not None
    assert (item["status"], item["failureReason"]) == ("FAILURE", DEFAULT_FAILURE_REASON)
    assert "awaitingExpiry" not in item


def test_the_same_delivery_twice_changes_nothing_the_second_time(webhook: Any, dynamodb_calls: list[str]) -> None:
    # given
    add_pending_payment()
    deliver(webhook, webhook_event("success"))
    settled = stored_item()
    dynamodb_calls.clear()
    # when
    status, body = deliver(webhook, webhook_event("duplicate"))
    # then
    assert (status, body) == (200, {"received": True, "paymentId": PAYMENT_ID, "status": "SUCCESS"})
    assert dynamodb_calls == ["UpdateItem"]  # refused by its condition; ALL_OLD told it was a duplicate
    assert stored_item() == settled


@pytest.mark.parametrize(
    ("before", "sample", "after", "deliveries"),
    [
        (PaymentStatus.EXPIRED, "success", PaymentStatus.SUCCESS, [("SUCCESS", True)]),
        (PaymentStatus.EXPIRED, "failure", PaymentStatus.FAILURE, [("FAILURE", True)]),
        (PaymentStatus.FAILURE, "success", PaymentStatus.SUCCESS, [("SUCCESS", True)]),  # correction, applied
        (PaymentStatus.FAILURE, "failure", PaymentStatus.FAILURE, []),  # duplicate
        (PaymentStatus.SUCCESS, "success", PaymentStatus.SUCCESS, []),  # duplicate
        (PaymentStatus.SUCCESS, "failure", PaymentStatus.SUCCESS, [("FAILURE", False)]),  # final; kept in history
    ],
)
def test_a_delivery_moves_the_payment_as_spec_section_5_says(
    webhook: Any, before: PaymentStatus, sample: str, after: PaymentStatus, deliveries: list[tuple[str, bool]]
) -> None:
    # given
    add_pending_payment()
    force_status(before, failure_reason="PROVIDER_REPORTED_FAILURE" if before is PaymentStatus.FAILURE else None)
    # when
    status, body = deliver(webhook, webhook_event(sample))
    # then
    assert (status, body["status"]) == (200, after.value)
    item = stored_item()
    assert item is not None
    assert item["status"] == after.value
    assert [(entry["status"], entry["applied"]) for entry in item.get("deliveries", [])] == deliveries
    if after is PaymentStatus.SUCCESS:
        assert "failureReason" not in item


def test_failure_then_success_ends_in_success_and_the_correction_is_logged(
    webhook: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # given
    add_pending_payment()
    deliver(webhook, webhook_event("failure"))
    # when
    status, body = deliver(webhook, webhook_event("success"))
    # then
    assert (status, body["status"]) == (200, "SUCCESS")
    item = stored_item()
    assert item is not None
    assert item["status"] == "SUCCESS"
    assert "failureReason" not in item
    assert [entry["status"] for entry in item["deliveries"]] == ["FAILURE", "SUCCESS"]
    assert "Conflict: Taramoney reported SUCCESS for a FAILED payment" in caplog.text


def test_success_then_failure_keeps_success_and_records_the_failure(webhook: Any) -> None:
    # given
    add_pending_payment()
    deliver(webhook, webhook_event("success"))
    settled = stored_item()
    assert settled is not None
    # when
    status, body = deliver(webhook, webhook_event("failure"))
    # then
    assert (status, body["status"]) == (200, "SUCCESS")
    item = stored_item()
    assert item is not None
    assert {key: value for key, value in item.items() if key != "deliveries"} == {
        key: value for key, value in settled.items() if key != "deliveries"
    }
    assert [(entry["status"], entry["applied"]) for entry in item["deliveries"]] == [
        ("SUCCESS", True),
        ("FAILURE", False),
    ]


def test_late_failures_after_success_are_recorded_a_bounded_number_of_times(webhook: Any) -> None:
    # given
    add_pending_payment()
    deliver(webhook, webhook_event("success"))
    # when
    answers = {deliver(webhook, webhook_event("failure"))[0] for _ in range(25)}
    # then
    assert answers == {200}
    item = stored_item()
    assert item is not None
    assert item["status"] == "SUCCESS"
    assert len(item["deliveries"]) == 20


@pytest.mark.parametrize(
    "path",
    [
        "/payments/q3Zr8YkE1v0bXy9LmN2pTw/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # forged token
        "/payments/q3Zr8YkE1v0bXy9LmN2pTw",  # no token
        "/payments/q3Zr8YkE1v0bXy9LmN2pTw/",
        "/",
        "",
        "/webhook/q3Zr8YkE1v0bXy9LmN2pTw/jgj-sVP4tycZwCI1iJaCw6Lp09h27nOPGfU0BcOS8sg",
        "/payments/another-payment/jgj-sVP4tycZwCI1iJaCw6Lp09h27nOPGfU0BcOS8sg",  # a token of another payment
    ],
)
def test_a_wrong_or_missing_token_is_refused_and_writes_nothing(
    webhook: Any, dynamodb_calls: list[str], path: str
) -> None:
    # given
    add_pending_payment()
    before = stored_item()
    dynamodb_calls.clear()
    # when
    status, body = deliver(webhook, webhook_event("success", path=path))
    # then
    assert status == 401
    assert body["code"] == "UNAUTHENTICATED"
    assert dynamodb_calls == []
    assert stored_item() == before


def test_the_forged_token_sample_is_refused(webhook: Any) -> None:
    add_pending_payment()
    status, _ = deliver(webhook, webhook_event("forged_token"))
    assert status == 401
    assert stored_item() is not None
    assert stored_item()["status"] == "PENDING"  # type: ignore[index]


@pytest.fixture
def shared_secret(function_env: dict[str, str]) -> str:
    """The merchant configured a shared webhook secret in Taramoney's dashboard."""
    secret = "dashboard-shared-secret-42"
    set_shared_secret(function_env["TARAMONEY_SECRET_ID"], secret)
    reset_service_caches()
    return secret


@pytest.mark.parametrize("header", [None, "", "dashboard-shared-secret-41", "DASHBOARD-SHARED-SECRET-42"])
def test_a_missing_or_wrong_shared_secret_is_refused(
    webhook: Any,
    shared_secret: str,
    dynamodb_calls: list[str],
    header: str | None,
    capture: Capture,
) -> None:
    # given
    add_pending_payment()
    dynamodb_calls.clear()
    headers = {} if header is None else {"tara-webhook-secret": header}
    # when
    status, _ = deliver(webhook, webhook_event("success", headers=headers))
    output = capture()
    # then
    assert status == 401
    assert dynamodb_calls == []
    assert stored_item()["status"] == "PENDING"  # type: ignore[index]
    # and, the address token being right, it alarms: most likely the dashboard's secret differs from ours
    assert output.metric_total("AuthenticWebhooksRefused") == 1


def test_the_right_shared_secret_is_accepted(webhook: Any, shared_secret: str) -> None:
    add_pending_payment()
    status, body = deliver(webhook, webhook_event("success", headers={"tara-webhook-secret": shared_secret}))
    assert (status, body["status"]) == (200, "SUCCESS")


def test_another_business_is_forbidden_and_writes_nothing(webhook: Any, dynamodb_calls: list[str]) -> None:
    add_pending_payment()
    dynamodb_calls.clear()
    status, body = deliver(webhook, webhook_event("success", payload_changes={"businessId": "SomeoneElse"}))
    assert status == 403
    assert body["code"] == "FOREIGN_BUSINESS"
    assert dynamodb_calls == []
    assert stored_item()["status"] == "PENDING"  # type: ignore[index]


def test_another_phone_number_is_a_conflict_and_writes_nothing(webhook: Any) -> None:
    add_pending_payment()
    before = stored_item()
    status, body = deliver(webhook, webhook_event("success", payload_changes={"phoneNumber": "677123456"}))
    assert status == 409
    assert body["code"] == "PHONE_NUMBER_MISMATCH"
    assert stored_item() == before


@pytest.mark.parametrize("spelling", ["+237696717597", "237 696 71 75 97", "00237-696-717-597", "696.71.75.97"])
def test_the_payment_phone_number_in_any_spelling_is_accepted(webhook: Any, spelling: str) -> None:
    add_pending_payment()
    status, _ = deliver(webhook, webhook_event("success", payload_changes={"phoneNumber": spelling}))
    assert status == 200
    assert stored_item()["status"] == "SUCCESS"  # type: ignore[index]


def test_an_unknown_payment_is_not_found(webhook: Any) -> None:
    # given: a valid token for an id that names no payment
    add_pending_payment()
    # when
    status, body = deliver(webhook, webhook_event("success", payment_id="NoSuchPayment0000000000"))
    # then
    assert status == 404
    assert body["code"] == "PAYMENT_NOT_FOUND"
    assert stored_item("NoSuchPayment0000000000") is None


@pytest.mark.parametrize("body", ["", "{", "not json", "[]", "null", '"SUCCESS"', "42", '{"status": "SUCCESS"'])
def test_a_body_that_is_not_a_json_object_is_refused(webhook: Any, body: str) -> None:
    add_pending_payment()
    status, answer = deliver(webhook, webhook_event("success", body=body))
    assert status == 400
    assert answer["code"] == "MALFORMED_JSON"
    assert stored_item()["status"] == "PENDING"  # type: ignore[index]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status": "PENDING"}, "status"),
        ({"status": "DONE"}, "status"),
        ({"status": None}, "status"),
        ({"businessId": None}, "businessId"),
        ({"businessId": ""}, "businessId"),
        ({"phoneNumber": None}, "phoneNumber"),
        ({"phoneNumber": "12345"}, "phoneNumber"),
        ({"phoneNumber": "+33612345678"}, "phoneNumber"),
        ({"creationDate": "2026-11-28T11:00:03.678"}, "creationDate"),  # no offset
        ({"changeDate": "yesterday"}, "changeDate"),
        ({"collectionId": {"id": 1}}, "collectionId"),
    ],
)
def test_a_schema_violation_is_refused_naming_the_field(webhook: Any, changes: dict[str, Any], field: str) -> None:
    add_pending_payment()
    status, answer = deliver(webhook, webhook_event("success", payload_changes=changes))
    assert status == 400
    assert answer["code"] == "INVALID_PAYLOAD"
    assert field in {error["field"] for error in answer["errors"]}
    assert stored_item()["status"] == "PENDING"  # type: ignore[index]


def test_extra_fields_are_accepted_and_kept(webhook: Any) -> None:
    # given
    add_pending_payment()
    event = webhook_event("extra_fields")
    # when
    status, body = deliver(webhook, event)
    # then
    assert (status, body["status"]) == (200, "SUCCESS")
    kept = json.loads(stored_item()["deliveries"][0]["payload"])  # type: ignore[index]
    assert kept == json.loads(event["body"])
    assert (kept["amount"], kept["originalAmount"], kept["invoiceUrl"]) == (
        "100",
        "98",
        "https://www.dklo.co/invoice/456641929164",
    )


def test_a_base64_encoded_body_is_read(webhook: Any) -> None:
    add_pending_payment()
    body = load_event("webhook/success.json")["body"].encode()
    status, _ = deliver(webhook, webhook_event("success", body=body))
    assert status == 200


@pytest.mark.parametrize("sample", ["success", "forged_token"])
def test_an_oversize_body_is_refused_before_anything_else(webhook: Any, dynamodb_calls: list[str], sample: str) -> None:
    add_pending_payment()
    dynamodb_calls.clear()
    payload = json.loads(load_event("webhook/success.json")["body"])
    payload["padding"] = ""
    payload["padding"] = "x" * (MAX_WEBHOOK_BYTES + 1 - len(json.dumps(payload)))
    body = json.dumps(payload)
    assert len(body) == MAX_WEBHOOK_BYTES + 1
    status, answer = deliver(webhook, webhook_event(sample, body=body))
    assert status == 413
    assert answer["code"] == "PAYLOAD_TOO_LARGE"
    assert dynamodb_calls == []


def test_a_body_of_exactly_the_limit_is_accepted(webhook: Any) -> None:
    add_pending_payment()
    payload = json.loads(load_event("webhook/success.json")["body"])
    payload["padding"] = ""
    payload["padding"] = "x" * (MAX_WEBHOOK_BYTES - len(json.dumps(payload)))
    status, _ = deliver(webhook, webhook_event("success", body=json.dumps(payload)))
    assert status == 200


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "OPTIONS", "HEAD"])
def test_anything_but_post_is_not_allowed(webhook: Any, dynamodb_calls: list[str], method: str) -> None:
    add_pending_payment()
    dynamodb_calls.clear()
    answer = webhook.lambda_handler(webhook_event("success", method=method), LambdaContext())
    assert answer["statusCode"] == 405
    assert answer["headers"]["Allow"] == "POST"
    assert answer["headers"]["Content-Type"] == "application/problem+json"
    assert dynamodb_calls == []


@pytest.fixture
def atomic_item_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB applies each write to an item atomically; moto's in-process backend does not, so lock it.

    Only the write itself is serialised: code that read first and wrote after would still race.
    """
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.Lock()
    update_item = DynamoDBBackend.update_item

    def atomic_update_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return update_item(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "update_item", atomic_update_item)


@pytest.mark.usefixtures("atomic_item_writes")
def test_two_concurrent_deliveries_leave_exactly_one_transition(webhook: Any) -> None:
    # given
    add_pending_payment()
    start = threading.Barrier(2)
    answers: list[tuple[int, dict[str, Any]]] = []

    def send(sample: str) -> None:
        start.wait()
        answers.append(deliver(webhook, webhook_event(sample)))

    # when
    threads = [threading.Thread(target=send, args=(sample,)) for sample in ("success", "duplicate")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert [status for status, _ in answers] == [200, 200]
    item = stored_item()
    assert item is not None
    assert item["status"] == "SUCCESS"
    assert len(item["deliveries"]) == 1


def test_the_payments_api_shows_the_settled_payment(webhook: Any, function_env: dict[str, str]) -> None:
    # given
    add_pending_payment()
    deliver(webhook, webhook_event("extra_fields"))
    api = load_handler_module("payments_api")
    request = load_event("payments_api/get_payment.json")
    request["pathParameters"] = {"paymentId": PAYMENT_ID}
    request["rawPath"] = request["requestContext"]["http"]["path"] = f"/payments/{PAYMENT_ID}"
    # when
    answer = api.lambda_handler(request, LambdaContext())
    # then
    assert answer["statusCode"] == 200
    view = json.loads(answer["body"])
    assert view["status"] == "SUCCESS"
    assert view["phoneNumber"] == PHONE
    assert view["providerPaymentId"] == "awerSxlerxrfrt-6"
    assert view["collectionId"] == "456641929164"
    assert view["completedAt"] is not None
    assert view["failureReason"] is None
    assert "deliveries" not in view
    assert "awaitingExpiry" not in view
