"""Fault injection between the functions and the emulated AWS endpoint (``LOCAL_FAULTS``).

When ``LOCAL_FAULTS`` is set, every function talks to AWS through a proxy of its own
that forwards to moto server, and fails a chosen share of the calls with the errors
AWS really returns. The local stack's own machinery (stream and queue pollers, the
event tap) still talks to moto directly: only the code under test sees the faults.

Syntax: rules separated by commas, then options after semicolons::

    LOCAL_FAULTS="dynamodb.UpdateItem=0.1:throttle,events.PutEvents=0.2:partial,sqs.SendMessage=0.05:500,*=0.02:timeout;seed=7"

    rule    := target "=" amount ":" kind ("|" kind)*
    target  := "*" | [Function "/"] service ["." Operation | ".*"]
    amount  := a share of the matching calls, 0 to 1 | "#" N, the next N matching calls
    option  := "seed=" integer | "hold=" seconds

``service`` and ``Operation`` are botocore's names (``dynamodb.TransactWriteItems``,
``events.PutEvents``, ``sqs.SendMessage``, ``secretsmanager.GetSecretValue``);
``Function`` a function's logical id in the template (``WebhookFunction/dynamodb.*``).
A call is decided by the most specific rule that matches it. With several kinds one
is picked per failed call. Kinds:

- ``throttle``: the service's throttling error (DynamoDB ``ThrottlingException``,
  EventBridge ``ThrottlingException``, SQS ``RequestThrottled``), HTTP 400;
- ``throughput``: DynamoDB's ``ProvisionedThroughputExceededException`` (HTTP 400);
  other services answer their throttling error;
- ``500``: the service's internal error (DynamoDB ``InternalServerError``, EventBridge
  ``InternalException``, SQS ``InternalError``...), HTTP 500;
- ``partial`` (``events.PutEvents`` only): the call succeeds, some of its entries are
  refused with ``ErrorCode`` ``ThrottlingException`` or ``InternalFailure`` and counted
  in ``FailedEntryCount``; only the others reach the bus;
- ``timeout``: the call IS applied, its answer never comes: the proxy holds the
  connection until the client gives up (its read timeout) or ``hold`` seconds pass
  (default 6), then closes it. The client cannot tell whether it was applied.

The decisions are deterministic: the n-th call of an operation by a function fails or
not by a hash of (seed, function, service, operation, n), whatever the other calls do.
``GET /__faults`` on a proxy shows the plan and what was injected; ``PUT /__faults``
with a new spec as body replaces the plan (tests switch faults on and off with it).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import select
import socket
import threading
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

KINDS = ("throttle", "throughput", "500", "partial", "timeout")
CONTROL_PATH = "/__faults"
DEFAULT_HOLD_SECONDS = 6.0
# Services the functions call, whose operation names a rule is checked against.
SERVICES = ("dynamodb", "dynamodbstreams", "events", "sqs", "secretsmanager", "ssm", "sts", "kms", "scheduler")


class FaultSpecError(ValueError):
    """A ``LOCAL_FAULTS`` (or ``SIMULATOR_FAULTS``) value that cannot be read."""


def unit_interval(seed: int, *parts: object) -> float:
    """A number in [0, 1) drawn from the seed and the parts: the same inputs, the same number."""
    digest = hashlib.blake2b(":".join(map(str, (seed, *parts))).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def read_amount(text: str) -> tuple[float, int | None]:
    """``0.1`` (a share of the calls) or ``#3`` (the next three calls)."""
    text = text.strip()
    try:
        if text.startswith("#"):
            count = int(text[1:])
            if count < 0:
                raise ValueError
            return 1.0, count
        share = float(text)
    except ValueError:
        raise FaultSpecError(f"{text!r} is neither a share (0 to 1) nor #N (the next N calls)") from None
    if not 0 <= share <= 1:
        raise FaultSpecError(f"share {share} is not between 0 and 1")
    return share, None


@cache
def _service_model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


@cache
def _service_by_target_prefix() -> dict[str, str]:
    return {prefix: service for service in SERVICES if (prefix := _service_model(service).metadata.get("targetPrefix"))}


@dataclass
class FaultRule:
    function: str | None  # a function's logical id; None: any
    service: str | None  # None: any
    operation: str | None  # None: any
    share: float
    kinds: tuple[str, ...]
    remaining: int | None = None  # "#N": how many more calls fail

    @property
    def specificity(self) -> tuple[bool, bool, bool]:
        return (self.function is not None, self.operation is not None, self.service is not None)

    def matches(self, function: str | None, service: str, operation: str) -> bool:
        return (
            (self.function is None or self.function == function)
            and (self.service is None or self.service == service)
            and (self.operation is None or self.operation == operation)
        )

    def describe(self) -> str:
        target = "*" if self.service is None else f"{self.service}.{self.operation or '*'}"
        if self.function:
            target = f"{self.function}/{target}"
        amount = f"#{self.remaining}" if self.remaining is not None else f"{self.share:g}"
        return f"{target}={amount}:{'|'.join(self.kinds)}"


