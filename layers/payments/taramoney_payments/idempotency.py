"""``Idempotency-Key`` for ``POST /payments``, through Powertools idempotency.

The key selects the record; a hash of the validated request is checked against it, so
the same key with another body is refused. Every answer given once a payment exists
(201, and 502/504 with its ``paymentId``) is kept and returned again: a client that
retries after a timeout gets the same payment, and Taramoney is called once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)

from .aws import fail_fast_aws_client
from .errors import IdempotencyKeyReused, RequestInProgress
from .observability import logger
from .settings import get_settings

KEY_LIFETIME_SECONDS = 24 * 60 * 60

Answer = dict[str, Any]

config = IdempotencyConfig(
    event_key_jmespath="idempotencyKey",
    payload_validation_jmespath="request",
    expires_after_seconds=KEY_LIFETIME_SECONDS,
)


@cache
def _persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=get_settings().idempotency_table_name, boto3_client=fail_fast_aws_client("dynamodb")
    )


def answer_once(idempotency_key: str, request: dict[str, Any], produce: Callable[[], Answer]) -> Answer:
    """``produce()`` the first time this key is seen with this request; the kept answer after."""

    produced: list[Answer] = []

    @idempotent_function(data_keyword_argument="submission", persistence_store=_persistence(), config=config)
    def _answer(submission: dict[str, Any]) -> Answer:
        produced.append(produce())
        return produced[0]

    try:
        answer: Answer = _answer(submission={"idempotencyKey": idempotency_key, "request": request})
    except IdempotencyValidationError:
        raise IdempotencyKeyReused("This Idempotency-Key was already used with a different request body") from None
    except IdempotencyAlreadyInProgressError:
        raise RequestInProgress("A request with this Idempotency-Key is still being processed") from None
    except IdempotencyPersistenceLayerError:
        if not produced:
            raise
        # The payment exists and Taramoney has its order: an error now would make the client
        # retry and start a second one. The answer is given; the key's record stays in progress
        # (a retry meanwhile is told so) until its in-progress lease runs out.
        logger.exception("The answer to an Idempotency-Key could not be kept; answering it anyway")
        return produced[0]
    return answer
