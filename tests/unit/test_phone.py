"""Phone numbers: every spelling of SPEC section 3, the operator check, and the log mask."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taramoney_payments.masking import mask_phone
from taramoney_payments.phone import (
    InvalidPhoneNumber,
    UnsupportedOperator,
    Vendor,
    national_digits,
    normalise_phone,
    parse_mobile_number,
)

FAST = settings(max_examples=75, deadline=None)

# Prefixes of FIELD-NOTES.md (libphonenumber data): MTN and Orange are served by Taramoney.
MTN_PREFIXES = [*(f"65{d}" for d in "01234"), *(f"67{d}" for d in "0123456789"), *(f"68{d}" for d in "0123")]
ORANGE_PREFIXES = [
    *(f"64{d}" for d in "012"),
    *(f"65{d}" for d in "56789"),
    *(f"68{d}" for d in "6789"),
    *(f"69{d}" for d in "0123456789"),
]


@pytest.mark.parametrize(
    "spelling",
    [
        "655123456",
        "+237655123456",
        "237655123456",
        "00237655123456",
        "655 12 34 56",
        "+237 6 55 12 34 56",
        "237.655.123.456",
        "00237-655-12-34-56",
        "6-55-12-34-56",
        "6.55.12.34.56",
        "  655123456  ",
    ],
)
def test_every_documented_spelling_gives_the_national_number(spelling: str) -> None:
    # given a customer's spelling of an Orange number
    # when it is parsed
    number = parse_mobile_number(spelling)
    # then it is the 9-digit national form, Orange by its prefix
    assert number.national == "655123456"
    assert number.likely_vendor is Vendor.ORANGE_CAMEROON


@pytest.mark.parametrize(
    ("number", "vendor"),
    [
        ("650123456", Vendor.MTN_CAMEROON),
        ("675123456", Vendor.MTN_CAMEROON),
        ("683123456", Vendor.MTN_CAMEROON),
        ("640123456", Vendor.ORANGE_CAMEROON),
        ("659123456", Vendor.ORANGE_CAMEROON),
        ("686123456", Vendor.ORANGE_CAMEROON),
        ("699123456", Vendor.ORANGE_CAMEROON),
    ],
)
def test_orange_and_mtn_numbers_are_accepted_with_their_likely_vendor(number: str, vendor: Vendor) -> None:
    assert parse_mobile_number(number).likely_vendor is vendor


@pytest.mark.parametrize(
    "number",
    ["661234567", "669876543", "684123456", "685123456", "+237 66 12 34 567", "621234567", "242123456", "243123456"],
)
def test_nexttel_and_camtel_numbers_are_an_unsupported_operator(number: str) -> None:
    # given a valid Cameroon mobile number of Nexttel or Camtel
    # when it is parsed for a payment
    # then it is refused as an unsupported operator, not as an invalid number
    with pytest.raises(UnsupportedOperator):
        parse_mobile_number(number)


def test_an_unsupported_operator_is_still_a_valid_number_to_normalise() -> None:
    assert normalise_phone("+237 661 23 45 67") == "661234567"


@pytest.mark.parametrize(
    "text",
    [
        "222123456",  # Camtel landline (Yaounde)
        "+237 233 12 34 56",  # landline (Douala)
        "+33612345678",  # French mobile
        "+2348031234567",  # Nigerian mobile
        "0033612345678",
        "65512345",  # too short
        "6551234567",  # too long
        "+2376551234567",
        "0655123456",
        "hello",
        "655-ABC-456",
        "",
        "   ",
        "+",
        "+-655123456",
        "655123456 ext. 2",
        "６５５１２３４５６",  # full-width digits  # noqa: RUF001
    ],
)
def test_landlines_foreign_numbers_and_garbage_are_invalid(text: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        parse_mobile_number(text)


national_numbers = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(MTN_PREFIXES + ORANGE_PREFIXES),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
)


@st.composite
def spellings(draw: st.DrawFn, national: str) -> str:
    """One accepted spelling of ``national``: a country prefix form, separators between digits."""
    country = draw(st.sampled_from(["", "237", "+237", "00237"]))
    digits = (country.lstrip("+") + national) if country else national
    out = "+" if country.startswith("+") else ""
    for index, digit in enumerate(digits):
        if index and draw(st.integers(0, 3)) == 0:
            out += draw(st.sampled_from([" ", ".", "-"]))
        out += digit
    return out


@FAST
@given(data=st.data(), national=national_numbers)
def test_any_accepted_spelling_of_an_orange_or_mtn_number_normalises_to_its_nine_digits(
    data: st.DataObject, national: str
) -> None:
    # given any accepted spelling of a valid Orange or MTN number
    spelling = data.draw(spellings(national))
    # when it is parsed
    number = parse_mobile_number(spelling)
    # then it is the same 9 digits, with a vendor Taramoney serves
    assert number.national == national
    assert number.likely_vendor in {Vendor.ORANGE_CAMEROON, Vendor.MTN_CAMEROON}


@FAST
@given(data=st.data(), national=national_numbers)
def test_normalisation_is_idempotent(data: st.DataObject, national: str) -> None:
    once = normalise_phone(data.draw(spellings(national)))
    assert normalise_phone(once) == once


@FAST
@given(text=st.text(alphabet="0123456789+ .-", max_size=20) | st.text(max_size=20))
def test_normalisation_either_gives_nine_digits_or_refuses(text: str) -> None:
    try:
        national = normalise_phone(text)
    except InvalidPhoneNumber:
        return
    assert re.fullmatch(r"[26]\d{8}", national)


@FAST
@given(text=st.text(alphabet="0123456789+ .-", max_size=30) | st.text(max_size=30))
def test_mask_never_reveals_more_than_six_digits(text: str) -> None:
    assert sum(character.isdigit() for character in mask_phone(text)) <= 6


@FAST
@given(national=national_numbers)
def test_mask_of_a_number_never_contains_it(national: str) -> None:
    masked = mask_phone(national)
    assert national not in masked
    assert masked.startswith(national[:3])
    assert masked.endswith(national[-3:])


@FAST
@given(data=st.data(), national=national_numbers)
def test_national_digits_of_any_spelling_are_the_number(data: st.DataObject, national: str) -> None:
    assert national_digits(data.draw(spellings(national))) == national


@FAST
@given(
    prefix=st.sampled_from(["", "237", "+237", "00237", "+00237", "+33", "0033", "+", "0", "2376"]),
    # half of them real Orange or MTN numbers, so the comparison below is reached, not skipped
    digits=national_numbers | st.text(alphabet="0123456789", min_size=7, max_size=11),
    separator=st.sampled_from(["", " ", ".", "-"]),
)
def test_national_digits_agree_with_the_full_parser_wherever_it_accepts(
    prefix: str, digits: str, separator: str
) -> None:
    # the webhook reads phoneNumber without phonenumbers: it must never read a valid number differently
    text = f"{prefix}{separator}{digits[:3]}{separator}{digits[3:]}"
    try:
        expected = normalise_phone(text)
    except InvalidPhoneNumber:
        return
    assert national_digits(text) == expected


@pytest.mark.parametrize("text", ["+33612345678", "0033612345678", "+655123456", "65512345", "6551234567", "call me"])
def test_national_digits_refuse_what_is_not_spelled_as_a_cameroon_number(text: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        national_digits(text)


def test_the_cameroon_numbering_module_is_what_phonenumbers_gives() -> None:
    # after a phonenumbers upgrade: `make numbering` regenerates taramoney_payments/cameroon_numbering.py
    from taramoney_payments import cameroon_numbering
    from tools.cameroon_numbering import render

    assert Path(cameroon_numbering.__file__).read_text() == render()


def phonenumbers_reading(text: str) -> str | None:
    """The national number phonenumbers reads in ``text`` typed in Cameroon, if a valid mobile number; else None."""
    import phonenumbers

    try:
        number = phonenumbers.parse(text, "CM")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 237 or not phonenumbers.is_valid_number_for_region(number, "CM"):
        return None
    mobile = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
    return phonenumbers.national_significant_number(number) if phonenumbers.number_type(number) in mobile else None


def our_reading(text: str) -> str | None:
    try:
        return normalise_phone(text)
    except InvalidPhoneNumber:
        return None


COUNTRY_PREFIXES_AND_SLIPS = [
    *("", "+", "00", "0", "2", "23", "237", "+237", "00237", "+00237", "+0", "+00", "+2370", "+23", "+33", "0033"),
]


@st.composite
def typed_numbers(draw: st.DrawFn) -> str:
    """What a customer may type (SPEC section 3's characters): right, mistyped or foreign, with separators."""
    prefix = draw(st.sampled_from(COUNTRY_PREFIXES_AND_SLIPS))
    body = draw(
        st.from_regex(r"\A[26][0-9]{8}\Z")
        | st.from_regex(r"\A(?:6[0-9]|24|88|23)[0-9]{4,9}\Z")
        | st.text(alphabet="0123456789", min_size=1, max_size=14)
    )
    typed = ""
    for index, character in enumerate(prefix + body):
        if index and typed[-1] != "+" and draw(st.integers(0, 4)) == 0:  # "+ 237" is refused before any reading
            typed += draw(st.sampled_from([" ", ".", "-"]))
        typed += character
    return typed


@settings(max_examples=400, deadline=None)
@given(text=typed_numbers())
def test_a_typed_number_is_read_as_phonenumbers_reads_it(text: str) -> None:
    # given anything a customer may type with the characters SPEC allows
    # then it is refused, or read as the same national number, exactly as phonenumbers does
    assert our_reading(text) == phonenumbers_reading(text)


@pytest.mark.parametrize("length", [8, 9, 10])
def test_every_prefix_is_read_as_phonenumbers_reads_it(length: int) -> None:
    # every 3-digit start of a national number, alone and after +237, with seeded endings
    rng = random.Random(20261129 + length)
    endings = length - 3
    typed = [f"{prefix:03d}{rng.randrange(10**endings):0{endings}d}" for prefix in range(1000) for _ in range(2)]
    typed += [f"+237{number}" for number in typed]

    disagreements = [text for text in typed if our_reading(text) != phonenumbers_reading(text)]

    assert disagreements == []


@FAST
@given(national=st.from_regex(r"\A6[0-9]{8}\Z"))
def test_every_valid_number_gets_the_operator_phonenumbers_names(national: str) -> None:
    import phonenumbers
    from phonenumbers import carrier

    from taramoney_payments.phone import operator_of

    number = phonenumbers.parse(national, "CM")
    if phonenumbers.is_valid_number_for_region(number, "CM"):
        assert operator_of(national) == carrier.name_for_valid_number(number, "en")
