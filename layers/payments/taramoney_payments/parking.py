"""Parked webhooks: an accepted webhook the payments table could not take, kept on a queue.

Taramoney never retries, so a webhook that passed authentication and validation is
sent here when DynamoDB fails, and the parked-webhooks function applies it later with
the same settlement code. The message holds our payment id, the raw payload and when
it arrived; never the address token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from .clock import isoformat


class ParkedWebhook(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    payment_id: str
    payload: str  # the body exactly as Taramoney sent it
    received_at: AwareDatetime
    correlation_id: str | None = None  # the webhook request's, so its later logs can be found with it

    def to_message(self) -> str:
        message = {"paymentId": self.payment_id, "payload": self.payload, "receivedAt": isoformat(self.received_at)}
        if self.correlation_id:
            message["correlationId"] = self.correlation_id
        return json.dumps(message)

    @classmethod
    def from_message(cls, body: str) -> ParkedWebhook:
        return cls.model_validate_json(body)


@dataclass(frozen=True, slots=True)
class WebhookParking:
    """The SQS queue parked webhooks wait on (``ParkedWebhooksQueue``)."""

    client: Any
    queue_url: str

    def park(self, payment_id: str, payload: str, *, received_at: datetime, correlation_id: str | None = None) -> str:
        """Send one webhook to the queue; returns the message id. Raises on failure."""
        if not self.queue_url:
            raise RuntimeError("PARKED_WEBHOOKS_QUEUE_URL is not configured")
        message = ParkedWebhook(
            payment_id=payment_id, payload=payload, received_at=received_at, correlation_id=correlation_id
        )
        answer = self.client.send_message(QueueUrl=self.queue_url, MessageBody=message.to_message())
        return str(answer["MessageId"])
