"""Expiry: a payment whose webhook never came is closed as EXPIRED once past its deadline.

The run reads the PENDING payments past ``expiresAt`` from the sparse index (never a
Scan), oldest first and at most ``max_per_run`` of them, and closes each with a
conditional write. A payment a webhook settled in the meantime fails that condition
and is left as the webhook made it. Announcing the expiry is the outbox's job: the
EXPIRED status reaches the table's stream like any other. With a ``Reconciler``
(optional, ``reconciliation``), Taramoney is asked first and what it knows is applied
instead of the expiry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from botocore.exceptions import BotoCoreError, ClientError

from .clock import utc_now
from .models import PaymentStatus
from .observability import PaymentMetric, bound_payment, count, logger
from .reconciliation import Reconciler
from .repository import PaymentRepository


class ReconciliationFailed(Exception):
    """Asking Taramoney about a payment, or applying its answer, failed."""


class ExpiryIncomplete(Exception):
    """Some payments past their deadline could not be closed in this run; the next run retries them."""


@dataclass
class ExpiryRun:
    """What one run did: payments it expired, settled before it could, settled by the provider's answer, failed."""

    expired: list[str] = field(default_factory=list)
    settled_first: list[str] = field(default_factory=list)
    reconciled: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        counts = {"expired": len(self.expired), "settledFirst": len(self.settled_first), "failed": len(self.failed)}
        return {**counts, "reconciled": len(self.reconciled)} if self.reconciled else counts


class PaymentExpirer:
    def __init__(
        self,
        repository: PaymentRepository,
        *,
        max_per_run: int,
        page_size: int = 100,
        clock: Callable[[], datetime] = utc_now,
        reconciler: Reconciler | None = None,
    ) -> None:
        self._repository = repository
        self._reconciler = reconciler
        self._max_per_run = max_per_run
        self._page_size = page_size
        self._clock = clock

    def expire_due(self) -> ExpiryRun:
        """Close the payments past their deadline; raises ``ExpiryIncomplete`` after trying them all."""
        now = self._clock()
        run = ExpiryRun()
        for payment_id in self._repository.payment_ids_past_deadline(
            now, limit=self._max_per_run, page_size=self._page_size
        ):
            with bound_payment(payment_id):
                self._expire(payment_id, now, run)
        count(PaymentMetric.PAYMENTS_EXPIRED, len(run.expired))
        logger.info("Expiry run done", extra=run.summary())
        if run.failed:
            raise ExpiryIncomplete(f"{len(run.failed)} payments past their deadline could not be expired")
        return run

    def _expire(self, payment_id: str, now: datetime, run: ExpiryRun) -> None:
        """Close one payment past its deadline, unless the provider or a webhook settled it first."""
        try:
            if self._reconciled(payment_id):
                run.reconciled.append(payment_id)
                return
            expired = self._repository.mark_expired(payment_id, now=now)
        except (ClientError, BotoCoreError, ReconciliationFailed):
            logger.exception("Payment not expired")
            run.failed.append(payment_id)
            return
        if expired is None:
            logger.info("Payment settled before its expiry")
            run.settled_first.append(payment_id)
        else:
            logger.info("Payment expired")
            run.expired.append(payment_id)

    def _reconciled(self, payment_id: str) -> bool:
        if self._reconciler is None:
            return False
        payment = self._repository.get(payment_id)
        if payment is None or payment.status is not PaymentStatus.PENDING:
            return False  # settled already: the conditional expiry write will leave it alone
        try:
            return self._reconciler.settled_by_provider(payment)
        except Exception as error:
            # Not expired: the provider may know it was paid. The next run asks again.
            raise ReconciliationFailed(payment_id) from error
