"""The short soak (``make soak`` has the long one): 20 payments under faults, and nothing lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_stack.soak import Soak, SoakOptions, render, soak_settings
from tests.local_stack_session import running_stack

pytestmark = pytest.mark.e2e


def test_twenty_payments_under_aws_and_provider_faults_lose_nothing(tmp_path: Path) -> None:
    # given a stack whose AWS calls and Taramoney both misbehave (the soak's default faults)
    options = SoakOptions(payments=20, clients=8, environments=2, payment_timeout_seconds=6, settle_grace_seconds=45)
    with running_stack(tmp_path, **soak_settings(options)) as stack:
        # when twenty customers pay at once, their webhooks late, out of order, some twice
        summary = Soak(stack.outputs, options, log=lambda _: None).run()

    # then the table, the queue and Taramoney's ledger agree: every final status announced once
    assert not summary.problems, render(summary)
    assert summary.stored >= summary.answered.get("201", 0) > 0
    assert summary.distinct_event_ids >= summary.stored
    assert summary.paid == summary.statuses.get("SUCCESS", 0)
