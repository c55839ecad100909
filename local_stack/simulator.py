"""A Taramoney simulator: the ``cmmobile`` endpoint as it really answers, then the webhook.

Taramoney has no sandbox, so this stands in for it locally and in the end-to-end tests.
It answers with the real shapes (``FAILURE`` at HTTP 200, the ``API_ORDER_SUCESSFULL``
spelling), picks vendor and USSD code by the number's prefix, and a short while later
POSTs the documented webhook payload, with the extra fields real deliveries carry, to
the ``webHookUrl`` it was given. The last six digits of a test number choose what happens:

    ...000001  success                       ...000005  success, webhook delivered twice
    ...000002  failure (webhook FAILURE)     ...000006  slow answer (beyond the API's read timeout), then success
    ...000003  rejected at initiation        ...000007  HTTP 503 at initiation, no webhook
    ...000004  accepted, no webhook ever     any other number: success

``GET /__ledger`` lists the orders and the webhook deliveries (for tests and audits).
``SIMULATOR_FAULTS`` (``local_stack.simulator_faults``) makes a share of the orders slow,
5xx or garbled, of the customers decline or stay silent, and of the webhooks come twice
or out of order; ``GET /__faults`` shows it, ``PUT /__faults`` replaces it.
"""

from __future__ import annotations

import json
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from taramoney_payments.phone import InvalidPhoneNumber, UnsupportedOperator, Vendor, parse_mobile_number

from .faults import FaultSpecError
from .simulator_faults import OrderFate, SimulatorFaults

DEFAULT_API_KEY = "local-api-key-0123456789abcdef"
DEFAULT_BUSINESS_ID = "local-business"
ORDER_PATH = "/api/tara/cmmobile"
USSD_CODES = {Vendor.ORANGE_CAMEROON: "#150*50#", Vendor.MTN_CAMEROON: "*126#"}
OPERATORS = {Vendor.ORANGE_CAMEROON: "ORANGE", Vendor.MTN_CAMEROON: "MTN"}
REQUIRED_FIELDS = ("apiKey", "businessId", "productId", "productName", "productPrice", "phoneNumber", "webHookUrl")
CAMEROON_TIME = timezone(timedelta(hours=1))
FEE_RATE = 0.02


@dataclass(frozen=True)
class Scenario:
    name: str
    webhook_status: str | None = "SUCCESS"  # None: never calls back
    deliveries: int = 1
    rejection: str | None = None  # FAILURE message at initiation
    http_status: int = HTTPStatus.OK
    slow: bool = False


SCENARIOS = {
    "000001": Scenario("success"),
    "000002": Scenario("failure", webhook_status="FAILURE"),
    "000003": Scenario("rejected", webhook_status=None, rejection="SUBSCRIBER_NOT_ELIGIBLE_FOR_PAYMENT"),
    "000004": Scenario("no-webhook", webhook_status=None),
    "000005": Scenario("duplicate", deliveries=2),
    "000006": Scenario("slow", slow=True),
    "000007": Scenario("unavailable", webhook_status=None, http_status=HTTPStatus.SERVICE_UNAVAILABLE),
}
DEFAULT_SCENARIO = Scenario("success")


def scenario_for(phone_number: str) -> Scenario:
    return SCENARIOS.get(phone_number[-6:], DEFAULT_SCENARIO)


def _customer_choice(scenario: Scenario, fate: OrderFate) -> Scenario:
    """A number without a scenario of its own: the customer may decline, or never answer."""
    if fate.declined:
        return Scenario("declined", webhook_status="FAILURE")
    if fate.silent:
        return Scenario("silent", webhook_status=None)
    return scenario


@dataclass
class SimulatorConfig:
    api_key: str = DEFAULT_API_KEY
    business_id: str = DEFAULT_BUSINESS_ID
    webhook_delay_seconds: float = 3.0
    slow_seconds: float = 20.0  # beyond the payments API's 15 s read timeout
    webhook_secret: str | None = None  # sent as `tara-webhook-secret` when set
    faults: SimulatorFaults | None = None


@dataclass
class Ledger:
    orders: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, entry: dict[str, Any]) -> None:
        with self.lock:
            getattr(self, kind).append(entry)

    def view(self) -> dict[str, Any]:
        with self.lock:
            return {"orders": list(self.orders), "deliveries": list(self.deliveries)}


