"""The body of a Taramoney webhook: the documented payload, read tolerantly.

Taramoney documents seven fields and real deliveries carry more (``amount`` and
``originalAmount`` as strings, ``invoiceUrl``, ``transactionId``, ...): unknown fields
are kept, never refused. ``status`` is SUCCESS or FAILURE in any case, dates must carry
an offset, and ``phoneNumber`` may be spelled any way a customer could type it (it is
read as its 9 national digits, which the settlement compares with the payment's). Only
the fields the settlement needs are required; a genuine callback missing one of the
others is still worth more than a 400 Taramoney will never retry.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationError,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from .errors import FieldError, InvalidWebhookPayload, MalformedJson, PayloadTooLarge
from .models import PaymentStatus
from .phone import InvalidPhoneNumber, national_digits

MAX_WEBHOOK_BYTES = 16 * 1024
_SETTLED = {PaymentStatus.SUCCESS, PaymentStatus.FAILURE}


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


def _settled(status: PaymentStatus) -> PaymentStatus:
    if status not in _SETTLED:
        raise PydanticCustomError("settled_status", "must be SUCCESS or FAILURE")
    return status


def _national_phone(value: str) -> str:
    try:
        return national_digits(value)
    except InvalidPhoneNumber as error:
        raise PydanticCustomError("invalid_phone_number", "{reason}", {"reason": str(error)}) from error


Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
SettledStatus = Annotated[PaymentStatus, BeforeValidator(_upper), AfterValidator(_settled)]
PhoneNumber = Annotated[str, StringConstraints(max_length=32), AfterValidator(_national_phone)]


class WebhookPayload(BaseModel):
    """What Taramoney posts to a payment's ``webHookUrl``; ``model_extra`` holds the rest."""

    model_config = ConfigDict(
        extra="allow", alias_generator=to_camel, populate_by_name=True, coerce_numbers_to_str=True, frozen=True
    )

    business_id: Identifier
    status: SettledStatus
    phone_number: PhoneNumber
    payment_id: Identifier | None = None  # Taramoney's id for the transaction, not ours
    collection_id: Identifier | None = None
    creation_date: AwareDatetime | None = None
    change_date: AwareDatetime | None = None

    def extra_text(self, *names: str, max_length: int = 256) -> str | None:
        """The first of these undocumented fields that holds non-blank text, cut to ``max_length``."""
        for name in names:
            value = (self.model_extra or {}).get(name)
            if isinstance(value, str) and value.strip():
                return value.strip()[:max_length]
        return None


def read_webhook_payload(body: bytes) -> WebhookPayload:
    """Validate a webhook body; raises ``PayloadTooLarge``, ``MalformedJson`` or ``InvalidWebhookPayload``."""
    if len(body) > MAX_WEBHOOK_BYTES:
        raise PayloadTooLarge(f"The body must not exceed {MAX_WEBHOOK_BYTES} bytes")
    try:
        return WebhookPayload.model_validate_json(body)
    except ValidationError as error:
        problems = error.errors(include_url=False, include_input=False)
        if any(not problem["loc"] for problem in problems):  # not JSON, or not an object
            raise MalformedJson("The body must be a JSON object") from None
        fields = [
            FieldError(field=".".join(str(part) for part in problem["loc"]), message=problem["msg"])
            for problem in problems
        ]
        raise InvalidWebhookPayload("The webhook payload has invalid fields", errors=fields) from None
