"""The service objects of one container, built from the settings on first use.

The provider client is imported only by ``taramoney_client`` (and the reconciler), so
the webhook functions, which never call Taramoney, do not load it."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from .aws import aws_client, fail_fast_aws_client
from .credentials import load_credentials
from .repository import PaymentRepository
from .settings import get_settings

if TYPE_CHECKING:
    from .expiry import PaymentExpirer
    from .initiation import PaymentInitiator
    from .models import Payment
    from .outbox import PaymentEventRelay
    from .parking import WebhookParking
    from .reconciliation import ProviderVerdict, Reconciler
    from .taramoney import TaramoneyClient
    from .webhook_receiver import WebhookReceiver


@cache
def payment_repository() -> PaymentRepository:
    """The payments table for the functions no one waits on: patient calls (``aws_client``)."""
    return PaymentRepository(aws_client("dynamodb"), get_settings().payments_table_name)


@cache
def fail_fast_payment_repository() -> PaymentRepository:
    """The payments table for the payments API and the webhook: calls that give up in time to answer."""
    return PaymentRepository(fail_fast_aws_client("dynamodb"), get_settings().payments_table_name)


def taramoney_client() -> TaramoneyClient:
    """The client of Taramoney's order endpoint, with the configured timeouts."""
    from .taramoney import TaramoneyClient

    settings = get_settings()
    return TaramoneyClient(
        settings.taramoney_api_url,
        connect_timeout=settings.provider_connect_timeout_seconds,
        read_timeout=settings.provider_read_timeout_seconds,
    )


@cache
def payment_initiator() -> PaymentInitiator:
    from .initiation import PaymentInitiator

    settings = get_settings()
    return PaymentInitiator(
        fail_fast_payment_repository(),
        taramoney_client(),
        load_credentials,
        webhook_base_url=settings.webhook_base_url,
        payment_timeout_seconds=settings.payment_timeout_seconds,
        max_pending_per_phone=settings.max_pending_per_phone,
    )


@cache
def payment_event_relay() -> PaymentEventRelay:
    from .outbox import PaymentEventRelay
    from .publisher import EventBridgePublisher

    bus_name = get_settings().event_bus_name
    if not bus_name:
        # Without it PutEvents would fall back to the default bus, where no rule listens.
        raise RuntimeError("EVENT_BUS_NAME is not configured")
    publisher = EventBridgePublisher(aws_client("events"), bus_name)
    return PaymentEventRelay(publisher, payment_repository())


def settle_from_provider(payment: Payment, verdict: ProviderVerdict) -> None:
    """Apply what Taramoney's status endpoint says through the webhook's own settlement code."""
    from .clock import utc_now
    from .settlement import Delivery, settle

    now = utc_now()
    delivery = Delivery.from_look_up(verdict.status, message=verdict.message, answer=verdict.answer, received_at=now)
    settle(payment_repository(), payment.payment_id, delivery, now=now)


def status_reconciler() -> Reconciler | None:
    """The reconciler, if a status endpoint is configured (off by default: the endpoint is unofficial)."""
    settings = get_settings()
    if not settings.taramoney_status_url:
        return None
    from .reconciliation import Reconciler, TaramoneyStatusClient

    client = TaramoneyStatusClient(
        settings.taramoney_status_url,
        connect_timeout=settings.provider_connect_timeout_seconds,
        read_timeout=settings.provider_connect_timeout_seconds * 2,  # a look-up, not an order: fail fast
    )
    return Reconciler(client, load_credentials, settle_from_provider)


@cache
def payment_expirer() -> PaymentExpirer:
    from .expiry import PaymentExpirer

    settings = get_settings()
    return PaymentExpirer(
        payment_repository(), max_per_run=settings.max_expiries_per_run, reconciler=status_reconciler()
    )


@cache
def webhook_parking() -> WebhookParking:
    from .parking import WebhookParking

    return WebhookParking(fail_fast_aws_client("sqs"), get_settings().parked_webhooks_queue_url)


@cache
def webhook_receiver() -> WebhookReceiver:
    """The webhook's wiring: clients that fail fast, so a payload is parked before the function times out.

    The queue's client is made when a webhook is first parked: the happy path never needs it.
    """
    from .webhook_receiver import WebhookReceiver

    return WebhookReceiver(fail_fast_payment_repository(), webhook_parking, load_credentials)
