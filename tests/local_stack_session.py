"""The local stack, started once per test session on free ports, driven as a client would.

Everything goes over HTTP (the API, the webhook URL, the simulator's ledger) and over
boto3 against the emulated endpoint (the events queue). Timings are shortened by the
stack's own variables: payments expire after a few seconds, the expiry schedule runs
every second, the simulator calls back quickly and its slow number outlives a short
read timeout.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from local_stack.launcher import StackDidNotStart, local_stack

PAYMENT_TIMEOUT_SECONDS = 5
# Timings shortened by the stack's own variables (module docstring).
FAST_SETTINGS = {
    "PAYMENT_TIMEOUT_SECONDS": str(PAYMENT_TIMEOUT_SECONDS),
    "LOCAL_SCHEDULE_SECONDS": "1",
    "SIMULATOR_WEBHOOK_DELAY_SECONDS": "0.3",
    "SIMULATOR_SLOW_SECONDS": "3",
    "PROVIDER_READ_TIMEOUT_SECONDS": "1.5",
}


@dataclass
class RunningStack:
    outputs: dict[str, str]
    log_file: Path

    @property
    def api(self) -> str:
        return self.outputs["ApiUrl"]

    @property
    def webhook(self) -> str:
        return self.outputs["WebhookUrl"].rstrip("/")

    @property
    def simulator(self) -> str:
        return self.outputs["TaramoneySimulatorUrl"]

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.outputs["AwsEndpointUrl"],
            region_name=self.outputs["Region"],
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )


@contextmanager
def running_stack(state: Path, **settings: str) -> Iterator[RunningStack]:
    """A local stack with the fast settings (and ``settings``) while the block runs."""
    try:
        with local_stack(state, {**FAST_SETTINGS, **settings}) as outputs:
            yield RunningStack(outputs, state / "stack.log")
    except StackDidNotStart as error:
        pytest.fail(str(error))
    finally:
        print(f"local stack log: {state / 'stack.log'}")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with running_stack(tmp_path_factory.mktemp("local-stack")) as running:
        yield running


@dataclass
class EventInbox:
    """A consumer of PaymentEventsQueue: drains it, keeps every event for the tests to look at."""

    events: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, payment_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.events if e.get("detail", {}).get("paymentId") == payment_id]

    def wait_for(self, payment_id: str, detail_type: str, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in self.of(payment_id) if e.get("detail-type") == detail_type]
            if found:
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"no {detail_type!r} event for {payment_id} (saw {self.of(payment_id)})")


@contextmanager
def event_inbox(stack: RunningStack) -> Iterator[EventInbox]:
    """A consumer draining the stack's PaymentEventsQueue while the block runs."""
    assert "PaymentEventsQueueUrl" in stack.outputs, "the template has no PaymentEventsQueueUrl output yet"
    url = stack.outputs["PaymentEventsQueueUrl"]
    sqs = stack.client("sqs")
    inbox = EventInbox()
    stopping = threading.Event()

    def drain() -> None:
        while not stopping.is_set():
            try:
                messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
                    "Messages", []
                )
            except Exception:
                time.sleep(0.5)
                continue
            for message in messages:
                with inbox.lock:
                    inbox.events.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    try:
        yield inbox
    finally:
        stopping.set()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def inbox(stack: RunningStack) -> Iterator[EventInbox]:
    with event_inbox(stack) as draining:
        yield draining


class Client:
    """The payments API as a frontend calls it."""

    def __init__(self, stack: RunningStack) -> None:
        self.stack = stack
        self.http = requests.Session()

    def start(self, phone_number: str, price: int = 100, **extra: Any) -> requests.Response:
        body = {"productId": "product-456", "productName": "Nom du produit", "productPrice": price}
        return self.http.post(
            f"{self.stack.api}/payments", json={**body, "phoneNumber": phone_number, **extra}, timeout=30
        )

    def get(self, payment_id: str) -> requests.Response:
        return self.http.get(f"{self.stack.api}/payments/{payment_id}", timeout=10)

    def wait_for_status(self, payment_id: str, status: str, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        view: dict[str, Any] = {}
        while time.monotonic() < deadline:
            view = self.get(payment_id).json()
            if view.get("status") == status:
                return view
            time.sleep(0.2)
        raise AssertionError(f"{payment_id} is {view.get('status')}, not {status}: {view}")

    def deliveries(self, payment_id: str) -> list[dict[str, Any]]:
        ledger = self.http.get(f"{self.stack.simulator}/__ledger", timeout=5).json()
        return [d for d in ledger["deliveries"] if f"/payments/{payment_id}/" in d["url"]]


@pytest.fixture(scope="session")
def client(stack: RunningStack) -> Client:
    return Client(stack)
