"""``make soak``: many payments through the local stack under faults, then an audit that nothing was lost.

N payments (default 500) from 16 concurrent clients, each from its POST to its event on
``PaymentEventsQueue``, with AWS faults on (``LOCAL_FAULTS``) and Taramoney misbehaving
(``SIMULATOR_FAULTS``: slow, 5xx and garbled answers; customers who decline or never
answer; webhooks out of order and some twice). Then the table, the queue and the
simulator's ledger are compared:

- every payment Taramoney reported paid is SUCCESS; every declined one FAILURE;
- every payment's final status has its event (``eventId`` ``{paymentId}:{status}``) on
  the queue, copies of an event only as exact redeliveries (the same ``detail``), and
  no event for a status the payment could not have passed through;
- nothing is PENDING past its deadline; no parked webhook is left unapplied.

Prints a summary, writes it as JSON (``.local/soak-summary.json``), exits 1 on any loss.
``python -m local_stack.soak --help`` for the options.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import requests

from .launcher import local_stack
from .template import ROOT

DEFAULT_AWS_FAULTS = (
    "dynamodb.UpdateItem=0.1:throttle,dynamodb.TransactWriteItems=0.05:throughput,"
    "events.PutEvents=0.2:partial,sqs.SendMessage=0.05:500,*=0.02:timeout;seed=7"
)
DEFAULT_SIMULATOR_FAULTS = "slow=0.02:4,5xx=0.02,garbled=0.02,decline=0.1,silent=0.03,twice=0.1,shuffle=2;seed=7"
TERMINAL = ("SUCCESS", "FAILURE", "EXPIRED")
# Statuses a payment may have been announced in before its final one (SPEC section 5).
EARLIER = {"SUCCESS": {"EXPIRED", "FAILURE"}, "FAILURE": {"EXPIRED"}, "EXPIRED": set()}
_SCENARIO_ENDINGS = {f"{n:06d}" for n in range(1, 8)}  # the simulator's test numbers


@dataclass
class SoakOptions:
    payments: int = 500
    clients: int = 16
    aws_faults: str = DEFAULT_AWS_FAULTS
    simulator_faults: str = DEFAULT_SIMULATOR_FAULTS
    payment_timeout_seconds: int = 45
    settle_grace_seconds: float = 60.0  # after the last deadline, for retries to finish
    redelivery_wait_seconds: float = 3.0  # after everything settled
    environments: int = 4  # per function, all started first: the clients never wait on a cold start


@dataclass
class Post:
    started: float
    status: int
    payment_id: str | None


@dataclass
class Summary:
    sent: int = 0
    answered: dict[str, int] = field(default_factory=dict)
    stored: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    paid: int = 0
    declined: int = 0
    webhooks_delivered: int = 0
    webhooks_refused: int = 0
    events: int = 0
    distinct_event_ids: int = 0
    duplicates: int = 0
    conflicting_duplicates: int = 0
    lost: int = 0
    paid_not_success: int = 0
    declined_not_failure: int = 0
    unexplained_events: int = 0
    stuck_pending: int = 0
    parked_left: int = 0
    faults_injected: dict[str, int] = field(default_factory=dict)
    simulator_faults: dict[str, int] = field(default_factory=dict)
    post_seconds: float = 0.0
    total_seconds: float = 0.0
    throughput_payments_per_second: float = 0.0
    latency_seconds: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return bool(self.problems)


class EventCollector(threading.Thread):
    """A consumer of PaymentEventsQueue: every message kept with the time it came."""

    def __init__(self, sqs: Any, queue_url: str) -> None:
        super().__init__(name="soak-events", daemon=True)
        self._sqs, self._url = sqs, queue_url
        self.received: list[tuple[float, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                messages = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            except Exception:
                time.sleep(0.5)
                continue
            now = time.time()
            batch = messages.get("Messages", [])
            with self._lock:
                self.received += [(now, json.loads(m["Body"])) for m in batch]
            for message in batch:
                self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])

    def snapshot(self) -> list[tuple[float, dict[str, Any]]]:
        with self._lock:
            return list(self.received)


def phone_numbers(count: int, start: int) -> list[str]:
    """Distinct MTN (67...) and Orange (69...) numbers, none of them a simulator test number."""
    numbers: list[str] = []
    candidate = start
    while len(numbers) < count:
        prefix = "67" if candidate % 2 else "69"
        number = f"{prefix}{candidate % 10**7:07d}"
        if number[-6:] not in _SCENARIO_ENDINGS:
            numbers.append(number)
        candidate += 1
    return numbers


class Soak:
    def __init__(self, outputs: dict[str, str], options: SoakOptions, log: Callable[[str], None] = print) -> None:
        self.outputs = outputs
        self.options = options
        self.log = log
        self.tag = f"soak-{uuid.uuid4().hex[:10]}"
        self._local = threading.local()
        session = boto3.Session(region_name=outputs["Region"], aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106 - the emulator's placeholder
        self.sqs = session.client("sqs", endpoint_url=outputs["AwsEndpointUrl"])
        self.dynamodb = session.client("dynamodb", endpoint_url=outputs["AwsEndpointUrl"])

    # -- drive ----------------------------------------------------------------------------------
    def run(self) -> Summary:
        options = self.options
        self._set_faults(options.aws_faults, options.simulator_faults)
        collector = EventCollector(self.sqs, self.outputs["PaymentEventsQueueUrl"])
        collector.start()
        began = time.time()
        numbers = phone_numbers(options.payments, start=int(began * 1000) % 10**6 * 10)
        with ThreadPoolExecutor(max_workers=options.clients) as clients:
            posts = list(clients.map(self._post, numbers))
        posted = time.time()
        self.log(f"{len(posts)} payments sent in {posted - began:.1f} s; waiting for them to settle ...")
        self._wait_until_settled(
            collector, deadline=posted + options.payment_timeout_seconds + options.settle_grace_seconds
        )
        time.sleep(options.redelivery_wait_seconds)  # a late redelivery is counted too
        collector.stopping.set()
        collector.join(timeout=5)
        summary = self._audit(posts, collector.snapshot())
        summary.post_seconds = round(posted - began, 2)
        summary.total_seconds = round(time.time() - began, 2)
        summary.throughput_payments_per_second = round(len(posts) / max(posted - began, 1e-9), 2)
        summary.options = asdict(options)
        return summary

    def _set_faults(self, aws: str, simulator: str) -> None:
        requests.put(self.outputs["LocalFaultsUrl"], data=aws, timeout=10).raise_for_status()
        requests.put(f"{self.outputs['TaramoneySimulatorUrl']}/__faults", data=simulator, timeout=10).raise_for_status()

    def _post(self, phone_number: str) -> Post:
        session = getattr(self._local, "session", None) or requests.Session()
        self._local.session = session
        body = {"productId": self.tag, "productName": "Soak", "productPrice": 100, "phoneNumber": phone_number}
        started = time.time()
        try:
            answer = session.post(f"{self.outputs['ApiUrl']}/payments", json=body, timeout=60)
        except requests.RequestException:
            return Post(started, 0, None)
        try:
            payment_id = answer.json().get("paymentId")
        except ValueError:
            payment_id = None
        return Post(started, answer.status_code, payment_id)

    def _wait_until_settled(self, collector: EventCollector, deadline: float) -> None:
        while time.time() < deadline:
            payments = self._payments()
            announced = {event["detail"].get("eventId") for _, event in collector.snapshot() if "detail" in event}
            open_ = [
                p for p in payments if p["status"] not in TERMINAL or f"{p['paymentId']}:{p['status']}" not in announced
            ]
            if not open_ and self._parked_left() == 0:
                return
            time.sleep(2)
        self.log("settling timed out: auditing what is there")

    # -- read -----------------------------------------------------------------------------------
    def _payments(self) -> list[dict[str, Any]]:
        from boto3.dynamodb.types import TypeDeserializer

        deserializer = TypeDeserializer()
        request: dict[str, Any] = {
            "TableName": self.outputs["PaymentsTableName"],
            "FilterExpression": "productId = :tag AND entityType = :payment",
            "ExpressionAttributeValues": {":tag": {"S": self.tag}, ":payment": {"S": "PAYMENT"}},
            "ConsistentRead": True,
        }
        items: list[dict[str, Any]] = []
        while True:
            page = self.dynamodb.scan(**request)
            items += [{k: deserializer.deserialize(v) for k, v in item.items()} for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return items
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _parked_left(self) -> int:
        left = 0
        for name in ("ParkedWebhooksQueue", "ParkedWebhooksDeadLetterQueue"):
            url = self.sqs.get_queue_url(QueueName=f"local-{name}")["QueueUrl"]
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            left += sum(int(value) for value in attributes.values())
        return left

    def _ledger(self) -> dict[str, Any]:
        answer: dict[str, Any] = requests.get(f"{self.outputs['TaramoneySimulatorUrl']}/__ledger", timeout=30).json()
        return answer

    # -- audit ----------------------------------------------------------------------------------
    def _audit(self, posts: list[Post], received: list[tuple[float, dict[str, Any]]]) -> Summary:
        summary = Summary(sent=len(posts))
        summary.answered = dict(sorted(Counter(str(post.status) for post in posts).items()))
        payments = {p["paymentId"]: p for p in self._payments()}
        summary.stored = len(payments)
        summary.statuses = dict(sorted(Counter(p["status"] for p in payments.values()).items()))
        ledger = self._ledger()
        orders = [o for o in ledger["orders"] if o.get("request", {}).get("productId") == self.tag]
        summary.simulator_faults = dict(Counter(o["fault"] for o in orders if o.get("fault")))
        reported: dict[str, list[str]] = defaultdict(list)
        for delivery in ledger["deliveries"]:
            payment_id = _payment_of(delivery["url"])
            if payment_id in payments:
                reported[payment_id].append(delivery["payload"]["status"])
                summary.webhooks_delivered += 1
                summary.webhooks_refused += delivery.get("status") != 200
        paid = {pid for pid, statuses in reported.items() if "SUCCESS" in statuses}
        declined = {pid for pid, statuses in reported.items() if set(statuses) == {"FAILURE"}}
        summary.paid, summary.declined = len(paid), len(declined)
        summary.paid_not_success = sum(payments[pid]["status"] != "SUCCESS" for pid in paid)
        summary.declined_not_failure = sum(payments[pid]["status"] != "FAILURE" for pid in declined)
        now = datetime.now(UTC)
        summary.stuck_pending = sum(
            p["status"] == "PENDING" and datetime.fromisoformat(p["expiresAt"].replace("Z", "+00:00")) < now
            for p in payments.values()
        )
        summary.parked_left = self._parked_left()

        events = [(at, e) for at, e in received if e.get("detail", {}).get("paymentId") in payments]
        by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for _, event in events:
            by_id[event["detail"]["eventId"]].append(event["detail"])
        summary.events = len(events)
        summary.distinct_event_ids = len(by_id)
        summary.duplicates = sum(len(copies) - 1 for copies in by_id.values())
        summary.conflicting_duplicates = sum(any(c != copies[0] for c in copies) for copies in by_id.values())
        final_ids = {f"{pid}:{p['status']}" for pid, p in payments.items() if p["status"] in TERMINAL}
        summary.lost = len(final_ids - by_id.keys())
        summary.unexplained_events = sum(
            event_id not in final_ids
            and event_id.rsplit(":", 1)[1] not in EARLIER.get(payments[event_id.rsplit(":", 1)[0]]["status"], set())
            for event_id in by_id
        )
        summary.latency_seconds = _latencies(posts, events)
        summary.faults_injected = requests.get(self.outputs["LocalFaultsUrl"], timeout=10).json()["injected"]
        summary.problems = _problems(summary)
        return summary


def _payment_of(url: str) -> str:
    parts = url.split("/payments/", 1)[-1].split("/")
    return parts[0] if parts else ""


def _latencies(posts: list[Post], events: list[tuple[float, dict[str, Any]]]) -> dict[str, float]:
    """POST to the first event, for payments a webhook settled (an expiry waits out its deadline)."""
    first: dict[str, float] = {}
    for at, event in sorted(events, key=lambda pair: pair[0]):
        detail = event["detail"]
        if detail["status"] != "EXPIRED":
            first.setdefault(detail["paymentId"], at)
    samples = sorted(first[p.payment_id] - p.started for p in posts if p.payment_id in first)
    if not samples:
        return {}

    def percentile(q: float) -> float:
        return round(samples[min(len(samples) - 1, int(q * len(samples)))], 3)

    return {
        "count": len(samples),
        "p50": percentile(0.5),
        "p90": percentile(0.9),
        "p99": percentile(0.99),
        "max": round(samples[-1], 3),
        "mean": round(statistics.fmean(samples), 3),
    }


def _problems(summary: Summary) -> list[str]:
    checks = {
        "paid payments not SUCCESS": summary.paid_not_success,
        "declined payments not FAILURE": summary.declined_not_failure,
        "final statuses without their event (lost)": summary.lost,
        "eventIds sent with different details": summary.conflicting_duplicates,
        "events for a status the payment never had": summary.unexplained_events,
        "payments PENDING past their deadline": summary.stuck_pending,
        "parked webhooks left unapplied": summary.parked_left,
        "payments in the table": 0 if summary.stored else 1,
    }
    return [f"{name}: {count}" for name, count in checks.items() if count]


def render(summary: Summary) -> str:
    latency = summary.latency_seconds
    rows = [
        ("sent (POST /payments)", f"{summary.sent} from {summary.options.get('clients')} clients"),
        ("answered", ", ".join(f"{status}: {n}" for status, n in summary.answered.items())),
        ("stored", str(summary.stored)),
        ("settled", ", ".join(f"{status}: {n}" for status, n in summary.statuses.items())),
        ("paid / declined (ledger)", f"{summary.paid} / {summary.declined}"),
        ("webhooks delivered / refused", f"{summary.webhooks_delivered} / {summary.webhooks_refused}"),
        ("events on the queue", str(summary.events)),
        ("distinct eventIds", str(summary.distinct_event_ids)),
        ("duplicates (exact redeliveries)", str(summary.duplicates)),
        ("duplicates with another detail", str(summary.conflicting_duplicates)),
        ("lost", str(summary.lost)),
        ("paid not SUCCESS", str(summary.paid_not_success)),
        ("stuck PENDING / parked left", f"{summary.stuck_pending} / {summary.parked_left}"),
        ("AWS faults injected", str(sum(summary.faults_injected.values()))),
        ("simulator faults", ", ".join(f"{k}: {v}" for k, v in sorted(summary.simulator_faults.items())) or "-"),
        ("throughput", f"{summary.throughput_payments_per_second} payments/s over {summary.post_seconds} s"),
        (
            "latency POST -> event",
            f"p50 {latency.get('p50')} s, p90 {latency.get('p90')} s, p99 {latency.get('p99')} s, "
            f"max {latency.get('max')} s ({latency.get('count', 0)} settled by webhook)",
        ),
        ("duration", f"{summary.total_seconds} s"),
        ("verdict", "LOSS: " + "; ".join(summary.problems) if summary.failed else "nothing lost"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)


def soak_settings(options: SoakOptions) -> dict[str, str]:
    """The stack's settings for a soak: faults on, short timings, the expiry every second."""
    return {
        "LOCAL_FAULTS": options.aws_faults,
        "SIMULATOR_FAULTS": options.simulator_faults,
        "PAYMENT_TIMEOUT_SECONDS": str(options.payment_timeout_seconds),
        "LOCAL_SCHEDULE_SECONDS": "1",
        "LOCAL_MAX_CONCURRENCY": str(options.environments),
        "LOCAL_WARM_ENVIRONMENTS": str(options.environments),
        "SIMULATOR_WEBHOOK_DELAY_SECONDS": "0.2",
        "SIMULATOR_SLOW_SECONDS": "4",
        "PROVIDER_READ_TIMEOUT_SECONDS": "2",
    }


