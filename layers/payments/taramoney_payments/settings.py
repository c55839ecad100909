"""Typed settings, read once from the function's environment.

Standard library only: every function reads its settings on its first invocation, and
pydantic (its import and first model) would cost the webhook's cold start about half of
the floor ``make bench`` compares it with. An unset or empty variable takes its default;
a value that is not of its kind, or out of range, stops the function with every problem named.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

Number = TypeVar("Number", int, float)


class InvalidSettings(ValueError):
    """The function's environment holds values it cannot run with."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """What the template (or the local stack) configures for every function."""

    payments_table_name: str
    idempotency_table_name: str = ""
    taramoney_secret_id: str = ""
    taramoney_api_url: str = "https://www.dklo.co/api/tara/cmmobile"
    webhook_base_url: str = ""
    parked_webhooks_queue_url: str = ""
    min_amount: int = 100
    max_amount: int = 1_000_000
    max_pending_per_phone: int = 3
    payment_timeout_minutes: int = 15
    # A finer override, used by the local stack and its tests to expire payments quickly.
    payment_timeout_seconds_override: int | None = None
    provider_connect_timeout_seconds: float = 3.05
    provider_read_timeout_seconds: float = 15.0
    secret_max_age_seconds: int = 300
    event_bus_name: str = ""
    max_expiries_per_run: int = 200
    # Reconciliation before expiry: off while empty (Taramoney documents no status endpoint).
    taramoney_status_url: str = ""

    @classmethod
    def from_environment(cls, environment: Mapping[str, str]) -> Settings:
        """The settings these variables give; raises ``InvalidSettings`` naming every bad one."""
        read = _Reader(environment)
        values: dict[str, Any] = {
            "payments_table_name": read.text("PAYMENTS_TABLE_NAME", required=True),
            "idempotency_table_name": read.text("IDEMPOTENCY_TABLE_NAME"),
            "taramoney_secret_id": read.text("TARAMONEY_SECRET_ID"),
            "taramoney_api_url": read.text("TARAMONEY_API_URL"),
            "webhook_base_url": read.text("WEBHOOK_BASE_URL"),
            "parked_webhooks_queue_url": read.text("PARKED_WEBHOOKS_QUEUE_URL"),
            "min_amount": read.whole("MIN_AMOUNT", minimum=1),
            "max_amount": read.whole("MAX_AMOUNT", minimum=1),
            "max_pending_per_phone": read.whole("MAX_PENDING_PER_PHONE", minimum=1),
            "payment_timeout_minutes": read.whole("PAYMENT_TIMEOUT_MINUTES", minimum=1),
            "payment_timeout_seconds_override": read.whole("PAYMENT_TIMEOUT_SECONDS", minimum=1),
            "provider_connect_timeout_seconds": read.seconds("PROVIDER_CONNECT_TIMEOUT_SECONDS"),
            "provider_read_timeout_seconds": read.seconds("PROVIDER_READ_TIMEOUT_SECONDS"),
            "secret_max_age_seconds": read.whole("SECRET_MAX_AGE_SECONDS", minimum=0),
            "event_bus_name": read.text("EVENT_BUS_NAME"),
            "max_expiries_per_run": read.whole("MAX_EXPIRIES_PER_RUN", minimum=1),
            "taramoney_status_url": read.text("TARAMONEY_STATUS_URL"),
        }
        if not read.problems:
            settings = cls(**{name: value for name, value in values.items() if value is not None})
            if settings.min_amount <= settings.max_amount:
                return settings
            read.problems.append("MIN_AMOUNT must not exceed MAX_AMOUNT")
        raise InvalidSettings("Invalid settings: " + "; ".join(read.problems))

    @property
    def payment_timeout_seconds(self) -> int:
        """How long a payment may stay PENDING before the expiry run closes it."""
        return self.payment_timeout_seconds_override or self.payment_timeout_minutes * 60


class _Reader:
    """Reads one variable at a time (None when unset or empty), noting every bad value."""

    def __init__(self, environment: Mapping[str, str]) -> None:
        self._environment = environment
        self.problems: list[str] = []

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self._environment.get(name, "")
        if required and not value:
            self.problems.append(f"{name} is required")
        return value or None

    def whole(self, name: str, *, minimum: int) -> int | None:
        return self._number(name, int, "a whole number", lambda number: number >= minimum, f"at least {minimum}")

    def seconds(self, name: str) -> float | None:
        return self._number(
            name, float, "a number of seconds", lambda number: 0 < number < float("inf"), "more than 0 seconds"
        )

    def _number(
        self, name: str, kind: Callable[[str], Number], noun: str, in_range: Callable[[Number], bool], bound: str
    ) -> Number | None:
        value = self._environment.get(name, "").strip()
        if not value:
            return None
        try:
            number = kind(value)
        except ValueError:
            self.problems.append(f"{name} must be {noun}, not {value!r}")
            return None
        if not in_range(number):
            self.problems.append(f"{name} must be {bound}, not {value}")
        return number


@cache
def get_settings() -> Settings:
    """The settings of this container, read from the environment on first use."""
    return Settings.from_environment(os.environ)
