"""With tracing on, as deployed: what X-Ray receives for a payment.

Each function runs as in Lambda with ``Tracing: Active`` (in a fresh interpreter, the
bench's way: moto server, the Taramoney simulator), sending its segments to a UDP socket
standing in for the X-Ray daemon. The operations guide promises a subsegment for each AWS
call and for the order sent to Taramoney, and the payment's id as an annotation to search by.
"""

from __future__ import annotations

import json
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from bench.cold import Scenario, Scenarios
from bench.environment import BenchStack, start_stack
from bench.runs import child_environment, run_child
from bench.scenarios import get_payment_event, phone, start_payment_event
from local_stack import simulator
from taramoney_payments.observability import PAYMENT_ID_ANNOTATION

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def bench_stack() -> Iterator[BenchStack]:
    stack = start_stack()
    try:
        yield stack
    finally:
        stack.stop()


@contextmanager
def xray_daemon() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A UDP socket in place of the daemon: its address, then (once the block is done) what it received.

    The function's process has ended by then, so every datagram it sent is queued on the socket.
    """
    received: list[dict[str, Any]] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        yield f"127.0.0.1:{listener.getsockname()[1]}", received
        listener.setblocking(False)
        while True:
            try:
                datagram = listener.recv(65_535)
            except BlockingIOError:
                break
            _header, _, document = datagram.decode().partition("\n")
            received.append(json.loads(document))


def traced(bench_stack: BenchStack, logical_id: str, scenario: Scenario) -> tuple[list[Any], list[dict[str, Any]]]:
    with xray_daemon() as (address, segments):
        env = {**child_environment(bench_stack.specs[logical_id], traced=True), "AWS_XRAY_DAEMON_ADDRESS": address}
        answers: list[Any] = run_child("function", env, scenario.events)["answers"]
    assert scenario.check(answers), answers
    return answers, segments


def named(segments: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [segment for segment in segments if segment["name"] == name]


def children(segments: list[dict[str, Any]], parent: dict[str, Any]) -> Counter[str]:
    return Counter(segment["name"] for segment in segments if segment.get("parent_id") == parent["id"])


def test_starting_a_payment_is_traced_call_by_call_under_its_payment_id(bench_stack: BenchStack) -> None:
    # given the payments API's first invocation: a payment started
    answers, segments = traced(
        bench_stack, "PaymentsApiFunction", Scenarios(bench_stack).first_invocation("PaymentsApiFunction")
    )

    # then its trace carries the payment's id, and a subsegment per AWS call and for the order
    (handler,) = named(segments, "## lambda_handler")
    view = json.loads(answers[0]["body"])
    assert handler["annotations"][PAYMENT_ID_ANNOTATION] == view["paymentId"]
    calls = children(segments, handler)
    assert calls["secretsmanager"] == 1
    assert calls["dynamodb"] == 4  # the idempotency record twice, the payment, the accepted order
    assert calls["## taramoney_payments.taramoney.TaramoneyClient.place_order"] == 1
    # but not the answer, which names the customer's phone
    assert view["phoneNumber"][-9:] not in json.dumps(segments)


def test_each_parked_webhook_of_a_batch_is_traced_under_its_own_payment_id(bench_stack: BenchStack) -> None:
    # given a batch of two parked webhooks, for two payments
    scenarios = Scenarios(bench_stack)
    first, second = (scenarios.first_invocation("ParkedWebhooksFunction") for _ in range(2))
    batch = first.events[0]
    batch["Records"].append({**second.events[0]["Records"][0], "messageId": "second-parked-webhook"})
    payment_ids = {json.loads(record["body"])["paymentId"] for record in batch["Records"]}

    # when the function applies them
    _, segments = traced(bench_stack, "ParkedWebhooksFunction", Scenario([batch], first.check, first.labels))

    # then each has a subsegment of its own with its payment's id, holding its AWS call
    (handler,) = named(segments, "## lambda_handler")
    assert PAYMENT_ID_ANNOTATION not in handler["annotations"]  # it would name one payment of the batch
    records = named(segments, "## payment")
    assert len(records) == 2
    assert {record["annotations"][PAYMENT_ID_ANNOTATION] for record in records} == payment_ids
    assert all(record["parent_id"] == handler["id"] for record in records)
    assert all(children(segments, record)["dynamodb"] == 1 for record in records)


@pytest.mark.parametrize("logical_id", ["PaymentExpiryFunction", "EventPublisherFunction"])
def test_each_payment_a_background_run_changes_is_traced_under_its_own_payment_id(
    bench_stack: BenchStack, logical_id: str
) -> None:
    # given a run over several payments: three past their deadline, or ten settled in one stream batch
    scenario = Scenarios(bench_stack).operations(logical_id)

    # when the function handles them
    _, segments = traced(bench_stack, logical_id, scenario)

    # then each payment's own AWS call (its expiry, its phone slot given back) sits in a
    # subsegment of its own carrying its payment's id
    (handler,) = named(segments, "## lambda_handler")
    assert PAYMENT_ID_ANNOTATION not in handler["annotations"]
    records = named(segments, "## payment")
    payment_ids = {record["annotations"][PAYMENT_ID_ANNOTATION] for record in records}
    assert len(records) == len(payment_ids) == (3 if logical_id == "PaymentExpiryFunction" else 10)
    assert all(record["parent_id"] == handler["id"] for record in records)
    assert all(children(segments, record)["dynamodb"] == 1 for record in records)


def test_a_payment_id_a_caller_made_up_stays_out_of_the_trace(bench_stack: BenchStack) -> None:
    # given a read of a "payment" whose id is a caller's text, here a phone number
    made_up = "call-me-on-655123456-please"
    scenario = Scenario([get_payment_event(made_up)], lambda answers: answers[0]["statusCode"] == 404, ["read"])

    # when the API answers it (404)
    _, segments = traced(bench_stack, "PaymentsApiFunction", scenario)

    # then the trace does not carry it: X-Ray annotations are neither masked nor bounded
    (handler,) = named(segments, "## lambda_handler")
    assert PAYMENT_ID_ANNOTATION not in handler["annotations"]
    assert "655123456" not in json.dumps(segments)


def test_a_refusal_quoting_the_customers_number_reaches_the_trace_masked(
    bench_stack: BenchStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given Taramoney refusing an order with a message that quotes the customer's number
    number = phone(424_242)
    refusal = f"Le numero {number} ne peut pas payer"
    monkeypatch.setitem(simulator.SCENARIOS, number[-6:], simulator.Scenario("quoting", rejection=refusal))
    scenario = Scenario(
        [start_payment_event(number, "quoting-refusal")], lambda answers: answers[0]["statusCode"] == 502, ["refused"]
    )

    # when the API starts the payment and Taramoney refuses it
    _, segments = traced(bench_stack, "PaymentsApiFunction", scenario)

    # then the order's subsegment records the refusal, with the number masked as in a log line
    (order,) = named(segments, "## taramoney_payments.taramoney.TaramoneyClient.place_order")
    recorded = json.dumps(order)
    assert order["fault"] or order["error"]
    assert f"Le numero {number[:3]}***{number[-3:]} ne peut pas payer" in recorded
    assert number not in json.dumps(segments)
