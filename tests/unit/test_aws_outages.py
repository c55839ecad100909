"""Which AWS failures are an outage (503, retry soon) and which a fault no retry mends (500)."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from taramoney_payments.outages import is_outage


def aws_error(code: str, status: int, **extra: object) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}, **extra}, "Op"
    )  # type: ignore[arg-type]


def cancelled(*reasons: str) -> ClientError:
    return aws_error("TransactionCanceledException", 400, CancellationReasons=[{"Code": code} for code in reasons])


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(aws_error("InternalServerError", 500), id="dynamodb-500"),
        pytest.param(aws_error("ServiceUnavailable", 503), id="503"),
        pytest.param(aws_error("ThrottlingException", 400), id="throttled"),
        pytest.param(aws_error("ProvisionedThroughputExceededException", 400), id="throughput"),
        pytest.param(aws_error("RequestLimitExceeded", 400), id="account-limit"),
        pytest.param(cancelled("None", "TransactionConflict"), id="transaction-conflict"),
        pytest.param(cancelled("ThrottlingError", "None"), id="transaction-throttled"),
        pytest.param(EndpointConnectionError(endpoint_url="https://dynamodb"), id="unreachable"),
        pytest.param(ConnectTimeoutError(endpoint_url="https://dynamodb"), id="connect-timeout"),
        pytest.param(ReadTimeoutError(endpoint_url="https://dynamodb"), id="read-timeout"),
    ],
)
def test_what_passes_is_an_outage(error: Exception) -> None:
    assert is_outage(error)


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(aws_error("AccessDeniedException", 400), id="access-denied"),
        pytest.param(aws_error("ResourceNotFoundException", 400), id="no-such-table"),
        pytest.param(aws_error("ValidationException", 400), id="refused-request"),
        pytest.param(cancelled("ConditionalCheckFailed", "None"), id="transaction-condition"),
        pytest.param(cancelled("ValidationError"), id="transaction-invalid"),
        pytest.param(NoCredentialsError(), id="no-credentials"),
        pytest.param(RuntimeError("not from AWS"), id="not-aws"),
    ],
)
def test_what_no_retry_mends_is_no_outage(error: Exception) -> None:
    assert not is_outage(error)


def wrapped_by_powertools(cause: Exception) -> GetParameterError:
    """As Powertools' parameters wrap an SDK error: raised while handling it, without ``from``."""
    try:
        try:
            raise cause
        except Exception as error:
            raise GetParameterError(str(error))  # noqa: B904 - as Powertools does
    except GetParameterError as wrapper:
        return wrapper


def test_a_wrapped_sdk_error_is_read_through_its_wrapper() -> None:
    assert is_outage(wrapped_by_powertools(EndpointConnectionError(endpoint_url="https://secretsmanager")))
    assert not is_outage(wrapped_by_powertools(aws_error("AccessDeniedException", 400)))


def fail_while_handling_an_outage() -> None:
    try:
        raise EndpointConnectionError(endpoint_url="https://dynamodb")
    except EndpointConnectionError:
        raise RuntimeError("a fault of ours, unrelated") from None


def test_a_context_raised_from_none_is_not_read() -> None:
    with pytest.raises(RuntimeError) as raised:
        fail_while_handling_an_outage()

    assert not is_outage(raised.value)
