"""Cold-start hygiene: no garbage collection until a function has answered its first call.

Every handler module imports this module before its third-party imports (ruff's isort
keeps it there: a section of its own, see pyproject.toml), which pauses the collector,
and wraps its handler in ``collect_after_first_call``. Loading Powertools, botocore and
pydantic, then a first call that builds AWS clients and reads their service models,
allocates a few hundred thousand objects, and the collector, started by allocation counts,
walks them again and again: ``make bench`` measured that at a quarter of the payments API's
cold start. Almost none of it is garbage (modules, clients and models live as long as the
container), so collection resumes once the first answer is ready, and what was built
until then is frozen, left out of every later collection (``gc.freeze``), which keeps warm
invocations' collections short too. The price: the few cyclic leftovers of that first
call are never freed.

Only where Lambda runs the code (its runtime sets ``AWS_LAMBDA_RUNTIME_API``; so does
``make bench``, which measures it): a process that imports a handler for another reason,
the tests or the OpenAPI generator, keeps its collector as it was.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

Handler = TypeVar("Handler", bound=Callable[..., Any])

_PAUSED_AT_IMPORT = "AWS_LAMBDA_RUNTIME_API" in os.environ
if _PAUSED_AT_IMPORT:
    gc.disable()


def collect_after_first_call(handler: Handler) -> Handler:
    """Resume garbage collection when ``handler`` has served its first call (answered or raised)."""
    paused = _PAUSED_AT_IMPORT

    @wraps(handler)
    def serve(*args: Any, **kwargs: Any) -> Any:
        nonlocal paused
        try:
            return handler(*args, **kwargs)
        finally:
            if paused:
                paused = False
                # What exists now stays out of later collections; collect again from here on.
                gc.freeze()
                gc.enable()

    return serve  # type: ignore[return-value]
