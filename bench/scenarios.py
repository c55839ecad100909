"""The first representative invocation of each function: its event, and the payments it needs.

Used live (the cold-start runs, against moto server and the simulator) and stubbed (the
warm runs, where ``stub_answers`` gives botocore Stubber what AWS would answer). Built
from the sample events under ``events/``, with fresh ids and numbers per run.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from taramoney_payments.clock import isoformat
from taramoney_payments.models import Payment, PaymentStatus
from taramoney_payments.parking import ParkedWebhook
from taramoney_payments.repository import PAYMENT_ENTITY, PENDING_MARKER, payment_key, to_attributes
from taramoney_payments.webhook_tokens import webhook_url

ROOT = Path(__file__).resolve().parent.parent
BUSINESS_ID = "local-business"  # the simulator's (local_stack.simulator.DEFAULT_BUSINESS_ID)

# Logical id of each function in template.yaml -> its folder under functions/.
FUNCTIONS = {
    "PaymentsApiFunction": "payments_api",
    "WebhookFunction": "webhook",
    "ParkedWebhooksFunction": "parked_webhooks",
    "EventPublisherFunction": "event_publisher",
    "PaymentExpiryFunction": "payment_expiry",
}


@cache
def _sample(relative_path: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / "events" / relative_path).read_text())
    return loaded


def sample(relative_path: str) -> dict[str, Any]:
    return copy.deepcopy(_sample(relative_path))


def phone(serial: int) -> str:
    """An Orange number the simulator answers with success (its last six digits pick no scenario)."""
    return f"655{100 + serial % 800_000:06d}"


def pending_payment(payment_id: str, phone_number: str, *, expires_in: timedelta = timedelta(minutes=15)) -> Payment:
    now = datetime.now(UTC)
    return Payment(
        payment_id=payment_id,
        status=PaymentStatus.PENDING,
        product_id="product-456",
        product_name="Nom du produit",
        product_price=1500,
        phone_number=phone_number,
        metadata={"orderId": "bench"},
        created_at=now,
        updated_at=now,
        expires_at=now + expires_in,
    )


def payment_item(payment: Payment, **overrides: Any) -> dict[str, Any]:
    """The payment as DynamoDB stores it (attribute values)."""
    values = {**payment.view(), "entityType": PAYMENT_ENTITY, **overrides}
    if payment.status is PaymentStatus.PENDING and "awaitingExpiry" not in overrides:
        values["awaitingExpiry"] = PENDING_MARKER
    return {**payment_key(payment.payment_id), **to_attributes(values)}


# --- events ---------------------------------------------------------------------------------


def start_payment_event(phone_number: str, idempotency_key: str) -> dict[str, Any]:
    event = sample("payments_api/start_payment.json")
    body = {"productId": "product-456", "productName": "Nom du produit", "productPrice": 1500}
    event["body"] = json.dumps({**body, "phoneNumber": phone_number, "metadata": {"orderId": idempotency_key}})
    event["headers"]["idempotency-key"] = idempotency_key
    event["headers"]["content-length"] = str(len(event["body"]))
    return event


def get_payment_event(payment_id: str) -> dict[str, Any]:
    event = sample("payments_api/get_payment.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/payments/{payment_id}"
    event["pathParameters"] = {"paymentId": payment_id}
    return event


def webhook_body(payment: Payment, status: str = "SUCCESS") -> str:
    stamp = datetime.now(UTC).astimezone().isoformat(timespec="milliseconds")
    return json.dumps(
        {
            "businessId": BUSINESS_ID,
            "paymentId": "tara-" + payment.payment_id[:10],
            "collectionId": "456641929164",
            "phoneNumber": payment.phone_number,
            "creationDate": stamp,
            "changeDate": stamp,
            "status": status,
        },
        separators=(",", ":"),
    )


def webhook_event(payment: Payment, signing_key: str) -> dict[str, Any]:
    event = sample("webhook/success.json")
    # The path of the address the payments API hands Taramoney (no base: the event has the host).
    path = webhook_url("", payment.payment_id, signing_key)
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["body"] = webhook_body(payment)
    event["headers"]["content-length"] = str(len(event["body"]))
    return event


def parked_event(payment: Payment) -> dict[str, Any]:
    event = sample("parked_webhooks/parked_success.json")
    message = ParkedWebhook(payment_id=payment.payment_id, payload=webhook_body(payment), received_at=datetime.now(UTC))
    event["Records"][0]["body"] = message.to_message()
    return event


def stream_event(payments: list[Payment]) -> dict[str, Any]:
    """A stream batch: each payment going from PENDING to SUCCESS."""
    template = sample("event_publisher/payment_succeeded.json")["Records"][0]
    records = []
    for index, payment in enumerate(payments):
        record = copy.deepcopy(template)
        now = isoformat(datetime.now(UTC))
        settled = replace(payment, status=PaymentStatus.SUCCESS)
        record["eventID"] = f"{index:032x}"
        record["dynamodb"]["Keys"] = payment_key(payment.payment_id)
        record["dynamodb"]["OldImage"] = payment_item(payment)
        record["dynamodb"]["NewImage"] = payment_item(settled, completedAt=now, updatedAt=now)
        record["dynamodb"]["SequenceNumber"] = f"{10**20 + index}"
        records.append(record)
    return {"Records": records}


def scheduled_event() -> dict[str, Any]:
    return sample("payment_expiry/scheduled.json")
