"""The webhook stays light: it never loads the provider client, requests, or the idempotency machinery."""

from __future__ import annotations

import subprocess
import sys

from tests.lambda_runtime import ROOT

HEAVY = ["requests", "taramoney_payments.taramoney", "taramoney_payments.initiation", "taramoney_payments.idempotency"]


def test_the_webhook_function_does_not_import_the_provider_client() -> None:
    script = (
        "import sys; sys.path[:0] = ['layers/payments', '.'];"
        "from tests.lambda_runtime import load_handler_module;"
        "load_handler_module('webhook'); load_handler_module('parked_webhooks');"
        f"print([name for name in {HEAVY!r} if name in sys.modules])"
    )
    answer = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert answer.stdout.strip() == "[]"
