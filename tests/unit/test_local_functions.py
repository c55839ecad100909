"""Local execution environments behave like Lambda's: environment, context, errors, timeouts, reuse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local_stack.functions import FunctionPool, FunctionSpec

HANDLER = """
import os, time

COLD = {"count": 0}

def lambda_handler(event, context):
    COLD["count"] += 1
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {
        "table": os.environ["PAYMENTS_TABLE_NAME"],
        "function": context.function_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "invocations_here": COLD["count"],
        "cwd": os.getcwd(),
    }
"""


def _pool(code_dir: Path, timeout: int = 2) -> FunctionPool:
    spec = FunctionSpec(
        logical_id="Fn",
        name="local-Fn",
        arn="arn:aws:lambda:eu-west-1:123456789012:function:local-Fn",
        code_dir=code_dir,
        handler="app.lambda_handler",
        layer_dirs=(),
        environment={"PAYMENTS_TABLE_NAME": "local-PaymentsTable", "AWS_LAMBDA_FUNCTION_NAME": "local-Fn"},
        timeout_seconds=timeout,
        memory_mb=128,
        max_concurrency=1,
    )
    return FunctionPool(spec, lambda *_: None)


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[FunctionPool]:
    (tmp_path / "app.py").write_text(HANDLER)
    pool = _pool(tmp_path, timeout=1)
    assert pool.warm_up() is None
    yield pool
    pool.close()


def test_the_handler_runs_with_its_environment_and_context_and_stays_warm(pool: FunctionPool, tmp_path: Path) -> None:
    first = pool.invoke({})
    second = pool.invoke({})

    assert first.result["table"] == "local-PaymentsTable"
    assert first.result["function"] == "local-Fn"
    assert 0 < first.result["remaining_ms"] <= 1000
    assert first.result["cwd"] == str(tmp_path)
    assert (first.result["invocations_here"], second.result["invocations_here"]) == (1, 2)


def test_an_exception_is_an_error_result_and_the_environment_survives(pool: FunctionPool) -> None:
    failed = pool.invoke({"fail": True})

    assert failed.error is not None
    assert (failed.error["errorType"], failed.error["errorMessage"]) == ("ValueError", "asked to fail")
    assert pool.invoke({}).result["invocations_here"] == 2


def test_an_invocation_past_the_timeout_ends_its_environment(pool: FunctionPool) -> None:
    timed_out = pool.invoke({"sleep": 5})

    assert timed_out.error is not None
    assert timed_out.error["errorType"] == "Sandbox.Timedout"
    assert pool.invoke({}).result["invocations_here"] == 1  # a cold start


def test_missing_code_is_an_import_error_on_every_invocation(tmp_path: Path) -> None:
    pool = _pool(tmp_path / "not-there")
    try:
        init_error = pool.warm_up()
        outcome = pool.invoke({})
    finally:
        pool.close()

    assert init_error is not None
    assert init_error["errorType"] == "Runtime.ImportModuleError"
    assert outcome.error == init_error
