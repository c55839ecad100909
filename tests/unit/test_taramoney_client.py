"""The Taramoney ``cmmobile`` client against a real local HTTP server."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from taramoney_payments.credentials import MerchantCredentials
from taramoney_payments.taramoney import (
    OrderAccepted,
    OrderNotDelivered,
    OrderOutcomeUnknown,
    OrderRejected,
    OrderTimedOut,
    PaymentOrder,
    TaramoneyClient,
)

PATH = "/api/tara/cmmobile"
CREDENTIALS = MerchantCredentials(api_key="key-123", business_id="biz-456", webhook_signing_key="signing")
ORDER = PaymentOrder(
    product_id="product-456",
    product_name="Nom du produit",
    product_price=100,
    phone_number="655123456",
    webhook_url="https://hook.example/payments/pay-1/token",
)
ACCEPTED = {"message": "API_ORDER_SUCESSFULL", "status": "SUCCESS", "ussdCode": "#150*50#", "vendor": "ORANGE_CAMEROON"}


def client_for(url: str, *, read_timeout: float = 2.0) -> TaramoneyClient:
    return TaramoneyClient(url, connect_timeout=0.5, read_timeout=read_timeout)


@pytest.fixture
def taramoney(httpserver: HTTPServer) -> TaramoneyClient:
    return client_for(httpserver.url_for(PATH))


def test_the_order_is_posted_with_exactly_the_documented_fields(
    taramoney: TaramoneyClient, httpserver: HTTPServer
) -> None:
    # given a Taramoney that accepts
    httpserver.expect_oneshot_request(PATH, method="POST").respond_with_json(ACCEPTED)
    # when an order is placed
    taramoney.place_order(ORDER, CREDENTIALS)
    # then the body is the documented JSON, with these seven fields and nothing else
    ((request, _),) = httpserver.log
    assert request.mimetype == "application/json"
    assert request.get_json() == {
        "apiKey": "key-123",
        "businessId": "biz-456",
        "productId": "product-456",
        "productName": "Nom du produit",
        "productPrice": 100,
        "phoneNumber": "655123456",
        "webHookUrl": "https://hook.example/payments/pay-1/token",
    }
    assert isinstance(request.get_json()["productPrice"], int)


def test_an_accepted_order_gives_the_vendor_and_ussd_code(taramoney: TaramoneyClient, httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(PATH).respond_with_json(ACCEPTED)
    assert taramoney.place_order(ORDER, CREDENTIALS) == OrderAccepted(
        vendor="ORANGE_CAMEROON", ussd_code="#150*50#", message="API_ORDER_SUCESSFULL"
    )


def test_unknown_fields_in_an_acceptance_are_ignored(taramoney: TaramoneyClient, httpserver: HTTPServer) -> None:
    # given an acceptance carrying fields the documentation does not show
    answer = {**ACCEPTED, "vendor": "MTN_CAMEROON", "ussdCode": "*126#", "transactionId": "t-1", "price": "100"}
    httpserver.expect_oneshot_request(PATH).respond_with_json({**answer, "transactionList": [{"id": 1}]})
    # then it is still an acceptance
    accepted = taramoney.place_order(ORDER, CREDENTIALS)
    assert (accepted.vendor, accepted.ussd_code) == ("MTN_CAMEROON", "*126#")


def test_a_lowercase_success_is_a_success(taramoney: TaramoneyClient, httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(PATH).respond_with_json({**ACCEPTED, "status": "success"})
    assert taramoney.place_order(ORDER, CREDENTIALS).ussd_code == "#150*50#"


@pytest.mark.parametrize("status", ["FAILURE", "ERROR", "failure", "Error", " FAILURE "])
def test_a_refusal_at_http_200_is_a_rejection_keeping_the_raw_message(
    taramoney: TaramoneyClient, httpserver: HTTPServer, status: str
) -> None:
    # given Taramoney answering HTTP 200 with a refusal
    httpserver.expect_oneshot_request(PATH).respond_with_json(
        {"status": status, "message": "BUSINESS_NOT_ACTIVATED_PLEASE_CONTACT_SUPPORT"}
    )
    # when an order is placed, then it is rejected with Taramoney's own words
    with pytest.raises(OrderRejected) as caught:
        taramoney.place_order(ORDER, CREDENTIALS)
    assert str(caught.value) == "BUSINESS_NOT_ACTIVATED_PLEASE_CONTACT_SUPPORT"


def test_a_client_error_status_is_a_rejection(taramoney: TaramoneyClient, httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request(PATH).respond_with_json({"message": "INVALID_API_KEY"}, status=401)
    with pytest.raises(OrderRejected, match="INVALID_API_KEY"):
        taramoney.place_order(ORDER, CREDENTIALS)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_leaves_the_outcome_unknown(
    taramoney: TaramoneyClient, httpserver: HTTPServer, status: int
) -> None:
    # even with a body that looks like an acceptance: a 5xx proves nothing
    httpserver.expect_oneshot_request(PATH).respond_with_json(ACCEPTED, status=status)
    with pytest.raises(OrderOutcomeUnknown) as caught:
        taramoney.place_order(ORDER, CREDENTIALS)
    assert not isinstance(caught.value, OrderTimedOut)


@pytest.mark.parametrize(
    "body",
    ["<html>Bad gateway</html>", "", "[1, 2]", json.dumps({"status": "SUCCESS"}), json.dumps({"message": "OK"})],
)
def test_an_unreadable_answer_leaves_the_outcome_unknown(
    taramoney: TaramoneyClient, httpserver: HTTPServer, body: str
) -> None:
    httpserver.expect_oneshot_request(PATH).respond_with_data(body, content_type="text/html")
    with pytest.raises(OrderOutcomeUnknown):
        taramoney.place_order(ORDER, CREDENTIALS)


def accepting_after(seconds: float) -> Callable[[Request], Response]:
    def slow(request: Request) -> Response:
        time.sleep(seconds)
        return Response(json.dumps(ACCEPTED), content_type="application/json")

    return slow


def test_a_slow_answer_is_a_timeout(httpserver: HTTPServer) -> None:
    # given a Taramoney that answers after the read timeout
    httpserver.expect_oneshot_request(PATH).respond_with_handler(accepting_after(0.6))
    taramoney = client_for(httpserver.url_for(PATH), read_timeout=0.2)
    # when an order is placed, then the outcome is unknown: it timed out after delivery
    started = time.monotonic()
    with pytest.raises(OrderTimedOut):
        taramoney.place_order(ORDER, CREDENTIALS)
    assert time.monotonic() - started < 0.6
    wait_until_logged(httpserver)  # the fake's late log entry must not land in the next test


def test_the_answer_is_waited_for_no_longer_than_the_time_left(httpserver: HTTPServer) -> None:
    # given a Taramoney that answers in 2.5 s, and a client that would wait 5 s for data
    httpserver.expect_oneshot_request(PATH).respond_with_handler(accepting_after(2.5))
    taramoney = client_for(httpserver.url_for(PATH), read_timeout=5)
    # when an order is placed with just more than the shortest useful wait left (1.5 s here)
    started = time.monotonic()
    with pytest.raises(OrderTimedOut):
        taramoney.place_order(ORDER, CREDENTIALS, wait_at_most=taramoney.shortest_wait_seconds + 0.1)
    # then it was sent, and its answer given up on with the time left: the outcome is unknown
    assert time.monotonic() - started < 2.5
    wait_until_logged(httpserver)
    assert len(httpserver.log) == 1


def test_an_order_the_time_left_cannot_wait_for_is_not_sent(taramoney: TaramoneyClient, httpserver: HTTPServer) -> None:
    httpserver.expect_request(PATH, method="POST").respond_with_json(ACCEPTED)
    # when an order is placed with too little time left to wait for any answer
    with pytest.raises(OrderNotDelivered, match="too little to wait"):
        taramoney.place_order(ORDER, CREDENTIALS, wait_at_most=taramoney.shortest_wait_seconds - 0.1)
    # then nothing reached Taramoney: the payment can be closed, nobody was prompted
    assert httpserver.log == []


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


def test_a_refused_connection_means_the_order_was_not_delivered() -> None:
    taramoney = client_for(f"http://127.0.0.1:{closed_port()}{PATH}")
    with pytest.raises(OrderNotDelivered):
        taramoney.place_order(ORDER, CREDENTIALS)


def test_an_unknown_host_means_the_order_was_not_delivered() -> None:
    taramoney = client_for(f"http://taramoney.invalid{PATH}")
    with pytest.raises(OrderNotDelivered):
        taramoney.place_order(ORDER, CREDENTIALS)


@pytest.fixture
def hang_up_server() -> Iterator[str]:
    """A server that reads the request and closes the connection without answering."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    received: list[bytes] = []

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            received.append(connection.recv(65536))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}{PATH}"
    thread.join(timeout=2)
    listener.close()
    assert received
    assert received[0].startswith(b"POST")


