"""Typed settings, read once from the function's environment."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Settings(BaseModel):
    """What the template (or the local stack) configures for every function."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    payments_table_name: str = Field(alias="PAYMENTS_TABLE_NAME")
    idempotency_table_name: str = Field("", alias="IDEMPOTENCY_TABLE_NAME")
    taramoney_secret_id: str = Field("", alias="TARAMONEY_SECRET_ID")
    taramoney_api_url: str = Field("https://www.dklo.co/api/tara/cmmobile", alias="TARAMONEY_API_URL")
    webhook_base_url: str = Field("", alias="WEBHOOK_BASE_URL")
    parked_webhooks_queue_url: str = Field("", alias="PARKED_WEBHOOKS_QUEUE_URL")
    min_amount: int = Field(100, alias="MIN_AMOUNT", ge=1)
    max_amount: int = Field(1_000_000, alias="MAX_AMOUNT", ge=1)
    max_pending_per_phone: int = Field(3, alias="MAX_PENDING_PER_PHONE", ge=1)
    payment_timeout_minutes: int = Field(15, alias="PAYMENT_TIMEOUT_MINUTES", ge=1)
    # A finer override, used by the local stack and its tests to expire payments quickly.
    payment_timeout_seconds_override: int | None = Field(None, alias="PAYMENT_TIMEOUT_SECONDS", ge=1)
    provider_connect_timeout_seconds: float = Field(3.05, alias="PROVIDER_CONNECT_TIMEOUT_SECONDS", gt=0)
    provider_read_timeout_seconds: float = Field(15.0, alias="PROVIDER_READ_TIMEOUT_SECONDS", gt=0)
    secret_max_age_seconds: int = Field(300, alias="SECRET_MAX_AGE_SECONDS", ge=0)
    event_bus_name: str = Field("", alias="EVENT_BUS_NAME")
    max_expiries_per_run: int = Field(200, alias="MAX_EXPIRIES_PER_RUN", ge=1)
    # Reconciliation before expiry: off while empty (Taramoney documents no status endpoint).
    taramoney_status_url: str = Field("", alias="TARAMONEY_STATUS_URL")

    @model_validator(mode="after")
    def _amounts_in_order(self) -> Settings:
        if self.min_amount > self.max_amount:
            raise ValueError("MIN_AMOUNT must not exceed MAX_AMOUNT")
        return self

    @property
    def payment_timeout_seconds(self) -> int:
        """How long a payment may stay PENDING before the expiry run closes it."""
        return self.payment_timeout_seconds_override or self.payment_timeout_minutes * 60


@cache
def get_settings() -> Settings:
    """The settings of this container, read from the environment on first use."""
    known = {field.alias for field in Settings.model_fields.values() if field.alias}
    values = {name: value for name, value in os.environ.items() if name in known and value != ""}
    return Settings.model_validate(values)
