"""The ids this service gives payments: 128 bits in URL-safe base64, 22 characters.

A payment started without an ``Idempotency-Key`` gets random bits; one started with a key
gets the HMAC of that key, so that a retry finds its payment however long after the key's
record lapsed. ``ISSUED_PAYMENT_ID`` is the shape both have: what the traces annotate
(``observability``), where a caller's path may name anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

ISSUED_PAYMENT_ID = re.compile(r"[A-Za-z0-9_-]{22}")


def new_payment_id() -> str:
    """128 random bits, URL-safe. Drawn from the OS at call time, so unique after a SnapStart restore."""
    return secrets.token_urlsafe(16)


def payment_id_for_key(idempotency_key: str, signing_key: str) -> str:
    """The one payment an ``Idempotency-Key`` stands for, however long after its record lapsed.

    The key's record (Powertools idempotency) can lapse while its payment lives on: its
    answer could not be saved, or the container died after Taramoney took the order. A
    retry then finds this id taken instead of ordering again. 128 bits of an HMAC under
    the secret signing key: as unguessable as a random id.
    """
    digest = hmac.new(signing_key.encode(), b"payment-id:" + idempotency_key.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
