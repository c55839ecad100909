"""What the system answers when AWS or Taramoney fail, one fault kind at a time.

A stack of its own, its functions reaching AWS through the fault proxy; each test
switches on the faults it needs (``PUT`` to the proxy's and the simulator's
``/__faults``), scoped to one function where that makes the story clear, and off again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.local_stack_session import Client, EventInbox, RunningStack, event_inbox, running_stack

pytestmark = pytest.mark.e2e
PAYMENT_TIMEOUT_SECONDS = 12


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    # A longer deadline than the shared stack's: retries and parking take seconds on a busy machine.
    settings = {"LOCAL_FAULTS": "seed=1", "PAYMENT_TIMEOUT_SECONDS": str(PAYMENT_TIMEOUT_SECONDS)}
    with running_stack(tmp_path_factory.mktemp("faulty-stack"), **settings) as running:
        yield running


@pytest.fixture(scope="module")
def events(faulty: RunningStack) -> Iterator[EventInbox]:
    with event_inbox(faulty) as draining:
        yield draining


@pytest.fixture(scope="module")
def payments(faulty: RunningStack) -> Client:
    return Client(faulty)


@pytest.fixture
def faults(faulty: RunningStack) -> Iterator[Any]:
    """Set the AWS faults (and the simulator's) for one test; both are cleared after it."""

    def use(aws: str = "", simulator: str = "") -> dict[str, Any]:
        requests.put(f"{faulty.simulator}/__faults", data=simulator, timeout=5).raise_for_status()
        answer = requests.put(faulty.outputs["LocalFaultsUrl"], data=aws or "seed=1", timeout=5)
        answer.raise_for_status()
        report: dict[str, Any] = answer.json()
        return report

    yield use
    use()


def _injected(faulty: RunningStack) -> dict[str, int]:
    report: dict[str, int] = requests.get(faulty.outputs["LocalFaultsUrl"], timeout=5).json()["injected"]
    return report


def _only_event(events: EventInbox, payment_id: str, detail_type: str) -> dict[str, Any]:
    event = events.wait_for(payment_id, detail_type, timeout=20)
    time.sleep(1)  # a redelivery would be here by now
    ids = {e["detail"]["eventId"] for e in events.of(payment_id)}
    assert ids == {event["detail"]["eventId"]}
    return event


def test_a_throttled_webhook_write_is_parked_answered_200_and_applied_later(
    faulty: RunningStack, payments: Client, events: EventInbox, faults: Any
) -> None:
    # given the webhook's every write to the payments table throttled
    faults("WebhookFunction/dynamodb.UpdateItem=1:throttle")

    # when a customer pays and Taramoney calls back
    payment_id = payments.start("650111001").json()["paymentId"]

    # then Taramoney is answered 200, and the parked webhook settles the payment
    assert payments.wait_for_status(payment_id, "SUCCESS", timeout=20)["status"] == "SUCCESS"
    (delivery,) = payments.deliveries(payment_id)
    assert delivery["status"] == 200
    assert _injected(faulty)["WebhookFunction/dynamodb.UpdateItem:throttle"] >= 2
    assert _only_event(events, payment_id, "Payment Succeeded")["detail"]["previousStatus"] == "PENDING"


def test_a_short_provisioned_throughput_refusal_at_initiation_is_ridden_out(
    faulty: RunningStack, payments: Client, faults: Any
) -> None:
    # given the next two initiation writes refused for throughput
    faults("PaymentsApiFunction/dynamodb.TransactWriteItems=#2:throughput")

    # when a payment is started
    answer = payments.start("650111002")

    # then the retries carry it: 201, one order at Taramoney
    assert answer.status_code == 201, answer.text
    assert _injected(faulty)["PaymentsApiFunction/dynamodb.TransactWriteItems:throughput"] == 2


def test_a_webhook_write_applied_but_timed_out_is_recognised_when_retried(
    faulty: RunningStack, payments: Client, events: EventInbox, faults: Any
) -> None:
    # given the webhook's first write applied by DynamoDB but its answer lost
    faults("WebhookFunction/dynamodb.UpdateItem=#1:timeout")

    # when Taramoney calls back
    payment_id = payments.start("650111003").json()["paymentId"]
    payments.wait_for_status(payment_id, "SUCCESS", timeout=20)

    # then the retried write finds the payment already SUCCESS: 200, not WEBHOOK_NOT_STORED
    deadline = time.monotonic() + 10
    while not payments.deliveries(payment_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    (delivery,) = payments.deliveries(payment_id)
    assert (delivery["status"], '"status": "SUCCESS"' in delivery["response"]) == (200, True)
    assert _injected(faulty)["WebhookFunction/dynamodb.UpdateItem:timeout"] == 1
    _only_event(events, payment_id, "Payment Succeeded")


def test_put_events_failing_with_500_delays_the_event_and_never_loses_it(
    faulty: RunningStack, payments: Client, events: EventInbox, faults: Any
) -> None:
    # given EventBridge answering 500 to the event publisher
    faults("EventPublisherFunction/events.PutEvents=1:500")

    # when a payment succeeds
    payment_id = payments.start("650111004").json()["paymentId"]
    payments.wait_for_status(payment_id, "SUCCESS")
    time.sleep(1)
    assert events.of(payment_id) == []

    # then once EventBridge recovers its event arrives, once
    faults()
    assert _only_event(events, payment_id, "Payment Succeeded")["detail"]["status"] == "SUCCESS"


def test_put_events_partial_failures_are_resent_until_each_event_is_out_once(
    faulty: RunningStack, payments: Client, events: EventInbox, faults: Any
) -> None:
    # given PutEvents refusing part of every call
    faults("events.PutEvents=1:partial")

    # when a few payments succeed at once
    ids = [payments.start(f"65011110{n}").json()["paymentId"] for n in range(5, 9)]
    for payment_id in ids:
        payments.wait_for_status(payment_id, "SUCCESS")
    time.sleep(2)
    faults()

    # then every payment has its one event (a resent copy would carry the same eventId and detail)
    for payment_id in ids:
        event = events.wait_for(payment_id, "Payment Succeeded", timeout=20)
        assert all(e["detail"] == event["detail"] for e in events.of(payment_id))
    assert any(kind.endswith(":partial") for kind in _injected(faulty))


def test_a_slow_provider_answers_504_and_the_webhook_still_settles(
    payments: Client, events: EventInbox, faults: Any
) -> None:
    faults(simulator="slow=1:3")

    answer = payments.start("650111009")

    assert (answer.status_code, answer.json()["code"]) == (504, "PROVIDER_UNAVAILABLE")
    payment_id = answer.json()["paymentId"]
    assert payments.get(payment_id).json()["status"] == "PENDING"
    _only_event(events, payment_id, "Payment Succeeded")


def test_a_garbled_provider_answer_leaves_the_payment_pending_until_its_webhook(
    payments: Client, events: EventInbox, faults: Any
) -> None:
    faults(simulator="garbled=1")

    answer = payments.start("650111010")

    assert (answer.status_code, answer.json()["code"]) == (502, "PROVIDER_UNAVAILABLE")
    payment_id = answer.json()["paymentId"]
    _only_event(events, payment_id, "Payment Succeeded")


def test_a_provider_5xx_leaves_the_payment_pending_until_it_expires(
    payments: Client, events: EventInbox, faults: Any
) -> None:
    faults(simulator="5xx=1")

    answer = payments.start("650111011")

    assert (answer.status_code, answer.json()["code"]) == (502, "PROVIDER_UNAVAILABLE")
    payment_id = answer.json()["paymentId"]
    assert payments.get(payment_id).json()["status"] == "PENDING"
    expired = events.wait_for(payment_id, "Payment Expired", timeout=PAYMENT_TIMEOUT_SECONDS + 10)
    assert expired["detail"]["failureReason"] == "EXPIRED"
