"""Reconciliation (optional): before a payment is expired, ask Taramoney what became of it.

Off unless a status endpoint is configured (``TaramoneyStatusUrl``): Taramoney does not
document one. Integrators report a look-up by ``productId`` (path uncertain, "not
found" answered as ``status: ERROR``). Several payments may share a product, so an
answer is believed only when it names this payment's phone number (and its amount,
when it gives one). Anything else (an error, a timeout, an answer about someone else)
counts as "unknown" and the payment expires as usual; a late webhook still corrects it.

What the provider says is applied by ``settle``: the same domain code that applies a
webhook, so one transition rule holds whoever brings the news.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from urllib3.exceptions import HTTPError

from .credentials import MerchantCredentials
from .models import Payment, PaymentStatus
from .observability import logger, tracer
from .phone import InvalidPhoneNumber, national_digits
from .taramoney import post_json

_OUTCOMES = {"SUCCESS": PaymentStatus.SUCCESS, "FAILURE": PaymentStatus.FAILURE}


@dataclass(frozen=True, slots=True)
class ProviderVerdict:
    """What Taramoney says happened to one payment."""

    status: PaymentStatus
    message: str
    answer: dict[str, Any]


class TaramoneyStatusClient:
    """Asks the configured status endpoint about a payment; ``None`` whenever the answer is not clear."""

    def __init__(self, status_url: str, *, connect_timeout: float, read_timeout: float) -> None:
        self._status_url = status_url
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout

    @tracer.capture_method(capture_response=False)  # the answer is about a customer
    def look_up(self, payment: Payment, credentials: MerchantCredentials) -> ProviderVerdict | None:
        body = {"apiKey": credentials.api_key, "businessId": credentials.business_id, "productId": payment.product_id}
        try:
            response = post_json(
                self._status_url, body, connect_timeout=self._connect_timeout, read_timeout=self._read_timeout
            )
            answer: Any = response.json()
        except (HTTPError, ValueError) as error:
            logger.warning("Status look-up failed", extra={"payment_id": payment.payment_id, "reason": str(error)})
            return None
        if response.status != 200 or not isinstance(answer, dict):
            return None
        status = _OUTCOMES.get(str(answer.get("status", "")).strip().upper())
        if status is None or not _names_this_payment(answer, payment):
            return None
        return ProviderVerdict(status=status, message=str(answer.get("message") or ""), answer=answer)


def _names_this_payment(answer: dict[str, Any], payment: Payment) -> bool:
    try:
        phone = national_digits(str(answer.get("phoneNumber") or ""))
    except InvalidPhoneNumber:
        return False
    amount = answer.get("amount", answer.get("originalAmount"))
    try:
        same_amount = amount is None or int(float(str(amount))) == payment.product_price
    except ValueError:
        return False
    return phone == payment.phone_number and same_amount


class SettleFromProvider(Protocol):
    """Applies a provider's verdict to a payment as a webhook would (the settlement domain)."""

    def __call__(self, payment: Payment, verdict: ProviderVerdict) -> None: ...


class Reconciler:
    def __init__(
        self,
        client: TaramoneyStatusClient,
        credentials: Callable[[], MerchantCredentials],
        settle: SettleFromProvider,
    ) -> None:
        self._client = client
        self._credentials = credentials
        self._settle = settle

    def settled_by_provider(self, payment: Payment) -> bool:
        """True if Taramoney knew the payment's outcome and it was applied (so it must not expire)."""
        verdict = self._client.look_up(payment, self._credentials())
        if verdict is None:
            return False
        logger.info(
            "Taramoney knew the outcome of a payment about to expire",
            extra={"payment_id": payment.payment_id, "status": verdict.status.value},
        )
        self._settle(payment, verdict)
        return True
