"""Cold starts: import plus first representative invocation, in fresh interpreters, against the floor.

Each round runs every function once, each right after a run of the floor (``import
boto3``, a DynamoDB client, one ``update_item``), so that a function and its reference
share the machine's state of the moment; the ratio is the median of the paired ratios.
The AWS calls of each operation are counted in separate runs.
"""

from __future__ import annotations

import json
import secrets
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from taramoney_payments.repository import PaymentRepository

from .environment import BenchStack
from .runs import child_environment, run_child
from .scenarios import (
    FUNCTIONS,
    get_payment_event,
    parked_event,
    pending_payment,
    phone,
    scheduled_event,
    start_payment_event,
    stream_event,
    webhook_event,
)

_serials = iter(range(1, 10**6))


@dataclass
class Scenario:
    """The events of one run of a function (prepared in the table first) and how to tell they worked."""

    events: list[Any]
    check: Callable[[list[Any]], bool]
    labels: list[str]


def _status(expected: int) -> Callable[[Any], bool]:
    return lambda answer: isinstance(answer, dict) and answer.get("statusCode") == expected


def _no_failures(answer: Any) -> bool:
    return isinstance(answer, dict) and answer.get("batchItemFailures") == []


class Scenarios:
    def __init__(self, stack: BenchStack) -> None:
        self._stack = stack
        table = stack.specs["WebhookFunction"].environment["PAYMENTS_TABLE_NAME"]
        self._repository = PaymentRepository(stack.client("dynamodb"), table)

    def _pending(self, *, expires_in: timedelta = timedelta(minutes=15)) -> Any:
        payment = pending_payment(secrets.token_urlsafe(16), phone(next(_serials)), expires_in=expires_in)
        self._repository.add_pending(payment, max_pending_per_phone=3)
        return payment

    def first_invocation(self, logical_id: str) -> Scenario:
        return self.operations(logical_id, counting=False)

    def operations(self, logical_id: str, *, counting: bool = True) -> Scenario:
        """The first invocation (``counting=False``), or the sequence whose AWS calls are counted."""
        key = secrets.token_hex(8)
        function = FUNCTIONS[logical_id]
        if function == "payments_api":
            events = [start_payment_event(phone(next(_serials)), key)]
            if not counting:
                return Scenario(events, lambda answers: _status(201)(answers[0]), ["initiation"])
            events += [
                start_payment_event(phone(next(_serials)), key + "b"),
                get_payment_event(self._pending().payment_id),
            ]
            return Scenario(
                events,
                lambda answers: [a.get("statusCode") for a in answers] == [201, 201, 200],
                ["initiation (first, reads the secret)", "initiation", "status read"],
            )
        if function == "webhook":
            events = [webhook_event(self._pending(), self._stack.signing_key)]
            labels = ["webhook (first, reads the secret)"]
            if counting:  # another payment settled once the secret is cached, then its webhook again
                events += [webhook_event(self._pending(), self._stack.signing_key)] * 2
                labels += ["webhook (happy path)", "webhook (duplicate)"]
            return Scenario(
                events,
                lambda answers: all(_status(200)(a) and json.loads(a["body"])["status"] == "SUCCESS" for a in answers),
                labels,
            )
        if function == "parked_webhooks":
            return Scenario(
                [parked_event(self._pending())], lambda answers: _no_failures(answers[0]), ["parked webhook"]
            )
        if function == "event_publisher":
            batch = [self._pending() for _ in range(10 if counting else 1)]
            return Scenario(
                [stream_event(batch)],
                lambda answers: _no_failures(answers[0]),
                [f"publish (batch of {len(batch)})"],
            )
        due = 3 if counting else 1
        for _ in range(due):
            self._pending(expires_in=timedelta(seconds=-1))
        return Scenario(
            [scheduled_event()],
            lambda answers: answers[0].get("expired") == due,
            [f"expiry run ({due} due)"],
        )


def measure_cold_starts(
    stack: BenchStack, rounds: int, progress: Callable[[str], None], *, traced: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Each function run right after a floor run: the ratio of each pair, then the median of those ratios.

    Pairing keeps a function and its reference under the same load of a shared machine;
    the medians of the times are reported too.
    """
    scenarios = Scenarios(stack)
    floor_env = child_environment(stack.specs["WebhookFunction"])
    variants = [(logical_id, False) for logical_id in FUNCTIONS] + [(logical_id, True) for logical_id in traced]
    floors: list[float] = []
    runs: dict[str, list[dict[str, float]]] = {}
    for round_number in range(1, rounds + 1):
        progress(f"cold starts: round {round_number}/{rounds}")
        for logical_id, is_traced in variants:
            name = logical_id + (" (tracing on)" if is_traced else "")
            scenario = scenarios.first_invocation(logical_id)
            floor = run_child("floor", floor_env)["total_s"]
            env = child_environment(stack.specs[logical_id], traced=is_traced)
            result = run_child("function", env, scenario.events)
            if not scenario.check(result["answers"]):
                raise RuntimeError(f"{name}: the first invocation did not succeed: {result['answers']}")
            floors.append(floor)
            runs.setdefault(name, []).append({**result, "floor_s": floor})
    report: dict[str, Any] = {"floor_s": statistics.median(floors), "floor_runs_s": floors, "functions": {}}
    for name, measured in runs.items():
        report["functions"][name] = {
            "median_s": statistics.median(run["total_s"] for run in measured),
            "import_median_s": statistics.median(run["import_s"] for run in measured),
            "first_invocation_median_s": statistics.median(run["invoke_s"] for run in measured),
            "ratio_to_floor": statistics.median(run["total_s"] / run["floor_s"] for run in measured),
            "peak_rss_mb": max(run["peak_rss_mb"] for run in measured),
            "runs_s": [run["total_s"] for run in measured],
            "paired_floors_s": [run["floor_s"] for run in measured],
        }
    return report


def count_aws_calls(stack: BenchStack, progress: Callable[[str], None]) -> dict[str, Any]:
    scenarios = Scenarios(stack)
    counted: dict[str, Any] = {}
    for logical_id in FUNCTIONS:
        progress(f"AWS calls: {logical_id}")
        scenario = scenarios.operations(logical_id)
        result = run_child("calls", child_environment(stack.specs[logical_id]), scenario.events)
        if not scenario.check(result["answers"]):
            raise RuntimeError(f"{logical_id}: the counted operations did not succeed: {result['answers']}")
        for label, calls in zip(scenario.labels, result["calls"], strict=True):
            counted[label] = {"function": logical_id, "calls": calls, "total": sum(calls.values())}
    return counted
