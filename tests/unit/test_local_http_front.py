"""The local HTTP fronts build the events API Gateway and function URLs send, and map answers back."""

from __future__ import annotations

import base64
import json
from typing import Any

from local_stack.functions import InvocationResult
from local_stack.http_front import (
    Cors,
    HttpApiFront,
    RawRequest,
    answer_from_result,
    build_event,
    route,
    routes_from_openapi,
)

CORS = Cors.from_config(
    {
        "allowOrigins": "*",
        "allowMethods": ["GET", "POST", "OPTIONS"],
        "allowHeaders": ["content-type", "idempotency-key"],
        "exposeHeaders": ["location"],
        "maxAge": 600,
    },
    origins_override=None,
)


def _request(method: str, target: str, body: bytes = b"", **headers: str) -> RawRequest:
    pairs = [(name.replace("_", "-").title(), value) for name, value in headers.items()]
    return RawRequest(method, target, pairs, body, "127.0.0.1")


class _Recorder:
    def __init__(self, result: Any = None, error: dict[str, Any] | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._outcome = InvocationResult(result=result, error=error)

    def __call__(self, function: str, event: dict[str, Any]) -> InvocationResult:
        self.calls.append((function, event))
        return self._outcome


def _api(invoke: _Recorder) -> HttpApiFront:
    routes = [route("POST", "/payments", "Api"), route("GET", "/payments/{paymentId}", "Api")]
    return HttpApiFront(
        logical_id="PaymentsApi",
        api_id="abc",
        routes=routes,
        cors=CORS,
        invoke=invoke,
        host="127.0.0.1",
        port=0,
        log=lambda *_: None,
    )


def test_a_json_post_becomes_a_payload_2_event_with_lower_cased_headers_and_cookies_apart() -> None:
    # given a browser's POST with a query string and cookies
    request = _request(
        "POST", "/payments?a=1&a=2", b'{"x": 1}', content_type="application/json", cookie="s=1; t=2", x_trace="abc"
    )

    # when it becomes an event
    event = build_event(request, route_key="POST /payments", api_id="abc", domain_name="127.0.0.1:3000")

    # then it reads as API Gateway builds it
    assert event["version"] == "2.0"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "POST /payments"
    assert event["rawPath"] == "/payments"
    assert event["rawQueryString"] == "a=1&a=2"
    assert event["queryStringParameters"] == {"a": "1,2"}
    assert event["headers"]["content-type"] == "application/json"
    assert event["headers"]["x-trace"] == "abc"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["s=1", "t=2"]
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["requestContext"]["stage"] == "$default"
    assert (event["body"], event["isBase64Encoded"]) == ('{"x": 1}', False)


def test_a_binary_body_is_base64_encoded() -> None:
    request = _request("POST", "/payments", b"\x00\xff", content_type="application/octet-stream")

    event = build_event(request, route_key="POST /payments", api_id="abc", domain_name="h")

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\xff"


def test_a_route_with_a_path_parameter_gets_it_in_the_event() -> None:
    # given the API of the template
    invoke = _Recorder(result={"statusCode": 200, "headers": {"content-type": "application/json"}, "body": "{}"})

    # when a payment is read
    answer = _api(invoke).handle(_request("GET", "/payments/p-1", origin="https://shop.example.cm"))

    # then the function saw the route and its parameter, and the browser may read the answer
    assert answer.status == 200
    ((function, event),) = invoke.calls
    assert function == "Api"
    assert event["routeKey"] == "GET /payments/{paymentId}"
    assert event["pathParameters"] == {"paymentId": "p-1"}
    headers = dict(answer.headers)
    assert headers["access-control-allow-origin"] == "*"
    assert headers["access-control-expose-headers"] == "location"


def test_a_preflight_is_answered_by_the_api_without_calling_the_function() -> None:
    invoke = _Recorder()

    answer = _api(invoke).handle(
        _request("OPTIONS", "/payments", origin="https://shop.example.cm", access_control_request_method="POST")
    )

    assert answer.status == 204
    assert invoke.calls == []
    headers = dict(answer.headers)
    assert headers["access-control-allow-methods"] == "GET,POST,OPTIONS"
    assert headers["access-control-allow-headers"] == "content-type,idempotency-key"
    assert headers["access-control-max-age"] == "600"


def test_an_unknown_route_is_a_404_and_a_crashed_function_a_500() -> None:
    assert _api(_Recorder()).handle(_request("DELETE", "/payments")).status == 404
    crashed = _api(_Recorder(error={"errorType": "KeyError"})).handle(_request("POST", "/payments"))
    assert (crashed.status, json.loads(crashed.body)) == (500, {"message": "Internal Server Error"})


def test_a_result_without_status_code_is_a_200_json_answer() -> None:
    answer = answer_from_result(InvocationResult(result={"ok": True}), error_status=500, error_body=b"")

    assert (answer.status, json.loads(answer.body)) == (200, {"ok": True})


def test_routes_come_from_the_openapi_body_and_exact_paths_win() -> None:
    # given an OpenAPI body as SAM translates HttpApi events
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:local-Api"
    integration = {
        "x-amazon-apigateway-integration": {"uri": f"arn:aws:apigateway:lambda:path/functions/{arn}/invocations"}
    }
    body = {"paths": {"/{proxy+}": {"x-amazon-apigateway-any-method": integration}, "/payments": {"post": integration}}}

    # when its routes are read
    routes = routes_from_openapi(body, {arn: "Api"}, lambda value: value)

    # then the exact path comes before the greedy one
    assert [r.key for r in routes] == ["POST /payments", "ANY /{proxy+}"]
