"""Warm cost of one handler, in one interpreter: AWS answered by botocore Stubber, Taramoney faked.

Run as ``python bench/warm_child.py`` with the function's environment (the endpoint of
the bench's moto server included) and ``BENCH_FUNCTION`` (its folder), ``BENCH_CODE_DIR``,
``BENCH_LAYER_DIRS``, ``BENCH_ITERATIONS``, ``BENCH_RESULT``. The first invocations are
not measured (they read the secret from moto server and fill the caches); from then on
any request that would leave the process is an error, so every AWS call measured is a
stubbed one. Each measured invocation alternates with one bare stubbed ``update_item``
(the floor), so both see the same state of the machine.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from child import LambdaContext  # this script's folder is still first on sys.path here

WARM_UP = 20


class _Offline:
    """Once armed, a request about to leave the process fails the bench."""

    armed = False

    @classmethod
    def check(cls, **kwargs: Any) -> None:
        if cls.armed:
            raise RuntimeError(f"unstubbed AWS request during the warm measurement: {kwargs.get('request')}")


def main() -> None:
    import botocore.handlers

    botocore.handlers.BUILTIN_HANDLERS.append(("before-send", _Offline.check))
    code_dir = os.environ["BENCH_CODE_DIR"]
    sys.path[0:1] = [code_dir, *os.environ["BENCH_LAYER_DIRS"].split(os.pathsep)]
    sys.path.append(str(Path(__file__).resolve().parent.parent))  # bench.scenarios
    os.chdir(code_dir)
    import app

    in_aws = _time_aws_calls()
    iterations = int(os.environ["BENCH_ITERATIONS"])
    cases = _cases(os.environ["BENCH_FUNCTION"], os.environ.get("BENCH_SIGNING_KEY", ""))
    floor = _floor((iterations + WARM_UP) * len(cases))
    result: dict[str, Any] = {}
    for label, (prepare, check) in cases.items():
        prepare(iterations + WARM_UP)  # stubbed answers for every invocation, queued before the clock runs
        events = [_event(label) for _ in range(iterations + WARM_UP)]
        handler_times, aws_times, floor_times = [], [], []
        for index, event in enumerate(events):
            if index == 1:
                _Offline.armed = True  # the first invocation may read the secret from moto server
            in_aws[0] = 0.0
            started = time.perf_counter()
            answer = app.lambda_handler(event, LambdaContext(f"warm-{index}"))
            handler_time = time.perf_counter() - started
            aws_time = in_aws[0]
            if not check(answer):
                raise RuntimeError(f"{label}: unexpected answer {answer}")
            started = time.perf_counter()
            floor()
            floor_time = time.perf_counter() - started
            if index >= WARM_UP:
                handler_times.append(handler_time)
                aws_times.append(aws_time)
                floor_times.append(floor_time)
        result[label] = {"handler_s": handler_times, "aws_s": aws_times, "floor_s": floor_times}
    Path(os.environ["BENCH_RESULT"]).write_text(json.dumps(result))


def _time_aws_calls() -> list[float]:
    """A one-item list holding the seconds spent inside botocore calls since it was last set to 0.

    The handler's own cost is its time less this: what our code, Powertools and pydantic
    add to the (stubbed) AWS calls it makes.
    """
    from botocore.client import BaseClient

    spent = [0.0]
    make_api_call = BaseClient._make_api_call

    def timed(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return make_api_call(self, operation_name, api_params)
        finally:
            spent[0] += time.perf_counter() - started

    BaseClient._make_api_call = timed  # type: ignore[method-assign]
    return spent


def _floor(count: int) -> Callable[[], None]:
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("dynamodb")
    stubber = Stubber(client)
    for _ in range(count):
        stubber.add_response("update_item", {})
    stubber.activate()
    table = os.environ["PAYMENTS_TABLE_NAME"]

    def bare_update() -> None:
        client.update_item(
            TableName=table,
            Key={"pk": {"S": "BENCH#floor"}},
            UpdateExpression="SET touched = :now",
            ExpressionAttributeValues={":now": {"N": "1"}},
        )

    return bare_update


_events: dict[str, Callable[[], dict[str, Any]]] = {}


def _event(label: str) -> dict[str, Any]:
    return _events[label]()


_stubbers: dict[int, Any] = {}


def _stubbed(client: Any, answers: list[tuple[str, dict[str, Any]]], count: int) -> None:
    """Queue ``count`` rounds of ``answers`` on the client's one Stubber."""
    from botocore.stub import Stubber

    stubber = _stubbers.get(id(client))
    if stubber is None:
        stubber = _stubbers[id(client)] = Stubber(client)
        stubber.activate()
    for _ in range(count):
        for operation, response in answers:
            stubber.add_response(operation, response)


