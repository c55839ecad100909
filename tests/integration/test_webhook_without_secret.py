"""A webhook that arrives while the secret cannot be read (Secrets Manager failing on a cold start).

Taramoney never calls again, so such a webhook is not answered 500 and lost: it is parked
unverified and its caller is checked by the parked-webhooks function before anything is
applied. AWS is moto, with Secrets Manager failing in front of it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from taramoney_payments.webhook_tokens import webhook_token
from tests.captured_output import Capture
from tests.conftest import TEST_SIGNING_KEY, reset_service_caches
from tests.integration.secrets_outage import SecretsManager, watch_secrets_manager
from tests.integration.webhook_support import (
    PAYMENT_ID,
    add_pending_payment,
    deliver,
    parked_messages,
    set_shared_secret,
    stored_item,
    webhook_event,
)
from tests.lambda_runtime import LambdaContext, load_handler_module


@pytest.fixture
def secrets_manager(function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> SecretsManager:
    watch = watch_secrets_manager(monkeypatch)
    reset_service_caches()  # a cold start: no secret read yet
    return watch


@pytest.fixture
def webhook(secrets_manager: SecretsManager) -> Any:
    return load_handler_module("webhook")


@pytest.fixture
def parked_webhooks(secrets_manager: SecretsManager) -> Any:
    return load_handler_module("parked_webhooks")


def apply(parked_webhooks: Any, records: list[dict[str, Any]]) -> Any:
    return parked_webhooks.lambda_handler({"Records": records}, LambdaContext())


def test_a_webhook_without_the_secret_at_hand_is_parked_then_checked_and_applied(
    webhook: Any, parked_webhooks: Any, secrets_manager: SecretsManager, function_env: dict[str, str]
) -> None:
    # given a PENDING payment and Secrets Manager down at the webhook's cold start
    add_pending_payment()
    secrets_manager.down = True
    event = webhook_event("success")
    # when Taramoney delivers the payment's outcome
    status, body = deliver(webhook, event)
    # then it is kept, not refused: answered 200 and parked without the address token in clear
    assert (status, body) == (200, {"received": True, "paymentId": PAYMENT_ID, "status": "SUCCESS"})
    records = parked_messages(function_env)
    assert len(records) == 1
    assert webhook_token(PAYMENT_ID, TEST_SIGNING_KEY) not in records[0]["body"]
    assert stored_item()["status"] == "PENDING"  # type: ignore[index]
    # when the parked webhook is applied while the secret still cannot be read
    with pytest.raises(BatchProcessingError):  # retried by SQS, not dropped
        apply(parked_webhooks, records)
    assert stored_item()["status"] == "PENDING"  # type: ignore[index]
    # when Secrets Manager answers again
    secrets_manager.down = False
    # then the caller's proofs hold and the payment is settled
    assert apply(parked_webhooks, records) == {"batchItemFailures": []}
    item = stored_item()
    assert item is not None
    assert item["status"] == "SUCCESS"
    assert [delivery["source"] for delivery in item["deliveries"]] == ["parked-webhook"]


def test_a_forged_webhook_parked_without_the_secret_is_never_applied(
    webhook: Any,
    parked_webhooks: Any,
    secrets_manager: SecretsManager,
    function_env: dict[str, str],
    capture: Capture,
) -> None:
    add_pending_payment()
    secrets_manager.down = True
    forged = webhook_event("success", path=f"/payments/{PAYMENT_ID}/bm90LXRoZS1yZWFsLXRva2Vu")
    assert deliver(webhook, forged)[0] == 200  # nobody can tell it from a genuine one yet
    secrets_manager.down = False
    capture()  # what the webhook printed; what follows is the parked-webhooks function's
    assert apply(parked_webhooks, parked_messages(function_env)) == {"batchItemFailures": []}
    output = capture()
    assert stored_item()["status"] == "PENDING"  # type: ignore[index]
    assert "deliveries" not in stored_item()  # type: ignore[operator]
    assert output.metric_total("ParkedWebhooksRefused") == 1
    assert output.metric_total("AuthenticWebhooksRefused") == 0  # a forgery does not alarm
    assert [line["level"] for line in output.log_lines if "payload" in line] == []  # nor fills ERROR lines


def test_a_webhook_for_another_business_parked_without_the_secret_is_never_applied(
    webhook: Any, parked_webhooks: Any, secrets_manager: SecretsManager, function_env: dict[str, str]
) -> None:
    add_pending_payment()
    secrets_manager.down = True
    assert deliver(webhook, webhook_event("success", payload_changes={"businessId": "someone-else"}))[0] == 200
    secrets_manager.down = False
    assert apply(parked_webhooks, parked_messages(function_env)) == {"batchItemFailures": []}
    assert stored_item()["status"] == "PENDING"  # type: ignore[index]


def test_a_wrong_shared_secret_parked_without_the_secret_is_never_applied(
    webhook: Any, parked_webhooks: Any, secrets_manager: SecretsManager, function_env: dict[str, str]
) -> None:
    # given a merchant who set a shared webhook secret
    set_shared_secret(function_env["TARAMONEY_SECRET_ID"], "dashboard-shared-secret-42")
    add_pending_payment()
    secrets_manager.down = True
    wrong = webhook_event("success", headers={"tara-webhook-secret": "not-it"})
    right = webhook_event("failure", headers={"tara-webhook-secret": "dashboard-shared-secret-42"})
    assert deliver(webhook, wrong)[0] == deliver(webhook, right)[0] == 200
    secrets_manager.down = False
    records = parked_messages(function_env)
    assert len(records) == 2
    assert "dashboard-shared-secret-42" not in json.dumps(records)
    # then only the delivery with the right shared secret is applied
    assert apply(parked_webhooks, records) == {"batchItemFailures": []}
    assert stored_item()["status"] == "FAILURE"  # type: ignore[index]


@pytest.mark.parametrize("body", ["not json", '{"status": "SUCCESS"}'])
def test_a_malformed_webhook_is_still_refused_without_the_secret(
    webhook: Any, secrets_manager: SecretsManager, function_env: dict[str, str], body: str
) -> None:
    add_pending_payment()
    secrets_manager.down = True
    assert deliver(webhook, webhook_event("success", body=body))[0] == 400
    assert parked_messages(function_env) == []


def test_an_address_that_names_no_payment_is_still_refused_without_the_secret(
    webhook: Any, secrets_manager: SecretsManager, function_env: dict[str, str]
) -> None:
    secrets_manager.down = True
    assert deliver(webhook, webhook_event("success", path="/payments/only-an-id"))[0] == 401
    assert parked_messages(function_env) == []
