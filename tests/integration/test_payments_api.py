"""POST /payments and GET /payments/{paymentId} through the Lambda handler.

AWS is moto (tables and secret created from template.yaml); Taramoney is a fake served
over real HTTP by pytest-httpserver. Each case reads as what a client sees, and what an
operator would find in the table afterwards.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from local_stack.resources import Stack
from taramoney_payments.webhook_tokens import parse_webhook_path, token_is_valid
from tests.captured_output import Capture
from tests.conftest import TEST_API_KEY, TEST_BUSINESS_ID, TEST_SIGNING_KEY, reset_service_caches
from tests.integration.payments_api_harness import (
    MTN_ACCEPTS,
    ORANGE_ACCEPTS,
    TARAMONEY_PATH,
    Answer,
    Api,
    Store,
    assert_problem,
    payment_body,
    serialise_dynamodb_requests,
)

PROBLEM = "application/problem+json"
WEBHOOK_BASE = "https://webhook.test.example"
DOCUMENTED_ORDER_FIELDS = {
    "apiKey",
    "businessId",
    "productId",
    "productName",
    "productPrice",
    "phoneNumber",
    "webHookUrl",
}
ORANGE_SPELLINGS = [
    "655123456",
    "+237655123456",
    "237655123456",
    "00237655123456",
    "+237 6 55 12 34 56",
    "655 12 34 56",
    "655.12.34.56",
    "655-12-34-56",
    "00 237 655-123-456",
    "+237.655.123.456",
]


Configure = Callable[..., None]


@pytest.fixture
def configure(
    aws: Stack, function_env: dict[str, str], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> Configure:
    """Set (or override) the function's environment, as a fresh container would read it."""

    def apply(**env: Any) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, str(value))
        reset_service_caches()

    apply(
        TARAMONEY_API_URL=httpserver.url_for(TARAMONEY_PATH),
        PROVIDER_CONNECT_TIMEOUT_SECONDS=0.5,
        PROVIDER_READ_TIMEOUT_SECONDS=2,
        # the template's defaults, from the template itself
        MIN_AMOUNT=aws.parameters["MinAmount"],
        MAX_AMOUNT=aws.parameters["MaxAmount"],
        MAX_PENDING_PER_PHONE=aws.parameters["MaxPendingPerPhone"],
        PAYMENT_TIMEOUT_MINUTES=aws.parameters["PaymentTimeoutMinutes"],
    )
    return apply


@pytest.fixture
def api(configure: Configure) -> Api:
    return Api()


@pytest.fixture
def store(function_env: dict[str, str]) -> Store:
    return Store(function_env["PAYMENTS_TABLE_NAME"], function_env["IDEMPOTENCY_TABLE_NAME"])


@pytest.fixture
def taramoney(httpserver: HTTPServer) -> HTTPServer:
    """The fake Taramoney; by default it accepts every order as Orange."""
    return httpserver


def accept_all(taramoney: HTTPServer, answer: dict[str, Any] = ORANGE_ACCEPTS) -> None:
    taramoney.expect_request(TARAMONEY_PATH, method="POST").respond_with_json(answer)


def orders(taramoney: HTTPServer) -> list[dict[str, Any]]:
    """The orders Taramoney received, as JSON."""
    return [request.get_json() for request, _ in taramoney.log]


def wait_until_logged(server: HTTPServer, count: int = 1) -> None:
    """Wait for a slow fake to finish its answer (and log it) after the client gave up."""
    deadline = time.monotonic() + 3
    while len(server.log) < count and time.monotonic() < deadline:
        time.sleep(0.01)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# --- 201: a payment started -----------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ORANGE_SPELLINGS)
def test_a_valid_payment_in_any_phone_form_is_started(
    api: Api, taramoney: HTTPServer, store: Store, spelling: str
) -> None:
    # given a Taramoney that accepts the order
    accept_all(taramoney)
    # when a payment is started with the number spelled this way
    answer = api.post(payment_body(phoneNumber=spelling))
    # then it is created, PENDING, with the USSD code and vendor Taramoney answered
    assert answer.status == 201, answer.text
    assert answer.content_type == "application/json"
    payment = answer.json
    assert answer.headers["location"] == f"/payments/{payment['paymentId']}"
    assert payment["status"] == "PENDING"
    assert (payment["ussdCode"], payment["vendor"]) == ("#150*50#", "ORANGE_CAMEROON")
    assert payment["phoneNumber"] == "655123456"
    # and it is stored PENDING with the national number, and that is what Taramoney got
    stored = store.stored_payment(payment["paymentId"])
    assert stored["status"] == "PENDING"
    assert stored["phoneNumber"] == "655123456"
    assert (stored["ussdCode"], stored["vendor"]) == ("#150*50#", "ORANGE_CAMEROON")
    assert [order["phoneNumber"] for order in orders(taramoney)] == ["655123456"]


