"""The Taramoney ``cmmobile`` client: one order in, a USSD code or a typed refusal out.

Taramoney answers refusals with HTTP 200 and ``status: FAILURE`` (or ``ERROR``), spells
its success message ``API_ORDER_SUCESSFULL`` and sometimes adds fields: this client
compares ``status`` case-insensitively, keeps the raw ``message`` and ignores the rest.
What it raises says whether the order surely never reached Taramoney (the payment can
be closed) or whether its fate is unknown (the webhook or the deadline will tell).

The HTTP client is urllib3, the library botocore already loads in every function (and the
one ``requests`` wraps): calling it directly costs the payments API's cold start nothing,
where importing ``requests`` cost tens of milliseconds (``make bench``). It verifies TLS
with certifi's Mozilla bundle, pinned in the layer, as ``requests`` did (botocore's own
fallback bundle holds fewer roots).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import certifi
import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError, ReadTimeoutError

from .credentials import MerchantCredentials
from .observability import tracer

_HEADERS = {"Accept": "application/json", "User-Agent": "taramoney-payments/1.0"}
# Under this, an order would likely be sent only to time out: better not sent at all.
_SHORTEST_READ_SECONDS = 1.0


@cache
def _pool() -> urllib3.PoolManager:
    """One connection pool per container, kept warm between invocations; never retries an order."""
    return urllib3.PoolManager(headers=_HEADERS, ca_certs=certifi.where(), retries=False)


def post_json(
    url: str, body: dict[str, Any], *, connect_timeout: float, read_timeout: float, total: float | None = None
) -> urllib3.BaseHTTPResponse:
    """POST ``body`` as JSON and read the whole answer; urllib3's own errors pass through.

    ``read_timeout`` bounds each wait for data; ``total``, if given, the whole call.
    """
    timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout, total=total)
    return _pool().request("POST", url, json=body, timeout=timeout)


@dataclass(frozen=True, slots=True)
class PaymentOrder:
    """What the payment API sends to Taramoney for one payment."""

    product_id: str
    product_name: str
    product_price: int
    phone_number: str
    webhook_url: str


@dataclass(frozen=True, slots=True)
class OrderAccepted:
    vendor: str
    ussd_code: str
    message: str


class ProviderError(Exception):
    """Taramoney did not accept the order."""


class OrderRejected(ProviderError):
    """Taramoney answered and refused the order; ``str(error)`` is its raw message."""


class OrderNotDelivered(ProviderError):
    """The order surely never reached Taramoney (connection refused, DNS failure)."""


class OrderNotSent(OrderNotDelivered):
    """Not sent at all: the invocation had too little time left to wait for an answer."""


class OrderOutcomeUnknown(ProviderError):
    """Taramoney may have the order: a 5xx or unreadable answer. The webhook will tell."""


class OrderTimedOut(OrderOutcomeUnknown):
    """Taramoney did not answer in time; it may still send the USSD prompt."""


class TaramoneyClient:
    """Posts orders to the configured endpoint (``TaramoneyApiUrl``) with explicit timeouts."""

    def __init__(self, api_url: str, *, connect_timeout: float, read_timeout: float) -> None:
        self._api_url = api_url
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout

    @property
    def shortest_wait_seconds(self) -> float:
        """Under this ``wait_at_most``, ``place_order`` sends nothing: no answer could be waited for."""
        return self._connect_timeout + min(self._read_timeout, _SHORTEST_READ_SECONDS)

    # A subsegment of its own in X-Ray; the answer is not recorded (it is about a customer).
    @tracer.capture_method(capture_response=False)
    def place_order(
        self, order: PaymentOrder, credentials: MerchantCredentials, *, wait_at_most: float = math.inf
    ) -> OrderAccepted:
        """Send the order, waiting at most ``wait_at_most`` seconds in all; nothing is sent if that is too short."""
        if wait_at_most < self.shortest_wait_seconds:
            raise OrderNotSent(f"{wait_at_most:.1f} s left: too little to wait for Taramoney's answer")
        total = None if math.isinf(wait_at_most) else wait_at_most
        body = {
            "apiKey": credentials.api_key,
            "businessId": credentials.business_id,
            "productId": order.product_id,
            "productName": order.product_name,
            "productPrice": order.product_price,
            "phoneNumber": order.phone_number,
            "webHookUrl": order.webhook_url,
        }
        try:
            response = post_json(
                self._api_url, body, connect_timeout=self._connect_timeout, read_timeout=self._read_timeout, total=total
            )
        except NewConnectionError as error:  # refused, or the name did not resolve: nothing was sent
            raise OrderNotDelivered("could not reach Taramoney") from error
        except ConnectTimeoutError as error:
            raise OrderNotDelivered("could not connect to Taramoney in time") from error
        except ReadTimeoutError as error:
            raise OrderTimedOut("Taramoney did not answer in time") from error
        except HTTPError as error:  # the connection broke after the order was sent, TLS, a bad answer
            raise OrderOutcomeUnknown("the call to Taramoney failed") from error
        return _read_answer(response)


def _read_answer(response: urllib3.BaseHTTPResponse) -> OrderAccepted:
    if response.status >= 500:
        raise OrderOutcomeUnknown(f"Taramoney answered HTTP {response.status}")
    try:
        answer: Any = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        if 400 <= response.status < 500:
            raise OrderRejected(f"HTTP_{response.status}")
        raise OrderOutcomeUnknown("Taramoney's answer is not a JSON object")
    status = str(answer.get("status", "")).strip().upper()
    message = str(answer.get("message") or "")
    if status in {"FAILURE", "ERROR"} or 400 <= response.status < 500:
        raise OrderRejected(message or f"HTTP_{response.status}")
    vendor, ussd_code = answer.get("vendor"), answer.get("ussdCode")
    if status != "SUCCESS" or not isinstance(vendor, str) or not isinstance(ussd_code, str):
        raise OrderOutcomeUnknown("Taramoney's answer has no usable status, vendor and USSD code")
    return OrderAccepted(vendor=vendor, ussd_code=ussd_code, message=message)
