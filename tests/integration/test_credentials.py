"""The merchant's secret from Secrets Manager: cached, kept through an outage, given up on quickly.

AWS is moto; an outage is a connection error on every request to Secrets Manager, put in
front of moto, so botocore's own retries see it as they would see a real one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from taramoney_payments.credentials import CredentialsUnavailable, load_credentials
from taramoney_payments.masking import mask_log_line
from tests.conftest import TEST_API_KEY, TEST_BUSINESS_ID, TEST_SIGNING_KEY, reset_service_caches
from tests.integration.secrets_outage import SecretsManager, watch_secrets_manager


@pytest.fixture
def secrets_manager(function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretsManager]:
    watch = watch_secrets_manager(monkeypatch)
    monkeypatch.setenv("SECRET_MAX_AGE_SECONDS", "0")  # every read asks Secrets Manager again
    reset_service_caches()
    yield watch
    reset_service_caches()


def test_the_secret_is_read_into_credentials(secrets_manager: SecretsManager) -> None:
    credentials = load_credentials()
    assert (credentials.api_key, credentials.business_id, credentials.webhook_signing_key) == (
        TEST_API_KEY,
        TEST_BUSINESS_ID,
        TEST_SIGNING_KEY,
    )
    assert credentials.webhook_shared_secret is None
    assert TEST_API_KEY not in repr(credentials)
    # and none of them shows in a log line, the business id included (a merchant secret)
    assert mask_log_line(f"{TEST_API_KEY} {TEST_BUSINESS_ID} {TEST_SIGNING_KEY}") == "*** *** ***"


def test_an_outage_on_refresh_keeps_the_last_secret_read(secrets_manager: SecretsManager) -> None:
    # given a warm container that read the secret once
    first = load_credentials()
    # when Secrets Manager fails on the next refresh
    secrets_manager.down = True
    kept = load_credentials()
    # then the secret read before is used on, and Secrets Manager was asked again
    assert kept == first
    assert secrets_manager.requests >= 2
    # and once it answers again, it is read afresh
    secrets_manager.down = False
    asked = secrets_manager.requests
    assert load_credentials() == first
    assert secrets_manager.requests == asked + 1


def test_a_rotated_secret_is_used_and_kept_out_of_logs_from_its_first_read(
    secrets_manager: SecretsManager, function_env: dict[str, str]
) -> None:
    # given a warm container that read the secret, then read it again unchanged: nothing built anew
    first = load_credentials()
    assert load_credentials() is first
    # when the merchant rotates the API key
    rotated_key = "rotated-api-key-9f8e7d6c5b4a"
    boto3.client("secretsmanager").put_secret_value(
        SecretId=function_env["TARAMONEY_SECRET_ID"],
        SecretString=json.dumps(
            {"apiKey": rotated_key, "businessId": TEST_BUSINESS_ID, "webhookSigningKey": TEST_SIGNING_KEY}
        ),
    )
    # then the next read uses the new key, and no log line shows it (nor the old one)
    assert load_credentials().api_key == rotated_key
    assert mask_log_line(f"apiKey={rotated_key} was apiKey={TEST_API_KEY}") == "apiKey=*** was apiKey=***"


def test_a_cold_start_during_an_outage_fails_clearly(secrets_manager: SecretsManager) -> None:
    secrets_manager.down = True
    with pytest.raises(CredentialsUnavailable, match="could not be read from Secrets Manager"):
        load_credentials()


def test_an_outage_is_given_up_on_after_few_attempts_with_short_timeouts(secrets_manager: SecretsManager) -> None:
    # given Secrets Manager down at a cold start
    secrets_manager.down = True
    # when the secret is read
    with pytest.raises(CredentialsUnavailable):
        load_credentials()
    # then botocore tried a bounded number of times, each with short timeouts, so the
    # function still has time to answer (or to park a webhook) inside its own timeout
    assert 1 <= secrets_manager.requests <= 3
    (config,) = secrets_manager.client_configs
    assert config.connect_timeout <= 2
    assert config.read_timeout <= 5