def main(argv: list[str] | None = None) -> int:
    defaults = SoakOptions()
    parser = argparse.ArgumentParser(prog="make soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=defaults.payments)
    parser.add_argument("--clients", type=int, default=defaults.clients)
    parser.add_argument("--faults", default=defaults.aws_faults, help="LOCAL_FAULTS spec")
    parser.add_argument("--simulator-faults", default=defaults.simulator_faults, help="SIMULATOR_FAULTS spec")
    parser.add_argument("--payment-timeout", type=int, default=defaults.payment_timeout_seconds)
    parser.add_argument("--output", type=Path, default=ROOT / ".local" / "soak-summary.json")
    parser.add_argument(
        "--state-dir", type=Path, default=ROOT / ".local" / "soak-stack", help="the stack's log is here"
    )
    arguments = parser.parse_args(argv)
    options = SoakOptions(
        payments=arguments.payments,
        clients=arguments.clients,
        aws_faults=arguments.faults,
        simulator_faults=arguments.simulator_faults,
        payment_timeout_seconds=arguments.payment_timeout,
    )
    print(f"Soak: {options.payments} payments, {options.clients} clients, faults {options.aws_faults}")
    with local_stack(arguments.state_dir, soak_settings(options)) as outputs:
        summary = Soak(outputs, options).run()
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(json.dumps(asdict(summary), indent=2) + "\n")
    print(render(summary))
    print(f"  written to {arguments.output}")
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
