"""Waiting before trying again: exponential back-off with full jitter.

Callers that failed together (a transaction conflict, a throttled batch, concurrent
stream shards) spread their next tries over the whole window instead of arriving
together again.
"""

from __future__ import annotations

import random


def full_jitter(base_seconds: float, doublings: int) -> float:
    """A wait drawn uniformly from ``[0, base_seconds * 2**doublings]``."""
    return random.uniform(0, base_seconds * 2**doublings)  # noqa: S311 - jitter, not a secret
