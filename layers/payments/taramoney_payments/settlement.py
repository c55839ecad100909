"""Settling a payment: what Taramoney reports about the money becomes the payment's status.

The rules of SPEC section 5, enforced by the condition of one write (never by a read
first): PENDING and EXPIRED may become SUCCESS or FAILURE, FAILURE may become SUCCESS
(the provider corrected itself: applied, logged as a conflict), SUCCESS is final. A
report that repeats the current status changes nothing; a FAILURE after SUCCESS is
only added to the payment's history. Webhooks, parked webhooks and any later
reconciliation all come through ``settle``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from .clock import isoformat
from .errors import PaymentNotFound, PhoneNumberMismatch
from .masking import mask_phone
from .models import Payment, PaymentStatus
from .observability import PaymentMetric, count, logger
from .repository import PaymentRepository, SettlementRefused
from .webhook_payload import WebhookPayload

# Where a report may take a payment from (SPEC section 5).
ALLOWED_FROM: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.SUCCESS: frozenset({PaymentStatus.PENDING, PaymentStatus.EXPIRED, PaymentStatus.FAILURE}),
    PaymentStatus.FAILURE: frozenset({PaymentStatus.PENDING, PaymentStatus.EXPIRED}),
}
_SETTLED_METRIC = {
    PaymentStatus.SUCCESS: PaymentMetric.PAYMENTS_SUCCEEDED,
    PaymentStatus.FAILURE: PaymentMetric.PAYMENTS_FAILED,
}
DEFAULT_FAILURE_REASON = "PROVIDER_REPORTED_FAILURE"
# Undocumented fields some deliveries may carry that say why a payment failed.
_REASON_FIELDS = ("failureReason", "reason", "message", "statusMessage")
# The history stays small: transitions are few by construction, late reports are capped.
MAX_DELIVERIES = 20
MAX_RAW_PAYLOAD_CHARS = 4096


class SettlementOutcome(StrEnum):
    APPLIED = "APPLIED"  # left PENDING or EXPIRED
    CORRECTED = "CORRECTED"  # FAILURE -> SUCCESS: the provider corrected itself
    DUPLICATE = "DUPLICATE"  # already in the reported status: nothing changed
    RECORDED_ONLY = "RECORDED_ONLY"  # FAILURE after SUCCESS: kept in the history, status unchanged


@dataclass(frozen=True, slots=True)
class Delivery:
    """One report of a payment's outcome by Taramoney: a webhook, parked or not, or a look-up.

    ``phone_number`` (national form), when given, must be the payment's: a report about
    another number is refused. ``raw_payload`` is kept for audit, cut to a size cap.
    """

    status: PaymentStatus
    received_at: datetime
    phone_number: str | None = None
    provider_payment_id: str | None = None
    collection_id: str | None = None
    provider_created_at: datetime | None = None
    provider_changed_at: datetime | None = None
    failure_reason: str | None = None
    raw_payload: str = ""
    source: str = "webhook"

    @classmethod
    def from_webhook(
        cls, payload: WebhookPayload, *, raw_payload: str, received_at: datetime, source: str = "webhook"
    ) -> Delivery:
        return cls(
            status=payload.status,
            received_at=received_at,
            phone_number=payload.phone_number,
            provider_payment_id=payload.payment_id,
            collection_id=payload.collection_id,
            provider_created_at=payload.creation_date,
            provider_changed_at=payload.change_date,
            failure_reason=_failure_reason(payload.status, payload.extra_text(*_REASON_FIELDS)),
            raw_payload=raw_payload,
            source=source,
        )

    @classmethod
    def from_look_up(
        cls, status: PaymentStatus, *, message: str, answer: dict[str, Any], received_at: datetime
    ) -> Delivery:
        """What Taramoney's status endpoint answered about a payment (reconciliation)."""
        return cls(
            status=status,
            received_at=received_at,
            failure_reason=_failure_reason(status, message),
            raw_payload=json.dumps(answer, default=str),
            source="reconciliation",
        )

    def record(self, *, applied: bool) -> dict[str, Any]:
        """The entry this report leaves in the payment's ``deliveries`` history."""
        return {
            "receivedAt": isoformat(self.received_at),
            "status": self.status.value,
            "source": self.source,
            "applied": applied,
            "payload": self.raw_payload[:MAX_RAW_PAYLOAD_CHARS],
            "payloadTruncated": len(self.raw_payload) > MAX_RAW_PAYLOAD_CHARS,
        }


def _failure_reason(status: PaymentStatus, provider_words: str | None) -> str | None:
    """Why a failed payment failed: Taramoney's or the operator's words, else ``DEFAULT_FAILURE_REASON``."""
    if status is not PaymentStatus.FAILURE:
        return None
    return provider_words or DEFAULT_FAILURE_REASON


