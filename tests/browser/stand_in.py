"""A stand-in for the local stack's port 3000: serves web/checkout and fakes the payments API.

Only what the checkout needs: ``POST /payments`` (with the Idempotency-Key rule),
``GET /payments/{id}``, CORS ``*`` and the static files. The phone number picks the
outcome as the local stack's simulator does (its last six digits: see ``OUTCOMES``).
"""

from __future__ import annotations

import json
import mimetypes
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CHECKOUT_DIR = Path(__file__).resolve().parents[2] / "web" / "checkout"
FAILURE_NUMBER = "670000002"
SILENT_NUMBER = "690000004"  # the operator never calls back: the payment expires
# last six digits -> (final status, seconds after creation, failure reason); any other number succeeds
OUTCOMES: dict[str, tuple[str, float | None, str | None]] = {
    "000002": ("FAILURE", 1.5, "Solde insuffisant"),
    "000004": ("EXPIRED", None, None),
}
SUCCESS = ("SUCCESS", 1.5, None)
MTN_PREFIXES = {"650", "651", "652", "653", "654", "680", "681", "682", "683"} | {f"67{d}" for d in range(10)}
VENDORS = {"ORANGE_CAMEROON": "#150*50#", "MTN_CAMEROON": "*126#"}


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class FakePaymentsApi:
    timeout_seconds: float = 4.0
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers_by_key: dict[str, tuple[str, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, body: dict[str, Any], key: str | None) -> tuple[int, dict[str, Any]]:
        raw = json.dumps(body, sort_keys=True)
        with self.lock:
            if key and key in self.answers_by_key:
                first_body, payment_id = self.answers_by_key[key]
                if first_body != raw:
                    return 409, {"code": "IDEMPOTENCY_KEY_REUSED", "status": 409, "title": "Idempotency key reused"}
                return 201, self.payments[payment_id]["view"]
            phone = body["phoneNumber"]
            vendor = "MTN_CAMEROON" if phone[:3] in MTN_PREFIXES else "ORANGE_CAMEROON"
            now = datetime.now(UTC)
            payment_id = secrets.token_urlsafe(16)
            view = {
                "paymentId": payment_id,
                "status": "PENDING",
                "productId": body["productId"],
                "productName": body["productName"],
                "productPrice": body["productPrice"],
                "currency": "XAF",
                "phoneNumber": phone,
                "vendor": vendor,
                "ussdCode": VENDORS[vendor],
                "metadata": {},
                "createdAt": _iso(now),
                "updatedAt": _iso(now),
                "expiresAt": _iso(now + timedelta(seconds=self.timeout_seconds)),
                "completedAt": None,
                "failureReason": None,
                "providerPaymentId": None,
                "collectionId": None,
            }
            self.payments[payment_id] = {"view": view, "created": time.monotonic()}
            if key:
                self.answers_by_key[key] = (raw, payment_id)
            return 201, view

    def read(self, payment_id: str) -> dict[str, Any] | None:
        with self.lock:
            payment = self.payments.get(payment_id)
            if payment is None:
                return None
            view = payment["view"]
            age = time.monotonic() - payment["created"]
            status, after, reason = OUTCOMES.get(view["phoneNumber"][-6:], SUCCESS)
            after = self.timeout_seconds if after is None else after
            if view["status"] == "PENDING" and age >= after:
                now = _iso(datetime.now(UTC))
                view.update(status=status, updatedAt=now, completedAt=now, failureReason=reason)
            return dict(view)


def serve(api: FakePaymentsApi) -> ThreadingHTTPServer:
    """Start the stand-in on a free loopback port, in a daemon thread."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Expose-Headers", "location")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            kind = "application/json" if status < 400 else "application/problem+json"
            self._send(status, json.dumps(payload).encode(), kind, headers)

        def do_OPTIONS(self) -> None:
            self._send(
                204,
                b"",
                "text/plain",
                {
                    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                    "Access-Control-Allow-Headers": "content-type, idempotency-key",
                    "Access-Control-Max-Age": "600",
                },
            )

        def do_POST(self) -> None:
            if self.path != "/payments":
                self._json(404, {"code": "NOT_FOUND", "status": 404})
                return
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            status, payload = api.create(body, self.headers.get("Idempotency-Key"))
            location = {"Location": f"/payments/{payload['paymentId']}"} if status == 201 else None
            self._json(status, payload, location)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path.startswith("/payments/"):
                payment = api.read(path.removeprefix("/payments/"))
                if payment is None:
                    self._json(404, {"code": "PAYMENT_NOT_FOUND", "status": 404, "title": "Payment not found"})
                else:
                    self._json(200, payment)
                return
            if path.startswith("/checkout/"):
                name = path.removeprefix("/checkout/") or "index.html"
                file = (CHECKOUT_DIR / name).resolve()
                if file.parent == CHECKOUT_DIR and file.is_file():
                    kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                    self._send(200, file.read_bytes(), kind)
                    return
            self._send(404, b"not found", "text/plain")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