def _parse_rule(text: str) -> FaultRule:
    target, separator, rest = text.partition("=")
    amount, colon, kinds_text = rest.partition(":")
    if not separator or not colon:
        raise FaultSpecError(f"rule {text!r} is not target=amount:kind")
    target = target.strip()
    function, _, target = target.rpartition("/")
    service, operation = (None, None) if target == "*" else [*target.split(".", 1), "*"][:2]
    if service is not None and service not in SERVICES:
        raise FaultSpecError(f"unknown service {service!r} in {text!r} (known: {', '.join(SERVICES)})")
    if operation == "*":
        operation = None
    if service is not None and operation is not None and operation not in _service_model(service).operation_names:
        raise FaultSpecError(f"{service} has no operation {operation!r} (in {text!r})")
    kinds = tuple(kind.strip() for kind in kinds_text.split("|"))
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise FaultSpecError(f"unknown fault kind {unknown[0]!r} in {text!r} (kinds: {', '.join(KINDS)})")
    if "partial" in kinds and (service, operation) != ("events", "PutEvents"):
        raise FaultSpecError(f"'partial' applies to events.PutEvents only (in {text!r})")
    share, count = read_amount(amount)
    return FaultRule(function or None, service, operation, share, kinds, count)


@dataclass
class FaultPlan:
    rules: list[FaultRule] = field(default_factory=list)
    seed: int = 0
    hold_seconds: float = DEFAULT_HOLD_SECONDS

    @classmethod
    def parse(cls, text: str) -> FaultPlan:
        rules_text, *options = (part.strip() for part in text.strip().split(";"))
        if rules_text.partition("=")[0].strip() in {"seed", "hold"}:
            rules_text, options = "", [rules_text, *options]  # options only: nothing to inject yet
        plan = cls()
        for option in filter(None, options):
            name, _, value = (part.strip() for part in option.partition("="))
            if name not in {"seed", "hold"}:
                raise FaultSpecError(f"unknown option {option!r} (options: seed=N, hold=SECONDS)")
            try:
                if name == "seed":
                    plan.seed = int(value)
                else:
                    plan.hold_seconds = float(value)
            except ValueError:
                raise FaultSpecError(f"option {option!r} needs a number") from None
        plan.rules = [_parse_rule(rule) for rule in rules_text.split(",") if rule.strip()]
        return plan

    def describe(self) -> str:
        return ",".join(rule.describe() for rule in self.rules) + f";seed={self.seed};hold={self.hold_seconds:g}"

    def rule_for(self, function: str | None, service: str, operation: str) -> FaultRule | None:
        matching = [rule for rule in self.rules if rule.matches(function, service, operation)]
        return max(matching, key=lambda rule: rule.specificity, default=None)


class FaultDecider:
    """Which calls fail and how, by the plan; counts what it injected. Thread-safe."""

    def __init__(self, plan: FaultPlan) -> None:
        self._plan = plan
        self._lock = threading.Lock()
        self._calls: Counter[tuple[str | None, str, str]] = Counter()
        self.injected: Counter[str] = Counter()

    @property
    def plan(self) -> FaultPlan:
        return self._plan

    def replace(self, plan: FaultPlan) -> None:
        with self._lock:
            self._plan = plan

    def decide(self, function: str | None, service: str, operation: str) -> str | None:
        """The kind of fault for this call, or None to let it through."""
        with self._lock:
            call = (function, service, operation)
            number = self._calls[call]
            self._calls[call] += 1
            rule = self._plan.rule_for(function, service, operation)
            if rule is None:
                return None
            if rule.remaining is not None:
                if rule.remaining == 0:
                    return None
                rule.remaining -= 1
            elif unit_interval(self._plan.seed, *call, number) >= rule.share:
                return None
            kind = rule.kinds[int(unit_interval(self._plan.seed, "kind", *call, number) * len(rule.kinds))]
            self.injected[f"{function or '*'}/{service}.{operation}:{kind}"] += 1
            return kind

    def refused_entries(self, function: str | None, count: int) -> dict[int, str]:
        """The refused entries of a partially failed ``PutEvents`` and their ``ErrorCode``: about half, at least one."""
        with self._lock:
            number = self._calls[(function, "events", "PutEvents#entries")]
            self._calls[(function, "events", "PutEvents#entries")] += 1
            seed = self._plan.seed
        if not count:
            return {}
        refused = [i for i in range(count) if unit_interval(seed, function, "entry", number, i) < 0.5]
        refused = refused or [int(unit_interval(seed, function, "entry", number) * count)]
        return {i: _ENTRY_ERRORS[unit_interval(seed, function, "code", number, i) < 0.5] for i in refused}

    def report(self) -> dict[str, Any]:
        with self._lock:
            return {
                "plan": self._plan.describe(),
                "injected": dict(self.injected),
                "total": sum(self.injected.values()),
            }


