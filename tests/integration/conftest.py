"""Fixtures the integration tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.captured_output import Capture, follow_stdout


@pytest.fixture
def capture(capsys: pytest.CaptureFixture[str]) -> Iterator[Capture]:
    """What the functions print from here on, read back call by call (``capture()``)."""
    with follow_stdout():
        capsys.readouterr()  # what fixtures printed is no function's output
        yield Capture(capsys)
