"""``SIMULATOR_FAULTS``: how it reads, and what the simulator's HTTP answers and webhooks become."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import requests
from pytest_httpserver import HTTPServer

from local_stack.faults import FaultSpecError
from local_stack.simulator import ORDER_PATH, SimulatorConfig, TaramoneySimulator
from local_stack.simulator_faults import SimulatorFaults


def test_a_spec_reads_as_shares_a_shuffle_and_a_seed() -> None:
    faults = SimulatorFaults.parse("slow=0.05:4,5xx=0.02:503,garbled=0.02,twice=0.1,shuffle=2;seed=7")

    assert faults.shares == {"slow": 0.05, "5xx": 0.02, "garbled": 0.02, "twice": 0.1}
    assert (faults.slow_seconds, faults.server_error, faults.shuffle_seconds, faults.seed) == (4.0, 503, 2.0, 7)


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("slowly=0.1", "unknown simulator fault"),
        ("slow=0.7,5xx=0.5", "more than 1"),
        ("5xx=#3", "shares, not #N"),
        ("twice", "not name=share"),
        ("garbled=0.1;seed=x", "needs an integer"),
    ],
)
def test_a_spec_that_cannot_mean_anything_is_refused(spec: str, complaint: str) -> None:
    with pytest.raises(FaultSpecError, match=complaint):
        SimulatorFaults.parse(spec)


def test_fates_are_drawn_in_the_chosen_shares_and_repeat_with_the_seed() -> None:
    faults = SimulatorFaults.parse("slow=0.1,5xx=0.1,garbled=0.1,decline=0.2,twice=0.3,shuffle=2;seed=3")

    fates = [faults.fate(n, default_slow_seconds=9) for n in range(3000)]

    for answer in ("slow", "5xx", "garbled"):
        assert 0.08 < sum(f.answer == answer for f in fates) / 3000 < 0.12
    assert 0.17 < sum(f.declined for f in fates) / 3000 < 0.23
    assert 0.27 < sum(f.deliveries == 2 for f in fates) / 3000 < 0.33
    assert all(0 <= delay <= 2 for f in fates for delay in f.extra_delays)
    assert {f.slow_seconds for f in fates} == {9}
    assert [faults.fate(n, 9) for n in range(50)] == fates[:50]


@pytest.fixture
def hooks(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request("/hook", method="POST").respond_with_json({"received": True})
    return httpserver


def _simulator(spec: str) -> TaramoneySimulator:
    config = SimulatorConfig(
        api_key="key",
        business_id="biz",
        webhook_delay_seconds=0.05,
        slow_seconds=0.01,
        faults=SimulatorFaults.parse(spec),
    )
    return TaramoneySimulator("127.0.0.1", 0, config, lambda *_: None)


@pytest.fixture
def running() -> Iterator[list[TaramoneySimulator]]:
    started: list[TaramoneySimulator] = []
    yield started
    for simulator in started:
        simulator.stop()


def _order(simulator: TaramoneySimulator, phone: str, hook: str) -> requests.Response:
    body = {
        "apiKey": "key",
        "businessId": "biz",
        "productId": "p",
        "productName": "n",
        "productPrice": 100,
        "phoneNumber": phone,
        "webHookUrl": hook,
    }
    return requests.post(simulator.base_url + ORDER_PATH, json=body, timeout=5)


def _start(running: list[TaramoneySimulator], spec: str) -> TaramoneySimulator:
    simulator = _simulator(spec)
    simulator.start()
    running.append(simulator)
    return simulator


def _wait_for_deliveries(simulator: TaramoneySimulator, count: int) -> list[dict[str, object]]:
    deadline = time.monotonic() + 5
    while len(simulator.ledger.deliveries) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # and no more than that
    return simulator.ledger.view()["deliveries"]


def test_a_5xx_order_is_not_placed_and_never_calls_back(running: list[TaramoneySimulator], hooks: HTTPServer) -> None:
    simulator = _start(running, "5xx=1")

    answer = _order(simulator, "650123456", hooks.url_for("/hook"))

    assert answer.status_code in {500, 502, 503, 504}
    assert _wait_for_deliveries(simulator, 0) == []


def test_a_garbled_answer_is_unreadable_but_the_order_was_placed(
    running: list[TaramoneySimulator], hooks: HTTPServer
) -> None:
    simulator = _start(running, "garbled=1;seed=1")

    answers = [_order(simulator, f"65012345{n}", hooks.url_for("/hook")) for n in range(6)]

    for answer in answers:
        assert answer.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(answer.content)
    assert len(_wait_for_deliveries(simulator, 6)) == 6


def test_declined_customers_get_a_failure_webhook_and_twice_means_two_deliveries(
    running: list[TaramoneySimulator], hooks: HTTPServer
) -> None:
    simulator = _start(running, "decline=1,twice=1")

    _order(simulator, "650123456", hooks.url_for("/hook"))

    deliveries = _wait_for_deliveries(simulator, 2)
    assert [d["payload"]["status"] for d in deliveries] == ["FAILURE", "FAILURE"]  # type: ignore[index]


def test_faults_are_shown_and_replaced_over_http(running: list[TaramoneySimulator], hooks: HTTPServer) -> None:
    simulator = _start(running, "5xx=1")

    replaced = requests.put(f"{simulator.base_url}/__faults", data="", timeout=5)
    refused = requests.put(f"{simulator.base_url}/__faults", data="5xx=2", timeout=5)

    assert replaced.json() == {"faults": ""}
    assert refused.status_code == 400
    assert _order(simulator, "650123456", hooks.url_for("/hook")).status_code == 200
