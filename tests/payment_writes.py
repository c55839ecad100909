"""Payments written to the table the way the service writes them, for tests that read the result.

``settle_as_webhook`` stands in for the webhook's settlement write (conditional on the
current status, ``awaitingExpiry`` removed in the same write) so that publisher and
expiry tests do not depend on the webhook function.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from taramoney_payments.clock import isoformat, utc_now
from taramoney_payments.models import Payment, PaymentStatus
from taramoney_payments.repository import PaymentRepository, payment_key, to_attributes


def new_payment(
    *, phone_number: str = "655123456", created_at: datetime | None = None, timeout: timedelta = timedelta(minutes=15)
) -> Payment:
    created = created_at or utc_now()
    return Payment(
        payment_id=secrets.token_urlsafe(16),
        status=PaymentStatus.PENDING,
        product_id="product-456",
        product_name="Nom du produit",
        product_price=100,
        phone_number=phone_number,
        metadata={"orderId": "order-1"},
        created_at=created,
        updated_at=created,
        expires_at=created + timeout,
    )


def store_pending(repository: PaymentRepository, payment: Payment) -> Payment:
    """A PENDING payment as the payments API leaves it: stored, then Taramoney's USSD code kept."""
    repository.add_pending(payment, max_pending_per_phone=100)
    return repository.record_order_accepted(
        payment.payment_id, vendor="ORANGE_CAMEROON", ussd_code="#150*50#", now=payment.created_at
    )


def settle_as_webhook(
    client: Any,
    table: str,
    payment_id: str,
    status: PaymentStatus,
    *,
    now: datetime | None = None,
    reason: str | None = None,
) -> None:
    """The webhook's write: the new status, conditional on the payment not being in it already."""
    moment = isoformat(now or utc_now())
    values = {":status": status.value, ":now": moment, ":provider": f"tara-{payment_id[:8]}"}
    update = "SET #status = :status, completedAt = :now, updatedAt = :now, providerPaymentId = :provider"
    if reason is not None:
        update += ", failureReason = :reason"
        values[":reason"] = reason
    client.update_item(
        TableName=table,
        Key=payment_key(payment_id),
        UpdateExpression=update + " REMOVE awaitingExpiry",
        ConditionExpression="attribute_exists(pk) AND #status <> :status",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues=to_attributes(values),
    )


def touch(client: Any, table: str, payment_id: str, *, now: datetime | None = None) -> None:
    """A write that keeps the status (a repeated delivery recorded without a change of status)."""
    client.update_item(
        TableName=table,
        Key=payment_key(payment_id),
        UpdateExpression="SET updatedAt = :now",
        ExpressionAttributeValues=to_attributes({":now": isoformat(now or utc_now())}),
    )
