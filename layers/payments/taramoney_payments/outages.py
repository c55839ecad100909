"""Whether a failed AWS call is an outage: a failure that passes, so a client may retry.

The payments API answers an outage 503 with Retry-After; any other AWS failure (access
denied, a request AWS refuses) stays a function error, which its Errors alarm counts.
"""

from __future__ import annotations

from collections.abc import Iterator

from botocore.exceptions import BotoCoreError, ClientError
from botocore.retries.standard import RetryContext, ThrottledRetryableChecker, TransientRetryableChecker

from .aws import NoTimeToWait

# botocore's own reading of a failure its standard retry mode would retry: throttled, or transient.
_PASSING_FAILURES = (ThrottledRetryableChecker(), TransientRetryableChecker())
# Why DynamoDB cancels a transaction, when only a later try can tell ("None": that item was fine).
_PASSING_CANCELLATIONS = {None, "None", "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}


def is_outage(error: BaseException) -> bool:
    """Whether an AWS call failed for a reason that passes (throttling, AWS's own 5xx, the network).

    Looks through the exceptions that wrap an SDK error (Powertools' parameters and
    idempotency errors). Access denied, a missing table, a request AWS refuses or missing
    or expired credentials are no outage: retrying them in a few seconds changes nothing.
    """
    for cause in _causes(error):
        if isinstance(cause, NoTimeToWait):  # the calls before it were slow, or failed slowly
            return True
        if isinstance(cause, ClientError):
            return _passes(cause)
        if isinstance(cause, BotoCoreError):
            return any(checker.is_retryable(RetryContext(1, caught_exception=cause)) for checker in _PASSING_FAILURES)
    return False


def _passes(error: ClientError) -> bool:
    if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
        return True
    if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
        reasons = {reason.get("Code") for reason in error.response.get("CancellationReasons", [])}
        return bool(reasons) and reasons <= _PASSING_CANCELLATIONS
    failure = RetryContext(attempt_number=1, parsed_response=error.response)
    return any(checker.is_retryable(failure) for checker in _PASSING_FAILURES)


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error``, then what it was raised from or, unless suppressed, while handling."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
