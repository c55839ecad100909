"""The service objects of one container, built from the settings on first use."""

from __future__ import annotations

from functools import cache

from .aws import aws_client
from .credentials import load_credentials
from .expiry import PaymentExpirer
from .initiation import PaymentInitiator
from .outbox import PaymentEventRelay
from .publisher import EventBridgePublisher
from .repository import PaymentRepository
from .settings import get_settings
from .taramoney import TaramoneyClient


@cache
def payment_repository() -> PaymentRepository:
    return PaymentRepository(aws_client("dynamodb"), get_settings().payments_table_name)


@cache
def payment_initiator() -> PaymentInitiator:
    settings = get_settings()
    provider = TaramoneyClient(
        settings.taramoney_api_url,
        connect_timeout=settings.provider_connect_timeout_seconds,
        read_timeout=settings.provider_read_timeout_seconds,
    )
    return PaymentInitiator(
        payment_repository(),
        provider,
        load_credentials,
        webhook_base_url=settings.webhook_base_url,
        payment_timeout_seconds=settings.payment_timeout_seconds,
        max_pending_per_phone=settings.max_pending_per_phone,
    )


@cache
def payment_event_relay() -> PaymentEventRelay:
    bus_name = get_settings().event_bus_name
    if not bus_name:
        # Without it PutEvents would fall back to the default bus, where no rule listens.
        raise RuntimeError("EVENT_BUS_NAME is not configured")
    publisher = EventBridgePublisher(aws_client("events"), bus_name)
    return PaymentEventRelay(publisher, payment_repository())


@cache
def payment_expirer() -> PaymentExpirer:
    return PaymentExpirer(payment_repository(), max_per_run=get_settings().max_expiries_per_run)