def test_a_connection_dropped_after_sending_leaves_the_outcome_unknown(hang_up_server: str) -> None:
    # given a Taramoney that received the order and hung up: it may well have it
    with pytest.raises(OrderOutcomeUnknown) as caught:
        client_for(hang_up_server).place_order(ORDER, CREDENTIALS)
    # then the order is not taken for undelivered
    assert not isinstance(caught.value, OrderNotDelivered)


def test_the_credentials_never_show_in_the_errors(httpserver: HTTPServer) -> None:
    failures: list[Any] = []
    for answer in ({"status": "FAILURE", "message": "NOPE"}, None):
        if answer is None:
            taramoney = client_for(f"http://127.0.0.1:{closed_port()}{PATH}")
        else:
            httpserver.expect_oneshot_request(PATH).respond_with_json(answer)
            taramoney = client_for(httpserver.url_for(PATH))
        with pytest.raises(Exception) as caught:  # noqa: PT011
            taramoney.place_order(ORDER, CREDENTIALS)
        failures.append(caught.value)
    for failure in failures:
        text = repr(failure) + str(failure) + repr(failure.__cause__)
        assert "key-123" not in text
        assert "biz-456" not in text
    assert "key-123" not in repr(CREDENTIALS)


def test_taramoney_is_called_over_tls_checked_against_certifis_roots() -> None:
    # certifi's Mozilla bundle, pinned in the layer: the roots requests used, more than botocore's fallback
    import certifi

    from taramoney_payments.taramoney import _pool

    settings = _pool().connection_pool_kw
    assert settings["ca_certs"] == certifi.where()
    assert settings.get("cert_reqs", "CERT_REQUIRED") == "CERT_REQUIRED"
