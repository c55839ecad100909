"""The service objects of one container, built from the settings on first use."""

from __future__ import annotations

from functools import cache

from .aws import aws_client
from .credentials import load_credentials
from .expiry import PaymentExpirer
from .initiation import PaymentInitiator
from .observability import logger
from .outbox import PaymentEventRelay
from .publisher import EventBridgePublisher
from .reconciliation import Reconciler, SettleFromProvider, TaramoneyStatusClient
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


def status_reconciler(settle: SettleFromProvider) -> Reconciler | None:
    """The reconciler, if a status endpoint is configured; ``settle`` applies what Taramoney says."""
    settings = get_settings()
    if not settings.taramoney_status_url:
        return None
    client = TaramoneyStatusClient(
        settings.taramoney_status_url,
        connect_timeout=settings.provider_connect_timeout_seconds,
        read_timeout=settings.provider_connect_timeout_seconds * 2,  # a look-up, not an order: fail fast
    )
    return Reconciler(client, load_credentials, settle)


@cache
def payment_expirer() -> PaymentExpirer:
    settings = get_settings()
    if settings.taramoney_status_url:
        # WIRING (settlement, issue 3): pass reconciler=status_reconciler(settle=<the webhook's
        # settlement applied to a ProviderVerdict>) below. Until then payments expire unasked.
        logger.warning("TARAMONEY_STATUS_URL is set but reconciliation is not wired to settlement yet")
    return PaymentExpirer(payment_repository(), max_per_run=settings.max_expiries_per_run)