# --- the errors AWS answers -----------------------------------------------------------------

# What PutEvents says of an entry it refused (True: throttled).
_ENTRY_ERRORS = {True: "ThrottlingException", False: "InternalFailure"}
_ENTRY_MESSAGES = {"ThrottlingException": "Rate exceeded", "InternalFailure": "Internal service error."}

# (HTTP status, error code, message) per service and kind; "*" for the rest.
_ERRORS: dict[tuple[str, str], tuple[int, str, str]] = {
    ("dynamodb", "throttle"): (400, "ThrottlingException", "Rate of requests exceeds the allowed throughput."),
    ("dynamodb", "throughput"): (
        400,
        "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded. "
        "Consider increasing your provisioning level with the UpdateTable API.",
    ),
    ("dynamodb", "500"): (500, "InternalServerError", "Internal server error"),
    ("sqs", "throttle"): (400, "RequestThrottled", "Request is throttled."),
    ("sqs", "500"): (500, "InternalError", "We encountered an internal error. Please try again."),
    ("events", "500"): (500, "InternalException", "Internal service error."),
    ("secretsmanager", "500"): (500, "InternalServiceError", "An error occurred on the server side."),
    ("*", "throttle"): (400, "ThrottlingException", "Rate exceeded"),
    ("*", "500"): (500, "InternalFailure", "The request processing has failed because of an unknown error."),
}
# Services whose error type is namespaced in the JSON body, as theirs is.
_NAMESPACES = {"dynamodb": "com.amazonaws.dynamodb.v20120810#", "sqs": "com.amazonaws.sqs#"}


def error_response(service: str, kind: str) -> tuple[int, dict[str, str], bytes]:
    """The HTTP answer AWS gives for this fault: status, headers, JSON body."""
    kind = "throttle" if kind == "throughput" and service != "dynamodb" else kind
    status, code, message = _ERRORS.get((service, kind)) or _ERRORS[("*", kind)]
    body = json.dumps({"__type": _NAMESPACES.get(service, "") + code, "message": message}).encode()
    headers = {"Content-Type": _json_content_type(service), "x-amzn-RequestId": str(uuid.uuid4())}
    if service == "sqs":  # a query-compatible service: botocore reads the code from this header
        headers["x-amzn-query-error"] = f"{code};{'Sender' if status < 500 else 'Receiver'}"
    if service == "dynamodb":
        headers["x-amz-crc32"] = str(zlib.crc32(body))
    return status, headers, body


def _json_content_type(service: str) -> str:
    try:
        version = _service_model(service).metadata.get("jsonVersion", "1.0")
    except Exception:
        version = "1.0"
    return f"application/x-amz-json-{version}"


def identify_call(headers: Any, body: bytes) -> tuple[str, str]:
    """(service, operation) of an AWS request: from ``X-Amz-Target``, else the signature and ``Action``."""
    target = headers.get("X-Amz-Target") or ""
    if "." in target:
        prefix, operation = target.rsplit(".", 1)
        service = _service_by_target_prefix().get(prefix)
        if service:
            return service, operation
    authorization = headers.get("Authorization") or ""
    scope = (
        authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/") if "Credential=" in authorization else []
    )
    service = scope[3] if len(scope) > 3 else "unknown"
    action = parse_qs(body.decode(errors="replace")).get("Action", [""])[0]
    return service, action or "unknown"


# --- the proxy ------------------------------------------------------------------------------

Answer = tuple[int, list[Any], bytes]  # HTTP status, headers, body


@dataclass
class _Transaction:
    done: threading.Event = field(default_factory=threading.Event)
    answer: Answer | None = None


