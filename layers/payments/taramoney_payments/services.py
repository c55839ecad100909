"""The service objects of one container, built from the settings on first use.

The provider client (and ``requests``) is imported only by ``payment_initiator``, so
the webhook functions, which never call Taramoney, do not load it.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from .aws import aws_client, fail_fast_aws_client
from .credentials import load_credentials
from .parking import WebhookParking
from .repository import PaymentRepository
from .settings import get_settings
from .webhook_receiver import WebhookReceiver

if TYPE_CHECKING:
    from .initiation import PaymentInitiator


@cache
def payment_repository() -> PaymentRepository:
    return PaymentRepository(aws_client("dynamodb"), get_settings().payments_table_name)


@cache
def payment_initiator() -> PaymentInitiator:
    from .initiation import PaymentInitiator
    from .taramoney import TaramoneyClient

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
def webhook_parking() -> WebhookParking:
    return WebhookParking(fail_fast_aws_client("sqs"), get_settings().parked_webhooks_queue_url)


@cache
def webhook_receiver() -> WebhookReceiver:
    """The webhook's wiring: clients that fail fast, so a payload is parked before the function times out."""
    repository = PaymentRepository(fail_fast_aws_client("dynamodb"), get_settings().payments_table_name)
    return WebhookReceiver(repository, webhook_parking(), load_credentials)