def test_the_vendor_is_the_one_taramoney_answers_with(api: Api, taramoney: HTTPServer) -> None:
    # given an MTN number (or a ported one): Taramoney's answer is what counts
    accept_all(taramoney, MTN_ACCEPTS)
    payment = api.post(payment_body(phoneNumber="+237 670 12 34 56")).json
    assert (payment["vendor"], payment["ussdCode"], payment["phoneNumber"]) == ("MTN_CAMEROON", "*126#", "670123456")


def test_the_created_payment_is_the_payment_view(api: Api, taramoney: HTTPServer) -> None:
    accept_all(taramoney)
    payment = api.post().json
    assert set(payment) == {
        "paymentId",
        "status",
        "productId",
        "productName",
        "productPrice",
        "currency",
        "phoneNumber",
        "vendor",
        "ussdCode",
        "metadata",
        "createdAt",
        "updatedAt",
        "expiresAt",
        "completedAt",
        "failureReason",
        "providerPaymentId",
        "collectionId",
    }
    assert payment["currency"] == "XAF"
    assert payment["metadata"] == {"orderId": "A-1001"}
    assert payment["productPrice"] == 100
    assert payment["createdAt"].endswith("Z")
    assert payment["expiresAt"] > payment["createdAt"]
    assert len(payment["paymentId"]) >= 16
    assert payment["paymentId"].replace("-", "").replace("_", "").isalnum()


def test_payment_ids_are_unique(api: Api, taramoney: HTTPServer) -> None:
    accept_all(taramoney)
    ids = {api.post(payment_body(phoneNumber=number)).json["paymentId"] for number in ("655123456", "670123456")}
    assert len(ids) == 2


def test_a_started_payment_can_be_read_back(api: Api, taramoney: HTTPServer) -> None:
    # given a started payment
    accept_all(taramoney)
    created = api.post().json
    # when its status is read
    answer = api.get(created["paymentId"])
    # then it is the same view, with the USSD code
    assert answer.status == 200
    assert answer.content_type == "application/json"
    assert answer.json == created


def test_a_base64_encoded_body_is_read(api: Api, taramoney: HTTPServer) -> None:
    # API Gateway base64-encodes bodies whose content type it does not take for text
    accept_all(taramoney)
    assert api.post(payment_body(), base64_encoded=True).status == 201


# --- the error table of SPEC section 3 ------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", "null", '"text"', "", '{"productId": '])
def test_a_body_that_is_not_a_json_object_is_malformed_json(
    api: Api, taramoney: HTTPServer, store: Store, raw: str
) -> None:
    assert_problem(api.post(raw=raw), 400, "MALFORMED_JSON")
    assert store.all_items() == []
    assert taramoney.log == []


def test_a_body_over_8_kib_is_payload_too_large(api: Api, taramoney: HTTPServer, store: Store) -> None:
    body = payment_body(metadata={f"k{i}": "x" * 500 for i in range(17)})
    assert len(json.dumps(body)) > 8192
    assert_problem(api.post(body), 413, "PAYLOAD_TOO_LARGE")
    assert store.all_items() == []
    assert taramoney.log == []


def test_broken_fields_are_a_validation_error_listing_each(api: Api, taramoney: HTTPServer, store: Store) -> None:
    # given a body breaking several rules at once
    body = payment_body(productId="", productPrice=100.5, metadata={"k": 1}, colour="red")
    # when it is posted
    problem = assert_problem(api.post(body), 422, "VALIDATION_ERROR")
    # then every broken field is named, and nothing was stored or ordered
    assert {item["field"] for item in problem["errors"]} == {"productId", "productPrice", "metadata.k", "colour"}
    assert all(item["message"] for item in problem["errors"])
    assert store.all_items() == []
    assert store.idempotency_records() == []
    assert taramoney.log == []


