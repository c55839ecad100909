"""Hostile input at POST /payments: every answer a documented status with a problem body, never a 5xx.

The payments API handler runs in-process against moto (resources from template.yaml)
and a fake Taramoney over HTTP that accepts every order. Hand-picked attacks first
(wrong content types, oversize and deep bodies, invalid UTF-8, huge numbers, unicode,
header injection in ``Idempotency-Key``), then hypothesis mixing them at random.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

from local_stack.resources import Stack
from tests.answer_shape import assert_answer_shape
from tests.integration.payments_api_harness import (
    Answer,
    Api,
    Store,
    payment_body,
    taramoney_accepting_every_order,
)

# SPEC section 3: what POST /payments may answer.
DOCUMENTED_STATUSES = {201, 400, 409, 413, 422, 429, 502, 504}


@pytest.fixture
def taramoney(
    aws: Stack, function_env: dict[str, str], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> HTTPServer:
    return taramoney_accepting_every_order(httpserver, monkeypatch)


@pytest.fixture
def api(taramoney: HTTPServer) -> Api:
    return Api()


@pytest.fixture
def store(function_env: dict[str, str]) -> Store:
    return Store(function_env["PAYMENTS_TABLE_NAME"], function_env["IDEMPOTENCY_TABLE_NAME"])


def assert_documented(answer: Answer) -> None:
    """A status of SPEC section 3; anything but 201 a problem-details body that says the same status."""
    assert answer.status in DOCUMENTED_STATUSES, answer.text
    assert answer.status < 500, answer.text  # Taramoney accepts: no 5xx is ever right here
    assert_shaped(answer)


def assert_shaped(answer: Answer) -> None:
    assert_answer_shape(answer.status, lambda name: answer.headers.get(name.lower()), lambda: answer.json)


def refused(answer: Answer, status: int, code: str) -> dict[str, Any]:
    assert_documented(answer)
    assert (answer.status, answer.json["code"]) == (status, code), answer.text
    problem: dict[str, Any] = answer.json
    return problem


# --- content types -------------------------------------------------------------------------------------


NOT_JSON_CONTENT_TYPES = [
    None,
    "text/plain",  # what fetch() sends a string as: no CORS preflight, so any site could post it
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonp",
    "application/json; charset=latin-1",
    "",
]


def test_a_body_not_declared_json_is_a_validation_error_naming_the_content_type(
    api: Api, taramoney: HTTPServer, store: Store
) -> None:
    for content_type in NOT_JSON_CONTENT_TYPES:
        # when a valid payment is posted with another content type
        answer = api.post(payment_body(), content_type=content_type)
        # then it is refused, nothing is stored and Taramoney is not called
        problem = refused(answer, 422, "VALIDATION_ERROR")
        assert problem["errors"] == [{"field": "Content-Type", "message": "must be application/json"}], content_type
    assert store.all_items() == []
    assert taramoney.log == []


def test_json_in_any_spelling_of_its_media_type_is_accepted(api: Api) -> None:
    for content_type in ["application/json", "Application/JSON", "application/json; charset=UTF-8"]:
        assert api.post(payment_body(), content_type=content_type).status == 201, content_type


# --- size, depth, encoding, numbers -------------------------------------------------------------------------


UNREADABLE_BODIES = [
    pytest.param(b"{" + b" " * (8 * 1024) + b"}", 413, "PAYLOAD_TOO_LARGE", id="just-over-8-KiB"),
    pytest.param(json.dumps(payment_body(productName="x" * 2_000_000)), 413, "PAYLOAD_TOO_LARGE", id="2-MB"),
    pytest.param("[" * 4000 + "]" * 4000, 400, "MALFORMED_JSON", id="deep-array"),
    pytest.param('{"a":' * 1300 + "1" + "}" * 1300, 400, "MALFORMED_JSON", id="deep-object"),
    pytest.param(b'{"productName": "\xff\xfe\xc3\x28"}', 400, "MALFORMED_JSON", id="invalid-utf8"),
    pytest.param(b"\xef\xbb\xbf" + json.dumps(payment_body()).encode(), 400, "MALFORMED_JSON", id="utf8-bom"),
    pytest.param(json.dumps(payment_body()).encode("utf-16"), 400, "MALFORMED_JSON", id="utf16"),
    pytest.param('{"productPrice": NaN}', 400, "MALFORMED_JSON", id="nan"),
    pytest.param("", 400, "MALFORMED_JSON", id="empty"),
    pytest.param("null", 400, "MALFORMED_JSON", id="null"),
]


def test_a_body_that_cannot_be_read_is_refused_before_anything_is_stored(
    api: Api, taramoney: HTTPServer, store: Store
) -> None:
    for case in UNREADABLE_BODIES:
        raw, status, code = case.values
        refused(api.post(raw=raw), status, code)
    assert store.all_items() == []
    assert taramoney.log == []


FIELDS_OUT_OF_RULES = [
    pytest.param({"productPrice": 10**4000}, id="4000-digit-price"),
    pytest.param({"productPrice": -(10**30)}, id="huge-negative-price"),
    pytest.param({"productPrice": 2**63}, id="int64-overflow"),
    pytest.param({"productPrice": 1e308}, id="huge-float"),
    pytest.param({"productPrice": "1e400"}, id="float-overflow-as-text"),
    pytest.param({"productPrice": 100.0}, id="integral-float"),
    pytest.param({"metadata": {"a": {"b": {"c": "d"}}}}, id="nested-metadata"),
    pytest.param({"metadata": {f"k{i}": "v" for i in range(21)}}, id="21-metadata-keys"),
    pytest.param({"productName": ""}, id="empty-name"),
    pytest.param({"phoneNumber": "６５５１２３４５６"}, id="fullwidth-digits"),  # noqa: RUF001
    pytest.param({"phoneNumber": "655123456\u0000"}, id="nul-in-phone"),
    pytest.param({"product_id": "p", "productId": None}, id="python-field-name"),
]


def test_a_field_out_of_its_rules_is_a_422(api: Api, taramoney: HTTPServer) -> None:
    for case in FIELDS_OUT_OF_RULES:
        (changes,) = case.values
        answer = api.post(raw=json.dumps(payment_body(**changes)))
        assert_documented(answer)
        assert answer.status == 422, (case.id, answer.text)
        assert answer.json["code"] in {"VALIDATION_ERROR", "INVALID_PHONE_NUMBER"}, case.id
    assert taramoney.log == []


UNUSUAL_NAMES = [
    "Café crème ☕ – 2 × 500 FCFA",  # noqa: RUF001
    "🇨🇲 Lion indomptable 🦁",
    "منتج عربي",  # right to left
    "Z̷͈̿a̵̰͝l̶̡̛g̸̣̈́o̴̙͝",  # combining marks
    "<script>alert(1)</script>",
    "'; DROP TABLE payments; --",
    "a\u200bb\u2028c\u2029d",  # zero width space, line and paragraph separators
]


def test_unicode_and_markup_in_names_are_kept_exactly(api: Api) -> None:
    for index, name in enumerate(UNUSUAL_NAMES):
        # when (a phone number each: MaxPendingPerPhone is not what this tests)
        body = payment_body(productName=name, productId=name[:128], metadata={name[:40]: name})
        answer = api.post({**body, "phoneNumber": f"67000{index:04d}"})
        # then the payment is started and keeps every character, as text
        assert_documented(answer)
        assert answer.status == 201, answer.text
        view = answer.json
        assert (view["productName"], view["productId"], view["metadata"]) == (name, name[:128], {name[:40]: name})
        assert api.get(view["paymentId"]).json["productName"] == name


def test_lone_surrogates_and_control_characters_never_break_the_api(api: Api) -> None:
    # JSON may escape a lone surrogate ("\ud800"), which no UTF-8 string (nor DynamoDB) can hold
    for index, text in enumerate(["\ud800", "a\udfffb", "\u0000", "\x7f\x1b[31m"]):
        body = payment_body(productName=f"name {text}", metadata={"note": text}, phoneNumber=f"67100{index:04d}")
        answer = api.post(raw=json.dumps(body))
        assert_documented(answer)
        assert answer.status in {201, 400, 422}, answer.text


# --- the Idempotency-Key header -------------------------------------------------------------------------------


HOSTILE_KEYS = [
    "order-1\r\nX-Injected: yes",
    "order-1\nSet-Cookie: session=stolen",
    "order 1",
    "",
    "ключ-1",
    "order-1\u0000",
    "k" * 256,
    "\t",
]


def test_an_idempotency_key_outside_visible_ascii_is_refused_and_injects_nothing(
    api: Api, taramoney: HTTPServer, store: Store
) -> None:
    for key in HOSTILE_KEYS:
        answer = api.post(payment_body(), key=key)
        problem = refused(answer, 422, "VALIDATION_ERROR")
        assert [error["field"] for error in problem["errors"]] == ["Idempotency-Key"]
        assert key not in answer.text or not key.strip()  # the key is not echoed back
        # nothing of it reaches a header, where a line break would start a header of its own
        for value in answer.headers.values():
            assert "\r" not in value
            assert "\n" not in value
            assert not key.strip() or key not in value
    assert store.all_items() == []
    assert taramoney.log == []


def test_the_longest_visible_ascii_key_is_a_key(api: Api) -> None:
    key = "".join(chr(code) for code in range(0x21, 0x7F)) * 3
    first, second = api.post(payment_body(), key=key[:255]), api.post(payment_body(), key=key[:255])
    assert (first.status, second.status) == (201, 201)
    assert first.json["paymentId"] == second.json["paymentId"]


# --- security headers on every answer ------------------------------------------------------------------------


def test_every_answer_of_the_api_carries_the_security_headers(api: Api) -> None:
    created = api.post(payment_body())
    answers = [created, api.get(created.json["paymentId"]), api.get("no-such-payment"), api.post(raw="{")]
    assert [answer.status for answer in answers] == [201, 200, 404, 400]
    for answer in answers:
        assert_shaped(answer)
        # CORS is API Gateway's to answer (CorsConfiguration): the function says nothing about it
        assert not [name for name in answer.headers if name.startswith("access-control-")]


# --- hypothesis: everything at once ----------------------------------------------------------------------------

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**18),
    st.floats(allow_nan=False),
    st.text(max_size=60),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=8), st.text(max_size=8) | st.integers(), max_size=4),
)
phone_numbers = st.sampled_from(
    ["655123456", "+237 670 00 00 01", "00237690000002", "222123456", "661234567", "+33612345678", "6", ""]
)


@st.composite
def bodies(draw: st.DrawFn) -> str | bytes:
    payload: dict[str, Any] = payment_body(phoneNumber=draw(phone_numbers), productName=draw(st.text(max_size=80)))
    for name in draw(st.sets(st.sampled_from(sorted(payload)), max_size=3)):
        payload[name] = draw(junk)
    for name in draw(st.sets(st.sampled_from(sorted(payload)), max_size=2)):
        payload.pop(name, None)
    payload.update(draw(st.dictionaries(st.text(max_size=12), junk, max_size=2)))
    text = json.dumps(payload)
    return draw(
        st.sampled_from([text, text.encode("utf-8"), text[: len(text) // 2]])
        | st.text(max_size=100)
        | st.binary(max_size=100)
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=bodies(),
    content_type=st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", None]),
    key=st.none() | st.text(max_size=12) | st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E)),
)
def test_no_request_makes_the_api_fail(api: Api, body: str | bytes, content_type: str | None, key: str | None) -> None:
    answer = api.post(raw=body, content_type=content_type, key=key)
    event(f"answered {answer.status}")
    assert_documented(answer)
