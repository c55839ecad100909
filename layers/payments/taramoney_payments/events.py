"""Payment events: which stored changes are announced, and what the announcement says.

The contract of SPEC section 6: a change of ``status`` to SUCCESS, FAILURE or EXPIRED
is one event with ``source`` ``taramoney.payments``, a detail-type naming the outcome,
and as ``detail`` the payment view plus ``previousStatus`` and ``eventId``
(``{paymentId}:{status}``, the same on every redelivery so consumers can deduplicate).
Any other write (creation, the USSD code, a delivery that repeats the status) is
announced by nothing. The JSON Schemas in ``events/schemas/`` describe these events.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .models import Payment, PaymentStatus

EVENT_SOURCE = "taramoney.payments"

DETAIL_TYPES: Mapping[PaymentStatus, str] = {
    PaymentStatus.SUCCESS: "Payment Succeeded",
    PaymentStatus.FAILURE: "Payment Failed",
    PaymentStatus.EXPIRED: "Payment Expired",
}


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    """One announcement of a payment's new status."""

    payment: Payment
    previous_status: PaymentStatus

    @property
    def event_id(self) -> str:
        return f"{self.payment.payment_id}:{self.payment.status.value}"

    @property
    def detail_type(self) -> str:
        return DETAIL_TYPES[self.payment.status]

    def detail(self) -> dict[str, Any]:
        return {**self.payment.view(), "previousStatus": self.previous_status.value, "eventId": self.event_id}

    def detail_json(self) -> str:
        return json.dumps(self.detail(), separators=(",", ":"), ensure_ascii=False)


def event_for_change(old_image: Mapping[str, Any] | None, new_image: Mapping[str, Any] | None) -> PaymentEvent | None:
    """The event a stored change of a payment item calls for, if any.

    The images are the item before and after the write, as plain Python values (a
    stream record's images, deserialised). A payment only appears on both sides of an
    update, so creations and deletions announce nothing.
    """
    if not old_image or not new_image:
        return None
    previous, current = str(old_image.get("status")), str(new_image.get("status"))
    if previous == current or current not in DETAIL_TYPES:
        return None
    return PaymentEvent(payment=Payment.from_view(new_image), previous_status=PaymentStatus(previous))
