"""Start the local stack as a child process on free ports, and stop it (tests, the soak).

``python -m local_stack`` runs in its own session with the given settings; once its
``outputs.json`` appears the stack answers, and the outputs are handed back.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from .ports import free_port
from .template import ROOT

STARTUP_TIMEOUT_SECONDS = 90
# Real mode must never leak in from a developer's shell.
REAL_MODE_VARIABLES = ("TARAMONEY_API_URL", "TARAMONEY_API_KEY", "TARAMONEY_BUSINESS_ID", "PUBLIC_WEBHOOK_URL")


class StackDidNotStart(RuntimeError):
    """The stack exited or did not answer in time; the message ends with its log."""


@contextmanager
def local_stack(state_dir: Path, settings: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """The stack's outputs while it runs; its output goes to ``state_dir/stack.log``."""
    state_dir.mkdir(parents=True, exist_ok=True)
    log_file = state_dir / "stack.log"
    env = {key: value for key, value in os.environ.items() if key not in REAL_MODE_VARIABLES}
    env.update(
        {
            "LOCAL_STATE_DIR": str(state_dir),
            "LOCAL_API_PORT": str(free_port()),
            "LOCAL_WEBHOOK_PORT": str(free_port()),
            "LOCAL_AWS_PORT": str(free_port()),
            "LOCAL_SANDBOX_PORT": str(free_port()),
            "PYTHONUNBUFFERED": "1",
            **settings,
        }
    )
    outputs_file = state_dir / "outputs.json"
    outputs_file.unlink(missing_ok=True)
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local_stack"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    try:
        while not outputs_file.exists():
            if process.poll() is not None:
                raise _did_not_start(f"it exited with code {process.returncode}", process, log_file)
            if time.monotonic() > deadline:
                raise _did_not_start(f"no outputs in {STARTUP_TIMEOUT_SECONDS} s", process, log_file)
            time.sleep(0.2)
        yield json.loads(outputs_file.read_text())
    finally:
        _stop(process)


def _did_not_start(why: str, process: subprocess.Popen[bytes], log_file: Path) -> StackDidNotStart:
    _stop(process)  # first, so that the log holds its last words
    return StackDidNotStart(f"the local stack did not start ({why}):\n{log_file.read_text()[-5000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