@dataclass(frozen=True, slots=True)
class SettlementResult:
    payment_id: str
    outcome: SettlementOutcome
    previous_status: PaymentStatus
    payment: Payment  # as it stands after this report

    @property
    def status(self) -> PaymentStatus:
        return self.payment.status

    @property
    def changed_status(self) -> bool:
        return self.outcome in {SettlementOutcome.APPLIED, SettlementOutcome.CORRECTED}


def settle(repository: PaymentRepository, payment_id: str, delivery: Delivery, *, now: datetime) -> SettlementResult:
    """Apply one report to a payment: one conditional write on the happy path.

    Raises ``PaymentNotFound`` (no such payment) or ``PhoneNumberMismatch`` (the report
    names another number). Errors of the store itself (``botocore`` exceptions) pass
    through, for the caller to park the report and try again later.
    """
    if delivery.status not in ALLOWED_FROM:
        raise ValueError(f"a report settles a payment as SUCCESS or FAILURE, not {delivery.status}")
    changes = {
        "updatedAt": isoformat(now),
        "completedAt": isoformat(now),
        "providerPaymentId": delivery.provider_payment_id,
        "collectionId": delivery.collection_id,
        "providerCreatedAt": _iso_or_none(delivery.provider_created_at),
        "providerChangedAt": _iso_or_none(delivery.provider_changed_at),
        "failureReason": delivery.failure_reason,
    }
    try:
        before = repository.settle(
            payment_id,
            status=delivery.status,
            allowed_from=ALLOWED_FROM[delivery.status],
            phone_number=delivery.phone_number,
            changes=changes,
            removals=["failureReason"] if delivery.status is PaymentStatus.SUCCESS else [],
            delivery=delivery.record(applied=True),
        )
    except SettlementRefused as refusal:
        return _refused(repository, payment_id, delivery, refusal.current)
    after = replace(
        before,
        status=delivery.status,
        updated_at=now,
        completed_at=now,
        failure_reason=delivery.failure_reason,
        provider_payment_id=delivery.provider_payment_id or before.provider_payment_id,
        collection_id=delivery.collection_id or before.collection_id,
    )
    count(_SETTLED_METRIC[delivery.status], source=delivery.source)
    if before.status is PaymentStatus.FAILURE:
        logger.warning(
            "Conflict: Taramoney reported SUCCESS for a FAILED payment; the payment is now SUCCESS",
            extra={"previous_status": before.status.value, "previous_failure_reason": before.failure_reason},
        )
        return SettlementResult(payment_id, SettlementOutcome.CORRECTED, before.status, after)
    logger.info("Payment settled", extra={"previous_status": before.status.value, "status": delivery.status.value})
    return SettlementResult(payment_id, SettlementOutcome.APPLIED, before.status, after)


def _refused(
    repository: PaymentRepository, payment_id: str, delivery: Delivery, current: Payment | None
) -> SettlementResult:
    """Why the write's condition failed, from the payment as DynamoDB saw it."""
    if current is None:
        raise PaymentNotFound(f"No payment has the id {payment_id!r}")
    if delivery.phone_number is not None and current.phone_number != delivery.phone_number:
        logger.warning(
            "Report names another phone number than the payment's",
            extra={
                "payment_phone": mask_phone(current.phone_number),
                "reported_phone": mask_phone(delivery.phone_number),
            },
        )
        raise PhoneNumberMismatch("The phoneNumber is not the number of this payment", payment_id=payment_id)
    if current.status is delivery.status:
        logger.info("Duplicate report: the payment already has this status", extra={"status": current.status.value})
        return SettlementResult(payment_id, SettlementOutcome.DUPLICATE, current.status, current)
    if current.status is PaymentStatus.SUCCESS and delivery.status is PaymentStatus.FAILURE:
        kept = repository.append_delivery(
            payment_id,
            delivery.record(applied=False),
            while_status=PaymentStatus.SUCCESS,
            max_deliveries=MAX_DELIVERIES,
        )
        logger.warning(
            "Conflict: Taramoney reported FAILURE for a SUCCEEDED payment; the payment stays SUCCESS",
            extra={"recorded_in_history": kept},
        )
        return SettlementResult(payment_id, SettlementOutcome.RECORDED_ONLY, current.status, current)
    # The condition held on the item DynamoDB returned, yet the write was refused: never expected.
    raise RuntimeError(f"settlement of a {current.status} payment as {delivery.status} refused for no known reason")


def _iso_or_none(moment: datetime | None) -> str | None:
    return isoformat(moment) if moment is not None else None
