"""Hostile input at the webhook: nothing crashes it, every answer is one of SPEC section 4.

Hypothesis throws mutated and random payloads at it; hand-picked attacks (oversize and
deep bodies, invalid UTF-8, huge numbers, unicode, header injection, odd content types
and methods) follow. Every refusal is a problem-details body with the security headers.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.answer_shape import assert_answer_shape
from tests.integration.webhook_support import PAYMENT_ID, add_pending_payment, deliver, webhook_event
from tests.lambda_runtime import LambdaContext, load_event, load_handler_module

SPEC_STATUSES = {200, 400, 401, 403, 404, 405, 409, 413, 500}
# What a hostile or buggy sender may put in a field: the right thing, near misses, and junk.
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)
VALID = json.loads(load_event("webhook/extra_fields.json")["body"])
# Near misses of each field, beside plain junk.
near_misses = {
    "businessId": st.sampled_from(["TEST-BUSINESS-ID", "test-business-id ", "other"]),
    "phoneNumber": st.sampled_from(["+237 696 71 75 97", "00237696717597", "677123456", "69671759", "+33612345678"]),
    "status": st.sampled_from(["success", " FAILURE ", "Failure", "PENDING", "EXPIRED", ""]),
    "creationDate": st.sampled_from(["2026-11-28T11:00:03", "2026-11-28T10:00:03Z", "1795860101", "2026-13-01T00:00Z"]),
    "changeDate": st.datetimes(timezones=st.none() | st.timezones()).map(lambda moment: moment.isoformat()),
}


@st.composite
def payloads(draw: st.DrawFn) -> dict[str, Any]:
    """The valid sample with a few fields changed, dropped, or added."""
    payload = dict(VALID)
    for name in draw(st.sets(st.sampled_from(sorted(VALID)), max_size=3)):
        payload[name] = draw(near_misses.get(name, junk) | junk)
    for name in draw(st.sets(st.sampled_from(sorted(VALID)), max_size=2)):
        payload.pop(name, None)
    payload.update(draw(st.dictionaries(st.text(max_size=12), junk, max_size=3)))
    return payload


bodies = st.one_of(
    payloads().map(json.dumps), payloads().map(json.dumps), st.text(max_size=200), st.binary(max_size=200)
)


@pytest.fixture
def webhook(function_env: dict[str, str]) -> Any:
    add_pending_payment()  # once: later examples meet a settled payment, which is a case too
    return load_handler_module("webhook")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_no_payload_crashes_the_webhook(webhook: Any, body: str | bytes) -> None:
    status, answer = deliver(webhook, webhook_event("success", body=body))
    event(f"answered {status}")
    assert status in SPEC_STATUSES
    assert status != 500, answer  # the table is up: nothing here may fail to be stored
    if status == 200:
        assert answer["received"] is True
        assert answer["status"] in {"SUCCESS", "FAILURE"}
    else:
        assert answer["status"] == status


def answer_of(webhook: Any, event_: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Status and body of one delivery, checked for the shape every answer has."""
    raw = webhook.lambda_handler(event_, LambdaContext())
    body = json.loads(raw["body"])
    assert_answer_shape(raw["statusCode"], raw["headers"].get, lambda: body)
    return raw["statusCode"], body


# (what is sent, the status it must get), each against a PENDING payment the token is valid for
HOSTILE_DELIVERIES: list[tuple[str, dict[str, Any], int]] = [
    ("17 KiB body", {"body": json.dumps({**VALID, "padding": "x" * 17_000})}, 413),
    ("1 MB body", {"body": "{" + " " * 1_000_000 + "}"}, 413),
    ("deep array", {"body": "[" * 8000 + "]" * 8000}, 400),
    ("deep object", {"body": '{"a":' * 2500 + "1" + "}" * 2500}, 400),
    ("invalid UTF-8", {"body": b'{"businessId": "\xff\xfe", "status": "SUCCESS"}'}, 400),
    ("UTF-16", {"body": json.dumps(VALID).encode("utf-16")}, 400),
    ("not base64", {"body": "%%%not-base64%%%"}, 400),
    ("4000-digit amount", {"payload_changes": {"amount": 10**4000}}, 200),
    ("huge float amount", {"payload_changes": {"amount": 1e308, "originalAmount": "1e400"}}, 200),
    ("unicode in unknown fields", {"payload_changes": {"note": "🇨🇲 Café ☕ \u202e", "名前": "値"}}, 200),
    # a lone surrogate (JSON may escape one) fits no UTF-8 string: refused, as DynamoDB would refuse it
    ("lone surrogate", {"body": json.dumps({**VALID, "note": "\ud800"})}, 400),
    ("NUL in the status", {"payload_changes": {"status": "SUCCESS\u0000"}}, 400),
    ("text/plain", {"headers": {"content-type": "text/plain"}}, 200),
    ("no content type", {"headers": {"content-type": ""}}, 200),
    ("header injection", {"headers": {"tara-webhook-secret": "x\r\nX-Injected: 1", "x-a": "b\r\n\r\n<h1>"}}, 200),
    ("GET", {"method": "GET"}, 405),
    ("unicode method", {"method": "PÖST"}, 405),
]


def test_hostile_deliveries_get_documented_answers(webhook: Any) -> None:
    for name, changes, expected in HOSTILE_DELIVERIES:
        body = changes.get("body")
        delivery = webhook_event(
            "success",
            body=body,
            payload_changes=changes.get("payload_changes"),
            headers=changes.get("headers"),
            method=changes.get("method"),
        )
        status, answer = answer_of(webhook, delivery)
        assert status == expected, (name, answer)
        if status == 200:
            assert answer == {"received": True, "paymentId": PAYMENT_ID, "status": "SUCCESS"}, name


@pytest.mark.parametrize(
    "path",
    [
        "/payments/" + "a" * 5000 + "/token",
        "/payments/%00/%00",
        "/payments/../../etc/passwd/x",
        "/payments/" + "🇨🇲" * 40 + "/" + "é" * 43,
        "/payments/q3Zr8YkE1v0bXy9LmN2pTw/" + "A" * 10_000,
        "/",
        "",
    ],
)
def test_hostile_addresses_are_unauthenticated(webhook: Any, path: str) -> None:
    status, answer = answer_of(webhook, webhook_event("success", path=path))
    assert (status, answer["code"]) == (401, "UNAUTHENTICATED")
