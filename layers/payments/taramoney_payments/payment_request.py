"""The body of ``POST /payments``: what a frontend sends to start a payment, validated by pydantic.

Only the payments API reads it; the payment itself (``models``) is plain Python, so the
functions that never validate a request never load pydantic.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from .phone import MAX_PHONE_NUMBER_CHARS, InvalidPhoneNumber, UnsupportedOperator, parse_mobile_number


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank_string", "must not be blank")
    return value


def _cameroon_mobile(value: str) -> str:
    """Replace any accepted spelling by the 9-digit national form, or refuse it."""
    if len(value) > MAX_PHONE_NUMBER_CHARS:  # still "not a phone number" to the client, checked before parsing
        raise PydanticCustomError("invalid_phone_number", "too long for a phone number")
    try:
        return parse_mobile_number(value).national
    except UnsupportedOperator as error:
        raise PydanticCustomError("unsupported_operator", str(error)) from error
    except InvalidPhoneNumber as error:
        raise PydanticCustomError("invalid_phone_number", "{reason}", {"reason": str(error)}) from error


ProductId = Annotated[str, StringConstraints(min_length=1, max_length=128), AfterValidator(_not_blank)]
ProductName = Annotated[str, StringConstraints(min_length=1, max_length=256), AfterValidator(_not_blank)]
MetadataKey = Annotated[str, StringConstraints(min_length=1, max_length=40)]
MetadataValue = Annotated[str, StringConstraints(max_length=500)]
CameroonMobile = Annotated[str, AfterValidator(_cameroon_mobile)]


class PaymentRequest(BaseModel):
    """The body of ``POST /payments``; unknown fields and loose types are refused.

    Validate with ``context={"min_amount": ..., "max_amount": ...}`` to apply the
    merchant's configured price range.
    """

    # Only the documented camelCase names: ``product_id`` is an unknown field, not an alias.
    model_config = ConfigDict(
        extra="forbid", strict=True, alias_generator=to_camel, populate_by_name=False, validate_by_name=False
    )

    product_id: ProductId
    product_name: ProductName
    product_price: int = Field(description="Whole XAF (FCFA)")
    phone_number: CameroonMobile = Field(
        description="Orange or MTN Cameroon number, e.g. 655123456 or +237 6 55 12 34 56"
    )
    metadata: dict[MetadataKey, MetadataValue] = Field(default_factory=dict, max_length=20)

    @field_validator("product_price")
    @classmethod
    def _price_in_range(cls, price: int, info: ValidationInfo) -> int:
        context = info.context or {}
        low, high = context.get("min_amount", 100), context.get("max_amount", 1_000_000)
        if not low <= price <= high:
            raise PydanticCustomError(
                "amount_out_of_range", "must be between {low} and {high} XAF", {"low": low, "high": high}
            )
        return price
