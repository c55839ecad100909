"""``make bench`` still measures what it reports: a small run of ``python -m bench`` end to end.

The bench is not a test (its figures are never pass/fail here), but a bench that no longer
runs is a regression: each of its scenarios checks the answers it gets, so a handler that
stops serving the bench's invocations fails this run.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from bench import environment
from bench.environment import start_stack
from bench.scenarios import FUNCTIONS

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_a_small_bench_run_reports_every_figure(tmp_path: Path) -> None:
    # given the smallest bench: one cold-start round, a few warm invocations, its report in a temporary file
    output = tmp_path / "bench.json"
    env = {**os.environ, "BENCH_ROUNDS": "1", "BENCH_ITERATIONS": "3", "BENCH_OUTPUT": str(output)}
    # and the interpreter to measure (`make bench` gives the functions' runtime's): here this
    # one, through a script that notes each process it starts
    started = tmp_path / "started.txt"
    measured_python = tmp_path / "python"
    measured_python.write_text(f'#!/bin/sh\necho "$@" >> "{started}"\nexec "{sys.executable}" "$@"\n')
    measured_python.chmod(0o755)
    env["BENCH_PYTHON"] = str(measured_python)

    # when it runs as `make bench` runs it
    run = subprocess.run(
        [sys.executable, "-m", "bench"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )

    # then it ends well, prints its table and writes a figure for every function and operation
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Cold start: import + first invocation" in run.stdout
    report = json.loads(output.read_text())
    assert f"Python {platform.python_version()}," in report["machine"]
    # every measured process ran under the interpreter it was given: cold starts, floors, warm runs, imports
    scripts = [line.split()[-1] for line in started.read_text().splitlines() if line.split()]
    assert {Path(script).name for script in scripts} >= {"child.py", "warm_child.py"}
    assert sum(Path(script).name == "warm_child.py" for script in scripts) == len(FUNCTIONS)
    cold = report["cold_start"]["functions"]
    assert set(cold) == {*FUNCTIONS, "PaymentsApiFunction (tracing on)", "WebhookFunction (tracing on)"}
    assert all(math.isfinite(figures["ratio_to_floor"]) and figures["ratio_to_floor"] > 0 for figures in cold.values())
    assert set(report["import_offenders"]) == set(FUNCTIONS)
    assert all(report["import_offenders"].values())
    warm = report["warm"]
    assert {figures["function"] for figures in warm.values()} == set(FUNCTIONS)
    assert all(0 < figures["own_p99_ms"] <= figures["p99_ms"] for figures in warm.values())
    calls = {operation: counted["total"] for operation, counted in report["aws_calls"].items()}
    assert calls["initiation"] == 4
    assert calls["webhook (happy path)"] == calls["webhook (duplicate)"] == 1


def test_a_stopped_bench_stack_leaves_this_process_as_it_found_it() -> None:
    # given this process's environment (the tests that follow use their own AWS endpoints)
    before = dict(os.environ)

    # when a bench stack starts (pointing the process at its moto server, which runs in this
    # process) and stops, then a second one does the same
    start_stack().stop()
    start_stack().stop()  # it creates the same resources: none left by the first

    # then the process points where it did before
    assert dict(os.environ) == before


def test_a_bench_stack_that_fails_to_start_leaves_this_process_as_it_found_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a template whose resources cannot be created
    before = dict(os.environ)

    def refuse(*_: object, **__: object) -> None:
        raise RuntimeError("the resources could not be created")

    monkeypatch.setattr(environment, "create_resources", refuse)
    # when a bench stack starts
    with pytest.raises(RuntimeError, match="could not be created"):
        start_stack()
    # then the process points where it did before
    assert dict(os.environ) == before
