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

import time
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from .backoff import full_jitter
from .clock import isoformat
from .models import Payment, PaymentStatus

PAYMENT_ENTITY = "PAYMENT"
PENDING_MARKER = "PENDING"
PENDING_BY_EXPIRY_INDEX = "PendingByExpiry"
EXPIRED_REASON = "EXPIRED"
_CONFLICT_ATTEMPTS = 4
_BATCH_GET_ATTEMPTS = 5
_BATCH_GET_MAX_KEYS = 100
_RETRY_BASE_SECONDS = 0.05
_MAX_PAYMENT_ID_BYTES = 1024  # ids we issue have 22 characters; DynamoDB keys stop at 2048 bytes
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class PhoneLimitReached(Exception):
    """The phone number already holds its quota of PENDING payments."""


class PaymentAlreadyStored(Exception):
    """A payment with this id exists already (an id derived from an ``Idempotency-Key`` seen before)."""


class IncompleteRead(Exception):
    """DynamoDB left some keys of a batch read unprocessed, however often they were asked again."""


class SettlementRefused(Exception):
    """A settlement's conditions did not hold; ``current`` is the payment as it stood (None: no such payment)."""

    def __init__(self, current: Payment | None) -> None:
        super().__init__("the payment is not in a state this settlement may change")
        self.current = current


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
    return Payment.from_view(from_attributes(item))


class PaymentRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, payment_id: str) -> Payment | None:
        if not payment_id or len(payment_id.encode()) > _MAX_PAYMENT_ID_BYTES:
            return None  # cannot be one of ours, and DynamoDB would refuse it as a key (500)
        answer = self._client.get_item(TableName=self._table, Key=payment_key(payment_id), ConsistentRead=True)
        item = answer.get("Item")
        return payment_from_item(item) if item and item.get("entityType", {}).get("S") == PAYMENT_ENTITY else None

    def add_pending(self, payment: Payment, *, max_pending_per_phone: int) -> None:
        """Store a new PENDING payment and claim one of its phone's slots, atomically.

        Raises ``PhoneLimitReached`` when the phone holds ``max_pending_per_phone`` already, and
        ``PaymentAlreadyStored`` when a payment has this id already.
        """
        item = {
            **payment_key(payment.payment_id),
            **to_attributes({**payment.view(), "entityType": PAYMENT_ENTITY, "awaitingExpiry": PENDING_MARKER}),
        }
        # Concurrent payments for one phone touch the same PHONE item: DynamoDB cancels all
        # but one with ``TransactionConflict`` (botocore does not retry it). A cancelled
        # transaction wrote nothing, so it is simply tried again, condition and all.
        for attempt in range(_CONFLICT_ATTEMPTS):
            try:
                self._claim_slot_and_put(item, payment, max_pending_per_phone)
                return
            except ClientError as error:
                if error.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                reasons = [reason.get("Code") for reason in error.response.get("CancellationReasons", [])]
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    raise PaymentAlreadyStored(payment.payment_id) from error
                if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                    raise PhoneLimitReached(payment.phone_number) from error
                if "TransactionConflict" not in reasons or attempt == _CONFLICT_ATTEMPTS - 1:
                    raise
                time.sleep(full_jitter(_RETRY_BASE_SECONDS, attempt))

    def _claim_slot_and_put(self, item: dict[str, Any], payment: Payment, max_pending_per_phone: int) -> None:
        # botocore gives the call one ClientRequestToken and keeps it on its retries: a retry of a
        # transaction DynamoDB applied but whose answer was lost succeeds, rather than clash with itself.
        self._client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": item,
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
        """The payments that exist among ``payment_ids``; raises ``IncompleteRead`` rather than leave one out.

        ``BatchGetItem`` may answer only part of a request (``UnprocessedKeys``, under
        throttling): those keys are asked again with back-off, a bounded number of times.
        """
        keys = [payment_key(payment_id) for payment_id in sorted(set(payment_ids))]
        payments: list[Payment] = []
        for start in range(0, len(keys), _BATCH_GET_MAX_KEYS):
            request: dict[str, Any] = {
                self._table: {"Keys": keys[start : start + _BATCH_GET_MAX_KEYS], "ConsistentRead": True}
            }
            for attempt in range(_BATCH_GET_ATTEMPTS):
                if attempt:
                    time.sleep(full_jitter(_RETRY_BASE_SECONDS, attempt))
                answer = self._client.batch_get_item(RequestItems=request)
                payments += [payment_from_item(item) for item in answer.get("Responses", {}).get(self._table, [])]
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
            else:
                raise IncompleteRead(f"{len(request[self._table]['Keys'])} payments were not read")
        return payments

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
        return self._close_pending(payment_id, PaymentStatus.FAILURE, reason=reason, now=now)

    def _close_pending(
        self, payment_id: str, status: PaymentStatus, *, reason: str, now: datetime, only_if_due: bool = False
    ) -> Payment | None:
        """PENDING -> ``status`` in one conditional write; None when the payment left PENDING first."""
        condition = "#status = :pending AND expiresAt <= :now" if only_if_due else "#status = :pending"
        try:
            answer = self._client.update_item(
                TableName=self._table,
                Key=payment_key(payment_id),
                UpdateExpression=(
                    "SET #status = :closed, failureReason = :reason, completedAt = :now, updatedAt = :now "
                    "REMOVE awaitingExpiry"
                ),
                ConditionExpression=condition,
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_attributes(
                    {
                        ":closed": status.value,
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
        return self._close_pending(payment_id, PaymentStatus.EXPIRED, reason=EXPIRED_REASON, now=now, only_if_due=True)

    # --- settlement: a webhook's outcome applied in one conditional write ---

    def settle(
        self,
        payment_id: str,
        *,
        status: PaymentStatus,
        allowed_from: Collection[PaymentStatus],
        phone_number: str | None,
        changes: Mapping[str, Any],
        removals: Collection[str],
        delivery: Mapping[str, Any],
    ) -> Payment:
        """Move a payment to ``status`` in one conditional write; returns the payment as it was before.

        The write holds only if the payment exists, its status is one of ``allowed_from``
        and (when given) its phone number is ``phone_number``. It sets ``changes`` (view
        attributes; ``None`` values are left alone), removes ``removals`` and
        ``awaitingExpiry``, and appends ``delivery`` to the payment's ``deliveries``.
        Raises ``SettlementRefused`` with the payment as DynamoDB saw it when a condition
        fails: the caller tells a duplicate from a conflict without a second read.
        """
        values = to_attributes(dict(changes))
        names = {"#status": "status"}
        sets = ["#status = :status", "deliveries = list_append(if_not_exists(deliveries, :no_deliveries), :delivery)"]
        for index, name in enumerate(sorted(values)):
            names[f"#c{index}"] = name
            sets.append(f"#c{index} = :c{index}")
        attribute_values = {f":c{index}": values[name] for index, name in enumerate(sorted(values))}
        removed = ["awaitingExpiry", *sorted(set(removals) - set(values))]
        for index, name in enumerate(removed):
            names[f"#r{index}"] = name
        allowed = sorted(state.value for state in allowed_from)
        conditions = [
            "attribute_exists(pk)",
            f"#status IN ({', '.join(f':from{index}' for index in range(len(allowed)))})",
        ]
        attribute_values.update(to_attributes({f":from{index}": state for index, state in enumerate(allowed)}))
        if phone_number is not None:
            conditions.append("phoneNumber = :phone")
            attribute_values[":phone"] = {"S": phone_number}
        attribute_values.update(
            to_attributes({":status": status.value, ":no_deliveries": [], ":delivery": [dict(delivery)]})
        )
        try:
            answer = self._client.update_item(
                TableName=self._table,
                Key=payment_key(payment_id),
                UpdateExpression=f"SET {', '.join(sets)} REMOVE {', '.join(f'#r{i}' for i in range(len(removed)))}",
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=attribute_values,
                ReturnValues="ALL_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            item = error.response.get("Item")
            raise SettlementRefused(payment_from_item(item) if item else None) from None
        return payment_from_item(answer["Attributes"])

    def append_delivery(
        self, payment_id: str, delivery: Mapping[str, Any], *, while_status: PaymentStatus, max_deliveries: int
    ) -> bool:
        """Add ``delivery`` to the history of a payment still in ``while_status``, if the history has room.

        Changes nothing else (status, dates): the record is for audit. False when the
        payment moved on or its history is full.
        """
        try:
            self._client.update_item(
                TableName=self._table,
                Key=payment_key(payment_id),
                UpdateExpression="SET deliveries = list_append(if_not_exists(deliveries, :no_deliveries), :delivery)",
                ConditionExpression=(
                    "#status = :status AND (attribute_not_exists(deliveries) OR size(deliveries) < :max)"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_attributes(
                    {
                        ":status": while_status.value,
                        ":no_deliveries": [],
                        ":delivery": [dict(delivery)],
                        ":max": max_deliveries,
                    }
                ),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
