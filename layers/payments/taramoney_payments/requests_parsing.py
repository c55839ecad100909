"""Reading a ``POST /payments`` request: content type, size, JSON, fields and the idempotency key.

Turns pydantic's errors into the codes of the contract: a body that is not a JSON
object is ``MALFORMED_JSON``; a bad phone alone is ``INVALID_PHONE_NUMBER`` or
``UNSUPPORTED_OPERATOR``; anything else is ``VALIDATION_ERROR`` with every field listed.

A body that is not declared ``application/json`` is refused like a malformed header
(``VALIDATION_ERROR`` naming ``Content-Type``; SPEC section 3 has no code of its own for
it). Beyond keeping to the contract, this closes a hole: a browser sends a ``text/plain``
or form POST cross-site without a CORS preflight, so accepting one would let any page
start payments (a USSD prompt on someone's phone) whatever ``AllowedOrigins`` says.
"""

from __future__ import annotations

import re

from pydantic import ValidationError
from pydantic_core import from_json

from .errors import (
    FieldError,
    InvalidPhoneNumberError,
    MalformedJson,
    PayloadTooLarge,
    PaymentError,
    RequestValidationFailed,
    UnsupportedOperatorError,
)
from .payment_request import PaymentRequest

MAX_BODY_BYTES = 8 * 1024
JSON_MEDIA_TYPE = "application/json"
_UTF8 = frozenset({"utf-8", "utf8"})
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_PHONE_ERRORS: dict[str, type[PaymentError]] = {
    "invalid_phone_number": InvalidPhoneNumberError,
    "unsupported_operator": UnsupportedOperatorError,
}


def _check_json_content_type(value: str | None) -> None:
    """Refuse a body not declared ``application/json`` (parameters allowed; a charset must be UTF-8)."""
    media_type, *parameters = (value or "").split(";")
    charsets = [
        item.partition("=")[2].strip().strip('"').lower()
        for item in parameters
        if item.partition("=")[0].strip().lower() == "charset"
    ]
    if media_type.strip().lower() != JSON_MEDIA_TYPE or any(charset not in _UTF8 for charset in charsets):
        raise RequestValidationFailed(
            "The body must be sent as application/json",
            errors=[FieldError(field="Content-Type", message="must be application/json")],
        )


def read_payment_request(body: bytes, content_type: str | None, *, min_amount: int, max_amount: int) -> PaymentRequest:
    """The body of ``POST /payments`` as a ``PaymentRequest``, or the ``PaymentError`` that refuses it."""
    _check_json_content_type(content_type)
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The body must not exceed {MAX_BODY_BYTES} bytes")
    try:
        # Parsed first, validated as Python: pydantic's JSON mode silently drops a key that
        # spells a field's Python name (``product_id``) instead of refusing it as unknown.
        document = from_json(body, allow_inf_nan=False)
    except ValueError:
        raise MalformedJson("The body must be a JSON object") from None
    try:
        return PaymentRequest.model_validate(document, context={"min_amount": min_amount, "max_amount": max_amount})
    except ValidationError as error:
        raise _refusal(error) from None


def _refusal(error: ValidationError) -> PaymentError:
    problems = error.errors(include_url=False, include_input=False)
    if any(not problem["loc"] for problem in problems):  # the document itself: not JSON, or not an object
        return MalformedJson("The body must be a JSON object")
    fields = [
        FieldError(field=".".join(str(part) for part in problem["loc"]), message=problem["msg"]) for problem in problems
    ]
    kinds = {problem["type"] for problem in problems}
    if len(kinds) == 1 and (kind := kinds.pop()) in _PHONE_ERRORS:
        return _PHONE_ERRORS[kind](fields[0].message, errors=fields)
    return RequestValidationFailed("The request has invalid fields", errors=fields)


def read_idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not _IDEMPOTENCY_KEY.match(value):
        raise RequestValidationFailed(
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
            errors=[FieldError(field="Idempotency-Key", message="must be 1 to 255 visible ASCII characters")],
        )
    return value
