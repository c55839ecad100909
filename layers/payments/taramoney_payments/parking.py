"""Parked webhooks: an accepted webhook the payments table could not take, kept on a queue.

Taramoney never retries, so a webhook that passed authentication and validation is
sent here when DynamoDB fails, and the parked-webhooks function applies it later with
the same settlement code. The message holds our payment id, the raw payload and when
it arrived; never the address token.

When the webhook could not read its secret (Secrets Manager failing on a cold start),
it cannot tell a genuine caller from a forger, and Taramoney will not call again: the
payload is parked unverified, with SHA-256 digests of the proofs the caller gave (the
address token, the shared-secret header), and the parked-webhooks function checks them
before applying anything.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .clock import from_isoformat, isoformat


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class ParkedWebhook:
    """One message of the queue, written by ``to_message`` and read back by ``from_message``."""

    payment_id: str  # ours; only claimed by the caller while ``caller_verified`` is False
    payload: str  # the body exactly as Taramoney sent it
    received_at: datetime  # with its offset
    correlation_id: str | None = None  # the webhook request's, so its later logs can be found with it
    # Set only when the caller could not be checked on arrival (see the module's docstring).
    address_token_sha256: str | None = None
    shared_secret_sha256: str | None = None

    @property
    def caller_verified(self) -> bool:
        return self.address_token_sha256 is None

    def gave_token(self, address_token: str) -> bool:
        """Whether the caller of an unverified webhook called this address token."""
        return hmac.compare_digest(self.address_token_sha256 or "", sha256_hex(address_token))

    def gave_shared_secret(self, shared_secret: str | None) -> bool:
        """Whether the caller of an unverified webhook sent this shared secret (any, when none is set)."""
        return shared_secret is None or hmac.compare_digest(self.shared_secret_sha256 or "", sha256_hex(shared_secret))

    def to_message(self) -> str:
        message = {"paymentId": self.payment_id, "payload": self.payload, "receivedAt": isoformat(self.received_at)}
        if self.correlation_id:
            message["correlationId"] = self.correlation_id
        if self.address_token_sha256 is not None and self.shared_secret_sha256 is not None:
            message["addressTokenSha256"] = self.address_token_sha256
            message["sharedSecretSha256"] = self.shared_secret_sha256
        return json.dumps(message)

    @classmethod
    def from_message(cls, body: str) -> ParkedWebhook:
        """Read a message back; raises ``ValueError`` for one this service did not write."""
        try:
            message = json.loads(body)
            return cls(
                payment_id=_text(message["paymentId"]),
                payload=_text(message["payload"]),
                received_at=from_isoformat(message["receivedAt"]),
                correlation_id=_optional_text(message.get("correlationId")),
                address_token_sha256=_optional_text(message.get("addressTokenSha256")),
                shared_secret_sha256=_optional_text(message.get("sharedSecretSha256")),
            )
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a parked webhook: {error!r}") from None


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, not {type(value).__name__}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


@dataclass(frozen=True, slots=True)
class WebhookParking:
    """The SQS queue parked webhooks wait on (``ParkedWebhooksQueue``)."""

    client: Any
    queue_url: str

    def park(
        self,
        payment_id: str,
        payload: str,
        *,
        received_at: datetime,
        correlation_id: str | None = None,
        unverified_proofs: tuple[str, str] | None = None,
    ) -> str:
        """Send one webhook to the queue; returns the message id. Raises on failure.

        ``unverified_proofs``: the address token and the shared-secret header ("" when
        absent) of a caller nobody could check yet; only their digests are sent.
        """
        if not self.queue_url:
            raise RuntimeError("PARKED_WEBHOOKS_QUEUE_URL is not configured")
        token, secret = (sha256_hex(proof) for proof in unverified_proofs) if unverified_proofs else (None, None)
        message = ParkedWebhook(
            payment_id=payment_id,
            payload=payload,
            received_at=received_at,
            correlation_id=correlation_id,
            address_token_sha256=token,
            shared_secret_sha256=secret,
        )
        answer = self.client.send_message(QueueUrl=self.queue_url, MessageBody=message.to_message())
        return str(answer["MessageId"])
