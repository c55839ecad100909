"""Back-off with full jitter: each wait is drawn from the whole window, which doubles per retry."""

from __future__ import annotations

import pytest

from taramoney_payments.backoff import full_jitter


@pytest.mark.parametrize("doublings", [0, 1, 3])
def test_waits_fill_the_window_and_never_leave_it(doublings: int) -> None:
    window = 0.05 * 2**doublings

    waits = [full_jitter(0.05, doublings) for _ in range(400)]

    assert all(0 <= wait <= window for wait in waits)
    # spread over the window, not bunched: callers that failed together come back apart
    assert min(waits) < window / 4
    assert max(waits) > window * 3 / 4
