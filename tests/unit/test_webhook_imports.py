"""The webhook stays light: it never loads the provider client, requests, or the idempotency machinery."""

from __future__ import annotations

from tests.lambda_runtime import modules_loaded_by

HEAVY = ["requests", "taramoney_payments.taramoney", "taramoney_payments.initiation", "taramoney_payments.idempotency"]


def test_the_webhook_function_does_not_import_the_provider_client() -> None:
    assert modules_loaded_by(["webhook", "parked_webhooks"], HEAVY) == []
