"""The webhook payload model: tolerant of what Taramoney really sends, strict on what settles money."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taramoney_payments.errors import InvalidWebhookPayload, MalformedJson, PayloadTooLarge
from taramoney_payments.models import PaymentStatus
from taramoney_payments.settlement import DEFAULT_FAILURE_REASON, MAX_RAW_PAYLOAD_CHARS, Delivery
from taramoney_payments.webhook_payload import MAX_WEBHOOK_BYTES, read_webhook_payload

DOCUMENTED = {
    "businessId": "TcMpnFWlIz",
    "paymentId": "awerSxlerxrfrt-6",
    "collectionId": "456641929164",
    "phoneNumber": "696717597",
    "creationDate": "2025-07-24T15:28:53.678+02:00",
    "changeDate": "2025-07-24T15:28:53.678+02:00",
    "status": "SUCCESS",
}


def read(**changes: Any) -> Any:
    payload = {**DOCUMENTED, **changes}
    return read_webhook_payload(json.dumps({k: v for k, v in payload.items() if v is not None}).encode())


def test_the_documented_payload_is_read() -> None:
    payload = read()
    assert payload.status is PaymentStatus.SUCCESS
    assert payload.phone_number == "696717597"
    assert payload.creation_date == datetime(2025, 7, 24, 13, 28, 53, 678000, tzinfo=UTC)


@given(st.sampled_from(["SUCCESS", "FAILURE"]), st.data())
def test_status_is_read_in_any_case(status: str, data: st.DataObject) -> None:
    spelled = "".join(data.draw(st.sampled_from([c.lower(), c.upper()])) for c in status)
    assert read(status=f" {spelled} ").status == PaymentStatus(status)


@pytest.mark.parametrize("status", ["PENDING", "EXPIRED", "ERROR", "", 1])
def test_only_success_or_failure_settles(status: Any) -> None:
    with pytest.raises(InvalidWebhookPayload):
        read(status=status)


@pytest.mark.parametrize("date", ["2025-07-24T15:28:53.678", "2025-07-24", "24/07/2025 15:28"])
def test_dates_without_an_offset_are_refused(date: str) -> None:
    with pytest.raises(InvalidWebhookPayload) as refusal:
        read(changeDate=date)
    assert [error.field for error in refusal.value.errors] == ["changeDate"]


def test_unknown_fields_are_kept_and_amounts_may_be_strings() -> None:
    payload = read(amount="100", originalAmount="98", invoiceUrl="https://x.example/i/1", transactionId=7)
    assert payload.extra == {
        "amount": "100",
        "originalAmount": "98",
        "invoiceUrl": "https://x.example/i/1",
        "transactionId": 7,
    }


def test_numeric_ids_are_read_as_text() -> None:
    payload = read(collectionId=456641929164, phoneNumber=696717597)
    assert (payload.collection_id, payload.phone_number) == ("456641929164", "696717597")


def test_only_what_settles_money_is_required() -> None:
    payload = read(paymentId=None, collectionId=None, creationDate=None, changeDate=None)
    assert payload.payment_id is None
    for required in ("businessId", "status", "phoneNumber"):
        with pytest.raises(InvalidWebhookPayload):
            read(**{required: None})


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b"null", b"\xff\xfe", b'"x"'])
def test_a_body_that_is_not_a_json_object_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedJson):
        read_webhook_payload(body)


def test_the_size_limit_is_16_kib() -> None:
    with pytest.raises(PayloadTooLarge):
        read_webhook_payload(b" " * (MAX_WEBHOOK_BYTES + 1))


def test_a_failure_delivery_says_why_and_caps_the_raw_payload() -> None:
    received = datetime(2026, 11, 28, 10, tzinfo=UTC)
    raw = "x" * (MAX_RAW_PAYLOAD_CHARS + 10)
    failure = Delivery.from_webhook(read(status="failure"), raw_payload=raw, received_at=received)
    assert failure.failure_reason == DEFAULT_FAILURE_REASON
    said = Delivery.from_webhook(
        read(status="FAILURE", message="INSUFFICIENT_FUNDS"), raw_payload="", received_at=received
    )
    assert said.failure_reason == "INSUFFICIENT_FUNDS"
    record = failure.record(applied=True)
    assert (len(record["payload"]), record["payloadTruncated"]) == (MAX_RAW_PAYLOAD_CHARS, True)
