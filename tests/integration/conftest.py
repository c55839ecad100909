"""Fixtures the integration tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local_stack.resources import Stack
from tests.captured_output import Capture, follow_stdout
from tests.integration.payment_events_world import World
from tests.lambda_runtime import load_handler_module


@pytest.fixture
def capture(capsys: pytest.CaptureFixture[str]) -> Iterator[Capture]:
    """What the functions print from here on, read back call by call (``capture()``)."""
    with follow_stdout():
        capsys.readouterr()  # what fixtures printed is no function's output
        yield Capture(capsys)


@pytest.fixture
def world(aws: Stack, function_env: dict[str, str]) -> World:
    """The payment-events stack with the event publisher loaded as Lambda would."""
    return World(aws, load_handler_module("event_publisher"))
