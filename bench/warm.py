"""Warm cost per handler (``warm_child.py`` per function), as p50 and p99 against the stubbed floor."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .environment import BenchStack
from .runs import child_environment, run_script
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
        env.update(
            BENCH_FUNCTION=folder,
            BENCH_ITERATIONS=str(iterations),
            BENCH_SIGNING_KEY=stack.signing_key,
        )
        measured = run_script(WARM_CHILD, f"warm run of {logical_id}", env, timeout=600)
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
