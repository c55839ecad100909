"""The time left in the current invocation, for a function that must answer before its timeout.

The payments API sets it from the Lambda context at the start of every invocation
(``answer_within``); what waits on something else reads it (``seconds_left``): the
fail-fast AWS clients (``aws``) and the call to Taramoney (``initiation``). Lambda runs one
invocation at a time per process, so one value per process is the current invocation's.
The webhook sets none (a try that may still land beats giving up on parking a payload): it
passes its time left along with the request (``WebhookRequest.seconds_left``) to decide
whether a last read fits before parking.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

# Kept to answer after giving up on what took too long.
ANSWER_SECONDS = 1.0


@dataclass
class _Invocation:
    seconds_left: Callable[[], float] | None = None


_current = _Invocation()


def answer_within(seconds_left: Callable[[], float] | None) -> None:
    """From now on, waits must fit in ``seconds_left()`` less ``ANSWER_SECONDS`` (None: no limit)."""
    _current.seconds_left = seconds_left


def seconds_left() -> float:
    """The time left before the function's timeout; infinite where no function set it."""
    return math.inf if _current.seconds_left is None else _current.seconds_left()