@pytest.mark.parametrize("price", ["100", True, 99, 1_000_001, 100.5])
def test_an_amount_that_breaks_the_rules_is_a_validation_error(
    api: Api, taramoney: HTTPServer, store: Store, price: Any
) -> None:
    problem = assert_problem(api.post(payment_body(productPrice=price), key="k-1"), 422, "VALIDATION_ERROR")
    assert [item["field"] for item in problem["errors"]] == ["productPrice"]
    assert store.all_items() == []
    assert store.idempotency_records() == []


def test_a_malformed_idempotency_key_is_a_validation_error(api: Api, taramoney: HTTPServer, store: Store) -> None:
    problem = assert_problem(api.post(key="k" * 256), 422, "VALIDATION_ERROR")
    assert [item["field"] for item in problem["errors"]] == ["Idempotency-Key"]
    assert store.all_items() == []


@pytest.mark.parametrize("number", ["222123456", "+33 6 12 34 56 78", "call me maybe", "65512345"])
def test_a_number_that_is_not_a_cameroon_mobile_is_invalid(
    api: Api, taramoney: HTTPServer, store: Store, number: str
) -> None:
    problem = assert_problem(api.post(payment_body(phoneNumber=number)), 422, "INVALID_PHONE_NUMBER")
    assert [item["field"] for item in problem["errors"]] == ["phoneNumber"]
    assert store.all_items() == []
    assert taramoney.log == []


@pytest.mark.parametrize("number", ["661234567", "+237 685 12 34 56", "621234567", "242123456"])
def test_a_nexttel_or_camtel_number_is_an_unsupported_operator(
    api: Api, taramoney: HTTPServer, store: Store, number: str
) -> None:
    assert_problem(api.post(payment_body(phoneNumber=number)), 422, "UNSUPPORTED_OPERATOR")
    assert store.all_items() == []
    assert taramoney.log == []


def test_the_same_key_with_another_body_is_refused(api: Api, taramoney: HTTPServer, store: Store) -> None:
    # given a payment started with a key
    accept_all(taramoney)
    assert api.post(payment_body(), key="order-1").status == 201
    # when the key comes back with another price
    answer = api.post(payment_body(productPrice=200), key="order-1")
    # then it is refused, and Taramoney was asked once
    assert_problem(answer, 409, "IDEMPOTENCY_KEY_REUSED")
    assert len(taramoney.log) == 1
    assert len(store.payment_items()) == 1


def test_the_same_key_while_the_first_request_runs_is_in_progress(
    configure: Configure, taramoney: HTTPServer, store: Store
) -> None:
    # given a first request whose Taramoney call is still running
    entered, release = threading.Event(), threading.Event()

    def slow_taramoney(request: Request) -> Response:
        entered.set()
        release.wait(5)
        return Response(json.dumps(ORANGE_ACCEPTS), content_type="application/json")

    taramoney.expect_request(TARAMONEY_PATH).respond_with_handler(slow_taramoney)
    first_container, second_container = Api(), Api()
    answers: dict[str, Answer] = {}
    first = threading.Thread(target=lambda: answers.setdefault("first", first_container.post(key="order-1")))
    first.start()
    assert entered.wait(5)
    # when the same key arrives on another container
    second = second_container.post(key="order-1")
    release.set()
    first.join(5)
    # then it is told to wait, and the first request completes on its own
    assert_problem(second, 409, "REQUEST_IN_PROGRESS")
    assert answers["first"].status == 201
    assert len(taramoney.log) == 1
    # and once the first one is done, the key gives back its answer
    assert second_container.post(key="order-1").json == answers["first"].json


def test_the_fourth_pending_payment_of_a_phone_is_refused(api: Api, taramoney: HTTPServer, store: Store) -> None:
    # given three PENDING payments for one phone (MaxPendingPerPhone = 3), spelled differently
    accept_all(taramoney)
    for spelling in ("655123456", "+237655123456", "00237 655 12 34 56"):
        assert api.post(payment_body(phoneNumber=spelling)).status == 201
    # when a fourth is started
    answer = api.post(payment_body(phoneNumber="655.12.34.56"))
    # then it is refused, nothing new is stored and the phone gets no fourth USSD prompt
    assert_problem(answer, 429, "TOO_MANY_PENDING_PAYMENTS")
    assert len(store.payment_items()) == 3
    assert len(taramoney.log) == 3
    # and another phone is not affected
    assert api.post(payment_body(phoneNumber="670123456")).status == 201


