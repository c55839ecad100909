"""The payment as plain Python: its view is the SPEC's, and what was stored reads back the same."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from taramoney_payments.models import VIEW_FIELDS, Payment, PaymentStatus
from taramoney_payments.parking import ParkedWebhook
from tests.payment_writes import new_payment

CREATED = datetime(2026, 11, 28, 10, 0, 0, 123000, tzinfo=UTC)
# A settled payment: the pending one the payments API stores, as a webhook leaves it.
PAYMENT = replace(
    new_payment(created_at=CREATED),
    status=PaymentStatus.SUCCESS,
    vendor="ORANGE_CAMEROON",
    ussd_code="#150*50#",
    updated_at=CREATED + timedelta(minutes=2),
    completed_at=CREATED + timedelta(minutes=2),
    provider_payment_id="tara-1",
)


def test_the_view_names_every_field_in_camel_case_with_utc_times() -> None:
    view = PAYMENT.view()

    assert tuple(view) == VIEW_FIELDS
    assert view["paymentId"] == PAYMENT.payment_id
    assert view["status"] == "SUCCESS"
    assert view["currency"] == "XAF"
    assert view["createdAt"] == "2026-11-28T10:00:00.123Z"
    assert view["completedAt"] == "2026-11-28T10:02:00.123Z"
    assert (view["failureReason"], view["collectionId"]) == (None, None)


def test_a_stored_item_reads_back_as_the_payment_it_was() -> None:
    # as DynamoDB gives it back: numbers as Decimal, the table's own attributes beside the view
    stored = {**PAYMENT.view(), "productPrice": Decimal(100), "pk": f"PAYMENT#{PAYMENT.payment_id}", "deliveries": []}

    assert Payment.from_view(stored) == PAYMENT


def test_a_time_without_its_offset_is_not_a_payment_time() -> None:
    with pytest.raises(ValueError, match="offset"):
        Payment.from_view({**PAYMENT.view(), "createdAt": "2026-11-28T10:00:00"})


def test_a_parked_webhook_reads_back_as_it_was_written() -> None:
    parked = ParkedWebhook(
        payment_id="pay_1",
        payload='{"status": "SUCCESS"}',
        received_at=CREATED,
        correlation_id="req-1",
        address_token_sha256="a" * 64,
        shared_secret_sha256="b" * 64,
    )

    assert ParkedWebhook.from_message(parked.to_message()) == parked


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        '{"payload": "{}", "receivedAt": "2026-11-28T10:00:00Z"}',
        '{"paymentId": 7, "payload": "{}", "receivedAt": "2026-11-28T10:00:00Z"}',
        '{"paymentId": "p", "payload": "{}", "receivedAt": "2026-11-28T10:00:00"}',
    ],
)
def test_a_message_this_service_did_not_write_is_refused(body: str) -> None:
    with pytest.raises(ValueError, match="not a parked webhook"):
        ParkedWebhook.from_message(body)