def _cases(function: str, signing_key: str) -> dict[str, tuple[Callable[[int], None], Callable[[Any], bool]]]:
    from dataclasses import replace
    from datetime import timedelta

    from bench import scenarios
    from taramoney_payments.aws import aws_client, fail_fast_aws_client
    from taramoney_payments.models import PaymentStatus

    payment = scenarios.pending_payment(secrets.token_urlsafe(16), scenarios.phone(1))
    pending = scenarios.payment_item(payment)

    def status(code: int) -> Callable[[Any], bool]:
        return lambda answer: answer.get("statusCode") == code

    def no_failures(answer: Any) -> bool:
        return answer.get("batchItemFailures") == []

    if function == "payments_api":
        _fake_taramoney()
        accepted = scenarios.payment_item(payment, vendor="ORANGE_CAMEROON", ussdCode="#150*50#")
        _events["initiation"] = lambda: scenarios.start_payment_event(payment.phone_number, secrets.token_hex(8))
        _events["status read"] = lambda: scenarios.get_payment_event(payment.payment_id)
        dynamodb = fail_fast_aws_client("dynamodb")
        return {
            "initiation": (
                lambda count: _stubbed(
                    dynamodb,
                    [
                        ("put_item", {}),
                        ("transact_write_items", {}),
                        ("update_item", {"Attributes": accepted}),
                        ("update_item", {}),
                    ],
                    count,
                ),
                status(201),
            ),
            "status read": (lambda count: _stubbed(dynamodb, [("get_item", {"Item": pending})], count), status(200)),
        }
    if function == "webhook":
        _events["webhook"] = lambda: scenarios.webhook_event(payment, signing_key)
        client = fail_fast_aws_client("dynamodb")
        return {
            "webhook": (lambda count: _stubbed(client, [("update_item", {"Attributes": pending})], count), status(200))
        }
    if function == "parked_webhooks":
        _events["parked webhook"] = lambda: scenarios.parked_event(payment)
        client = aws_client("dynamodb")
        return {
            "parked webhook": (
                lambda count: _stubbed(client, [("update_item", {"Attributes": pending})], count),
                no_failures,
            )
        }
    if function == "event_publisher":
        _events["publish (batch of 1)"] = lambda: scenarios.stream_event([payment])
        events_client, dynamodb = aws_client("events"), aws_client("dynamodb")

        def prepare(count: int) -> None:
            _stubbed(events_client, [("put_events", {"FailedEntryCount": 0, "Entries": [{"EventId": "e-1"}]})], count)
            _stubbed(dynamodb, [("update_item", {})], count)

        return {"publish (batch of 1)": (prepare, no_failures)}
    due = scenarios.pending_payment(payment.payment_id, payment.phone_number, expires_in=timedelta(seconds=-1))
    key = {"pk": pending["pk"], "awaitingExpiry": {"S": "PENDING"}, "expiresAt": {"S": due.view()["expiresAt"]}}
    expired = scenarios.payment_item(replace(due, status=PaymentStatus.EXPIRED))
    _events["expiry run (1 due)"] = scenarios.scheduled_event
    dynamodb = aws_client("dynamodb")
    return {
        "expiry run (1 due)": (
            lambda count: _stubbed(
                dynamodb, [("query", {"Items": [key]}), ("update_item", {"Attributes": expired})], count
            ),
            lambda answer: answer.get("expired") == 1,
        )
    }


def _fake_taramoney() -> None:
    """Taramoney's success answer from a fake connection pool: the client and urllib3's response still run."""
    import urllib3

    from taramoney_payments import taramoney

    body = json.dumps(
        {"message": "API_ORDER_SUCESSFULL", "status": "SUCCESS", "ussdCode": "#150*50#", "vendor": "ORANGE_CAMEROON"}
    ).encode()

    class Accepting(urllib3.PoolManager):
        def urlopen(self, method: str, url: str, redirect: bool = True, **_: Any) -> urllib3.BaseHTTPResponse:
            return urllib3.HTTPResponse(body=body, status=200, headers={"Content-Type": "application/json"})

    taramoney._pool.cache_clear()
    fake = Accepting(headers=taramoney._HEADERS)
    taramoney._pool = lambda: fake  # type: ignore[assignment]


if __name__ == "__main__":
    main()