def test_a_refused_fourth_payment_with_a_key_can_be_retried_later(
    api: Api, taramoney: HTTPServer, store: Store
) -> None:
    # a 429 is not an answer to keep: the same key works once a slot is free
    accept_all(taramoney)
    held = [api.post().json["paymentId"] for _ in range(3)]
    assert_problem(api.post(key="order-4"), 429, "TOO_MANY_PENDING_PAYMENTS")
    store.payments.update_item(
        Key={"pk": f"PAYMENT#{held[0]}"},
        UpdateExpression="SET #s = :s REMOVE awaitingExpiry",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "SUCCESS"},
    )
    assert api.post(key="order-4").status == 201


@pytest.mark.parametrize("payment_id", ["Zm9vYmFyYmF6cXV4cXV1eA", "x", "a" * 3000])
def test_reading_an_unknown_payment_is_not_found(api: Api, payment_id: str) -> None:
    problem = assert_problem(api.get(payment_id), 404, "PAYMENT_NOT_FOUND")
    assert "paymentId" not in problem


def test_a_refusal_at_http_200_is_provider_rejected_and_stored_as_failure(
    api: Api, taramoney: HTTPServer, store: Store
) -> None:
    # given a Taramoney that refuses the order at HTTP 200
    taramoney.expect_request(TARAMONEY_PATH).respond_with_json(
        {"status": "FAILURE", "message": "BUSINESS_NOT_ACTIVATED_PLEASE_CONTACT_SUPPORT"}
    )
    # when a payment is started
    problem = assert_problem(api.post(), 502, "PROVIDER_REJECTED")
    # then the answer names the payment, stored as FAILURE with Taramoney's message
    stored = store.stored_payment(problem["paymentId"])
    assert stored["status"] == "FAILURE"
    assert stored["failureReason"] == "BUSINESS_NOT_ACTIVATED_PLEASE_CONTACT_SUPPORT"
    assert stored["completedAt"] is not None
    assert "awaitingExpiry" not in stored
    # and a client reading it sees the same
    view = api.get(problem["paymentId"]).json
    assert (view["status"], view["failureReason"]) == ("FAILURE", "BUSINESS_NOT_ACTIVATED_PLEASE_CONTACT_SUPPORT")


@pytest.mark.parametrize("status", ["ERROR", "failure"])
def test_error_and_lowercase_failure_are_rejections_too(
    api: Api, taramoney: HTTPServer, store: Store, status: str
) -> None:
    taramoney.expect_request(TARAMONEY_PATH).respond_with_json({"status": status, "message": "INVALID_PHONE"})
    problem = assert_problem(api.post(), 502, "PROVIDER_REJECTED")
    stored = store.stored_payment(problem["paymentId"])
    assert (stored["status"], stored["failureReason"]) == ("FAILURE", "INVALID_PHONE")


def test_a_provider_timeout_is_unavailable_and_leaves_the_payment_pending(
    configure: Configure, taramoney: HTTPServer, store: Store
) -> None:
    # given a Taramoney slower than the read timeout
    def slow(request: Request) -> Response:
        time.sleep(0.5)
        return Response(json.dumps(ORANGE_ACCEPTS), content_type="application/json")

    taramoney.expect_request(TARAMONEY_PATH).respond_with_handler(slow)
    configure(PROVIDER_READ_TIMEOUT_SECONDS=0.2)
    # when a payment is started
    problem = assert_problem(Api().post(), 504, "PROVIDER_UNAVAILABLE")
    # then the payment stays PENDING: Taramoney may still prompt the phone
    stored = store.stored_payment(problem["paymentId"])
    assert stored["status"] == "PENDING"
    assert stored["awaitingExpiry"] == "PENDING"
    assert stored.get("failureReason") is None
    assert problem["paymentId"] in store.phone_slots("655123456")
    wait_until_logged(taramoney)  # the fake's late log entry must not land in the next test


@pytest.mark.parametrize("status", [500, 503])
def test_a_provider_server_error_is_unavailable_and_leaves_the_payment_pending(
    api: Api, taramoney: HTTPServer, store: Store, status: int
) -> None:
    taramoney.expect_request(TARAMONEY_PATH).respond_with_data("upstream error", status=status)
    problem = assert_problem(api.post(), 502, "PROVIDER_UNAVAILABLE")
    stored = store.stored_payment(problem["paymentId"])
    assert stored["status"] == "PENDING"


