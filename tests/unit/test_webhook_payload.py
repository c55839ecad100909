"""The webhook payload model: tolerant of what Taramoney really sends, strict on what settles money."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taramoney_payments.errors import InvalidWebhookPayload, MalformedJson, PayloadTooLarge
from taramoney_payments.models import PaymentStatus
from taramoney_payments.settlement import DEFAULT_FAILURE_REASON, MAX_RAW_PAYLOAD_CHARS, Delivery
from taramoney_payments.webhook_payload import MAX_WEBHOOK_BYTES, read_webhook_payload

DOCUMENTED = {
    "businessId": "TcMpnFWlIz",
    "paymentId": "awerSxlerxrfrt-6",
    "collectionId": "456641929164",
    "phoneNumber": "696717597",
    "creationDate": "2025-07-24T15:28:53.678+02:00",
    "changeDate": "2025-07-24T15:28:53.678+02:00",
    "status": "SUCCESS",
}


def body_of(**changes: Any) -> bytes:
    """The documented payload with these changes (None removes a field), as Taramoney sends it."""
    payload = {**DOCUMENTED, **changes}
    return json.dumps({k: v for k, v in payload.items() if v is not None}).encode()


def read(**changes: Any) -> Any:
    return read_webhook_payload(body_of(**changes))


def test_the_documented_payload_is_read() -> None:
    payload = read()
    assert payload.status is PaymentStatus.SUCCESS
    assert payload.phone_number == "696717597"
    assert payload.creation_date == datetime(2025, 7, 24, 13, 28, 53, 678000, tzinfo=UTC)


@given(st.sampled_from(["SUCCESS", "FAILURE"]), st.data())
def test_status_is_read_in_any_case(status: str, data: st.DataObject) -> None:
    spelled = "".join(data.draw(st.sampled_from([c.lower(), c.upper()])) for c in status)
    assert read(status=f" {spelled} ").status == PaymentStatus(status)


@pytest.mark.parametrize("status", ["PENDING", "EXPIRED", "ERROR", "", 1])
def test_only_success_or_failure_settles(status: Any) -> None:
    with pytest.raises(InvalidWebhookPayload):
        read(status=status)


@pytest.mark.parametrize("date", ["2025-07-24T15:28:53.678", "2025-07-24", "24/07/2025 15:28"])
def test_dates_without_an_offset_are_refused(date: str) -> None:
    assert [field for field, _ in refusals(changeDate=date)] == ["changeDate"]


def test_unknown_fields_are_kept_and_amounts_may_be_strings() -> None:
    payload = read(amount="100", originalAmount="98", invoiceUrl="https://x.example/i/1", transactionId=7)
    assert payload.extra == {
        "amount": "100",
        "originalAmount": "98",
        "invoiceUrl": "https://x.example/i/1",
        "transactionId": 7,
    }


def test_numeric_ids_are_read_as_text() -> None:
    payload = read(collectionId=456641929164, phoneNumber=696717597)
    assert (payload.collection_id, payload.phone_number) == ("456641929164", "696717597")


def test_only_what_settles_money_is_required() -> None:
    payload = read(paymentId=None, collectionId=None, creationDate=None, changeDate=None)
    assert payload.payment_id is None
    for required in ("businessId", "status", "phoneNumber"):
        with pytest.raises(InvalidWebhookPayload):
            read(**{required: None})


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b"null", b"\xff\xfe", b'"x"'])
def test_a_body_that_is_not_a_json_object_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedJson):
        read_webhook_payload(body)


def test_the_size_limit_is_16_kib() -> None:
    with pytest.raises(PayloadTooLarge):
        read_webhook_payload(b" " * (MAX_WEBHOOK_BYTES + 1))


def test_a_failure_delivery_says_why_and_caps_the_raw_payload() -> None:
    received = datetime(2026, 11, 28, 10, tzinfo=UTC)
    raw = "x" * (MAX_RAW_PAYLOAD_CHARS + 10)
    failure = Delivery.from_webhook(read(status="failure"), raw_payload=raw, received_at=received)
    assert failure.failure_reason == DEFAULT_FAILURE_REASON
    said = Delivery.from_webhook(
        read(status="FAILURE", message="INSUFFICIENT_FUNDS"), raw_payload="", received_at=received
    )
    assert said.failure_reason == "INSUFFICIENT_FUNDS"
    record = failure.record(applied=True)
    assert (len(record["payload"]), record["payloadTruncated"]) == (MAX_RAW_PAYLOAD_CHARS, True)


def refusals_of(body: bytes) -> list[tuple[str, str]]:
    """The (field, message) pairs this body is refused with."""
    with pytest.raises(InvalidWebhookPayload) as refusal:
        read_webhook_payload(body)
    return [(error.field, error.message) for error in refusal.value.errors]


def refusals(**changes: Any) -> list[tuple[str, str]]:
    """The (field, message) pairs a payload with these changes is refused with."""
    return refusals_of(body_of(**changes))


def test_identifiers_are_stripped_and_hold_1_to_256_characters() -> None:
    assert read(paymentId=" tx-1 ").payment_id == "tx-1"
    assert read(collectionId=" " + "7" * 256 + " ").collection_id == "7" * 256
    assert refusals(collectionId="7" * 257) == [("collectionId", "String should have at most 256 characters")]
    assert refusals(paymentId="   ") == [("paymentId", "String should have at least 1 character")]


def test_numbers_are_ids_spelled_as_text_but_booleans_are_not() -> None:
    assert read(paymentId=1.5, collectionId=1e3).payment_id == "1.5"
    assert read(collectionId=1e3).collection_id == "1000"
    assert refusals(collectionId=True) == [("collectionId", "Input should be a valid string")]
    assert refusals(phoneNumber=False) == [("phoneNumber", "Input should be a valid string")]
    assert refusals(businessId=["TcMpnFWlIz"]) == [("businessId", "Input should be a valid string")]


def test_a_required_field_sent_as_null_is_refused_and_an_optional_one_is_absent() -> None:
    assert refusals(businessId=None) == [("businessId", "Field required")]  # read() drops None: absent
    body = json.dumps({**DOCUMENTED, "businessId": None, "changeDate": None}).encode()
    assert refusals_of(body) == [("businessId", "Input should be a valid string")]
    assert read_webhook_payload(json.dumps({**DOCUMENTED, "changeDate": None}).encode()).change_date is None


def test_the_phone_number_is_at_most_32_characters_then_its_national_digits() -> None:
    assert read(phoneNumber="+237 696-71.75.97").phone_number == "696717597"
    assert refusals(phoneNumber="6" * 33) == [("phoneNumber", "String should have at most 32 characters")]
    assert refusals(phoneNumber="+33 6 12 34 56 78") == [("phoneNumber", "not a Cameroon phone number")]


@pytest.mark.parametrize(
    "date",
    [
        "2025-07-24T15:28:53.678+02:00",
        "2025-07-24T13:28:53.678Z",
        "2025-07-24T13:28:53.678z",
        "2025-07-24T15:28:53.678+0200",
        "2025-07-24 13:28:53.678+00:00",
        "2025-07-24T08:28:53.678-05:00",
    ],
)
def test_a_date_with_an_offset_is_read_as_its_instant(date: str) -> None:
    assert read(creationDate=date).creation_date == datetime(2025, 7, 24, 13, 28, 53, 678000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("date", "message"),
    [
        ("2025-07-24T15:28:53", "Input should have timezone info"),
        ("2025-07-24T25:28:53Z", "Input should be a valid ISO 8601 datetime"),
        ("2025-07-24T15:28:53Z ", "Input should be a valid ISO 8601 datetime"),
        ("", "Input should be a valid ISO 8601 datetime"),
        (1753363733, "Input should be a valid datetime"),  # a Unix time: the SPEC says ISO 8601
        (True, "Input should be a valid datetime"),
    ],
)
def test_a_date_that_is_not_iso_8601_with_an_offset_is_refused_with_why(date: Any, message: str) -> None:
    assert refusals(creationDate=date) == [("creationDate", message)]


def test_every_bad_field_is_reported_under_its_json_name_in_the_documented_order() -> None:
    assert refusals(changeDate="yesterday", businessId="", status="PENDING", phoneNumber="abc", collectionId=False) == [
        ("businessId", "String should have at least 1 character"),
        ("status", "must be SUCCESS or FAILURE"),
        ("phoneNumber", "not a Cameroon phone number"),
        ("collectionId", "Input should be a valid string"),
        ("changeDate", "Input should be a valid ISO 8601 datetime"),
    ]
    assert refusals_of(b"{}") == [
        ("businessId", "Field required"),
        ("status", "Field required"),
        ("phoneNumber", "Field required"),
    ]


# What breaks each field, in the order the fields are read (and their refusals listed).
BAD_VALUES = {
    "businessId": st.sampled_from(["", "  ", "x" * 257, True, None, [], {}]),
    "status": st.sampled_from(["PENDING", "EXPIRED", "", "OK", 1, True, None]),
    "phoneNumber": st.sampled_from(["abc", "6" * 33, "+33612345678", "", True, None]),
    "paymentId": st.sampled_from(["", " ", "x" * 257, False, [1]]),
    "collectionId": st.sampled_from(["", "x" * 300, True, {"id": 1}]),
    "creationDate": st.sampled_from(["2025-07-24T15:28:53", "2025-07-24", "x", 0, False]),
    "changeDate": st.sampled_from(["2025-07-24T15:28:53.678", "24/07/2025 15:28", [], True]),
}


@given(st.data())
def test_all_bad_fields_are_reported_not_only_the_first(data: st.DataObject) -> None:
    broken = data.draw(st.sets(st.sampled_from(sorted(BAD_VALUES)), min_size=1))
    body = {**DOCUMENTED, **{name: data.draw(BAD_VALUES[name]) for name in broken}}
    assert [field for field, _ in refusals_of(json.dumps(body).encode())] == [
        name for name in BAD_VALUES if name in broken
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


@given(st.dictionaries(st.text(max_size=12).filter(lambda name: name not in DOCUMENTED), json_values, max_size=5))
def test_unknown_fields_of_any_name_and_value_are_kept_as_sent(unknown: dict[str, Any]) -> None:
    payload = read_webhook_payload(json.dumps({**DOCUMENTED, **unknown}).encode())
    assert payload.extra == unknown
    assert payload.business_id == DOCUMENTED["businessId"]


def test_snake_case_names_are_unknown_fields_not_aliases() -> None:
    payload = read(business_id="someone-else")
    assert (payload.business_id, payload.extra) == ("TcMpnFWlIz", {"business_id": "someone-else"})


def test_the_payload_and_its_unknown_fields_cannot_be_changed() -> None:
    payload = read(amount="100")
    with pytest.raises(AttributeError):
        payload.status = PaymentStatus.FAILURE  # type: ignore[misc]
    with pytest.raises(TypeError):
        payload.extra["amount"] = "1000000"  # type: ignore[index]


@pytest.mark.parametrize(
    "body",
    [
        b'{"businessId": "TcMpnFWlIz", "status": "SUCCESS", "phoneNumber": "696717597", "note": "\\ud800"}',
        b'{"businessId": "TcMpnFWlIz", "status": "SUCCESS", "phoneNumber": "696717597", "\\udfff": 1}',
        b'{"businessId": "TcMpnFWlIz", "status": "SUCCESS", "phoneNumber": "696717597", "a": [{"b": ["\\ud83c"]}]}',
        json.dumps(DOCUMENTED).encode()[:-1] + b', "a": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b"\xef\xbb\xbf" + json.dumps(DOCUMENTED).encode(),
        json.dumps(DOCUMENTED).encode() + b" {}",
    ],
    ids=["lone surrogate", "surrogate key", "nested surrogate", "deep nesting", "byte order mark", "two documents"],
)
def test_a_body_that_no_utf_8_json_object_spells_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedJson):
        read_webhook_payload(body)


def test_escaped_characters_outside_the_basic_plane_are_kept() -> None:
    body = json.dumps({**DOCUMENTED, "status": "FAILURE", "message": "\U0001f1e8\U0001f1f2 refus"}).encode()
    payload = read_webhook_payload(body)  # json.dumps escapes each flag letter as a surrogate pair
    assert b"\\ud83c" in body
    assert payload.extra_text("message") == "\U0001f1e8\U0001f1f2 refus"
