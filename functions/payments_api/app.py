"""Payments API (HTTP API): start a payment, read its status.

Routes parse, call the domain, and map the result; errors become problem details in
one place (``problem``). The routes' summaries and success answers are what
``local_stack/openapi.py`` builds the OpenAPI document from (never at run time here).
"""

from __future__ import annotations

import base64
import json
from http import HTTPStatus
from typing import Any

from taramoney_payments.startup import collect_after_first_call

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyPersistenceLayerError
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from taramoney_payments.aws import fail_fast_aws_client
from taramoney_payments.credentials import CredentialsUnavailable
from taramoney_payments.errors import UNAVAILABLE_DETAIL, PaymentError, PaymentNotFound, ServiceUnavailable
from taramoney_payments.http_security import with_security_headers
from taramoney_payments.idempotency import answer_once
from taramoney_payments.idempotency import config as idempotency_config
from taramoney_payments.invocation import answer_within
from taramoney_payments.models import Payment
from taramoney_payments.observability import bind_payment, logger, metrics, tracer
from taramoney_payments.outages import is_outage
from taramoney_payments.payment_request import PaymentRequest
from taramoney_payments.problems import PROBLEM_CONTENT_TYPE, problem_body, problem_json
from taramoney_payments.requests_parsing import read_idempotency_key, read_payment_request
from taramoney_payments.services import fail_fast_payment_repository, payment_initiator
from taramoney_payments.settings import get_settings
from taramoney_payments.snapstart import prepare_snapshot

app = APIGatewayHttpResolver()
RETRY_AFTER_SECONDS = "5"


@app.post(
    "/payments",
    operation_id="startPayment",
    summary="Start a payment",
    description="Stores the payment PENDING, asks Taramoney to push a USSD prompt to the customer's phone, "
    "and answers with the USSD code to show. The outcome arrives later: read the payment, or consume its event.",
    tags=["Payments"],
    responses={
        HTTPStatus.CREATED.value: {
            "description": "The payment, PENDING, with the vendor and USSD code Taramoney answered",
            "headers": {"Location": {"description": "/payments/{paymentId}", "schema": {"type": "string"}}},
            "content": {"application/json": {"model": Payment}},
        }
    },
)
def create_payment() -> Response[str]:
    settings = get_settings()
    request = read_payment_request(
        _raw_body(),
        app.current_event.headers.get("content-type"),
        min_amount=settings.min_amount,
        max_amount=settings.max_amount,
    )
    key = read_idempotency_key(app.current_event.headers.get("idempotency-key"))

    def produce() -> dict[str, Any]:
        return _start_answer(request, key)

    answer = produce() if key is None else answer_once(key, request.model_dump(mode="json", by_alias=True), produce)
    return _respond(answer)


@app.get(
    "/payments/<payment_id>",
    operation_id="getPayment",
    summary="Read a payment",
    description="The payment view: poll it until its status is SUCCESS, FAILURE or EXPIRED.",
    tags=["Payments"],
    responses={
        HTTPStatus.OK.value: {"description": "The payment view", "content": {"application/json": {"model": Payment}}}
    },
)
def get_payment(payment_id: str) -> Response[str]:
    bind_payment(payment_id)
    payment = fail_fast_payment_repository().get(payment_id)
    if payment is None:
        raise PaymentNotFound(f"No payment has the id {payment_id!r}")
    return Response(HTTPStatus.OK.value, "application/json", body=json.dumps(payment.view()))


@app.exception_handler(PaymentError)
def problem(error: PaymentError) -> Response[str]:
    return _problem_response(error)


@app.exception_handler([ClientError, BotoCoreError, CredentialsUnavailable, IdempotencyPersistenceLayerError])
def aws_unavailable(error: Exception) -> Response[str]:
    """DynamoDB or Secrets Manager out (``is_outage``) after botocore's retries: a problem a client may retry.

    Failures after Taramoney took an order never reach this (initiation answers them naming the payment),
    and a retry with the same Idempotency-Key finds the payment if one was stored. A failure that
    retrying cannot mend (access denied, a request AWS refuses) stays a function error: a 500, and
    the function's Errors alarm.
    """
    if not is_outage(error):
        logger.exception("An AWS call failed in a way no retry mends", extra={"aws_error": type(error).__name__})
        raise error
    logger.exception("An AWS dependency failed", extra={"aws_error": type(error).__name__})
    return _problem_response(ServiceUnavailable(UNAVAILABLE_DETAIL))


def _start_answer(request: PaymentRequest, idempotency_key: str | None) -> dict[str, Any]:
    """The answer to keep for this request: 201 with the payment, or a problem naming it."""
    try:
        payment = payment_initiator().start(request, idempotency_key=idempotency_key)
    except PaymentError as error:
        if error.payment_id is None:
            raise
        return {"status": int(error.status), "problem": problem_body(error)}
    return {"status": HTTPStatus.CREATED.value, "payment": payment.view()}


def _problem_response(error: PaymentError) -> Response[str]:
    """Problem details; a 503 tells the client when to retry."""
    retry_after = {"Retry-After": RETRY_AFTER_SECONDS} if isinstance(error, ServiceUnavailable) else None
    return Response(int(error.status), PROBLEM_CONTENT_TYPE, body=problem_json(error), headers=retry_after)


def _respond(answer: dict[str, Any]) -> Response[str]:
    if "problem" in answer:
        return Response(answer["status"], PROBLEM_CONTENT_TYPE, body=json.dumps(answer["problem"]))
    payment = answer["payment"]
    return Response(
        answer["status"],
        "application/json",
        body=json.dumps(payment),
        headers={"Location": f"/payments/{payment['paymentId']}"},
    )


def _raw_body() -> bytes:
    event = app.current_event
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()


@collect_after_first_call
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency_config.register_lambda_context(context)
    answer_within(lambda: context.get_remaining_time_in_millis() / 1000)
    try:
        return with_security_headers(app.resolve(event, context))
    finally:
        answer_within(None)  # no ended invocation's deadline applies to what runs between two


# With SnapStart, restored environments start with the clients and services built (no secret read).
prepare_snapshot(payment_initiator, lambda: fail_fast_aws_client("secretsmanager"))
