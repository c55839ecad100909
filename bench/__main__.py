"""``make bench`` (``python -m bench``): measure, print the table, write ``.local/bench.json``.

Options through the environment: ``BENCH_ROUNDS`` (fresh interpreters per function, 7),
``BENCH_ITERATIONS`` (measured warm invocations per handler, 500), ``BENCH_OUTPUT`` (where the
JSON report goes, ``.local/bench.json``), ``BENCH_PYTHON`` (the interpreter of the measured
processes: ``make bench`` gives the functions' runtime, Python 3.13, when this machine has one;
else the bench's own).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "layers" / "payments"))

from bench.cold import count_aws_calls, measure_cold_starts  # noqa: E402
from bench.environment import start_stack  # noqa: E402
from bench.report import table  # noqa: E402
from bench.runs import child_environment, child_python_version, import_offenders  # noqa: E402
from bench.sizes import package_sizes  # noqa: E402
from bench.warm import measure_warm_cost  # noqa: E402

DEFAULT_OUTPUT = ROOT / ".local" / "bench.json"


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        cpu = model
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {child_python_version()}, load {load:.1f}"
    )


def progress(line: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)


def main() -> None:
    rounds = int(os.environ.get("BENCH_ROUNDS", "7"))
    iterations = int(os.environ.get("BENCH_ITERATIONS", "500"))
    output = Path(os.environ.get("BENCH_OUTPUT", DEFAULT_OUTPUT))
    progress("starting moto server, the template's resources and the Taramoney simulator")
    stack = start_stack()
    try:
        report = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": _machine(),
            "cold_start": {
                "rounds": rounds,
                **measure_cold_starts(stack, rounds, progress, traced=("PaymentsApiFunction", "WebhookFunction")),
            },
            "import_offenders": {},
            "warm": measure_warm_cost(stack, iterations, progress),
            "aws_calls": count_aws_calls(stack, progress),
        }
        for logical_id, spec in stack.specs.items():
            progress(f"import time: {logical_id}")
            report["import_offenders"][logical_id] = import_offenders(child_environment(spec))
    finally:
        stack.stop()
    report["package_sizes"] = package_sizes()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"\n(written to {output})")


if __name__ == "__main__":
    main()