def test_an_unreachable_provider_is_unavailable_and_the_payment_failed(configure: Configure, store: Store) -> None:
    # given nothing listening where Taramoney should be
    configure(TARAMONEY_API_URL=f"http://127.0.0.1:{closed_port()}/api/tara/cmmobile")
    # when a payment is started
    problem = assert_problem(Api().post(), 502, "PROVIDER_UNAVAILABLE")
    # then the order surely never left: the payment is closed and frees its phone's slot
    stored = store.stored_payment(problem["paymentId"])
    assert stored["status"] == "FAILURE"
    assert stored["failureReason"]
    assert "awaitingExpiry" not in stored
    assert store.phone_slots("655123456") == set()


# --- idempotency ---------------------------------------------------------------------------------------------


def test_the_same_key_twice_calls_taramoney_once_and_returns_the_same_payment(
    api: Api, taramoney: HTTPServer, store: Store
) -> None:
    accept_all(taramoney)
    first = api.post(key="order-2026-11-28-0001")
    again = api.post(key="order-2026-11-28-0001")
    assert first.status == again.status == 201
    assert again.json["paymentId"] == first.json["paymentId"]
    assert again.headers["location"] == first.headers["location"]
    assert len(taramoney.log) == 1
    assert len(store.payment_items()) == 1


def test_the_same_key_with_the_same_payment_spelled_differently_is_the_same_request(
    api: Api, taramoney: HTTPServer
) -> None:
    accept_all(taramoney)
    first = api.post(payment_body(phoneNumber="655123456"), key="k")
    again = api.post(payment_body(phoneNumber="+237 655 12 34 56"), key="k")
    assert again.json["paymentId"] == first.json["paymentId"]
    assert len(taramoney.log) == 1


def test_the_same_key_after_a_rejection_gives_the_same_rejection(api: Api, taramoney: HTTPServer) -> None:
    taramoney.expect_request(TARAMONEY_PATH).respond_with_json({"status": "FAILURE", "message": "NOPE"})
    first = assert_problem(api.post(key="k"), 502, "PROVIDER_REJECTED")
    again = assert_problem(api.post(key="k"), 502, "PROVIDER_REJECTED")
    assert again["paymentId"] == first["paymentId"]
    assert len(taramoney.log) == 1


def test_without_a_key_each_post_is_a_new_payment(api: Api, taramoney: HTTPServer) -> None:
    accept_all(taramoney)
    assert api.post().json["paymentId"] != api.post().json["paymentId"]
    assert len(taramoney.log) == 2


# --- what Taramoney receives ----------------------------------------------------------------------------------


def test_taramoney_receives_the_documented_order_with_the_merchant_secrets(
    api: Api, taramoney: HTTPServer, function_env: dict[str, str]
) -> None:
    accept_all(taramoney)
    payment = api.post(payment_body(phoneNumber="+237 6 55 12 34 56", productPrice=2500)).json
    ((order,),) = [orders(taramoney)]
    assert set(order) == DOCUMENTED_ORDER_FIELDS
    assert order["apiKey"] == TEST_API_KEY
    assert order["businessId"] == TEST_BUSINESS_ID
    assert (order["productId"], order["productName"]) == ("product-456", "Nom du produit")
    assert order["productPrice"] == 2500
    assert order["phoneNumber"] == "655123456"
    # the webhook address names this payment and carries a token that verifies
    assert order["webHookUrl"].startswith(f"{WEBHOOK_BASE}/payments/")
    parsed = parse_webhook_path(order["webHookUrl"].removeprefix(WEBHOOK_BASE))
    assert parsed is not None
    payment_id, token = parsed
    assert payment_id == payment["paymentId"]
    assert token_is_valid(payment_id, token, TEST_SIGNING_KEY)
    assert not token_is_valid(payment_id, token, "another-signing-key")


# --- phone slots ---------------------------------------------------------------------------------------------


def test_a_rejected_payment_frees_its_phone_slot(api: Api, taramoney: HTTPServer, store: Store) -> None:
    # given two PENDING payments and then one Taramoney refuses, for one phone
    accept_all(taramoney)
    pending = {api.post().json["paymentId"] for _ in range(2)}
    taramoney.clear()
    taramoney.expect_oneshot_request(TARAMONEY_PATH).respond_with_json({"status": "FAILURE", "message": "NOPE"})
    rejected = assert_problem(api.post(), 502, "PROVIDER_REJECTED")["paymentId"]
    # then the rejected payment holds no slot
    assert store.phone_slots("655123456") == pending
    # and the phone can still have a third PENDING payment
    accept_all(taramoney)
    third = api.post()
    assert third.status == 201
    assert store.phone_slots("655123456") == {*pending, third.json["paymentId"]}
    assert rejected not in store.phone_slots("655123456")


