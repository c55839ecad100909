"""``PaymentRepository``: payments in DynamoDB, every state change a conditional write.

One table holds two kinds of item:
- the payment, ``pk = PAYMENT#{paymentId}``, whose attributes are the payment view plus
  ``awaitingExpiry`` while it is PENDING (the key of the sparse ``PendingByExpiry``
  index that the expiry run queries);
- the phone's pending slots, ``pk = PHONE#{number}``, a string set of the payment ids
  still PENDING for that number. Claiming a slot is a condition of the same
  transaction that writes the payment, so concurrent requests cannot exceed
  ``MaxPendingPerPhone``; slots are given back when payments leave PENDING.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from .clock import isoformat
from .models import Payment, PaymentStatus

PAYMENT_ENTITY = "PAYMENT"
PENDING_MARKER = "PENDING"
PENDING_BY_EXPIRY_INDEX = "PendingByExpiry"
EXPIRED_REASON = "EXPIRED"
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class PhoneLimitReached(Exception):
    """The phone number already holds its quota of PENDING payments."""


def payment_key(payment_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"PAYMENT#{payment_id}"}}


def phone_key(phone_number: str) -> dict[str, Any]:
    return {"pk": {"S": f"PHONE#{phone_number}"}}


def to_attributes(values: dict[str, Any]) -> dict[str, Any]:
    """Python values to DynamoDB attribute values, dropping ``None``s."""
    return {name: _serializer.serialize(value) for name, value in values.items() if value is not None}


def from_attributes(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def payment_from_item(item: dict[str, Any]) -> Payment:
    return Payment.model_validate(from_attributes(item))


class PaymentRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, payment_id: str) -> Payment | None:
        answer = self._client.get_item(TableName=self._table, Key=payment_key(payment_id), ConsistentRead=True)
        item = answer.get("Item")
        return payment_from_item(item) if item and item.get("entityType", {}).get("S") == PAYMENT_ENTITY else None

    def add_pending(self, payment: Payment, *, max_pending_per_phone: int) -> None:
        """Store a new PENDING payment and claim one of its phone's slots, atomically.

        Raises ``PhoneLimitReached`` when the phone holds ``max_pending_per_phone`` already.
        """
        item = {**payment.view(), "entityType": PAYMENT_ENTITY, "awaitingExpiry": PENDING_MARKER}
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {**payment_key(payment.payment_id), **to_attributes(item)},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": phone_key(payment.phone_number),
                            "UpdateExpression": "ADD pendingPaymentIds :id SET entityType = :phone",
                            "ConditionExpression": (
                                "attribute_not_exists(pendingPaymentIds) OR size(pendingPaymentIds) < :max"
                            ),
                            "ExpressionAttributeValues": {
                                ":id": {"SS": [payment.payment_id]},
                                ":max": {"N": str(max_pending_per_phone)},
                                ":phone": {"S": "PHONE"},
                            },
                        }
                    },
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
            if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                raise PhoneLimitReached(payment.phone_number) from error
            raise

    def pending_payment_ids(self, phone_number: str) -> set[str]:
        answer = self._client.get_item(TableName=self._table, Key=phone_key(phone_number), ConsistentRead=True)
        return set(answer.get("Item", {}).get("pendingPaymentIds", {}).get("SS", []))

    def release_phone_slots(self, phone_number: str, payment_ids: Iterable[str]) -> None:
        """Give back the slots of payments that are no longer PENDING (idempotent)."""
        ids = sorted(set(payment_ids))
        if not ids:
            return
        self._client.update_item(
            TableName=self._table,
            Key=phone_key(phone_number),
            UpdateExpression="DELETE pendingPaymentIds :ids",
            ExpressionAttributeValues={":ids": {"SS": ids}},
        )

    def get_many(self, payment_ids: Iterable[str]) -> list[Payment]:
        keys = [payment_key(payment_id) for payment_id in sorted(set(payment_ids))]
        if not keys:
            return []
        answer = self._client.batch_get_item(RequestItems={self._table: {"Keys": keys, "ConsistentRead": True}})
        return [payment_from_item(item) for item in answer.get("Responses", {}).get(self._table, [])]

    def record_order_accepted(self, payment_id: str, *, vendor: str, ussd_code: str, now: datetime) -> Payment:
        """Keep the vendor and USSD code Taramoney answered with (whatever the status is by now)."""
        answer = self._client.update_item(
            TableName=self._table,
            Key=payment_key(payment_id),
            UpdateExpression="SET vendor = :vendor, ussdCode = :ussd, updatedAt = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=to_attributes({":vendor": vendor, ":ussd": ussd_code, ":now": isoformat(now)}),
            ReturnValues="ALL_NEW",
        )
        return payment_from_item(answer["Attributes"])

    def mark_failed_at_initiation(self, payment_id: str, *, reason: str, now: datetime) -> Payment | None:
        """Close a payment Taramoney refused or never received; None if it already left PENDING."""
        try:
            answer = self._client.update_item(
                TableName=self._table,
                Key=payment_key(payment_id),
                UpdateExpression=(
                    "SET #status = :failure, failureReason = :reason, completedAt = :now, updatedAt = :now "
                    "REMOVE awaitingExpiry"
                ),
                ConditionExpression="#status = :pending",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_attributes(
                    {
                        ":failure": PaymentStatus.FAILURE.value,
                        ":pending": PaymentStatus.PENDING.value,
                        ":reason": reason,
                        ":now": isoformat(now),
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return payment_from_item(answer["Attributes"])

    # --- expiry: the sparse PendingByExpiry index and the PENDING -> EXPIRED write ---

    def payment_ids_past_deadline(self, now: datetime, *, limit: int, page_size: int = 100) -> Iterable[str]:
        """Ids of PENDING payments whose deadline is ``now`` or earlier, oldest first, at most ``limit``.

        Reads the sparse ``PendingByExpiry`` index page by page (only PENDING payments
        are in it), never the whole table.
        """
        remaining = limit
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": PENDING_BY_EXPIRY_INDEX,
            "KeyConditionExpression": "awaitingExpiry = :pending AND expiresAt <= :now",
            "ExpressionAttributeValues": to_attributes({":pending": PENDING_MARKER, ":now": isoformat(now)}),
        }
        while remaining > 0:
            answer = self._client.query(**request, Limit=min(page_size, remaining))
            for item in answer.get("Items", []):
                remaining -= 1
                yield item["pk"]["S"].removeprefix("PAYMENT#")
            if "LastEvaluatedKey" not in answer:
                return
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def mark_expired(self, payment_id: str, *, now: datetime) -> Payment | None:
        """Close a PENDING payment past its deadline as EXPIRED; None if it left PENDING first.

        The condition is what makes a webhook that settles the payment at the same
        moment win: its SUCCESS or FAILURE is never overwritten by EXPIRED.
        """
        try:
            answer = self._client.update_item(
                TableName=self._table,
                Key=payment_key(payment_id),
                UpdateExpression=(
                    "SET #status = :expired, failureReason = :reason, completedAt = :now, updatedAt = :now "
                    "REMOVE awaitingExpiry"
                ),
                ConditionExpression="#status = :pending AND expiresAt <= :now",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_attributes(
                    {
                        ":expired": PaymentStatus.EXPIRED.value,
                        ":pending": PaymentStatus.PENDING.value,
                        ":reason": EXPIRED_REASON,
                        ":now": isoformat(now),
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return payment_from_item(answer["Attributes"])
