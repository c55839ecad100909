"""The body of a Taramoney webhook: the documented payload, read tolerantly.

Taramoney documents seven fields and real deliveries carry more (``amount`` and
``originalAmount`` as strings, ``invoiceUrl``, ``transactionId``, ...): unknown fields
are kept, never refused. ``status`` is SUCCESS or FAILURE in any case, dates must carry
an offset, and ``phoneNumber`` may be spelled any way a customer could type it (it is
read as its 9 national digits, which the settlement compares with the payment's). Only
the fields the settlement needs are required; a genuine callback missing one of the
others is still worth more than a 400 Taramoney will never retry.

Read with the standard library, not pydantic: importing pydantic and building a first
model cost the webhook's cold start about half of the floor it is measured against
(``make bench``), for seven flat fields. Every bad field is reported, each under its
JSON name, with pydantic's wording where the payments API's refusals use it too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from .errors import FieldError, InvalidWebhookPayload, MalformedJson, PayloadTooLarge
from .models import PaymentStatus
from .phone import MAX_PHONE_NUMBER_CHARS, InvalidPhoneNumber, national_digits

MAX_WEBHOOK_BYTES = 16 * 1024
MAX_IDENTIFIER_CHARS = 256
_SETTLED = {status.value: status for status in (PaymentStatus.SUCCESS, PaymentStatus.FAILURE)}


@dataclass(frozen=True, slots=True)
class WebhookPayload:
    """What Taramoney posts to a payment's ``webHookUrl``; ``extra`` holds the fields it does not document."""

    business_id: str
    status: PaymentStatus
    phone_number: str  # the 9 national digits
    payment_id: str | None = None  # Taramoney's id for the transaction, not ours
    collection_id: str | None = None
    creation_date: datetime | None = None
    change_date: datetime | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    def extra_text(self, *names: str, max_length: int = 256) -> str | None:
        """The first of these undocumented fields that holds non-blank text, cut to ``max_length``."""
        for name in names:
            value = self.extra.get(name)
            if isinstance(value, str) and value.strip():
                return value.strip()[:max_length]
        return None


class _Refused(ValueError):
    """One field's value breaks its rule; the message is what the sender is told."""


def _text(value: Any) -> str:
    """A string, or a number spelled as text (ids sent as JSON numbers); never a boolean."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Refused("Input should be a valid string")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 1e3 is "1000", as an integer id would be spelled
    return repr(value)


def _identifier(value: Any) -> str:
    text = _text(value).strip()
    if not text:
        raise _Refused("String should have at least 1 character")
    if len(text) > MAX_IDENTIFIER_CHARS:
        raise _Refused(f"String should have at most {MAX_IDENTIFIER_CHARS} characters")
    return text


def _settled_status(value: Any) -> PaymentStatus:
    status = _SETTLED.get(value.strip().upper()) if isinstance(value, str) else None
    if status is None:
        raise _Refused("must be SUCCESS or FAILURE")
    return status


def _phone_number(value: Any) -> str:
    text = _text(value)
    if len(text) > MAX_PHONE_NUMBER_CHARS:
        raise _Refused(f"String should have at most {MAX_PHONE_NUMBER_CHARS} characters")
    try:
        return national_digits(text)
    except InvalidPhoneNumber as error:
        raise _Refused(str(error)) from None


def _aware_datetime(value: Any) -> datetime:
    """ISO 8601 with an offset (``+02:00``, ``Z``): a local time alone names no instant."""
    if not isinstance(value, str):
        raise _Refused("Input should be a valid datetime")
    text = value[:-1] + "Z" if value.endswith("z") else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _Refused("Input should be a valid ISO 8601 datetime") from None
    if moment.tzinfo is None:
        raise _Refused("Input should have timezone info")
    return moment


# Each documented field: its JSON name, its attribute, how it is read, whether it is required.
_FIELDS: tuple[tuple[str, str, Callable[[Any], Any], bool], ...] = (
    ("businessId", "business_id", _identifier, True),
    ("status", "status", _settled_status, True),
    ("phoneNumber", "phone_number", _phone_number, True),
    ("paymentId", "payment_id", _identifier, False),
    ("collectionId", "collection_id", _identifier, False),
    ("creationDate", "creation_date", _aware_datetime, False),
    ("changeDate", "change_date", _aware_datetime, False),
)
DOCUMENTED_FIELDS = frozenset(name for name, *_ in _FIELDS)
REQUIRED_FIELDS = frozenset(name for name, _, _, required in _FIELDS if required)


def read_webhook_payload(body: bytes) -> WebhookPayload:
    """Validate a webhook body; raises ``PayloadTooLarge``, ``MalformedJson`` or ``InvalidWebhookPayload``."""
    if len(body) > MAX_WEBHOOK_BYTES:
        raise PayloadTooLarge(f"The body must not exceed {MAX_WEBHOOK_BYTES} bytes")
    document = _json_object(body)
    values: dict[str, Any] = {}
    problems: list[FieldError] = []
    for name, attribute, read, required in _FIELDS:
        value = document.get(name)
        if value is None and not required:
            continue  # absent or null: not known
        if name not in document:
            problems.append(FieldError(field=name, message="Field required"))
            continue
        try:
            values[attribute] = read(value)
        except _Refused as refusal:
            problems.append(FieldError(field=name, message=str(refusal)))
    if problems:
        raise InvalidWebhookPayload("The webhook payload has invalid fields", errors=problems)
    extra = {name: value for name, value in document.items() if name not in DOCUMENTED_FIELDS}
    return WebhookPayload(**values, extra=MappingProxyType(extra))


def _json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object of UTF-8 text, or ``MalformedJson``.

    A lone surrogate (JSON may escape one) is refused too: it fits no UTF-8 string, so
    DynamoDB could store neither it nor a reason or id that carries it.
    """
    try:
        document = json.loads(body.decode("utf-8"))
        if not isinstance(document, dict) or not _is_unicode(document):
            raise ValueError("not a JSON object of Unicode text")
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise MalformedJson("The body must be a JSON object") from None
    return document


def _is_unicode(document: dict[str, Any]) -> bool:
    """Whether every string in the document, keys included, encodes to UTF-8 (no lone surrogate)."""
    pending: list[Any] = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True
