"""Reading ``POST /payments``: size, JSON, fields, amounts, metadata, idempotency key."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taramoney_payments.errors import (
    InvalidPhoneNumberError,
    MalformedJson,
    PayloadTooLarge,
    PaymentError,
    RequestValidationFailed,
    UnsupportedOperatorError,
)
from taramoney_payments.requests_parsing import MAX_BODY_BYTES, read_idempotency_key, read_payment_request

FAST = settings(max_examples=75, deadline=None)
MIN, MAX = 100, 1_000_000


def valid_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "productId": "product-456",
        "productName": "Nom du produit",
        "productPrice": 100,
        "phoneNumber": "655123456",
    }
    body.update(changes)
    return body


def read(body: dict[str, Any] | bytes | str, *, low: int = MIN, high: int = MAX) -> Any:
    raw = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
    return read_payment_request(raw, "application/json", min_amount=low, max_amount=high)


def refusal(body: dict[str, Any] | bytes | str, **limits: int) -> PaymentError:
    with pytest.raises(PaymentError) as caught:
        read(body, **limits)
    return caught.value


def fields_of(error: PaymentError) -> set[str]:
    return {item.field for item in error.errors}


# --- amounts ---------------------------------------------------------------------------------


@FAST
@given(price=st.integers(MIN, MAX))
def test_every_whole_amount_in_range_is_accepted(price: int) -> None:
    assert read(valid_body(productPrice=price)).product_price == price


@FAST
@given(
    bounds=st.tuples(st.integers(1, 10_000), st.integers(0, 10_000)).map(lambda t: (t[0], t[0] + t[1])),
    data=st.data(),
)
def test_the_configured_range_is_what_counts(bounds: tuple[int, int], data: st.DataObject) -> None:
    low, high = bounds
    price = data.draw(st.integers(low, high))
    assert read(valid_body(productPrice=price), low=low, high=high).product_price == price


@FAST
@given(price=st.integers(max_value=MIN - 1) | st.integers(min_value=MAX + 1, max_value=10**15))
def test_whole_amounts_outside_the_range_are_a_validation_error(price: int) -> None:
    error = refusal(valid_body(productPrice=price))
    assert isinstance(error, RequestValidationFailed)
    assert error.code == "VALIDATION_ERROR"
    assert fields_of(error) == {"productPrice"}


@FAST
@given(
    price=st.floats(min_value=MIN, max_value=MAX).filter(lambda x: not x.is_integer())
    | st.integers(MIN, MAX).map(str)
    | st.booleans()
    | st.none()
    | st.lists(st.integers(MIN, MAX), max_size=1)
)
def test_amounts_that_are_not_json_integers_are_a_validation_error(price: Any) -> None:
    # given 100.5, "100", true and other non-integers
    error = refusal(valid_body(productPrice=price))
    # then the price is refused, never coerced
    assert error.code == "VALIDATION_ERROR"
    assert fields_of(error) == {"productPrice"}


@pytest.mark.parametrize("price", [100.5, "100", True, False, 1e3])
def test_the_documented_non_integers_are_refused(price: Any) -> None:
    assert refusal(valid_body(productPrice=price)).code == "VALIDATION_ERROR"


# --- size and JSON -----------------------------------------------------------------------------


def padded_to(size: int) -> bytes:
    """A valid body of exactly ``size`` bytes (padding in metadata values)."""
    body = valid_body(metadata={})
    base = len(json.dumps(body).encode())
    metadata: dict[str, str] = {}
    remaining = size - base
    index = 0
    while remaining > 0:
        key = f"k{index:02d}"
        overhead = len(json.dumps({key: ""})) - 2 + (2 if metadata else 0)  # '"kNN": ""' and ', '
        value_len = min(500, remaining - overhead)
        metadata[key] = "x" * value_len
        remaining = size - len(json.dumps(valid_body(metadata=metadata)).encode())
        index += 1
    raw = json.dumps(valid_body(metadata=metadata)).encode()
    assert len(raw) == size
    return raw


def test_a_body_of_exactly_8_kib_is_read() -> None:
    assert read(padded_to(MAX_BODY_BYTES)).product_id == "product-456"


def test_a_body_one_byte_over_8_kib_is_too_large() -> None:
    error = refusal(padded_to(MAX_BODY_BYTES + 1))
    assert isinstance(error, PayloadTooLarge)
    assert error.status == 413
    assert error.code == "PAYLOAD_TOO_LARGE"


def test_size_is_counted_in_bytes_not_characters() -> None:
    # given 3000 three-byte characters: under 8 KiB of characters, over 8 KiB of UTF-8
    body = valid_body(metadata={key: "€" * 500 for key in "abcdef"})
    raw = json.dumps(body, ensure_ascii=False).encode()
    assert len(raw) > MAX_BODY_BYTES > len(json.dumps(body, ensure_ascii=False))
    assert refusal(raw).code == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   ",
        b"not json",
        b"{",
        b'{"productId": }',
        b"[]",
        b"[1, 2]",
        b"null",
        b"42",
        b'"text"',
        b"true",
        b"\xff\xfe",
        b'{"productPrice": NaN}',
    ],
)
def test_a_body_that_is_not_a_json_object_is_malformed(raw: bytes) -> None:
    error = refusal(raw)
    assert isinstance(error, MalformedJson)
    assert (error.status, error.code) == (400, "MALFORMED_JSON")


# --- fields ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [{"currency": "XAF"}, {"apiKey": "x"}, {"product_id": "p"}, {"status": "SUCCESS"}])
def test_unknown_fields_are_refused_and_named(extra: dict[str, Any]) -> None:
    error = refusal({**valid_body(), **extra})
    assert error.code == "VALIDATION_ERROR"
    assert fields_of(error) == set(extra)


def test_snake_case_spellings_do_not_stand_in_for_the_documented_names() -> None:
    # given the documented fields spelled in snake_case
    body = {"product_id": "p", "product_name": "n", "product_price": 100, "phone_number": "655123456"}
    # then each is unknown and each documented field is missing
    error = refusal(body)
    assert error.code == "VALIDATION_ERROR"
    assert fields_of(error) == {*body, "productId", "productName", "productPrice", "phoneNumber"}


def test_every_broken_field_is_listed() -> None:
    # given a body where every field breaks a rule
    body = {
        "productId": "",
        "productName": "n" * 257,
        "productPrice": "100",
        "phoneNumber": "655123456",
        "metadata": {"k": 1},
        "colour": "red",
    }
    # then the refusal lists each of them, once, with a message
    error = refusal(body)
    assert error.code == "VALIDATION_ERROR"
    assert error.status == 422
    assert fields_of(error) == {"productId", "productName", "productPrice", "metadata.k", "colour"}
    assert all(item.message for item in error.errors)


def test_missing_required_fields_are_each_listed() -> None:
    error = refusal({})
    assert fields_of(error) == {"productId", "productName", "productPrice", "phoneNumber"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("productId", ""),
        ("productId", "   "),
        ("productId", "p" * 129),
        ("productId", 456),
        ("productName", ""),
        ("productName", "n" * 257),
        ("productName", None),
        ("phoneNumber", 655123456),
        ("phoneNumber", None),
    ],
)
def test_string_rules(field: str, value: Any) -> None:
    error = refusal(valid_body(**{field: value}))
    assert error.code == "VALIDATION_ERROR"
    assert fields_of(error) == {field}


def test_the_longest_names_are_accepted() -> None:
    request = read(valid_body(productId="p" * 128, productName="n" * 256))
    assert (len(request.product_id), len(request.product_name)) == (128, 256)


def test_the_phone_number_is_kept_in_its_national_form() -> None:
    assert read(valid_body(phoneNumber="+237 6.55-12 34 56")).phone_number == "655123456"


@pytest.mark.parametrize(
    ("phone", "kind", "code"),
    [
        ("222123456", InvalidPhoneNumberError, "INVALID_PHONE_NUMBER"),
        ("+33612345678", InvalidPhoneNumberError, "INVALID_PHONE_NUMBER"),
        ("call me", InvalidPhoneNumberError, "INVALID_PHONE_NUMBER"),
        ("6" * 33, InvalidPhoneNumberError, "INVALID_PHONE_NUMBER"),
        ("+237 6 55 12 34 56" + " " * 1000, InvalidPhoneNumberError, "INVALID_PHONE_NUMBER"),
        ("661234567", UnsupportedOperatorError, "UNSUPPORTED_OPERATOR"),
        ("621234567", UnsupportedOperatorError, "UNSUPPORTED_OPERATOR"),
    ],
)
def test_a_bad_phone_alone_gets_its_own_code(phone: str, kind: type[PaymentError], code: str) -> None:
    error = refusal(valid_body(phoneNumber=phone))
    assert isinstance(error, kind)
    assert (error.status, error.code) == (422, code)
    assert fields_of(error) == {"phoneNumber"}
    assert phone not in error.detail


def test_a_bad_phone_with_another_broken_field_is_a_validation_error_listing_both() -> None:
    error = refusal(valid_body(phoneNumber="222123456", productPrice=1))
    assert error.code == "VALIDATION_ERROR"
    assert fields_of(error) == {"phoneNumber", "productPrice"}


# --- metadata ----------------------------------------------------------------------------------------


def test_metadata_is_optional_and_kept() -> None:
    assert read(valid_body()).metadata == {}
    assert read(valid_body(metadata={"orderId": "A-1001"})).metadata == {"orderId": "A-1001"}


def test_metadata_at_its_limits_is_accepted() -> None:
    metadata = {f"{i:02d}".ljust(40, "k"): "v" * 500 for i in range(20)}
    body = json.dumps(valid_body(metadata=metadata)).encode()
    if len(body) > MAX_BODY_BYTES:  # 20 x 500 chars exceed 8 KiB: check keys and values separately
        assert read(valid_body(metadata={f"k{i}": "v" for i in range(20)})).metadata
        assert read(valid_body(metadata={"k" * 40: "v" * 500})).metadata


@pytest.mark.parametrize(
    ("metadata", "field"),
    [
        ({f"k{i}": "v" for i in range(21)}, "metadata"),
        ({"k" * 41: "v"}, "metadata"),
        ({"k": "v" * 501}, "metadata.k"),
        ({"k": 1}, "metadata.k"),
        ({"k": None}, "metadata.k"),
        ({"k": {"nested": "x"}}, "metadata.k"),
        ({"": "v"}, "metadata"),
        (["not", "an", "object"], "metadata"),
        ("text", "metadata"),
    ],
)
def test_metadata_beyond_its_limits_is_a_validation_error(metadata: Any, field: str) -> None:
    error = refusal(valid_body(metadata=metadata))
    assert error.code == "VALIDATION_ERROR"
    assert all(item.field.startswith(field) for item in error.errors)
    assert error.errors


# --- Idempotency-Key --------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["a", "order-2026-11-28-0001", "~" * 255, "!#$%&'()*+,-./:;<=>?@[]^_`{|}"])
def test_visible_ascii_keys_up_to_255_are_accepted(key: str) -> None:
    assert read_idempotency_key(key) == key


def test_no_key_is_no_key() -> None:
    assert read_idempotency_key(None) is None


@pytest.mark.parametrize("key", ["", " ", "with space", "k" * 256, "clé", "tab\there", "new\nline"])
def test_other_keys_are_a_validation_error_on_the_header(key: str) -> None:
    with pytest.raises(RequestValidationFailed) as caught:
        read_idempotency_key(key)
    assert fields_of(caught.value) == {"Idempotency-Key"}
