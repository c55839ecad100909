"""Starting a payment: store it PENDING, then ask Taramoney for the USSD prompt.

The payment is written before the provider is called, so no order Taramoney knows of
is ever missing from the table. What happens next depends on what Taramoney said:
- accepted: the payment keeps the vendor and USSD code, and stays PENDING;
- refused, or surely never received: the payment is closed as FAILURE;
- unknown (timeout, 5xx, unreadable answer): it stays PENDING and the webhook or
  the deadline settles it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from .aws import FAIL_FAST_TRY_SECONDS
from .clock import utc_now
from .credentials import MerchantCredentials
from .errors import (
    UNAVAILABLE_DETAIL,
    IdempotencyKeyReused,
    ProviderRejected,
    ProviderTimedOut,
    ProviderUnavailable,
    ServiceUnavailable,
    TooManyPendingPayments,
)
from .invocation import ANSWER_SECONDS, seconds_left
from .masking import mask_phone
from .models import Payment, PaymentStatus
from .observability import PaymentMetric, bind_payment, count, logger
from .payment_ids import new_payment_id, payment_id_for_key
from .payment_request import PaymentRequest
from .phone import Vendor
from .repository import PaymentAlreadyStored, PaymentRepository, PhoneLimitReached
from .taramoney import (
    OrderAccepted,
    OrderNotDelivered,
    OrderNotSent,
    OrderOutcomeUnknown,
    OrderRejected,
    OrderTimedOut,
    PaymentOrder,
    TaramoneyClient,
)
from .webhook_tokens import webhook_url

NOT_DELIVERED_REASON = "PROVIDER_UNREACHABLE"
_KNOWN_VENDORS = frozenset(vendor.value for vendor in Vendor)


class PaymentInitiator:
    def __init__(
        self,
        repository: PaymentRepository,
        provider: TaramoneyClient,
        credentials: Callable[[], MerchantCredentials],
        *,
        webhook_base_url: str,
        payment_timeout_seconds: int,
        max_pending_per_phone: int,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._repository = repository
        self._provider = provider
        self._credentials = credentials
        self._webhook_base_url = webhook_base_url
        self._timeout = timedelta(seconds=payment_timeout_seconds)
        self._max_pending = max_pending_per_phone
        self._clock = clock

    def start(self, request: PaymentRequest, *, idempotency_key: str | None = None) -> Payment:
        """Start one payment; raises a ``PaymentError`` carrying ``payment_id`` once one exists.

        With an ``idempotency_key``, the payment's id is the key's: a key whose payment
        exists gets that payment back (or is refused if the request differs), never a new order.
        """
        credentials = self._credentials()  # before storing anything: no secret, no payment
        if seconds_left() < self.shortest_start_seconds:
            # Slow calls before this one left too little time: answered before anything is stored.
            logger.warning("Payment not started: too little time left", extra={"seconds_left": seconds_left()})
            raise ServiceUnavailable(UNAVAILABLE_DETAIL)
        if idempotency_key is None:
            payment_id = new_payment_id()
        else:
            payment_id = payment_id_for_key(idempotency_key, credentials.webhook_signing_key)
        try:
            payment = self._store_pending(request, payment_id)
        except PaymentAlreadyStored:
            return self._started_before(payment_id, request)
        bind_payment(payment.payment_id)
        order = PaymentOrder(
            product_id=request.product_id,
            product_name=request.product_name,
            product_price=request.product_price,
            phone_number=payment.phone_number,
            webhook_url=webhook_url(self._webhook_base_url, payment.payment_id, credentials.webhook_signing_key),
        )
        try:
            accepted = self._place_order(order, credentials)
        except OrderRejected as refusal:
            count(PaymentMetric.PROVIDER_REJECTIONS)
            self._close(payment, reason=str(refusal))
            logger.warning("Taramoney refused the order", extra={"provider_message": str(refusal)})
            raise ProviderRejected(
                f"Taramoney refused the payment: {refusal}", payment_id=payment.payment_id
            ) from refusal
        except OrderNotDelivered as error:
            if isinstance(error, OrderNotSent):  # our own slow calls, not Taramoney: no provider error
                logger.warning("Order not sent: too little time left, payment closed", extra={"reason": str(error)})
            else:
                count(PaymentMetric.PROVIDER_ERRORS, reason="UNREACHABLE")
                logger.warning("Taramoney unreachable, payment closed", extra={"reason": str(error)})
            self._close(payment, reason=NOT_DELIVERED_REASON)
            raise ProviderUnavailable(
                "The payment provider could not be reached; nothing was charged", payment_id=payment.payment_id
            ) from error
        except OrderTimedOut as error:
            count(PaymentMetric.PROVIDER_ERRORS, reason="TIMED_OUT")
            logger.warning("Taramoney timed out, payment left PENDING")
            raise ProviderTimedOut(
                "The payment provider did not answer in time; the payment stays PENDING until it settles",
                payment_id=payment.payment_id,
            ) from error
        # An unusable answer, or whatever else broke: the order may have reached Taramoney,
        # so the payment stays PENDING and the answer names it; a retry does not order again.
        except OrderOutcomeUnknown as error:
            count(PaymentMetric.PROVIDER_ERRORS, reason="OUTCOME_UNKNOWN")
            logger.warning("Taramoney's answer unusable, payment left PENDING", extra={"reason": str(error)})
            raise ProviderUnavailable(
                "The payment provider answered with an error; the payment stays PENDING until it settles",
                payment_id=payment.payment_id,
            ) from error
        except Exception as error:
            count(PaymentMetric.PROVIDER_ERRORS, reason="OUTCOME_UNKNOWN")
            logger.exception("The call to Taramoney failed unexpectedly, payment left PENDING")
            raise ProviderUnavailable(
                "The payment provider's answer could not be read; the payment stays PENDING until it settles",
                payment_id=payment.payment_id,
            ) from error
        count(PaymentMetric.PAYMENTS_INITIATED, vendor=_vendor_dimension(accepted.vendor))
        logger.info("Payment order accepted", extra={"vendor": accepted.vendor})
        now = self._clock()
        try:
            return self._repository.record_order_accepted(
                payment.payment_id, vendor=accepted.vendor, ussd_code=accepted.ussd_code, now=now
            )
        except Exception:
            # Taramoney has the order and the phone is being prompted: an error now would make
            # the client retry and prompt the customer twice. The payment is stored PENDING and
            # its webhook (or its deadline) settles it; only the USSD code is not kept.
            logger.exception("Order accepted but its vendor and USSD code not stored; answering PENDING")
            return replace(payment, vendor=accepted.vendor, ussd_code=accepted.ussd_code, updated_at=now)

    def _place_order(self, order: PaymentOrder, credentials: MerchantCredentials) -> OrderAccepted:
        """Taramoney's answer, waited for no longer than the invocation can (``invocation.answer_within``).

        The customer waits for this answer: it is not cut short to keep time for storing it
        (storing the USSD code is best-effort, the webhook settles the payment anyway).
        """
        started = time.perf_counter()
        try:
            wait_at_most = seconds_left() - ANSWER_SECONDS
            return self._provider.place_order(order, credentials, wait_at_most=wait_at_most)
        finally:
            count(PaymentMetric.PROVIDER_LATENCY, (time.perf_counter() - started) * 1000)

    @property
    def shortest_start_seconds(self) -> float:
        """Time to store the payment, wait for the shortest useful answer, store what it says, and answer."""
        return FAIL_FAST_TRY_SECONDS + self._provider.shortest_wait_seconds + FAIL_FAST_TRY_SECONDS + ANSWER_SECONDS

    def _started_before(self, payment_id: str, request: PaymentRequest) -> Payment:
        """The payment an ``Idempotency-Key`` started earlier, as its first answer said it."""
        payment = self._repository.get(payment_id)
        asked = (
            request.product_id,
            request.product_name,
            request.product_price,
            request.phone_number,
            request.metadata,
        )
        if payment is None or asked != (
            payment.product_id,
            payment.product_name,
            payment.product_price,
            payment.phone_number,
            payment.metadata,
        ):
            raise IdempotencyKeyReused("This Idempotency-Key was already used with a different request body")
        bind_payment(payment_id)
        logger.warning("Idempotency-Key of an existing payment seen again after its record lapsed; no new order")
        if payment.ussd_code is not None:  # Taramoney took the order: the first answer was this payment
            return payment
        # Taramoney's answer was never kept: the order was refused, never delivered, or the first
        # request stopped (its container died) somewhere between storing the payment and that answer.
        if payment.status is PaymentStatus.FAILURE and payment.failure_reason == NOT_DELIVERED_REASON:
            raise ProviderUnavailable(
                "The payment provider could not be reached; nothing was charged", payment_id=payment_id
            )
        if payment.status is PaymentStatus.FAILURE:
            raise ProviderRejected(f"Taramoney refused the payment: {payment.failure_reason}", payment_id=payment_id)
        if payment.status is PaymentStatus.PENDING:
            raise ProviderTimedOut(
                "The first request for this payment stopped before Taramoney's answer was kept; "
                "the payment stays PENDING until it settles",
                payment_id=payment_id,
            )
        return payment

    def _store_pending(self, request: PaymentRequest, payment_id: str) -> Payment:
        now = self._clock()
        payment = Payment(
            payment_id=payment_id,
            status=PaymentStatus.PENDING,
            product_id=request.product_id,
            product_name=request.product_name,
            product_price=request.product_price,
            phone_number=request.phone_number,
            metadata=request.metadata,
            created_at=now,
            updated_at=now,
            expires_at=now + self._timeout,
        )
        try:
            self._repository.add_pending(payment, max_pending_per_phone=self._max_pending)
        except PhoneLimitReached:
            if not self._free_stale_slots(payment.phone_number, now):
                raise self._too_many_pending(payment.phone_number) from None
            try:
                self._repository.add_pending(payment, max_pending_per_phone=self._max_pending)
            except PhoneLimitReached:
                raise self._too_many_pending(payment.phone_number) from None
        return payment

    def _free_stale_slots(self, phone_number: str, now: datetime) -> bool:
        """Give back slots held by payments that left PENDING or passed their deadline.

        Slots are normally given back as payments settle; this heals a number whose
        release was missed, and costs reads only on the refusal path.
        """
        held = self._repository.pending_payment_ids(phone_number)
        payments = self._repository.get_many(held)
        live = {p.payment_id for p in payments if p.status is PaymentStatus.PENDING and p.expires_at > now}
        stale = held - live
        self._repository.release_phone_slots(phone_number, stale)
        return bool(stale)

    def _too_many_pending(self, phone_number: str) -> TooManyPendingPayments:
        logger.info("Pending payments limit reached", extra={"phone": mask_phone(phone_number)})
        return TooManyPendingPayments(
            f"This phone number already has {self._max_pending} payments waiting for confirmation; "
            "confirm or cancel them on the phone, or try again later"
        )

    def _close(self, payment: Payment, *, reason: str) -> None:
        """Close a payment Taramoney never took; if the table fails, it stays PENDING until its deadline.

        The client is still told what Taramoney said, with the payment's id: a store error
        here must not hide the refusal behind a 500 that names no payment.
        """
        try:
            closed = self._repository.mark_failed_at_initiation(payment.payment_id, reason=reason, now=self._clock())
        except Exception:
            logger.exception("Payment not closed after the provider's refusal; it stays PENDING until it expires")
            return
        if closed is not None:  # else a webhook settled it first, and counted it
            count(PaymentMetric.PAYMENTS_FAILED, source="initiation")
        try:
            self._repository.release_phone_slots(payment.phone_number, [payment.payment_id])
        except Exception:
            # The outbox gives the slot back when the FAILURE reaches the stream; this is a shortcut.
            logger.exception("Phone slot not released after the payment was closed")


def _vendor_dimension(vendor: str) -> str:
    """Taramoney's vendor as a metric dimension: a known operator, or OTHER (a dimension stays small)."""
    return vendor if vendor in _KNOWN_VENDORS else "OTHER"
