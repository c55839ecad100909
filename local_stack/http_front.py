"""The HTTP fronts of the local stack: the template's HTTP APIs and function URLs.

Both turn a request into the payload format version 2.0 event AWS builds (headers
lower-cased, cookies apart, ``isBase64Encoded``, ``requestContext``...), invoke the
function, and map its answer back as API Gateway or the function URL would. Routes
come from the translated template's OpenAPI body (path, method, integration URI),
CORS from its ``x-amazon-apigateway-cors`` (or the URL's ``Cors``).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .functions import InvocationResult
from .resources import ACCOUNT_ID

# A webhook address ends in its payment's token: a credential, never printed whole.
_WEBHOOK_TOKEN = re.compile(r"^(/payments/[^/]+/)([^/?]{4})[^/?]*")


def _loggable(path: str) -> str:
    return _WEBHOOK_TOKEN.sub(r"\1\2…", path)


Invoke = Callable[[str, Any], InvocationResult]  # (function logical id, event) -> result
_TEXT_TYPES = re.compile(r"^(text/.*|application/(json|.*\+json|xml|.*\+xml|javascript|x-www-form-urlencoded))$")
_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")


@dataclass(frozen=True)
class Route:
    method: str  # upper case, or ANY
    path: str  # OpenAPI path, e.g. /payments/{paymentId}, or $default
    function: str
    pattern: re.Pattern[str] = field(compare=False)

    @property
    def key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"

    @property
    def specificity(self) -> tuple[int, int, int]:
        """Exact paths first, then fewer parameters, greedy paths and ``$default`` last."""
        return (self.path == "$default", "+}" in self.path, self.path.count("{"))


def route(method: str, path: str, function: str) -> Route:
    regex = ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{") and part.endswith("+}"):
            regex += f"(?P<{_group(part[1:-2])}>.+)"
        elif part.startswith("{"):
            regex += f"(?P<{_group(part[1:-1])}>[^/]+)"
        else:
            regex += re.escape(part)
    return Route(method.upper(), path, function, re.compile(".*" if path == "$default" else f"^{regex}$"))


def _group(name: str) -> str:
    return re.sub(r"\W", "_", name)


@dataclass(frozen=True)
class Cors:
    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False

    @classmethod
    def from_config(cls, config: dict[str, Any] | None, *, origins_override: tuple[str, ...] | None) -> Cors | None:
        if not config:
            return None

        def strings(*keys: str) -> tuple[str, ...]:
            for key in keys:
                value = config.get(key)
                if value is not None:
                    items = value if isinstance(value, list) else str(value).split(",")
                    return tuple(str(item).strip() for item in items if str(item).strip())
            return ()

        max_age = config.get("maxAge", config.get("MaxAge"))
        return cls(
            allow_origins=origins_override or strings("allowOrigins", "AllowOrigins"),
            allow_methods=strings("allowMethods", "AllowMethods"),
            allow_headers=strings("allowHeaders", "AllowHeaders"),
            expose_headers=strings("exposeHeaders", "ExposeHeaders"),
            max_age=int(max_age) if max_age is not None else None,
            allow_credentials=bool(config.get("allowCredentials", config.get("AllowCredentials", False))),
        )

    def allowed_origin(self, origin: str | None) -> str | None:
        if not origin:
            return None
        if "*" in self.allow_origins:
            return "*"
        return origin if origin in self.allow_origins else None

    def preflight_headers(self, origin: str | None) -> dict[str, str]:
        allowed = self.allowed_origin(origin)
        if allowed is None:
            return {}
        headers = {"access-control-allow-origin": allowed}
        if self.allow_methods:
            headers["access-control-allow-methods"] = ",".join(self.allow_methods)
        if self.allow_headers:
            headers["access-control-allow-headers"] = ",".join(self.allow_headers)
        if self.max_age is not None:
            headers["access-control-max-age"] = str(self.max_age)
        if self.allow_credentials:
            headers["access-control-allow-credentials"] = "true"
        return headers

    def response_headers(self, origin: str | None) -> dict[str, str]:
        allowed = self.allowed_origin(origin)
        if allowed is None:
            return {}
        headers = {"access-control-allow-origin": allowed}
        if self.expose_headers:
            headers["access-control-expose-headers"] = ",".join(self.expose_headers)
        if self.allow_credentials:
            headers["access-control-allow-credentials"] = "true"
        if allowed != "*":
            headers["vary"] = "Origin"
        return headers


def routes_from_openapi(
    body: dict[str, Any], function_by_arn: dict[str, str], resolve: Callable[[Any], Any]
) -> list[Route]:
    """The routes of an HTTP API's OpenAPI body whose integration is a function of the template."""
    routes = []
    for path, operations in body.get("paths", {}).items():
        for key, operation in operations.items():
            method = "ANY" if key == "x-amazon-apigateway-any-method" else key.upper()
            if key != "x-amazon-apigateway-any-method" and key not in _METHODS:
                continue
            uri = resolve(operation.get("x-amazon-apigateway-integration", {}).get("uri"))
            function = next((fid for arn, fid in function_by_arn.items() if isinstance(uri, str) and arn in uri), None)
            if function is not None:
                routes.append(route(method, path, function))
    return sorted(routes, key=lambda r: r.specificity)


