"""Shared fixtures: AWS emulated by moto, the template's resources created in it, settings reset."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import botocore.loaders
import botocore.session
import pytest
from hypothesis import settings
from moto import mock_aws

from local_stack.resources import Stack, create_resources, default_parameters
from local_stack.template import load_template

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
REGION = "eu-west-1"
TEST_API_KEY = "test-api-key-0123456789abcdef"
TEST_BUSINESS_ID = "test-business-id"
TEST_SIGNING_KEY = "test-signing-key-for-webhook-addresses"

# Never reach a real AWS account from a test, whatever the developer's shell holds.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "TaramoneyPayments",
        "POWERTOOLS_DEV": "false",
    }
)
os.environ.pop("AWS_PROFILE", None)

# Property tests assert behaviour, not speed: on a shared 2-core machine an example can take
# longer than hypothesis' default 200 ms deadline without anything being wrong.
settings.register_profile("payments", deadline=None, print_blob=True)
settings.load_profile("payments")
os.environ.pop("AWS_ENDPOINT_URL", None)

# Every test builds fresh boto3 sessions (as a new Lambda container would), and each new
# session re-reads botocore's service models from disk. One shared loader keeps that to
# once per run: the models are read-only data, so no state leaks between tests. (The
# functions' session replaces it with a loader of its own: ``taramoney_payments.aws``.)
_shared_loader = botocore.loaders.create_loader()
BOTOCORE_OWN_DATA_LOADER = botocore.session.Session._register_data_loader  # for a test that needs a fresh one


def _register_shared_data_loader(self: botocore.session.Session) -> None:
    self._components.lazy_register_component("data_loader", lambda: _shared_loader)


botocore.session.Session._register_data_loader = _register_shared_data_loader


def reset_service_caches() -> None:
    """Forget clients, settings and services built by an earlier test."""
    from aws_lambda_powertools.utilities import parameters

    from taramoney_payments import aws, credentials, idempotency, invocation, services, settings, taramoney

    for cached in (
        settings.get_settings,
        aws._session,
        aws.aws_client,
        aws.fail_fast_aws_client,
        services.payment_repository,
        services.fail_fast_payment_repository,
        services.payment_initiator,
        services.payment_event_relay,
        services.payment_expirer,
        services.webhook_parking,
        services.webhook_receiver,
        idempotency._persistence,
        taramoney._pool,
        credentials._secret_source,
    ):
        cached.cache_clear()
    parameters.clear_caches()
    invocation.answer_within(None)


@pytest.fixture
def aws() -> Iterator[Stack]:
    """moto with the template's tables, queues and secret; the secret holds test credentials."""
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        template = load_template()
        stack = create_resources(template, Stack("test", REGION, default_parameters(template)), session)
        session.client("secretsmanager").put_secret_value(
            SecretId=stack.refs["TaramoneySecret"],
            SecretString=json.dumps(
                {"apiKey": TEST_API_KEY, "businessId": TEST_BUSINESS_ID, "webhookSigningKey": TEST_SIGNING_KEY}
            ),
        )
        reset_service_caches()
        yield stack
        reset_service_caches()


@pytest.fixture
def function_env(aws: Stack, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment the template gives the functions, resolved against the test stack."""
    env = {
        "PAYMENTS_TABLE_NAME": aws.refs["PaymentsTable"],
        "IDEMPOTENCY_TABLE_NAME": aws.refs["IdempotencyTable"],
        "TARAMONEY_SECRET_ID": aws.refs["TaramoneySecret"],
        "PARKED_WEBHOOKS_QUEUE_URL": aws.refs["ParkedWebhooksQueue"],
        "EVENT_BUS_NAME": aws.refs["PaymentEventBus"],
        "WEBHOOK_BASE_URL": "https://webhook.test.example/",
        "TARAMONEY_API_URL": "http://127.0.0.1:9/not-configured",
        "AWS_LAMBDA_FUNCTION_NAME": "test-function",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_service_caches()
    return env


# One local stack per test session, shared by the end-to-end and the browser tests.
from tests.local_stack_session import client, inbox, stack  # noqa: E402, F401
