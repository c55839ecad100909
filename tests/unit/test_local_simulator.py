"""The Taramoney simulator answers like the real API and calls back as the test numbers say."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from local_stack.simulator import SimulatorConfig, TaramoneySimulator


@pytest.fixture
def simulator() -> Iterator[TaramoneySimulator]:
    config = SimulatorConfig(api_key="key", business_id="biz", webhook_delay_seconds=0.05, slow_seconds=0.01)
    simulator = TaramoneySimulator("127.0.0.1", 0, config, lambda *_: None)
    simulator.start()
    yield simulator
    simulator.stop()


def _order(phone: str, webhook_url: str = "http://127.0.0.1:9/hook", **changes: Any) -> dict[str, Any]:
    order = {
        "apiKey": "key",
        "businessId": "biz",
        "productId": "product-456",
        "productName": "Nom du produit",
        "productPrice": 100,
        "phoneNumber": phone,
        "webHookUrl": webhook_url,
    }
    return {**order, **changes}


@pytest.mark.parametrize(
    ("phone", "vendor", "ussd_code"),
    [("650000001", "MTN_CAMEROON", "*126#"), ("690000001", "ORANGE_CAMEROON", "#150*50#")],
)
def test_an_order_gets_the_vendor_and_ussd_code_of_its_prefix(
    simulator: TaramoneySimulator, phone: str, vendor: str, ussd_code: str
) -> None:
    status, answer = simulator.place_order(_order(phone))

    assert status == 200
    assert answer == {"message": "API_ORDER_SUCESSFULL", "status": "SUCCESS", "ussdCode": ussd_code, "vendor": vendor}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"apiKey": "wrong"}, "BUSINESS_NOT_ACTIVATED_PLEASE_CONTACT_SUPPORT"),
        ({"phoneNumber": "650000003"}, "SUBSCRIBER_NOT_ELIGIBLE_FOR_PAYMENT"),
        ({"phoneNumber": "+237650000001"}, "INVALID_PHONE_NUMBER"),
        ({"webHookUrl": ""}, "MISSING_FIELDS_WEBHOOKURL"),
    ],
)
def test_refusals_come_back_as_failure_at_http_200(
    simulator: TaramoneySimulator, changes: dict[str, Any], message: str
) -> None:
    status, answer = simulator.place_order({**_order("650000001"), **changes})

    assert (status, answer) == (200, {"status": "FAILURE", "message": message})


def _wait_for_deliveries(simulator: TaramoneySimulator, count: int) -> None:
    """Until the simulator has recorded ``count`` deliveries (after their answers came back)."""
    deadline = time.monotonic() + 5
    while len(simulator.ledger.view()["deliveries"]) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def test_the_webhook_carries_the_documented_payload_and_the_fields_real_deliveries_add(
    simulator: TaramoneySimulator, httpserver: HTTPServer
) -> None:
    # given an order for a number that pays
    httpserver.expect_request("/hook", method="POST").respond_with_json({"received": True})

    # when the customer confirms
    simulator.place_order(_order("650000001", httpserver.url_for("/hook"), productPrice=1000))
    _wait_for_deliveries(simulator, 1)

    # then Taramoney's callback arrives with its fields
    ((request, _),) = httpserver.log
    payload = request.get_json()
    assert payload["status"] == "SUCCESS"
    assert payload["businessId"] == "biz"
    assert payload["phoneNumber"] == "650000001"
    assert payload["creationDate"].endswith("+01:00")
    assert (payload["amount"], payload["originalAmount"]) == ("1000", "980")
    assert {
        "paymentId",
        "collectionId",
        "changeDate",
        "mobileOperator",
        "productId",
        "invoiceUrl",
        "transactionId",
    } <= set(payload)
    assert simulator.ledger.view()["deliveries"][0]["status"] == 200


@pytest.mark.parametrize(("phone", "statuses"), [("650000002", ["FAILURE"]), ("650000005", ["SUCCESS", "SUCCESS"])])
def test_test_numbers_choose_the_webhooks(
    simulator: TaramoneySimulator, httpserver: HTTPServer, phone: str, statuses: list[str]
) -> None:
    httpserver.expect_request("/hook", method="POST").respond_with_json({"received": True})

    simulator.place_order(_order(phone, httpserver.url_for("/hook")))
    _wait_for_deliveries(simulator, len(statuses))
    time.sleep(0.2)  # room for a delivery too many

    assert [request.get_json()["status"] for request, _ in httpserver.log] == statuses


def test_a_number_without_webhook_is_accepted_and_never_called_back(
    simulator: TaramoneySimulator, httpserver: HTTPServer
) -> None:
    status, answer = simulator.place_order(_order("650000004", httpserver.url_for("/hook")))
    time.sleep(0.3)

    assert (status, answer["status"]) == (200, "SUCCESS")
    assert httpserver.log == []
