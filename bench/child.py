"""One fresh interpreter of the bench: a cold start, the floor, an import, or counted AWS calls.

Run as ``python bench/child.py`` (never imported) with the function's environment and:
``BENCH_MODE`` (function | import | floor | calls), ``BENCH_CODE_DIR``, ``BENCH_LAYER_DIRS``,
``BENCH_EVENTS`` (a JSON list of events, invoked in order), ``BENCH_RESULT`` (where the
answer goes, as JSON), ``BENCH_TIMEOUT_SECONDS`` (the function's Timeout). Only ``os``, ``sys``
and ``time`` are imported before the clock starts, so what is measured is the function's own
import and its first invocations.
"""

import os
import sys
import time

START = time.perf_counter()


class LambdaContext:
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "bench")
    function_version = "$LATEST"
    invoked_function_arn = f"arn:aws:lambda:eu-west-1:123456789012:function:{function_name}"
    memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"))
    log_group_name = f"/aws/lambda/{function_name}"
    log_stream_name = "bench/[$LATEST]0"
    identity = None
    client_context = None

    def __init__(self, request_id: str) -> None:
        self.aws_request_id = request_id
        # Each invocation gets the function's whole Timeout, as in Lambda: the API checks it.
        self._deadline = time.monotonic() + float(os.environ["BENCH_TIMEOUT_SECONDS"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _count_aws_calls() -> dict[str, int]:
    """Every botocore session made from now on reports its API calls here (retries are one call)."""
    import botocore.handlers

    calls: dict[str, int] = {}

    def count(event_name: str, **_: object) -> None:
        _, service, operation = event_name.split(".", 2)
        calls[f"{service}.{operation}"] = calls.get(f"{service}.{operation}", 0) + 1

    botocore.handlers.BUILTIN_HANDLERS.append(("before-call", count))
    return calls


def main() -> None:
    mode = os.environ["BENCH_MODE"]
    if mode == "floor":
        import boto3

        client = boto3.client("dynamodb")
        client.update_item(
            TableName=os.environ["PAYMENTS_TABLE_NAME"],
            Key={"pk": {"S": "BENCH#floor"}},
            UpdateExpression="SET touched = :now",
            ExpressionAttributeValues={":now": {"N": str(time.time())}},
        )
        _write({"total_s": time.perf_counter() - START})
        return

    calls = _count_aws_calls() if mode == "calls" else None
    code_dir = os.environ["BENCH_CODE_DIR"]
    sys.path[0:1] = [code_dir, *os.environ["BENCH_LAYER_DIRS"].split(os.pathsep)]
    os.chdir(code_dir)
    import app

    imported = time.perf_counter()
    if mode == "import":
        return
    import json

    events = json.loads(os.environ["BENCH_EVENTS"])
    answers, phases = [], []
    for index, event in enumerate(events):
        if calls is not None:
            calls.clear()
        answers.append(app.lambda_handler(event, LambdaContext(f"bench-{index}")))
        if calls is not None:
            phases.append(dict(calls))
    done = time.perf_counter()
    _write(
        {
            "peak_rss_mb": _peak_rss_mb(),
            "import_s": imported - START,
            "invoke_s": done - imported,
            "total_s": done - START,
            "answers": answers,
            "calls": phases,
        }
    )


def _peak_rss_mb() -> float:
    """This process's high-water mark of resident memory (VmHWM; ru_maxrss would count the parent's)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _write(result: dict[str, object]) -> None:
    import json

    with open(os.environ["BENCH_RESULT"], "w") as file:
        json.dump(result, file, default=str)


if __name__ == "__main__":
    main()
