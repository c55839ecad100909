"""The local stack, started once per test session on free ports, driven as a client would.

Everything goes over HTTP (the API, the webhook URL, the simulator's ledger) and over
boto3 against the emulated endpoint (the events queue). Timings are shortened by the
stack's own variables: payments expire after a few seconds, the expiry schedule runs
every second, the simulator calls back quickly and its slow number outlives a short
read timeout.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
PAYMENT_TIMEOUT_SECONDS = 5
STARTUP_TIMEOUT_SECONDS = 90
# Real mode must never leak in from a developer's shell.
_REAL_MODE_VARIABLES = ("TARAMONEY_API_URL", "TARAMONEY_API_KEY", "TARAMONEY_BUSINESS_ID", "PUBLIC_WEBHOOK_URL")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


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


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    state = tmp_path_factory.mktemp("local-stack")
    log_file = state / "stack.log"
    env = {key: value for key, value in os.environ.items() if key not in _REAL_MODE_VARIABLES}
    env.update(
        {
            "LOCAL_STATE_DIR": str(state),
            "LOCAL_API_PORT": str(_free_port()),
            "LOCAL_WEBHOOK_PORT": str(_free_port()),
            "LOCAL_AWS_PORT": str(_free_port()),
            "LOCAL_SANDBOX_PORT": str(_free_port()),
            "PAYMENT_TIMEOUT_SECONDS": str(PAYMENT_TIMEOUT_SECONDS),
            "LOCAL_SCHEDULE_SECONDS": "1",
            "SIMULATOR_WEBHOOK_DELAY_SECONDS": "0.3",
            "SIMULATOR_SLOW_SECONDS": "3",
            "PROVIDER_READ_TIMEOUT_SECONDS": "1.5",
            "PYTHONUNBUFFERED": "1",
        }
    )
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local_stack"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    outputs_file = state / "outputs.json"
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    try:
        while not outputs_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the local stack did not start:\n{log_file.read_text()[-5000:]}")
            time.sleep(0.2)
        yield RunningStack(json.loads(outputs_file.read_text()), log_file)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        print(f"local stack log: {log_file}")


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


@pytest.fixture(scope="session")
def inbox(stack: RunningStack) -> Iterator[EventInbox]:
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
    yield inbox
    stopping.set()
    thread.join(timeout=5)


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
