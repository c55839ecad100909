"""Receiving a Taramoney webhook: authenticate, validate, settle, or park.

Checks run cheapest and safest first, and nothing touches DynamoDB before the caller
is authenticated: method (405), size (413), the address token (401), the shared secret
when one is configured (401), the body (400), the business id (403). Then one
conditional write settles the payment (404 and 409 come from its condition). If the
table fails, the accepted payload is parked on a queue and still answered 200: Taramoney
never retries, so a payload we accepted must not be lost. If the secret cannot be read,
a well-formed payload is parked unverified and its caller checked before it is applied
(``check_parked_caller``). Only if parking fails too is the answer an error (500).
A call with a valid address token that is refused all the same (401 for a shared secret
that differs from ours; 400, 403, 404, 409) is Taramoney's last word on a payment: its
payload goes into an ERROR line and ``AuthenticWebhooksRefused`` counts it, which alarms
at once.
"""

from __future__ import annotations

import hmac
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote

from botocore.exceptions import BotoCoreError, ClientError

from .aws import FAIL_FAST_CALL_SECONDS
from .clock import utc_now
from .credentials import MerchantCredentials
from .errors import (
    ForeignBusiness,
    MethodNotAllowed,
    PayloadTooLarge,
    PaymentError,
    SharedSecretMismatch,
    WebhookNotAuthenticated,
    WebhookNotStored,
)
from .invocation import ANSWER_SECONDS
from .models import PaymentStatus
from .observability import PaymentMetric, bind_payment, count, logger
from .parking import ParkedWebhook, WebhookParking
from .repository import PaymentRepository
from .settlement import Delivery, SettlementOutcome, settle
from .webhook_payload import MAX_WEBHOOK_BYTES, WebhookPayload, read_webhook_payload
from .webhook_tokens import parse_webhook_path, token_is_valid, webhook_token

# A last read's worst case, and the time to answer and flush the metrics after it.
_RE_READ_SECONDS = FAIL_FAST_CALL_SECONDS + ANSWER_SECONDS

