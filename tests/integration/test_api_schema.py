"""Schemathesis against docs/openapi.json: the API and the webhook answer as the document says, whatever they are sent.

Both are called in-process: a WSGI adapter hands each request to the local stack's HTTP
API front (the API's routes, payload format 2.0 events) or, for the function URL's host,
to its function URL front; they call the real handlers against moto and a fake
Taramoney that accepts every order. Cases are
valid and invalid ones (schemathesis' positive and negative modes), with a bounded
budget. Besides schemathesis' own checks (no 5xx, a documented status, content type,
headers and body schema), every refusal must be problem details with the security headers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pytest_httpserver import HTTPServer

from local_stack.functions import InvocationResult
from local_stack.http_front import Answer, FunctionUrlFront, HttpApiFront, RawRequest, route
from local_stack.resources import Stack
from tests.answer_shape import assert_answer_shape
from tests.conftest import ROOT
from tests.integration.payments_api_harness import taramoney_accepting_every_order
from tests.lambda_runtime import LambdaContext, load_handler_module

OPENAPI = Path(ROOT, "docs", "openapi.json")
schema = schemathesis.openapi.from_path(OPENAPI)
# An invalid request is refused with a 4xx the document lists: 413 for a body over the limit, and
# the webhook authenticates before it reads anything, so a forged address is 401 whatever the body.
schema.config.checks.negative_data_rejection.expected_statuses = [
    "400",
    "401",
    "403",
    "404",
    "405",
    "409",
    "413",
    "422",
    "429",
]


def _invoke(function: str, event: dict[str, Any]) -> InvocationResult:
    module = load_handler_module({"PaymentsApiFunction": "payments_api", "WebhookFunction": "webhook"}[function])
    return InvocationResult(result=module.lambda_handler(event, LambdaContext()))


class PaymentsApiWsgi:
    """A WSGI app in front of the payments API and the webhook, through the local stack's HTTP fronts."""

    def __init__(self) -> None:
        self.front: HttpApiFront | None = None
        self.webhook_front: FunctionUrlFront | None = None

    def start(self) -> None:
        self.webhook_front = FunctionUrlFront(
            logical_id="WebhookFunctionUrl",
            function="WebhookFunction",
            url_id="schemathesis",
            cors=None,
            invoke=_invoke,
            host="127.0.0.1",
            port=0,
            log=lambda _label, _line: None,
        )
        self.front = HttpApiFront(
            logical_id="PaymentsApi",
            api_id="schemathesis",
            routes=[
                route("POST", "/payments", "PaymentsApiFunction"),
                route("GET", "/payments/{paymentId}", "PaymentsApiFunction"),
            ],
            cors=None,
            invoke=_invoke,
            host="127.0.0.1",
            port=0,
            log=lambda _label, _line: None,
        )

    def stop(self) -> None:
        for front in (self.front, self.webhook_front):
            if front is not None:
                front._server.server_close()
        self.front = self.webhook_front = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        assert self.front is not None, "called outside its test"
        assert self.webhook_front is not None, "called outside its test"
        length = int(environ.get("CONTENT_LENGTH") or 0)
        headers = [
            (key[5:].replace("_", "-").lower(), str(value)) for key, value in environ.items() if key[:5] == "HTTP_"
        ]
        for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(name):
                headers.append((name.replace("_", "-").lower(), str(environ[name])))
        query = environ.get("QUERY_STRING", "")
        # PATH_INFO is the decoded path as latin-1 text; API Gateway routes on the path as sent.
        path = environ.get("RAW_URI") or environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
        request = RawRequest(
            method=environ["REQUEST_METHOD"],
            target=path + (f"?{query}" if query else ""),
            headers=headers,
            body=environ["wsgi.input"].read(length) if length else b"",
            source_ip="198.51.100.7",
        )
        # The webhook's addresses (/payments/{paymentId}/{token}) are the function URL's; the API has no such route.
        front = self.webhook_front if path.strip("/").count("/") >= 2 else self.front
        answer: Answer = front.handle(request)
        start_response(f"{int(answer.status)} -", answer.headers)
        return [answer.body]


api = PaymentsApiWsgi()


@pytest.fixture
def running_api(
    aws: Stack, function_env: dict[str, str], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> Iterable[PaymentsApiWsgi]:
    taramoney_accepting_every_order(httpserver, monkeypatch)
    api.start()
    yield api
    api.stop()


def refusals_are_problems_with_security_headers(ctx: Any, response: Any, case: Any) -> bool | None:
    if response.status_code == 404 and response.content == b'{"message":"Not Found"}':
        return None  # API Gateway's own answer for a route it does not have (documented); the function never ran

    def header(name: str) -> str | None:
        values = response.headers.get(name.lower()) or [None]
        assert len(values) == 1, f"{name} sent {len(values)} times"
        value: str | None = values[0]
        return value

    assert_answer_shape(response.status_code, header, response.json)
    return None


@schema.parametrize()
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_keeps_to_its_openapi_document(case: Any, running_api: PaymentsApiWsgi) -> None:
    case.call_and_validate(
        app=running_api,
        additional_checks=[refusals_are_problems_with_security_headers],
        # An HTTP API answers a method it has no route for with its own 404, not 405: AWS's behaviour, not ours.
        # A schema-valid body may still be refused with 422: no JSON schema says "a valid Cameroon
        # mobile number of Orange or MTN" (the document describes the rule in words).
        excluded_checks=[schemathesis.checks.unsupported_method, schemathesis.checks.positive_data_acceptance],
    )
