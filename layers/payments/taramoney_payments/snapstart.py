"""Lambda SnapStart (template parameter ``EnableSnapStart``): what a snapshot changes, handled here.

With SnapStart, Lambda runs a published version's init once, snapshots its memory, and
resumes every new execution environment from that snapshot. Whatever init left in
memory is then shared by all of them:

- random state: ``random`` (our retry jitter, and botocore's back-off) would draw the
  same numbers in every restored environment; it is reseeded from the OS after each
  restore. Nothing secret comes from ``random``: payment ids are drawn with ``secrets``
  at each call (``payment_ids.new_payment_id``) and webhook tokens are HMACs;
- connections and credentials: clients made before the snapshot (``prepare_snapshot``)
  have no connection open yet (botocore opens them per request), and under SnapStart
  their credentials come from Lambda's container credentials endpoint as refreshable
  credentials, renewed when they expire: they work after a restore as they are;
- secrets: never read before the snapshot, so none is stored in it and the cache's
  age (``SECRET_MAX_AGE_SECONDS``) counts from a read made after the restore.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable


def initialising_a_snapshot() -> bool:
    """True while Lambda runs init to take a SnapStart snapshot (not for an on-demand cold start)."""
    return os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start"


def prepare_snapshot(*warm_ups: Callable[[], object]) -> None:
    """Run ``warm_ups`` (building clients and services) in init, only when init ends in a snapshot.

    Then restored environments start with them; an on-demand cold start builds them on
    its first invocation instead, as before, and its init stays short.
    """
    if initialising_a_snapshot():
        for warm_up in warm_ups:
            warm_up()


def _reseed_random_after_restore() -> None:
    try:
        from snapshot_restore_py import register_after_restore  # in Lambda's Python runtimes only
    except ImportError:
        return
    register_after_restore(random.seed)  # no argument: seeded from os.urandom


_reseed_random_after_restore()