SHARED_SECRET_HEADER = "tara-webhook-secret"  # noqa: S105 - a header name, not a secret
_MAX_PAYMENT_ID_CHARS = 128
# What each settlement outcome counts as; a correction changed the status and contradicted it.
_OUTCOME_METRICS = {
    SettlementOutcome.APPLIED: (PaymentMetric.WEBHOOKS_APPLIED,),
    SettlementOutcome.CORRECTED: (PaymentMetric.WEBHOOKS_APPLIED, PaymentMetric.WEBHOOK_CONFLICTS),
    SettlementOutcome.DUPLICATE: (PaymentMetric.WEBHOOK_DUPLICATES,),
    SettlementOutcome.RECORDED_ONLY: (PaymentMetric.WEBHOOK_CONFLICTS,),
}


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """An HTTP request as the function URL delivered it; ``headers`` keys in lower case."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    seconds_left: Callable[[], float] = lambda: math.inf  # before the function's timeout


@dataclass(frozen=True, slots=True)
class WebhookReceipt:
    """What the webhook answers with 200: the payment and its status as far as we know."""

    payment_id: str
    status: PaymentStatus
    outcome: SettlementOutcome | None  # None: parked, to be applied later

    def body(self) -> dict[str, object]:
        return {"received": True, "paymentId": self.payment_id, "status": self.status.value}


class WebhookReceiver:
    def __init__(
        self,
        repository: PaymentRepository,
        parking: Callable[[], WebhookParking],
        credentials: Callable[[], MerchantCredentials],
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._repository = repository
        self._parking = parking
        self._credentials = credentials
        self._clock = clock

    def receive(self, request: WebhookRequest) -> WebhookReceipt:
        """Settle (or park) one webhook; raises a ``PaymentError`` for every refusal."""
        try:
            receipt = self._receive(request)
        except WebhookNotStored:
            raise  # counted as lost, not as a refusal of the caller
        except PaymentError as refusal:
            count(PaymentMetric.WEBHOOKS_REJECTED, reason=refusal.code)
            logger.info(
                "Webhook refused",
                extra={
                    "code": refusal.code,
                    "status": int(refusal.status),
                    "fields": [error.field for error in refusal.errors],
                },
            )
            raise
        if receipt.outcome is not None:
            for metric in _OUTCOME_METRICS[receipt.outcome]:
                count(metric)
        return receipt

    def _receive(self, request: WebhookRequest) -> WebhookReceipt:
        received_at = self._clock()
        if request.method.upper() != "POST":
            raise MethodNotAllowed("The webhook accepts POST only")
        if len(request.body) > MAX_WEBHOOK_BYTES:
            raise PayloadTooLarge(f"The body must not exceed {MAX_WEBHOOK_BYTES} bytes")
        payment_id, token = _claimed_address(request.path)
        try:
            credentials = self._credentials()
        except Exception:
            # Nothing to check the caller with, and Taramoney will not call again: keep the
            # payload with the caller's proofs, for the parked-webhooks function to check.
            logger.exception("The webhook's secret could not be read; parking the webhook unverified")
            return self._park_unverified(request, payment_id, token, received_at)
        _authenticate(payment_id, token, credentials)
        bind_payment(payment_id)
        try:
            return self._apply(request, payment_id, credentials, received_at)
        except WebhookNotStored:
            raise
        except PaymentError as refusal:
            keep_authentic_refusal(
                "Webhook with a valid address token refused; its payload is kept in this line",
                refusal,
                request.body.decode("utf-8", errors="replace"),
            )
            raise

    def _apply(
        self, request: WebhookRequest, payment_id: str, credentials: MerchantCredentials, received_at: datetime
    ) -> WebhookReceipt:
        """Settle a webhook whose token is valid, or park it if the table fails; a ``PaymentError`` refuses it."""
        _check_shared_secret(request, payment_id, credentials)
        payload = read_webhook_payload(request.body)
        if not hmac.compare_digest(payload.business_id.encode(), credentials.business_id.encode()):
            logger.warning("Webhook for another business refused")
            raise ForeignBusiness("The businessId is not this merchant's", payment_id=payment_id)
        raw_payload = request.body.decode("utf-8", errors="replace")
        delivery = Delivery.from_webhook(payload, raw_payload=raw_payload, received_at=received_at)
        try:
            result = settle(self._repository, payment_id, delivery, now=self._clock())
        except PaymentError:
            raise  # a refusal (404, 409): answered, its payload kept in the refusal's log line only
        except (ClientError, BotoCoreError):
            logger.exception("The payments table failed; parking the webhook")
            return self._park(
                payment_id, raw_payload, delivery.received_at, delivery.status, request.seconds_left, delivery
            )
        except Exception:
            # Whatever broke, this payload is authentic and valid: keep it for a later try.
            logger.exception("Settlement failed unexpectedly; parking the webhook")
            return self._park(
                payment_id, raw_payload, delivery.received_at, delivery.status, request.seconds_left, delivery
            )
        return WebhookReceipt(payment_id, result.status, result.outcome)

    def _park_unverified(
        self, request: WebhookRequest, payment_id: str, token: str, received_at: datetime
    ) -> WebhookReceipt:
        """Park a webhook whose caller cannot be checked now; what can be refused without the secret is."""
        bind_payment(payment_id)
        payload = read_webhook_payload(request.body)
        proofs = (token, request.headers.get(SHARED_SECRET_HEADER, ""))
        raw_payload = request.body.decode("utf-8", errors="replace")
        return self._park(
            payment_id, raw_payload, received_at, payload.status, request.seconds_left, unverified_proofs=proofs
        )

    def _park(
        self,
        payment_id: str,
        raw_payload: str,
        received_at: datetime,
        status: PaymentStatus,
        seconds_left: Callable[[], float],
        delivery: Delivery | None = None,
        *,
        unverified_proofs: tuple[str, str] | None = None,
    ) -> WebhookReceipt:
        try:
            message_id = self._parking().park(
                payment_id,
                raw_payload,
                received_at=received_at,
                correlation_id=logger.get_correlation_id(),
                unverified_proofs=unverified_proofs,
            )
        except Exception as error:
            # One more read only if it cannot outlast the function: a timeout would lose the count below.
            if delivery is not None and seconds_left() > _RE_READ_SECONDS:
                held = self._already_held(payment_id, delivery)
                if held is not None:
                    return held
            logger.exception("Parking failed too: the webhook is lost unless Taramoney resends it")
            count(PaymentMetric.WEBHOOKS_LOST)
            raise WebhookNotStored(
                "The webhook could not be stored; please send it again", payment_id=payment_id
            ) from error
        logger.warning("Webhook parked for later settlement", extra={"message_id": message_id})
        count(PaymentMetric.WEBHOOKS_PARKED)
        return WebhookReceipt(payment_id, status, None)

    def _already_held(self, payment_id: str, delivery: Delivery) -> WebhookReceipt | None:
        """A receipt if the payment already says what this report says.

        A settlement write whose answer was lost (a timeout) may have been applied: its
        retry then fails its condition, or times out too. Nothing is lost if the payment
        already holds this status from this provider payment; the report is a duplicate.
        """
        try:
            payment = self._repository.get(payment_id)
        except Exception:
            logger.warning("The payment could not be read either", exc_info=True)
            return None
        if payment is None or payment.status is not delivery.status:
            return None
        if delivery.provider_payment_id and payment.provider_payment_id != delivery.provider_payment_id:
            return None
        logger.warning("Parking failed, but the payment already holds this report: answered as a duplicate")
        return WebhookReceipt(payment_id, payment.status, SettlementOutcome.DUPLICATE)


def _claimed_address(path: str) -> tuple[str, str]:
    """The payment id and token a webhook's address claims; refused (401) when it holds no such pair."""
    parsed = parse_webhook_path(path)
    if parsed is None:
        logger.warning("Webhook refused: the address names no payment and token")
        raise WebhookNotAuthenticated("The webhook address is not valid")
    payment_id, token = unquote(parsed[0]), parsed[1]
    if len(payment_id) > _MAX_PAYMENT_ID_CHARS:
        logger.warning("Webhook refused: the payment id is too long", extra={"claimed_payment_id": payment_id[:64]})
        raise WebhookNotAuthenticated("The webhook address is not valid")
    return payment_id, token


