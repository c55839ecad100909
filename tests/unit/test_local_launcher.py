"""Starting the local stack for the tests and the soak: a stack that does not start says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_stack import launcher
from local_stack.launcher import StackDidNotStart, local_stack


def test_a_stack_that_exits_while_starting_is_reported_with_its_exit_code_and_its_last_words(tmp_path: Path) -> None:
    with pytest.raises(StackDidNotStart) as failure, local_stack(tmp_path, {"SIMULATOR_FAULTS": "nonsense"}):
        pass

    assert "(it exited with code 1)" in str(failure.value)
    assert "SIMULATOR_FAULTS: " in str(failure.value)


def test_a_stack_too_slow_to_start_is_reported_as_such(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(launcher, "STARTUP_TIMEOUT_SECONDS", 0)

    with pytest.raises(StackDidNotStart) as failure, local_stack(tmp_path, {}):
        pass

    assert "(no outputs in 0 s)" in str(failure.value)
