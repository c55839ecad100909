"""The one clock of the service: every timestamp comes from here, so tests can move time."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time in UTC, to the millisecond (what DynamoDB and the view carry)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def from_isoformat(text: str) -> datetime:
    """A time this service wrote (``isoformat``) read back; raises ``ValueError`` if it names no offset."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"a time without its offset: {text!r}")
    return moment


def isoformat(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, the form of every time in the payment view."""
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")
