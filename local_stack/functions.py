"""Lambda functions of the template, run in local execution environments (worker processes).

Each function gets the environment the template gives it, resolved against the local
stack, plus what Lambda itself sets. Environments are reused between invocations and
added on demand up to a small concurrency, like Lambda's; an invocation that outlives
the function's ``Timeout`` ends its environment, as in Lambda.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .resources import Stack
from .template import Template, local_code_path

WORKER = Path(__file__).resolve().parent / "worker.py"
_INIT_TIMEOUT_SECONDS = 60
# Environment the host lends to a function: enough to run Python, nothing of the user's AWS set-up.
_HOST_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR")


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    layer_dirs: tuple[Path, ...]
    environment: dict[str, str]
    timeout_seconds: int
    memory_mb: int
    max_concurrency: int


@dataclass
class InvocationResult:
    result: Any = None
    error: dict[str, Any] | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


def function_specs(
    template: Template,
    stack: Stack,
    base_environment: dict[str, str],
    overrides: dict[str, str],
    max_concurrency: int,
) -> dict[str, FunctionSpec]:
    """Every ``AWS::Lambda::Function`` of the translated template, ready to run locally."""
    layers = {
        stack.resolve({"Ref": logical_id}): local_code_path(resource["Properties"]["Content"])
        for logical_id, resource in template.of_type("AWS::Lambda::LayerVersion").items()
    }
    specs = {}
    for logical_id, resource in template.of_type("AWS::Lambda::Function").items():
        props = resource["Properties"]
        name = stack.refs[logical_id]
        variables = stack.resolve(props.get("Environment", {}).get("Variables", {}))
        memory = int(props.get("MemorySize", 128))
        environment = {
            **{key: str(value) for key, value in variables.items()},
            **overrides,
            **base_environment,
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"local/[$LATEST]{uuid.uuid4().hex}",
            # Set by Lambda's runtime: the functions pause garbage collection until their first answer.
            "AWS_LAMBDA_RUNTIME_API": "local-stack-worker",
        }
        reserved = props.get("ReservedConcurrentExecutions")
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            name=name,
            arn=stack.attributes[(logical_id, "Arn")],
            code_dir=local_code_path(props["Code"]),
            handler=props["Handler"],
            layer_dirs=tuple(layers[arn] for arn in stack.resolve(props.get("Layers", [])) if arn in layers),
            environment=environment,
            timeout_seconds=int(props.get("Timeout", 3)),
            memory_mb=memory,
            max_concurrency=max(1, min(max_concurrency, int(reserved) if reserved else max_concurrency)),
        )
    return specs


class _Environment:
    """One worker process and its channel."""

    def __init__(self, spec: FunctionSpec, log: Callable[[str, str], None]) -> None:
        parent, child = socket.socketpair()
        env = {key: os.environ[key] for key in _HOST_VARIABLES if key in os.environ}
        env.update(spec.environment)
        env.update(
            {
                "LOCAL_WORKER_FD": str(child.fileno()),
                "LOCAL_CODE_DIR": str(spec.code_dir),
                "LOCAL_LAYER_DIRS": os.pathsep.join(str(path) for path in spec.layer_dirs),
                "LOCAL_HANDLER": spec.handler,
                "LOCAL_FUNCTION_ARN": spec.arn,
                "PYTHONUNBUFFERED": "1",
            }
        )
        self.process = subprocess.Popen(  # noqa: S603 - our own worker, with the venv's interpreter
            [sys.executable, str(WORKER)],
            env=env,
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        child.close()
        self._channel = parent
        self._reader = parent.makefile("rb")
        self._writer = parent.makefile("wb")
        threading.Thread(target=self._relay_logs, args=(spec.logical_id, log), daemon=True).start()
        parent.settimeout(_INIT_TIMEOUT_SECONDS)
        ready = self._read()
        self.init_error: dict[str, Any] | None = ready.get("error") if ready else None

    def _relay_logs(self, logical_id: str, log: Callable[[str, str], None]) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            log(logical_id, raw.decode(errors="replace").rstrip())

    def _read(self) -> dict[str, Any] | None:
        line = self._reader.readline()
        return json.loads(line) if line else None

    def invoke(self, event: Any, timeout_seconds: int) -> InvocationResult:
        request_id = str(uuid.uuid4())
        deadline_ms = int((time.time() + timeout_seconds) * 1000)
        self._channel.settimeout(timeout_seconds + 1)
        try:
            self._writer.write(
                json.dumps({"event": event, "requestId": request_id, "deadlineMs": deadline_ms}).encode()
            )
            self._writer.write(b"\n")
            self._writer.flush()
            answer = self._read()
        except (TimeoutError, OSError):
            self.close(kill=True)
            return InvocationResult(
                error={"errorType": "Sandbox.Timedout", "errorMessage": f"Task timed out after {timeout_seconds} s"}
            )
        if answer is None:
            self.close()
            return InvocationResult(error={"errorType": "Runtime.ExitError", "errorMessage": "the runtime exited"})
        return InvocationResult(result=answer.get("result"), error=answer.get("error"))

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self, *, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        for closable in (self._writer, self._reader, self._channel):
            with contextlib.suppress(OSError):
                closable.close()
        try:
            self.process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class FunctionPool:
    """The execution environments of one function: reused, added on demand, capped."""

    spec: FunctionSpec
    log: Callable[[str, str], None]
    _idle: list[_Environment] = field(default_factory=list)
    _all: list[_Environment] = field(default_factory=list)
    _condition: threading.Condition = field(default_factory=threading.Condition)
    _closed: bool = False

    def warm_up(self) -> dict[str, Any] | None:
        """Start one environment; the init error, if the handler cannot be imported."""
        environment = _Environment(self.spec, self.log)
        with self._condition:
            self._all.append(environment)
            self._idle.append(environment)
            self._condition.notify()
        return environment.init_error

    def invoke(self, event: Any) -> InvocationResult:
        environment = self._acquire()
        try:
            return environment.invoke(event, self.spec.timeout_seconds)
        finally:
            self._release(environment)

    def _acquire(self) -> _Environment:
        with self._condition:
            while True:
                if self._closed:
                    raise RuntimeError("the local stack is stopping")
                if self._idle:
                    return self._idle.pop()
                if len(self._all) < self.spec.max_concurrency:
                    break
                self._condition.wait()
        environment = _Environment(self.spec, self.log)  # a cold start, outside the lock
        with self._condition:
            self._all.append(environment)
        return environment

    def _release(self, environment: _Environment) -> None:
        with self._condition:
            if environment.alive and not self._closed:
                self._idle.append(environment)
            else:
                self._all.remove(environment)
            self._condition.notify()

    def close(self) -> None:
        with self._condition:
            self._closed = True
            environments = list(self._all)
            self._condition.notify_all()
        for environment in environments:
            environment.close()