def test_a_slot_held_by_a_payment_past_its_deadline_is_given_back(
    api: Api, taramoney: HTTPServer, store: Store
) -> None:
    # given three PENDING payments, one past its deadline (the expiry run has not passed yet)
    accept_all(taramoney)
    held = [api.post().json["paymentId"] for _ in range(3)]
    store.payments.update_item(
        Key={"pk": f"PAYMENT#{held[0]}"},
        UpdateExpression="SET expiresAt = :past",
        ExpressionAttributeValues={":past": "2020-01-01T00:00:00.000Z"},
    )
    # then a new payment takes its slot
    assert api.post().status == 201
    assert held[0] not in store.phone_slots("655123456")


def test_concurrent_payments_never_exceed_the_pending_limit_of_a_phone(
    configure: Configure, taramoney: HTTPServer, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given eight containers starting a payment for the same phone at the same moment
    serialise_dynamodb_requests(monkeypatch)
    accept_all(taramoney)
    containers = [Api() for _ in range(8)]
    start = threading.Barrier(len(containers))
    answers: list[Answer] = []

    def start_payment(container: Api) -> None:
        start.wait(5)
        answers.append(container.post())

    threads = [threading.Thread(target=start_payment, args=(container,)) for container in containers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    # then exactly three are started and the others refused
    statuses = sorted(answer.status for answer in answers)
    assert statuses == [201] * 3 + [429] * 5
    pending = [item for item in store.payment_items() if item["status"] == "PENDING"]
    assert len(pending) == 3
    assert store.phone_slots("655123456") == {item["paymentId"] for item in pending}
    assert len(taramoney.log) == 3


# --- secrets and personal data ----------------------------------------------------------------------------


def test_no_answer_and_no_log_line_reveals_a_secret_or_a_phone_number(
    configure: Configure,
    taramoney: HTTPServer,
    store: Store,
    capture: Capture,
) -> None:
    # given a run through every path: accepted, refused, timed out, unreachable, invalid, limit, read
    api = Api()
    number, spelled = "655123456", "+237 655 12 34 56"
    answers: list[Answer] = []
    taramoney.expect_oneshot_request(TARAMONEY_PATH).respond_with_json(ORANGE_ACCEPTS)
    taramoney.expect_oneshot_request(TARAMONEY_PATH).respond_with_json(
        {"status": "FAILURE", "message": "BUSINESS_NOT_ACTIVATED_PLEASE_CONTACT_SUPPORT"}
    )
    taramoney.expect_oneshot_request(TARAMONEY_PATH).respond_with_data("oops", status=500)
    taramoney.expect_oneshot_request(TARAMONEY_PATH).respond_with_json(ORANGE_ACCEPTS)
    for _ in range(4):
        answers.append(api.post(payment_body(phoneNumber=spelled), key=None))
    answers.append(api.post(payment_body(phoneNumber=spelled)))  # the 429
    answers.append(api.get(answers[0].json["paymentId"]))
    answers.append(api.post(payment_body(phoneNumber="222 12 34 56")))
    answers.append(api.post(payment_body(phoneNumber="+237 661 23 45 67")))
    answers.append(api.post(payment_body(phoneNumber=spelled, productPrice=1)))
    configure(TARAMONEY_API_URL=f"http://127.0.0.1:{closed_port()}/api/tara/cmmobile")
    answers.append(Api().post(payment_body(phoneNumber="670 12 34 56")))
    logs = capture().text
    assert [answer.status for answer in answers] == [201, 502, 502, 201, 429, 200, 422, 422, 422, 502]
    assert logs.strip(), "the function logs nothing: this test would prove nothing"
    # then no response and no log line carries a secret or a webhook token
    tokens = [order["webHookUrl"].rsplit("/", 1)[1] for order in orders(taramoney)]
    assert len(tokens) == 4
    for text in [logs, *(answer.text for answer in answers)]:
        for secret in (TEST_API_KEY, TEST_BUSINESS_ID, TEST_SIGNING_KEY, *tokens):
            assert secret not in text
    # and no log line and no problem answer carries a full phone number
    problems = [answer.text for answer in answers if answer.content_type == PROBLEM]
    for text in [logs, *problems]:
        for full in (number, "670123456", "222123456", "661234567", "237655123456", spelled):
            assert full not in text
    # (the payment view itself carries phoneNumber, the 9-digit national form: SPEC section 3)
    assert answers[0].json["phoneNumber"] == number
