"""What every answer of the payments API and of the webhook has, however it was reached.

The security headers on every answer; JSON when it succeeds; RFC 9457 problem details
that repeat the status when it refuses (SPEC sections 3 and 4). The callers read
answers in different shapes (a Lambda result, an HTTP response, the API harness), so
they hand over how to read one header and the body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from taramoney_payments.http_security import SECURITY_HEADERS
from taramoney_payments.problems import PROBLEM_CONTENT_TYPE

PROBLEM_FIELDS = {"type", "title", "detail", "code"}


def assert_answer_shape(status: int, header: Callable[[str], str | None], body: Callable[[], Any]) -> None:
    """``header(name)`` reads one header by its canonical name (``Content-Type``); ``body()`` parses the body."""
    for name, value in SECURITY_HEADERS.items():
        assert header(name) == value, f"{status}: {name} missing or wrong"
    content_type = header("Content-Type")
    if status < 300:
        assert content_type == "application/json", f"a {status} answered as {content_type!r}"
        return
    assert content_type == PROBLEM_CONTENT_TYPE, f"a {status} answered as {content_type!r}"
    problem = body()
    assert problem["status"] == status
    assert set(problem) >= PROBLEM_FIELDS
