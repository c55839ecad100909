"""Warm cost per handler (``warm_child.py`` per function), as p50 and p99 against the stubbed floor."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .environment import BenchStack
from .runs import CHILD_PYTHON, child_environment
from .scenarios import FUNCTIONS

WARM_CHILD = Path(__file__).resolve().parent / "warm_child.py"


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure_warm_cost(stack: BenchStack, iterations: int, progress: Callable[[str], None]) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for logical_id, folder in FUNCTIONS.items():
        progress(f"warm cost: {logical_id} ({iterations} invocations)")
        env = child_environment(stack.specs[logical_id])
        with tempfile.TemporaryDirectory(prefix="bench-") as temporary:
            result = Path(temporary) / "warm.json"
            env.update(
                BENCH_FUNCTION=folder,
                BENCH_ITERATIONS=str(iterations),
                BENCH_RESULT=str(result),
                BENCH_SIGNING_KEY=stack.signing_key,
            )
            answer = subprocess.run(  # noqa: S603 - our own interpreter and script
                [CHILD_PYTHON, str(WARM_CHILD)],
                env={**env, "PATH": os.environ.get("PATH", "")},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                timeout=600,
                check=False,
            )
            if answer.returncode != 0:
                raise RuntimeError(f"warm run of {logical_id} failed:\n{answer.stderr[-3000:]}")
            measured = json.loads(result.read_text())
        for label, times in measured.items():
            handler, floor = times["handler_s"], times["floor_s"]
            own = [total - in_aws for total, in_aws in zip(handler, times["aws_s"], strict=True)]
            report[label] = {
                "function": logical_id,
                "p50_ms": percentile(handler, 0.5) * 1000,
                "p99_ms": percentile(handler, 0.99) * 1000,
                "own_p50_ms": percentile(own, 0.5) * 1000,
                "own_p99_ms": percentile(own, 0.99) * 1000,
                "floor_p50_ms": percentile(floor, 0.5) * 1000,
                "floor_p99_ms": percentile(floor, 0.99) * 1000,
                "ratio_p50": percentile(handler, 0.5) / percentile(floor, 0.5),
                "ratio_p99": percentile(handler, 0.99) / percentile(floor, 0.99),
                "invocations": len(handler),
            }
    return report