def _now_fields() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"), "timeEpoch": int(now.timestamp() * 1000)}


@dataclass
class RawRequest:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str

    @property
    def path(self) -> str:
        return urlsplit(self.target).path or "/"

    @property
    def query(self) -> str:
        return urlsplit(self.target).query

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name), None)


def build_event(request: RawRequest, *, route_key: str, api_id: str, domain_name: str, **extra: Any) -> dict[str, Any]:
    """A payload format version 2.0 event, as API Gateway HTTP APIs and function URLs send it."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for key, value in request.headers:
        name = key.lower()
        if name == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    query: dict[str, str] = {}
    for key, value in parse_qsl(request.query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    request_id = base64.urlsafe_b64encode(uuid.uuid4().bytes[:12]).decode().rstrip("=")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.query,
        "headers": headers,
        "requestContext": {
            "accountId": extra.pop("account_id", ACCOUNT_ID),
            "apiId": api_id,
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".")[0],
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            **_now_fields(),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    path_parameters = extra.pop("path_parameters", None)
    if path_parameters:
        event["pathParameters"] = path_parameters
    if request.body:
        content_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
        try:
            text = request.body.decode() if _TEXT_TYPES.match(content_type) else None
        except UnicodeDecodeError:
            text = None
        if text is None:
            event["body"] = base64.b64encode(request.body).decode()
            event["isBase64Encoded"] = True
        else:
            event["body"] = text
    return event


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def answer_from_result(outcome: InvocationResult, *, error_status: int, error_body: bytes) -> Answer:
    """Map a function's answer as payload version 2.0 does; a failed invocation is a bare 5xx."""
    if outcome.failed:
        return Answer(error_status, [("content-type", "application/json")], error_body)
    result = outcome.result
    if isinstance(result, dict) and "statusCode" in result:
        headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers.extend((str(name), str(value)) for value in values)
        headers.extend(("set-cookie", str(cookie)) for cookie in result.get("cookies") or [])
        body = result.get("body") or ""
        raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        return Answer(int(result["statusCode"]), headers, raw)
    body = result if isinstance(result, str) else json.dumps(result)
    return Answer(HTTPStatus.OK, [("content-type", "application/json")], body.encode())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        request = RawRequest(self.command, self.path, list(self.headers.items()), body, self.client_address[0])
        started = time.monotonic()
        answer = self.server.front.handle(request)
        try:
            self.send_response(answer.status)
            names = {name.lower() for name, _ in answer.headers}
            for name, value in answer.headers:
                self.send_header(name, value)
            if "content-length" not in names:
                self.send_header("content-length", str(len(answer.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            self.server.front.log(f"{self.command} {_loggable(self.path)}: the client hung up before the answer")
            return
        elapsed = (time.monotonic() - started) * 1000
        self.server.front.log(f"{self.command} {_loggable(self.path)} -> {answer.status} ({elapsed:.0f} ms)")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], front: Front) -> None:
        self.front = front
        super().__init__(address, _Handler)


class Front:
    """An HTTP listener that turns requests into function invocations."""

    label = "HTTP"

    def __init__(self, host: str, port: int, log: Callable[[str, str], None]) -> None:
        self._server = _Server((host, port), self)
        self._log = log
        self.port = self._server.server_address[1]
        self.host = host

    def log(self, line: str) -> None:
        self._log(self.label, line)

    def handle(self, request: RawRequest) -> Answer:
        raise NotImplementedError

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, name=self.label, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class HttpApiFront(Front):
    """An ``AWS::ApiGatewayV2::Api`` (HTTP API): routes, payload v2.0, CORS as configured."""

    def __init__(
        self, *, logical_id: str, api_id: str, routes: list[Route], cors: Cors | None, invoke: Invoke, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.label = logical_id
        self._api_id = api_id
        self._routes = routes
        self._cors = cors
        self._invoke = invoke

    def handle(self, request: RawRequest) -> Answer:
        origin = request.header("origin")
        if (
            self._cors is not None
            and request.method == "OPTIONS"
            and request.header("access-control-request-method") is not None
        ):
            return Answer(HTTPStatus.NO_CONTENT, list(self._cors.preflight_headers(origin).items()), b"")
        matched = self._match(request)
        if matched is None:
            answer = Answer(HTTPStatus.NOT_FOUND, [("content-type", "application/json")], b'{"message":"Not Found"}')
        else:
            found, parameters = matched
            event = build_event(
                request,
                route_key=found.key,
                api_id=self._api_id,
                domain_name=request.header("host") or f"{self.host}:{self.port}",
                path_parameters=parameters,
            )
            answer = answer_from_result(
                self._invoke(found.function, event),
                error_status=HTTPStatus.INTERNAL_SERVER_ERROR,
                error_body=b'{"message":"Internal Server Error"}',
            )
        answer.headers.append(("apigw-requestid", uuid.uuid4().hex[:16]))
        if self._cors is not None:
            # API Gateway answers CORS itself and drops what the function said about it.
            answer.headers = [(k, v) for k, v in answer.headers if not k.lower().startswith("access-control-")]
            answer.headers.extend(self._cors.response_headers(origin).items())
        return answer

    def _match(self, request: RawRequest) -> tuple[Route, dict[str, str]] | None:
        for candidate in self._routes:
            if candidate.method not in {"ANY", request.method}:
                continue
            found = candidate.pattern.match(request.path)
            if found:
                names = re.findall(r"\{([^}+]+)\+?\}", candidate.path)
                return candidate, {name: found.group(_group(name)) for name in names}
        return None


class FunctionUrlFront(Front):
    """An ``AWS::Lambda::Url``: every path and method to one function, payload v2.0."""

    def __init__(
        self, *, logical_id: str, function: str, url_id: str, cors: Cors | None, invoke: Invoke, **kwargs: Any
    ):
        super().__init__(**kwargs)
        self.label = logical_id
        self._function = function
        self._url_id = url_id
        self._cors = cors
        self._invoke = invoke

    def handle(self, request: RawRequest) -> Answer:
        origin = request.header("origin")
        if (
            self._cors is not None
            and request.method == "OPTIONS"
            and request.header("access-control-request-method") is not None
        ):
            return Answer(HTTPStatus.OK, list(self._cors.preflight_headers(origin).items()), b"")
        event = build_event(
            request,
            route_key="$default",
            api_id=self._url_id,
            domain_name=request.header("host") or f"{self.host}:{self.port}",
            account_id="anonymous",
        )
        answer = answer_from_result(
            self._invoke(self._function, event),
            error_status=HTTPStatus.BAD_GATEWAY,
            error_body=b'{"Message":"Internal Server Error"}',
        )
        answer.headers.append(("x-amzn-requestid", str(uuid.uuid4())))
        if self._cors is not None:
            answer.headers.extend(self._cors.response_headers(origin).items())
        return answer
