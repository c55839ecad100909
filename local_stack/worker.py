"""One Lambda execution environment: imports a handler once, then runs invocations one at a time.

Started by ``local_stack.functions`` as ``python local_stack/worker.py`` with the
function's environment and a socket (``LOCAL_WORKER_FD``) to talk over: one JSON line
in per invocation (event, request id, deadline), one JSON line out (result or error).
stdout and stderr are the function's logs. This file imports nothing from the
repository, so the function sees only its own folder and its layers on ``sys.path``,
as in Lambda.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import sys
import time
import traceback
from typing import Any


class LambdaContext:
    """The context object Lambda passes to a Python handler."""

    def __init__(self, request_id: str, deadline_ms: int, function_arn: str) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(error: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorType": error_type or type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_tb(error.__traceback__),
    }


def _load_handler(handler: str) -> Any:
    module_name, _, function_name = handler.rpartition(".")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except Exception as error:
        if os.path.isdir(sys.path[0]):  # code that is there but does not import: say why
            traceback.print_exc()
        raise _InitError(_error(error, "Runtime.ImportModuleError")) from error
    function = getattr(module, function_name, None)
    if not callable(function):
        raise _InitError(
            {"errorType": "Runtime.HandlerNotFound", "errorMessage": f"Handler {handler!r} missing", "stackTrace": []}
        )
    return function


class _InitError(Exception):
    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload["errorMessage"])
        self.payload = payload


def main() -> None:
    # Ctrl-C reaches the whole process group: the parent decides when this environment ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    channel = socket.socket(fileno=int(os.environ.pop("LOCAL_WORKER_FD")))
    reader, writer = channel.makefile("rb"), channel.makefile("wb")
    code_dir = os.environ.pop("LOCAL_CODE_DIR")
    layers = [path for path in os.environ.pop("LOCAL_LAYER_DIRS", "").split(os.pathsep) if path]
    handler_name = os.environ.pop("LOCAL_HANDLER")
    function_arn = os.environ.pop("LOCAL_FUNCTION_ARN")
    sys.path[0:1] = [code_dir, *layers]  # replaces this file's folder, as Lambda's /var/task + /opt/python
    if os.path.isdir(code_dir):
        os.chdir(code_dir)

    def send(message: dict[str, Any]) -> None:
        try:
            line = json.dumps(message)
        except (TypeError, ValueError) as error:
            line = json.dumps({"error": _error(error, "Runtime.MarshalError")})
        writer.write(line.encode() + b"\n")
        writer.flush()

    init_error: dict[str, Any] | None = None
    handler: Any = None
    try:
        handler = _load_handler(handler_name)
    except _InitError as error:
        init_error = error.payload
    send({"ready": True, "error": init_error})

    for line in reader:
        request = json.loads(line)
        if init_error is not None:
            send({"error": init_error})
            continue
        context = LambdaContext(request["requestId"], request["deadlineMs"], function_arn)
        print(f"START RequestId: {context.aws_request_id} Version: $LATEST", flush=True)
        try:
            result = handler(request["event"], context)
        except Exception as error:
            traceback.print_exc()
            send({"error": _error(error)})
        else:
            send({"result": result})
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            print(f"END RequestId: {context.aws_request_id}", flush=True)


if __name__ == "__main__":
    main()