def _authenticate(payment_id: str, token: str, credentials: MerchantCredentials) -> None:
    """Refuse (401) unless the address token proves the caller."""
    if not token_is_valid(payment_id, token, credentials.webhook_signing_key):
        logger.warning("Webhook refused: wrong token", extra={"claimed_payment_id": payment_id})
        raise WebhookNotAuthenticated("The webhook address is not valid")


def _check_shared_secret(request: WebhookRequest, payment_id: str, credentials: MerchantCredentials) -> None:
    """Refuse (401) a caller with a valid token but without the shared secret, if one is set."""
    expected_secret = credentials.webhook_shared_secret
    if expected_secret is not None:
        given = request.headers.get(SHARED_SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), expected_secret.encode()):
            logger.warning("Webhook refused: missing or wrong shared secret", extra={"payment_id": payment_id})
            raise SharedSecretMismatch("The webhook address is not valid")


def keep_authentic_refusal(message: str, refusal: PaymentError, payload: str) -> None:
    """Log and count a refused webhook whose address token was valid, at once or once parked.

    Taramoney (or whoever holds the address) called, and it never calls again: what it said
    is kept in this ERROR line, masked, and ``AuthenticWebhooksRefused`` alarms.
    """
    count(PaymentMetric.AUTHENTIC_WEBHOOKS_REFUSED)
    logger.error(message, extra={"code": refusal.code, "detail": refusal.detail, "payload": payload})


def check_parked_caller(parked: ParkedWebhook, payload: WebhookPayload, credentials: MerchantCredentials) -> None:
    """The checks ``receive`` could not make when it parked a webhook unverified; raises as it would have."""
    if not parked.gave_token(webhook_token(parked.payment_id, credentials.webhook_signing_key)):
        logger.warning("Parked webhook refused: wrong token")
        raise WebhookNotAuthenticated("The webhook address is not valid")
    if not parked.gave_shared_secret(credentials.webhook_shared_secret):
        logger.warning("Parked webhook refused: missing or wrong shared secret")
        raise SharedSecretMismatch("The webhook address is not valid")
    if not hmac.compare_digest(payload.business_id.encode(), credentials.business_id.encode()):
        logger.warning("Parked webhook for another business refused")
        raise ForeignBusiness("The businessId is not this merchant's", payment_id=parked.payment_id)