def _now() -> str:
    return datetime.now(CAMEROON_TIME).isoformat(timespec="milliseconds")


class TaramoneySimulator:
    def __init__(self, host: str, port: int, config: SimulatorConfig, log: Callable[[str, str], None]) -> None:
        self.config = config
        self.ledger = Ledger()
        self._log = log
        self._server = _Server((host, port), self)
        self.port = self._server.server_address[1]
        self.base_url = f"http://{host}:{self.port}"
        self._timers: list[threading.Timer] = []
        self._orders_received = 0
        self._orders_lock = threading.Lock()

    def next_fate(self) -> OrderFate:
        """What happens to the order being received: by SIMULATOR_FAULTS, else nothing special."""
        with self._orders_lock:
            number = self._orders_received
            self._orders_received += 1
            faults = self.config.faults
        return faults.fate(number, self.config.slow_seconds) if faults else OrderFate()

    @property
    def order_url(self) -> str:
        return self.base_url + ORDER_PATH

    def log(self, line: str) -> None:
        self._log("Taramoney", line)

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, name="taramoney", daemon=True).start()

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._server.shutdown()
        self._server.server_close()

    def place_order(self, body: Any, fate: OrderFate | None = None) -> tuple[int, dict[str, Any]]:
        """The answer to one ``cmmobile`` request (HTTP status, JSON body); ``fate`` adds the faults."""
        fate = fate or OrderFate()
        if not isinstance(body, dict):
            return HTTPStatus.BAD_REQUEST, {"status": "FAILURE", "message": "INVALID_REQUEST_BODY"}
        missing = [name for name in REQUIRED_FIELDS if body.get(name) in (None, "")]
        if missing:
            return HTTPStatus.OK, {"status": "FAILURE", "message": f"MISSING_FIELDS_{'_'.join(missing).upper()}"}
        if body["apiKey"] != self.config.api_key or body["businessId"] != self.config.business_id:
            return HTTPStatus.OK, {"status": "FAILURE", "message": "BUSINESS_NOT_ACTIVATED_PLEASE_CONTACT_SUPPORT"}
        price = body["productPrice"]
        if not isinstance(price, int) or isinstance(price, bool) or price < 1:
            return HTTPStatus.OK, {"status": "FAILURE", "message": "INVALID_PRODUCT_PRICE"}
        phone = str(body["phoneNumber"])
        if not (len(phone) == 9 and phone.isdigit()):
            return HTTPStatus.OK, {"status": "FAILURE", "message": "INVALID_PHONE_NUMBER"}
        try:
            vendor = parse_mobile_number(phone).likely_vendor
        except (InvalidPhoneNumber, UnsupportedOperator):
            return HTTPStatus.OK, {"status": "FAILURE", "message": "OPERATOR_NOT_SUPPORTED"}
        assert vendor is not None
        scenario = scenario_for(phone)
        if scenario.http_status != HTTPStatus.OK:
            return scenario.http_status, {"error": "Service Unavailable"}
        if scenario.rejection:
            return HTTPStatus.OK, {"status": "FAILURE", "message": scenario.rejection}
        if fate.answer == "5xx":
            return fate.server_error, {"error": HTTPStatus(fate.server_error).phrase}
        if scenario.slow:
            time.sleep(self.config.slow_seconds)
        if fate.answer == "slow":
            time.sleep(fate.slow_seconds)
        if scenario is DEFAULT_SCENARIO:
            scenario = _customer_choice(scenario, fate)
        if scenario.webhook_status:
            self._schedule_webhook(body, vendor, scenario, fate)
        return HTTPStatus.OK, {
            "message": "API_ORDER_SUCESSFULL",
            "status": "SUCCESS",
            "ussdCode": USSD_CODES[vendor],
            "vendor": vendor.value,
        }

    def _schedule_webhook(self, order: dict[str, Any], vendor: Vendor, scenario: Scenario, fate: OrderFate) -> None:
        created = _now()
        price = int(order["productPrice"])
        transaction_id = f"TX{secrets.randbelow(10**12):012d}"
        payload = {
            "businessId": self.config.business_id,
            "paymentId": secrets.token_urlsafe(10),
            "collectionId": f"{secrets.randbelow(10**12):012d}",
            "phoneNumber": str(order["phoneNumber"]),
            "creationDate": created,
            "changeDate": created,
            "status": scenario.webhook_status,
            # Seen on real deliveries: gross and net amounts as strings, and more.
            "amount": str(price),
            "originalAmount": str(price - math.ceil(price * FEE_RATE)),
            "mobileOperator": OPERATORS[vendor],
            "productId": order["productId"],
            "invoiceUrl": f"{self.base_url}/invoices/{transaction_id}",
            "transactionId": transaction_id,
        }
        deliveries = max(scenario.deliveries, fate.deliveries)
        for attempt in range(deliveries):
            extra = fate.extra_delays[attempt] if attempt < len(fate.extra_delays) else 0.0
            timer = threading.Timer(
                self.config.webhook_delay_seconds * (attempt + 1) + extra, self._deliver, (order["webHookUrl"], payload)
            )
            timer.daemon = True
            self._timers.append(timer)
            timer.start()

    def faults_view(self) -> dict[str, Any]:
        return {"faults": self.config.faults.describe() if self.config.faults else ""}

    def _deliver(self, url: str, payload: dict[str, Any]) -> None:
        body = {**payload, "changeDate": _now()}
        headers = {"Content-Type": "application/json"}
        if self.config.webhook_secret:
            headers["tara-webhook-secret"] = self.config.webhook_secret
        entry: dict[str, Any] = {"url": url, "payload": body, "at": _now()}
        try:
            response = requests.post(url, json=body, headers=headers, timeout=10)
            entry.update(status=response.status_code, response=response.text[:2000])
        except requests.RequestException as error:
            entry.update(status=None, response=repr(error))
        # Taramoney never retries: what failed here is gone, as it would be.
        self.ledger.add("deliveries", entry)
        self.log(f"webhook {body['status']} -> HTTP {entry['status']}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _reply(self, status: int, body: dict[str, Any], raw: bytes | None = None) -> None:
        raw = json.dumps(body).encode() if raw is None else raw
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            self.server.simulator.log("the caller hung up before the answer (its read timeout)")

    def do_GET(self) -> None:
        if self.path.startswith("/__ledger"):
            self._reply(HTTPStatus.OK, self.server.simulator.ledger.view())
        elif self.path.startswith("/__faults"):
            self._reply(HTTPStatus.OK, self.server.simulator.faults_view())
        else:
            self._reply(HTTPStatus.NOT_FOUND, {"status": "ERROR", "message": "NOT_FOUND"})

    def do_POST(self) -> None:
        simulator = self.server.simulator
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.split("?")[0] == "/__faults":
            self._replace_faults(raw)
            return
        if self.path.split("?")[0] != ORDER_PATH:
            self._reply(HTTPStatus.NOT_FOUND, {"status": "ERROR", "message": "NOT_FOUND"})
            return
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        fate = simulator.next_fate()
        status, answer = simulator.place_order(body, fate)
        garbled = fate.answer == "garbled" and answer.get("status") == "SUCCESS"
        order = (
            {k: v for k, v in body.items() if k != "apiKey"}
            if isinstance(body, dict)
            else {"raw": raw.decode(errors="replace")}
        )
        entry = {"request": order, "status": status, "answer": answer, "at": _now()}
        if fate.answer:
            entry["fault"] = fate.answer
        simulator.ledger.add("orders", entry)
        simulator.log(f"order {answer.get('status', status)} {answer.get('message', '')} {fate.answer or ''}".rstrip())
        self._reply(status, answer, fate.garbled_body if garbled else None)

    def do_PUT(self) -> None:
        self.do_POST()

    def _replace_faults(self, raw: bytes) -> None:
        simulator = self.server.simulator
        try:
            simulator.config.faults = SimulatorFaults.parse(raw.decode()) if raw.strip() else None
        except (FaultSpecError, UnicodeDecodeError) as error:
            self._reply(HTTPStatus.BAD_REQUEST, {"error": str(error)})
            return
        simulator.log(f"faults now {simulator.faults_view()['faults']}")
        self._reply(HTTPStatus.OK, simulator.faults_view())

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], simulator: TaramoneySimulator) -> None:
        self.simulator = simulator
        super().__init__(address, _Handler)
