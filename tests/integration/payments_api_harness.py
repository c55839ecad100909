"""Drive the payments API function the way API Gateway does, against moto and a fake Taramoney.

``Api`` builds HTTP API (payload 2.0) events from ``events/payments_api/*.json`` and
returns what a client would see; ``Store`` reads the tables back with boto3.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto.dynamodb.responses import DynamoHandler
from pytest_httpserver import HTTPServer

from tests.answer_shape import assert_answer_shape
from tests.lambda_runtime import LambdaContext, load_event, load_handler_module

TARAMONEY_PATH = "/api/tara/cmmobile"
ORANGE_ACCEPTS = {
    "message": "API_ORDER_SUCESSFULL",
    "status": "SUCCESS",
    "ussdCode": "#150*50#",
    "vendor": "ORANGE_CAMEROON",
}
MTN_ACCEPTS = {"message": "API_ORDER_SUCESSFULL", "status": "SUCCESS", "ussdCode": "*126#", "vendor": "MTN_CAMEROON"}


def taramoney_accepting_every_order(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    """Point the functions at ``httpserver`` as Taramoney, which accepts every order (Orange)."""
    from tests.conftest import reset_service_caches

    monkeypatch.setenv("TARAMONEY_API_URL", httpserver.url_for(TARAMONEY_PATH))
    reset_service_caches()
    httpserver.expect_request(TARAMONEY_PATH, method="POST").respond_with_json(ORANGE_ACCEPTS)
    return httpserver


def payment_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "productId": "product-456",
        "productName": "Nom du produit",
        "productPrice": 100,
        "phoneNumber": "655123456",
        "metadata": {"orderId": "A-1001"},
    }
    body.update(changes)
    return {name: value for name, value in body.items() if value is not None}


@dataclass
class Answer:
    """What a client sees: status, headers (lower-cased names), raw body and its JSON."""

    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class Api:
    """One warm Lambda container of the payments API function."""

    def __init__(self, module: ModuleType | None = None) -> None:
        self._module = module or load_handler_module("payments_api")

    def invoke(self, event: dict[str, Any], context: LambdaContext | None = None) -> Answer:
        event["requestContext"]["requestId"] = str(uuid.uuid4())
        raw = self._module.lambda_handler(event, context or LambdaContext())
        headers = {name.lower(): str(value) for name, value in (raw.get("headers") or {}).items()}
        body = raw.get("body") or ""
        if raw.get("isBase64Encoded"):
            body = base64.b64decode(body).decode()
        return Answer(raw["statusCode"], headers, body)

    def post(
        self,
        body: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        raw: str | bytes | None = None,
        base64_encoded: bool = False,
        content_type: str | None = "application/json",
        context: LambdaContext | None = None,
    ) -> Answer:
        """POST /payments; ``raw`` bytes are sent base64-encoded, as API Gateway sends a binary body."""
        event = load_event("payments_api/start_payment.json")
        text = raw if raw is not None else json.dumps(body if body is not None else payment_body())
        data = text if isinstance(text, bytes) else text.encode()
        event["headers"].pop("idempotency-key")
        if key is not None:
            event["headers"]["idempotency-key"] = key
        if content_type is None:
            event["headers"].pop("content-type")
        else:
            event["headers"]["content-type"] = content_type
        event["headers"]["content-length"] = str(len(data))
        if base64_encoded or isinstance(text, bytes):
            event["body"], event["isBase64Encoded"] = base64.b64encode(data).decode(), True
        else:
            event["body"] = text
        return self.invoke(event, context)

    def get(self, payment_id: str) -> Answer:
        event = load_event("payments_api/get_payment.json")
        event["pathParameters"] = {"paymentId": payment_id}
        event["rawPath"] = event["requestContext"]["http"]["path"] = f"/payments/{payment_id}"
        return self.invoke(event)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, set):
        return {_plain(item) for item in value}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


class Store:
    """The tables as an operator would read them with boto3."""

    def __init__(self, payments_table: str, idempotency_table: str) -> None:
        resource = boto3.resource("dynamodb")
        self.payments = resource.Table(payments_table)
        self.idempotency = resource.Table(idempotency_table)

    def payment(self, payment_id: str) -> dict[str, Any] | None:
        item = self.payments.get_item(Key={"pk": f"PAYMENT#{payment_id}"}).get("Item")
        return _plain(item) if item else None

    def stored_payment(self, payment_id: str) -> dict[str, Any]:
        """The payment's item, which the test expects to exist."""
        payment = self.payment(payment_id)
        assert payment is not None, f"payment {payment_id} is not in the table"
        return payment

    def phone_slots(self, national: str) -> set[str]:
        item = self.payments.get_item(Key={"pk": f"PHONE#{national}"}).get("Item") or {}
        return set(item.get("pendingPaymentIds", set()))

    def payment_items(self) -> list[dict[str, Any]]:
        items = self.payments.scan()["Items"]
        return [_plain(item) for item in items if item.get("entityType") == "PAYMENT"]

    def all_items(self) -> list[dict[str, Any]]:
        return [_plain(item) for item in self.payments.scan()["Items"]]

    def idempotency_records(self) -> list[dict[str, Any]]:
        return [_plain(item) for item in self.idempotency.scan()["Items"]]


def serialise_dynamodb_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto apply each DynamoDB request atomically, as DynamoDB does.

    moto runs a transaction as check-then-write on shared dicts and rolls back by restoring
    a copy of the whole table, so threads can corrupt each other's writes inside moto.
    Serialising requests (not invocations) keeps every interleaving the service can meet
    in AWS, between its requests, and removes only moto's own races.
    """
    lock = threading.RLock()
    original: Callable[..., Any] = DynamoHandler.call_action

    @wraps(original)
    def call_action(self: DynamoHandler) -> Any:
        with lock:
            return original(self)

    monkeypatch.setattr(DynamoHandler, "call_action", call_action)


def assert_problem(answer: Answer, status: int, code: str) -> dict[str, Any]:
    assert answer.status == status, answer.text
    assert_answer_shape(status, lambda name: answer.headers.get(name.lower()), lambda: answer.json)
    problem: dict[str, Any] = answer.json
    assert problem["code"] == code
    return problem
