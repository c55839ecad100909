"""Which stored changes are announced, and what the announcement carries (SPEC section 6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from taramoney_payments.events import EVENT_SOURCE, event_for_change
from taramoney_payments.models import Payment, PaymentStatus

ANNOUNCED = {
    PaymentStatus.SUCCESS: "Payment Succeeded",
    PaymentStatus.FAILURE: "Payment Failed",
    PaymentStatus.EXPIRED: "Payment Expired",
}
statuses = st.sampled_from(list(PaymentStatus))


def image(status: PaymentStatus, **changes: Any) -> dict[str, Any]:
    """A payment item as the stream shows it: the view plus the table's own attributes."""
    created = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    payment = Payment(
        payment_id="pay_123",
        status=status,
        product_id="product-456",
        product_name="Nom du produit",
        product_price=100,
        phone_number="655123456",
        created_at=created,
        updated_at=created,
        expires_at=created + timedelta(minutes=15),
    )
    return {**payment.view(), "pk": "PAYMENT#pay_123", "entityType": "PAYMENT", **changes}


@given(before=statuses, after=statuses)
def test_a_change_is_announced_exactly_when_the_status_moves_to_an_outcome(
    before: PaymentStatus, after: PaymentStatus
) -> None:
    # when a payment item is written from one status to another
    event = event_for_change(image(before), image(after))
    # then it is announced if and only if the status changed to SUCCESS, FAILURE or EXPIRED
    if before == after or after not in ANNOUNCED:
        assert event is None
    else:
        assert event is not None
        assert event.detail_type == ANNOUNCED[after]
        assert event.detail()["previousStatus"] == before.value
        assert event.detail()["eventId"] == f"pay_123:{after.value}"


def test_the_detail_is_the_payment_view_plus_previous_status_and_event_id() -> None:
    # given a payment item that went from PENDING to SUCCESS (with attributes that are not in the view)
    after = image(PaymentStatus.SUCCESS, providerPaymentId="tara-1", awaitingExpiry=None)
    # when its event is made
    event = event_for_change(image(PaymentStatus.PENDING, awaitingExpiry="PENDING"), after)
    # then the detail is the view, nothing of the table's own bookkeeping
    assert event is not None
    assert EVENT_SOURCE == "taramoney.payments"
    expected_view = Payment.from_view(after).view()
    assert event.detail() == {**expected_view, "previousStatus": "PENDING", "eventId": "pay_123:SUCCESS"}
    assert "pk" not in event.detail()
    assert "entityType" not in event.detail()


def test_creations_and_deletions_are_not_announced() -> None:
    assert event_for_change(None, image(PaymentStatus.PENDING)) is None
    assert event_for_change(image(PaymentStatus.SUCCESS), None) is None
