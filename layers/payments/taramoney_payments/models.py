"""The payment: as stored, as the API shows it, as every event carries it.

Plain Python (no pydantic): every function reads and writes payments, and the webhook's
cold start should not pay for a validation library to read what this service stored
itself. What a client sends is validated in ``payment_request``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from .clock import from_isoformat, isoformat

CURRENCY = "XAF"


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    EXPIRED = "EXPIRED"


def camel_case(name: str) -> str:
    """``product_price`` -> ``productPrice``: the view's spelling of a field."""
    return re.sub(r"_([a-z])", lambda found: found.group(1).upper(), name)


@dataclass(kw_only=True, slots=True)
class Payment:
    """A payment as stored and as shown: the fields of the payment view, nothing secret."""

    # How pydantic (the local stack's OpenAPI document, Powertools) names the fields: as the view does.
    __pydantic_config__: ClassVar[dict[str, Any]] = {"alias_generator": camel_case}

    payment_id: str
    status: PaymentStatus
    product_id: str
    product_name: str
    product_price: int
    currency: str = CURRENCY
    phone_number: str
    vendor: str | None = None
    ussd_code: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    completed_at: datetime | None = None
    failure_reason: str | None = None
    provider_payment_id: str | None = None
    collection_id: str | None = None

    def view(self) -> dict[str, Any]:
        """The JSON payment view of the API and of every event (times in UTC, ``...Z``)."""
        return {name: _json_value(getattr(self, attribute)) for attribute, name in _VIEW_NAMES.items()}

    @classmethod
    def from_view(cls, document: Mapping[str, Any]) -> Payment:
        """The payment a view (or a stored item, deserialised) describes; other keys are ignored."""
        return cls(
            payment_id=str(document["paymentId"]),
            status=PaymentStatus(document["status"]),
            product_id=str(document["productId"]),
            product_name=str(document["productName"]),
            product_price=int(document["productPrice"]),
            currency=str(document.get("currency") or CURRENCY),
            phone_number=str(document["phoneNumber"]),
            vendor=_text_or_none(document.get("vendor")),
            ussd_code=_text_or_none(document.get("ussdCode")),
            metadata={str(key): str(value) for key, value in (document.get("metadata") or {}).items()},
            created_at=_moment(document["createdAt"]),
            updated_at=_moment(document["updatedAt"]),
            expires_at=_moment(document["expiresAt"]),
            completed_at=_moment_or_none(document.get("completedAt")),
            failure_reason=_text_or_none(document.get("failureReason")),
            provider_payment_id=_text_or_none(document.get("providerPaymentId")),
            collection_id=_text_or_none(document.get("collectionId")),
        )


VIEW_FIELDS = tuple(camel_case(attribute.name) for attribute in fields(Payment))
_VIEW_NAMES = {attribute.name: camel_case(attribute.name) for attribute in fields(Payment)}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dict):
        return dict(value)
    return value


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _moment(value: Any) -> datetime:
    """A stored time: ISO 8601 with its offset (``Z`` for UTC)."""
    return from_isoformat(str(value))


def _moment_or_none(value: Any) -> datetime | None:
    return None if value is None else _moment(value)
