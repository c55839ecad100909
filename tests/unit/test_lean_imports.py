"""What each function loads at import, checked in a fresh interpreter: the lean start of issue 9.

A module named here costs every cold start that imports it. None of these checks times
anything; they say which modules must stay out, so that a change that pulls one back
in fails here rather than in a benchmark nobody reads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.lambda_runtime import ROOT

# Never needed by a deployed function (nor loaded while tracing is off).
NOWHERE = [
    "aws_xray_sdk",  # only when tracing is on (taramoney_payments.tracing)
    "requests",  # Taramoney is called with urllib3, which botocore loads anyway
    "phonenumbers",  # its +237 data is generated into taramoney_payments.cameroon_numbering
    # Powertools' OpenAPI machinery: validation, schema generation, Swagger UI
    "aws_lambda_powertools.event_handler.openapi.models",
    "aws_lambda_powertools.event_handler.openapi.params",
    "aws_lambda_powertools.event_handler.openapi.dependant",
    "aws_lambda_powertools.event_handler.openapi.swagger_ui",
    "aws_lambda_powertools.event_handler.middlewares.openapi_validation",
]
# What only the payments API needs: the provider client, idempotency, the HTTP resolver.
API_ONLY = [
    "taramoney_payments.taramoney",
    "taramoney_payments.initiation",
    "taramoney_payments.idempotency",
    "taramoney_payments.payment_request",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.event_handler",
]
FORBIDDEN = {
    "payments_api": NOWHERE,
    # They read the webhook's body with the standard library (webhook_payload): no pydantic.
    "webhook": [*NOWHERE, *API_ONLY, "pydantic"],
    "parked_webhooks": [*NOWHERE, *API_ONLY, "pydantic"],
    # They read payments as plain Python: no validation library at all.
    "event_publisher": [*NOWHERE, *API_ONLY, "pydantic"],
    "payment_expiry": [*NOWHERE, *API_ONLY, "pydantic"],
}


def modules_after_import(function_dir: str, **environment: str) -> set[str]:
    script = (
        "import json, sys; sys.path[:0] = ['layers/payments', '.'];"
        "from tests.lambda_runtime import load_handler_module;"
        f"load_handler_module({function_dir!r}); print(json.dumps(sorted(sys.modules)))"
    )
    env = {**os.environ, "PAYMENTS_TABLE_NAME": "payments", **environment}
    answer = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(answer.stdout))


@pytest.mark.parametrize("function_dir", sorted(FORBIDDEN))
def test_a_function_imports_only_what_its_path_needs(function_dir: str) -> None:
    loaded = modules_after_import(function_dir, POWERTOOLS_TRACE_DISABLED="true")

    assert sorted(name for name in FORBIDDEN[function_dir] if name in loaded) == []


def test_with_tracing_on_the_x_ray_sdk_patches_only_what_the_service_calls_out_with() -> None:
    environment = {"LAMBDA_TASK_ROOT": str(ROOT / "functions" / "payments_api"), "POWERTOOLS_TRACE_DISABLED": "false"}

    loaded = modules_after_import("payments_api", **environment)

    assert {"aws_xray_sdk.core", "aws_xray_sdk.ext.botocore.patch"} <= loaded
    # installed here (requests, sqlite3, psycopg2's patcher), but never called: neither imported nor patched
    patched = {name.removesuffix(".patch") for name in loaded if name.startswith("aws_xray_sdk.ext.")}
    assert patched <= {
        "aws_xray_sdk.ext",
        "aws_xray_sdk.ext.boto_utils",
        "aws_xray_sdk.ext.botocore",
        "aws_xray_sdk.ext.util",
    }
    assert not {"requests", "sqlite3"} & loaded
