"""The outbox relay: stored payment changes (the table's stream) become payment events.

A status is written to the table first and announced from the table's stream after,
so a status that was stored is never left unannounced, and redeliveries announce it
again with the same ``eventId``. One batch of changes is published in one go (one
``PutEvents`` call), and the relay says which changes are still unannounced so that
they are delivered again. When a payment leaves PENDING its phone slot is given back
here too, on a best-effort basis: a slot whose release failed is healed the next time
that phone asks for a payment (``PaymentInitiator`` frees stale slots).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .events import PaymentEvent, event_for_change
from .models import PaymentStatus
from .observability import PaymentMetric, bound_payment, count, logger
from .publisher import EventPublisher
from .repository import PaymentRepository


@dataclass(frozen=True, slots=True)
class StoredChange:
    """One write to a payment item: its images before and after, and the id to retry it by."""

    change_id: str
    old_image: Mapping[str, Any] | None
    new_image: Mapping[str, Any] | None


class PaymentEventRelay:
    def __init__(self, publisher: EventPublisher, repository: PaymentRepository) -> None:
        self._publisher = publisher
        self._repository = repository

    def relay(self, changes: Sequence[StoredChange]) -> set[str]:
        """Announce what the changes call for; return the ids of changes left unannounced."""
        unannounced: set[str] = set()
        announcements: list[tuple[str, PaymentEvent]] = []
        for change in changes:
            try:
                event = event_for_change(change.old_image, change.new_image)
            except (KeyError, TypeError, ValueError):
                # A payment item the model cannot read: retried, then parked by the
                # event source's on-failure destination for a human to look at.
                logger.exception("Unreadable payment change", extra={"change_id": change.change_id})
                unannounced.add(change.change_id)
                continue
            if event is not None:
                announcements.append((change.change_id, event))

        refused = {id(event) for event in self._publisher.publish([event for _, event in announcements])}
        unannounced |= {change_id for change_id, event in announcements if id(event) in refused}
        published = [event for _, event in announcements if id(event) not in refused]
        for event in published:
            logger.info(
                "Payment event published",
                extra={"payment_id": event.payment.payment_id, "event_id": event.event_id},
            )
        count(PaymentMetric.EVENTS_PUBLISHED, len(published))
        count(PaymentMetric.EVENTS_FAILED, len(refused))

        self._give_back_phone_slots([event for _, event in announcements])
        return unannounced

    def _give_back_phone_slots(self, events: Sequence[PaymentEvent]) -> None:
        for event in events:
            if event.previous_status is not PaymentStatus.PENDING:
                continue
            payment = event.payment
            with bound_payment(payment.payment_id):
                try:
                    self._repository.release_phone_slots(payment.phone_number, [payment.payment_id])
                except (ClientError, BotoCoreError):
                    logger.warning("Phone slot not released", exc_info=True)