class IdempotentTransactions:
    """``TransactWriteItems`` repeated with its ``ClientRequestToken`` gets the first call's answer.

    So DynamoDB behaves, and botocore relies on it: it fills the token in once and sends
    it again on every retry, for instance after a read timeout while the first call went
    on and was applied. moto has no such memory; through the proxy, calls get it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, _Transaction] = {}

    def run(self, token: str, forward: Callable[[], Answer]) -> Answer:
        with self._lock:
            first = token not in self._calls
            call = self._calls.setdefault(token, _Transaction())
        if not first:
            call.done.wait(60)
            if call.answer is not None and call.answer[0] == HTTPStatus.OK:
                return call.answer
            return forward()  # the first call failed: this one is a new try
        try:
            call.answer = forward()
            return call.answer
        finally:
            call.done.set()


class FaultProxy:
    """One function's way to AWS: forwards to ``upstream``, failing calls as the decider says."""

    def __init__(
        self,
        host: str,
        upstream: str,
        decider: FaultDecider,
        *,
        function: str | None = None,
        log: Callable[[str, str], None] = lambda source, line: None,
        port: int = 0,
    ) -> None:
        self.decider = decider
        self.function = function
        self.upstream = urlsplit(upstream)
        self.log = log
        self.transactions = IdempotentTransactions()
        self._server = _ProxyServer((host, port), self)
        self.url = f"http://{host}:{self._server.server_address[1]}"

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, name=f"faults-{self.function}", daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list[Any], bytes]:
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers={**headers, "Content-Length": str(len(body))})
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def partial_put_events(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list[Any], bytes]:
        """A ``PutEvents`` with some entries refused: the others are put, the answer merges both."""
        request = json.loads(body)
        entries = request.get("Entries", [])
        refused = self.decider.refused_entries(self.function, len(entries))
        kept = [entry for index, entry in enumerate(entries) if index not in refused]
        put: list[dict[str, Any]] = []
        if kept:
            upstream_body = json.dumps({**request, "Entries": kept}).encode()
            status, upstream_headers, answer = self.forward("POST", path, headers, upstream_body)
            if status != HTTPStatus.OK:
                return status, upstream_headers, answer
            put = list(json.loads(answer).get("Entries", []))
        results = []
        for index in range(len(entries)):
            if index in refused:
                results.append({"ErrorCode": refused[index], "ErrorMessage": _ENTRY_MESSAGES[refused[index]]})
            else:
                results.append(put.pop(0) if put else {"ErrorCode": "InternalFailure", "ErrorMessage": "No result"})
        failed = sum(1 for result in results if "ErrorCode" in result)
        answer_body = json.dumps({"FailedEntryCount": failed, "Entries": results}).encode()
        answer_headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", str(uuid.uuid4()))]
        return HTTPStatus.OK, answer_headers, answer_body


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], proxy: FaultProxy) -> None:
        self.proxy = proxy
        super().__init__(address, _ProxyHandler)


_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "upgrade"}


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def _handle(self) -> None:
        proxy = self.server.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.split("?")[0] == CONTROL_PATH:
            self._control(body)
            return
        service, operation = identify_call(self.headers, body)
        headers = {name: value for name, value in self.headers.items() if name.lower() not in _HOP_BY_HOP}

        def forward() -> Answer:
            return proxy.forward(self.command, self.path, headers, body)

        token = _client_request_token(operation, body)
        kind = proxy.decider.decide(proxy.function, service, operation)
        if kind is None:
            self._relay(*(proxy.transactions.run(token, forward) if token else forward()))
        elif kind == "partial" and operation == "PutEvents":
            self._relay(*proxy.partial_put_events(self.path, headers, body))
        elif kind == "timeout":
            proxy.transactions.run(token, forward) if token else forward()  # applied; the answer is lost
            self._hold(proxy.decider.plan.hold_seconds)
        else:
            status, error_headers, error_body = error_response(service, kind)
            self._relay(status, list(error_headers.items()), error_body)
        if kind:
            proxy.log("faults", f"{proxy.function or '*'}: {service}.{operation} -> {kind}")

    def _relay(self, status: int, headers: list[Any], body: bytes) -> None:
        try:
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP and name.lower() not in {"server", "date"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up waiting (its own read timeout)

    def _hold(self, seconds: float) -> None:
        """No answer: wait for the client to hang up (its read timeout), at most ``seconds``, then close."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], left)
            if readable and not self.connection.recv(1, socket.MSG_PEEK):  # MSG_PEEK: EOF means the client left
                break
            if readable:
                time.sleep(0.05)
        self.close_connection = True

    def _control(self, body: bytes) -> None:
        decider = self.server.proxy.decider
        if self.command in {"PUT", "POST"}:
            try:
                decider.replace(FaultPlan.parse(body.decode()))
            except FaultSpecError as error:
                self._relay(
                    HTTPStatus.BAD_REQUEST, [("Content-Type", "application/json")], _json({"error": str(error)})
                )
                return
            self.server.proxy.log("faults", f"plan now {decider.plan.describe()}")
        self._relay(HTTPStatus.OK, [("Content-Type", "application/json")], _json(decider.report()))

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _client_request_token(operation: str, body: bytes) -> str | None:
    if operation != "TransactWriteItems":
        return None
    try:
        token = json.loads(body).get("ClientRequestToken")
    except ValueError:
        return None
    return str(token) if token else None


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()
