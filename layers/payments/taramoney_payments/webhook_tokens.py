"""The per-payment webhook address: how a Taramoney callback is tied to its payment.

Taramoney signs nothing, so the address we hand it carries the proof: the payment id
and an HMAC-SHA256 of that id under a signing key kept in Secrets Manager.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote


def webhook_token(payment_id: str, signing_key: str) -> str:
    digest = hmac.new(signing_key.encode(), payment_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_is_valid(payment_id: str, token: str, signing_key: str) -> bool:
    """Constant-time check of a token taken from a webhook's address."""
    return hmac.compare_digest(webhook_token(payment_id, signing_key).encode(), token.encode())


def webhook_url(base_url: str, payment_id: str, signing_key: str) -> str:
    """``{WebhookUrl}/payments/{paymentId}/{token}``, the address given to Taramoney."""
    token = webhook_token(payment_id, signing_key)
    return f"{base_url.rstrip('/')}/payments/{quote(payment_id, safe='')}/{token}"


def parse_webhook_path(path: str) -> tuple[str, str] | None:
    """``(payment_id, token)`` from a webhook request path, or None when it has neither."""
    parts = [part for part in path.split("/") if part]
    if len(parts) != 3 or parts[0] != "payments":
        return None
    return parts[1], parts[2]
