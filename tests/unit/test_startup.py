"""A function's cold start runs without garbage collection, which resumes after its first call."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.lambda_runtime import ROOT

# A handler module as Lambda loads one (its runtime sets AWS_LAMBDA_RUNTIME_API).
IN_LAMBDA = {"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}
SCRIPT = """
import gc, json, sys
sys.path[:0] = ['layers/payments']
from taramoney_payments.startup import collect_after_first_call

@collect_after_first_call
def handler(event, context):
    if event == "fail":
        raise RuntimeError(event)
    return gc.isenabled()

seen = {{"after_import": gc.isenabled()}}
try:
    seen["during_first_call"] = handler({first!r}, None)
except RuntimeError:
    seen["during_first_call"] = False
seen["after_first_call"] = gc.isenabled()
seen["frozen"] = gc.get_freeze_count()
seen["during_second_call"] = handler("ok", None)
print(json.dumps(seen))
"""


def run(first_event: str) -> dict[str, object]:
    answer = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SCRIPT.format(first=first_event)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, **IN_LAMBDA},
    )
    seen: dict[str, object] = json.loads(answer.stdout)
    return seen


def test_collection_waits_for_the_first_answer_then_leaves_the_loaded_objects_out() -> None:
    seen = run("ok")

    assert seen["after_import"] is False
    assert seen["during_first_call"] is False
    assert seen["after_first_call"] is True
    assert isinstance(seen["frozen"], int)
    assert seen["frozen"] > 1000  # what the imports built, out of every later collection
    assert seen["during_second_call"] is True


def test_a_first_call_that_fails_resumes_collection_too() -> None:
    seen = run("fail")

    assert seen["after_first_call"] is True
    assert seen["during_second_call"] is True


def collector_enabled_after_loading_the_webhook(**environment: str) -> bool:
    script = "import gc, sys; sys.path[:0] = ['functions/webhook', 'layers/payments'];import app; print(gc.isenabled())"
    env = {"PAYMENTS_TABLE_NAME": "payments", "AWS_DEFAULT_REGION": "eu-west-1", "POWERTOOLS_TRACE_DISABLED": "1"}
    answer = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**env, **environment},
    )
    return {"True": True, "False": False}[answer.stdout.strip()]


def test_in_lambda_a_handler_module_loads_with_the_collector_paused() -> None:
    assert collector_enabled_after_loading_the_webhook(**IN_LAMBDA) is False


def test_elsewhere_importing_a_handler_leaves_the_collector_alone() -> None:
    # the tests, the OpenAPI generator: they import handlers without Lambda's runtime around them
    assert collector_enabled_after_loading_the_webhook() is True
