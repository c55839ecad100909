"""The functions' settings: read from the environment, defaults for what is unset, every bad value named."""

from __future__ import annotations

import pytest

from taramoney_payments.settings import InvalidSettings, Settings


def test_only_the_table_is_required_and_the_rest_has_defaults() -> None:
    settings = Settings.from_environment({"PAYMENTS_TABLE_NAME": "payments", "MIN_AMOUNT": "", "EVENT_BUS_NAME": ""})

    assert settings == Settings(payments_table_name="payments")
    assert (settings.min_amount, settings.max_amount, settings.max_pending_per_phone) == (100, 1_000_000, 3)
    assert settings.taramoney_api_url == "https://www.dklo.co/api/tara/cmmobile"
    assert settings.payment_timeout_seconds == 15 * 60


def test_values_are_read_as_their_kind() -> None:
    settings = Settings.from_environment(
        {
            "PAYMENTS_TABLE_NAME": "payments",
            "MIN_AMOUNT": "500",
            "MAX_AMOUNT": " 20000 ",
            "PROVIDER_READ_TIMEOUT_SECONDS": "2.5",
            "SECRET_MAX_AGE_SECONDS": "0",
            "PAYMENT_TIMEOUT_MINUTES": "30",
            "EVENT_BUS_NAME": "payments-bus",
        }
    )

    assert (settings.min_amount, settings.max_amount) == (500, 20_000)
    assert settings.provider_read_timeout_seconds == 2.5
    assert settings.secret_max_age_seconds == 0
    assert settings.payment_timeout_seconds == 30 * 60
    assert settings.event_bus_name == "payments-bus"


def test_the_seconds_override_wins_over_the_minutes() -> None:
    settings = Settings.from_environment({"PAYMENTS_TABLE_NAME": "t", "PAYMENT_TIMEOUT_SECONDS": "20"})

    assert settings.payment_timeout_seconds == 20


def test_every_bad_value_is_named_at_once() -> None:
    with pytest.raises(InvalidSettings) as refusal:
        Settings.from_environment(
            {
                "MIN_AMOUNT": "ten",
                "MAX_PENDING_PER_PHONE": "0",
                "PROVIDER_CONNECT_TIMEOUT_SECONDS": "-1",
                "PROVIDER_READ_TIMEOUT_SECONDS": "nan",
            }
        )

    message = str(refusal.value)
    for name in (
        "PAYMENTS_TABLE_NAME is required",
        "MIN_AMOUNT must be a whole number",
        "MAX_PENDING_PER_PHONE must be at least 1",
        "PROVIDER_CONNECT_TIMEOUT_SECONDS must be more than 0",
        "PROVIDER_READ_TIMEOUT_SECONDS must be more than 0",
    ):
        assert name in message


def test_a_price_range_upside_down_is_refused() -> None:
    with pytest.raises(InvalidSettings, match="MIN_AMOUNT must not exceed MAX_AMOUNT"):
        Settings.from_environment({"PAYMENTS_TABLE_NAME": "t", "MIN_AMOUNT": "5000", "MAX_AMOUNT": "1000"})
