"""Taramoney webhook (public function URL): authenticate a callback and settle its payment.

A thin adapter: read the function URL event (payload format 2.0), let the domain's
``WebhookReceiver`` decide, answer with the status of SPEC section 4. Refusals are
RFC 9457 problem details; 200 is ``{"received": true, "paymentId", "status"}``.
"""

from __future__ import annotations

import base64
import binascii
import json
from http import HTTPStatus
from typing import Any

from taramoney_payments.startup import collect_after_first_call

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from taramoney_payments.aws import fail_fast_aws_client
from taramoney_payments.errors import MethodNotAllowed, PaymentError
from taramoney_payments.http_security import with_security_headers
from taramoney_payments.observability import logger, metrics, tracer
from taramoney_payments.problems import PROBLEM_CONTENT_TYPE, problem_json
from taramoney_payments.services import webhook_parking, webhook_receiver
from taramoney_payments.snapstart import prepare_snapshot
from taramoney_payments.webhook_receiver import WebhookRequest


@collect_after_first_call
@logger.inject_lambda_context(correlation_id_path=correlation_paths.LAMBDA_FUNCTION_URL, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        receipt = webhook_receiver().receive(_request(event, context))
    except PaymentError as error:
        headers = {"Allow": "POST"} if isinstance(error, MethodNotAllowed) else {}
        return _answer(int(error.status), problem_json(error), PROBLEM_CONTENT_TYPE, headers)
    except Exception:
        logger.exception("Webhook failed")
        failure = PaymentError("The webhook could not be processed")
        return _answer(HTTPStatus.INTERNAL_SERVER_ERROR, problem_json(failure), PROBLEM_CONTENT_TYPE)
    return _answer(HTTPStatus.OK, json.dumps(receipt.body()), "application/json")


def _request(event: dict[str, Any], context: LambdaContext) -> WebhookRequest:
    http = event.get("requestContext", {}).get("http", {})
    headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raw = body.encode()  # not base64 after all: the JSON check will refuse it, after authentication
    else:
        raw = body.encode()
    return WebhookRequest(
        method=str(http.get("method", "")),
        path=str(event.get("rawPath", "")),
        headers=headers,
        body=raw,
        seconds_left=lambda: context.get_remaining_time_in_millis() / 1000,
    )


def _answer(status: int, body: str, content_type: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    answer = {"statusCode": int(status), "headers": {"Content-Type": content_type, **(headers or {})}, "body": body}
    return with_security_headers(answer)


# With SnapStart, restored environments start with the clients and services built (no secret read),
# the parking queue's too: an on-demand start makes that one only when a webhook is first parked.
prepare_snapshot(webhook_receiver, webhook_parking, lambda: fail_fast_aws_client("secretsmanager"))
