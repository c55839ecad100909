"""Hypothesis throws payloads at the webhook: nothing crashes it, every answer is one of SPEC section 4."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.integration.webhook_support import add_pending_payment, deliver, webhook_event
from tests.lambda_runtime import load_event, load_handler_module

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
