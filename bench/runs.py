"""Fresh interpreters: start ``bench/child.py`` with a function's environment and read its answer."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from local_stack.functions import FunctionSpec

CHILD = Path(__file__).resolve().parent / "child.py"
# The interpreter of every measured process: ``BENCH_PYTHON`` (``make bench`` gives it the
# functions' runtime, Python 3.13, when this machine has one), else the bench's own.
CHILD_PYTHON = os.environ.get("BENCH_PYTHON") or sys.executable
_HOST_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def child_python_version() -> str:
    """The version of the measured interpreters, as the report shows it."""
    answer = subprocess.run(  # noqa: S603 - the interpreter the bench was given
        [CHILD_PYTHON, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return answer.stdout.strip()


def child_environment(spec: FunctionSpec, *, traced: bool = False) -> dict[str, str]:
    env = {key: os.environ[key] for key in _HOST_VARIABLES if key in os.environ}
    env.update(spec.environment)
    env.update(
        BENCH_CODE_DIR=str(spec.code_dir),
        BENCH_LAYER_DIRS=os.pathsep.join(str(path) for path in spec.layer_dirs),
        BENCH_TIMEOUT_SECONDS=str(spec.timeout_seconds),
        PYTHONDONTWRITEBYTECODE="1",
        # As Lambda's runtime sets it: the functions pause garbage collection there (startup.py).
        AWS_LAMBDA_RUNTIME_API="127.0.0.1:9001",
    )
    if traced:
        # As Lambda runs a function with Tracing: Active (no daemon here: segments go nowhere).
        env.pop("POWERTOOLS_TRACE_DISABLED", None)
        env.update(
            LAMBDA_TASK_ROOT=str(spec.code_dir),
            AWS_XRAY_DAEMON_ADDRESS="127.0.0.1:2000",
            AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR",
            _X_AMZN_TRACE_ID="Root=1-6b0aa685-5e1c7a100b2d4f1e9c532a7d;Parent=53995c3f42cd8ad8;Sampled=1",
        )
    return env


def run_child(mode: str, env: dict[str, str], events: list[Any] | None = None) -> dict[str, Any]:
    return run_script(
        CHILD, f"bench child ({mode})", {**env, "BENCH_MODE": mode, "BENCH_EVENTS": json.dumps(events or [])}
    )


def run_script(script: Path, name: str, env: dict[str, str], timeout: float = 120) -> dict[str, Any]:
    """Run one of the bench's scripts in a measured interpreter; the JSON it wrote to ``BENCH_RESULT``."""
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        result = Path(folder) / "result.json"
        answer = subprocess.run(  # noqa: S603 - our own interpreter and script
            [CHILD_PYTHON, str(script)],
            env={**env, "BENCH_RESULT": str(result)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
            check=False,
        )
        if answer.returncode != 0 or not result.exists():
            raise RuntimeError(f"{name} failed:\n{answer.stderr[-3000:]}")
        loaded: dict[str, Any] = json.loads(result.read_text())
        return loaded


def import_offenders(env: dict[str, str], top: int = 6) -> list[dict[str, Any]]:
    """``python -X importtime`` of the handler module: self time summed by top-level package."""
    answer = subprocess.run(  # noqa: S603 - our own interpreter and script
        [CHILD_PYTHON, "-X", "importtime", str(CHILD)],
        env={**env, "BENCH_MODE": "import", "BENCH_RESULT": os.devnull},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=True,
    )
    by_package: dict[str, int] = defaultdict(int)
    for line in answer.stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match:
            by_package[match.group(4).split(".")[0]] += int(match.group(1))
    total = sum(by_package.values())
    ranked = sorted(by_package.items(), key=lambda item: item[1], reverse=True)[:top]
    return [{"package": name, "ms": round(us / 1000, 1), "share": round(us / total, 3)} for name, us in ranked]
