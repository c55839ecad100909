"""``EventPublisher``: the port payment events leave through, and its EventBridge adapter.

``PutEvents`` can accept some entries of a call and refuse others (throttling, an
internal error) while the call itself succeeds. The adapter sends a batch in one call,
sends again only the refused entries, a bounded number of times, and hands back what
it could not publish, so that nothing refused is ever taken for published.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from .backoff import full_jitter
from .events import EVENT_SOURCE, PaymentEvent
from .observability import logger

PUT_EVENTS_MAX_ENTRIES = 10


class EventPublisher(Protocol):
    def publish(self, events: Sequence[PaymentEvent]) -> list[PaymentEvent]:
        """Publish the events; return those that could not be published (empty when all were)."""
        ...


class EventBridgePublisher:
    """Puts payment events on the custom bus, one ``PutEvents`` call per 10 events."""

    def __init__(
        self,
        client: Any,
        bus_name: str,
        *,
        max_attempts: int = 3,
        base_delay_seconds: float = 0.1,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._bus_name = bus_name
        self._max_attempts = max_attempts
        self._base_delay = base_delay_seconds
        self._sleep = sleep

    def publish(self, events: Sequence[PaymentEvent]) -> list[PaymentEvent]:
        unpublished: list[PaymentEvent] = []
        for start in range(0, len(events), PUT_EVENTS_MAX_ENTRIES):
            unpublished += self._publish_chunk(list(events[start : start + PUT_EVENTS_MAX_ENTRIES]))
        return unpublished

    def _publish_chunk(self, events: list[PaymentEvent]) -> list[PaymentEvent]:
        remaining = events
        for attempt in range(1, self._max_attempts + 1):
            if attempt > 1:
                self._sleep(full_jitter(self._base_delay, attempt - 1))
            remaining = self._put(remaining)
            if not remaining:
                return []
        return remaining

    def _put(self, events: list[PaymentEvent]) -> list[PaymentEvent]:
        """One ``PutEvents`` call; the events it refused (all of them if the call failed)."""
        try:
            answer = self._client.put_events(Entries=[self._entry(event) for event in events])
        except (ClientError, BotoCoreError) as error:
            logger.warning(
                "PutEvents failed",
                extra={"error": str(error), "payment_ids": [event.payment.payment_id for event in events]},
            )
            return events
        refused = [
            (event, result)
            for event, result in zip(events, answer.get("Entries", []), strict=False)
            if result.get("ErrorCode") or not result.get("EventId")
        ]
        # An answer shorter than the request would leave entries unaccounted for: refused too.
        refused += [(event, {"ErrorCode": "NoResult"}) for event in events[len(answer.get("Entries", [])) :]]
        for event, result in refused:
            logger.warning(
                "PutEvents refused an entry",
                extra={
                    "payment_id": event.payment.payment_id,
                    "event_id": event.event_id,
                    "error_code": result.get("ErrorCode"),
                },
            )
        return [event for event, _ in refused]

    def _entry(self, event: PaymentEvent) -> dict[str, Any]:
        return {
            "EventBusName": self._bus_name,
            "Source": EVENT_SOURCE,
            "DetailType": event.detail_type,
            "Detail": event.detail_json(),
            "Time": event.payment.updated_at,
        }
