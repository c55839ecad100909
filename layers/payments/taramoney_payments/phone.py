"""Cameroon mobile numbers: the one normaliser, the operator check and the log mask.

The numbering plan and the operator table are ``phonenumbers``' (kept current by its
maintainers), not a hand-written prefix list: ``cameroon_numbering`` is their +237 part,
generated from phonenumbers and checked against it by tests, so that no function loads
phonenumbers itself (its metadata machinery and every country's carrier names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from . import cameroon_numbering
from .cameroon_numbering import OPERATORS_BY_PREFIX

__all__ = [
    "MAX_PHONE_NUMBER_CHARS",
    "InvalidPhoneNumber",
    "MobileNumber",
    "UnsupportedOperator",
    "Vendor",
    "national_digits",
    "normalise_phone",
    "operator_of",
    "parse_mobile_number",
]

# What a customer may type: digits with an optional leading + and spaces, dots or dashes.
_ACCEPTED_CHARACTERS = re.compile(r"^\+?[0-9][0-9 .\-]*$")
_SEPARATORS = re.compile(r"[ .\-]")
# The national form of a Cameroon number: 6XXXXXXXX (mobile) or 2XXXXXXXX (fixed).
_NINE_DIGITS = re.compile(r"[26][0-9]{8}")
# The longest phone number a client or Taramoney may send; a longer text is refused before any reading.
MAX_PHONE_NUMBER_CHARS = 32


class Vendor(StrEnum):
    """The mobile-money operators Taramoney collects for, in its own spelling."""

    ORANGE_CAMEROON = "ORANGE_CAMEROON"
    MTN_CAMEROON = "MTN_CAMEROON"


_VENDOR_BY_CARRIER = {"orange": Vendor.ORANGE_CAMEROON, "mtn cameroon": Vendor.MTN_CAMEROON, "mtn": Vendor.MTN_CAMEROON}


@dataclass(frozen=True, slots=True)
class _NumberDescription:
    """One of phonenumbers' number descriptions: a national number pattern and its possible lengths."""

    pattern: re.Pattern[str]
    lengths: tuple[int, ...]

    @classmethod
    def of(cls, description: tuple[str, tuple[int, ...]]) -> _NumberDescription:
        pattern, lengths = description
        return cls(re.compile(pattern), lengths)

    def fits(self, national: str) -> bool:
        return (not self.lengths or len(national) in self.lengths) and self.pattern.fullmatch(national) is not None


_NATIONAL = _NumberDescription.of(cameroon_numbering.NATIONAL)
_NOT_MOBILE = tuple(map(_NumberDescription.of, cameroon_numbering.NOT_MOBILE))
_MOBILE = _NumberDescription.of(cameroon_numbering.MOBILE)
_COUNTRY_CODE = "237"


class InvalidPhoneNumber(ValueError):
    """Not a valid Cameroon mobile number: malformed, foreign, or a landline."""


class UnsupportedOperator(ValueError):
    """A valid Cameroon mobile number of an operator Taramoney does not serve."""

    def __init__(self, operator: str) -> None:
        super().__init__(f"{operator or 'this operator'} is not supported: use an Orange or MTN number")
        self.operator = operator


@dataclass(frozen=True, slots=True)
class MobileNumber:
    """A Cameroon mobile number in its 9-digit national form, with the operator its prefix suggests.

    Numbers are portable in Cameroon, so ``likely_vendor`` is a hint: the vendor that
    counts is the one Taramoney answers with.
    """

    national: str
    likely_vendor: Vendor | None


def national_digits(raw: str) -> str:
    """The 9 national digits of a number spelled as a Cameroon number, without checking the numbering plan.

    For comparing a number someone reports with a number ``parse_mobile_number`` already
    validated (the webhook's ``phoneNumber`` against its payment's): the same digits are
    the same number, so the check of the allocated ranges is left to that comparison.
    Agrees with ``normalise_phone`` on every number it accepts. Raises ``InvalidPhoneNumber``.
    """
    text = raw.strip()
    national = _national_part(_SEPARATORS.sub("", text)) if _ACCEPTED_CHARACTERS.match(text) else None
    if national is None or not _NINE_DIGITS.fullmatch(national):
        raise InvalidPhoneNumber("not a Cameroon phone number")
    return national


_LONGEST_PREFIX = max(map(len, OPERATORS_BY_PREFIX))


def operator_of(national: str) -> str:
    """The operator phonenumbers names for a valid Cameroon number (``""`` if none), by its longest prefix."""
    digits = "237" + national
    for length in range(min(len(digits), _LONGEST_PREFIX), 0, -1):
        operator = OPERATORS_BY_PREFIX.get(digits[:length])
        if operator is not None:
            return operator
    return ""


def parse_mobile_number(raw: str, *, require_supported_operator: bool = True) -> MobileNumber:
    """Parse ``6XXXXXXXX``, ``+2376XXXXXXXX``, ``2376XXXXXXXX`` or ``002376XXXXXXXX``.

    Spaces, dots and dashes are allowed anywhere. Raises ``InvalidPhoneNumber`` or
    ``UnsupportedOperator``.
    """
    national = normalise_phone(raw)
    operator = operator_of(national)
    vendor = _VENDOR_BY_CARRIER.get(operator.strip().lower())
    if vendor is None and require_supported_operator:
        raise UnsupportedOperator(operator)
    return MobileNumber(national=national, likely_vendor=vendor)


def normalise_phone(raw: str) -> str:
    """The 9 national digits of any accepted spelling of a Cameroon mobile number; else ``InvalidPhoneNumber``."""
    text = raw.strip()
    if not _ACCEPTED_CHARACTERS.match(text):
        raise InvalidPhoneNumber("use digits only, optionally with +, spaces, dots or dashes")
    national = _national_part(_SEPARATORS.sub("", text))
    if national is None or not _NATIONAL.fits(national):
        raise InvalidPhoneNumber("not a valid Cameroon phone number")
    if any(other.fits(national) for other in _NOT_MOBILE) or not _MOBILE.fits(national):
        raise InvalidPhoneNumber("not a mobile number")
    return national


def _national_part(digits: str) -> str | None:
    """The national number in ``digits`` (an optional ``+``, then digits) as phonenumbers reads one dialled in Cameroon.

    ``+`` or ``00`` must be followed by 237 (``+00`` counts as ``00``: no country code starts
    with 0); without either, a leading 237 is the country code when the number is too long
    without it being one, or only fits the plan without it. ``None`` for another country's number.
    """
    if digits.startswith("+0"):
        digits = digits.removeprefix("+")
    for international in ("+", "00"):
        if digits.startswith(international):
            rest = digits.removeprefix(international)
            return rest.removeprefix(_COUNTRY_CODE) if rest.startswith(_COUNTRY_CODE) else None
    if digits.startswith(_COUNTRY_CODE):
        national = digits.removeprefix(_COUNTRY_CODE)
        if len(digits) > max(_NATIONAL.lengths) or (not _NATIONAL.fits(digits) and _NATIONAL.fits(national)):
            return national
    return digits
