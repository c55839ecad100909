"""Parked webhooks (SQS): apply webhooks the payments table could not take when they came.

Each message was validated by the webhook before it was parked, and authenticated too
unless it says otherwise (parked while the secret could not be read: its caller is
checked here first); it goes through the same settlement code now. A record that fails for a passing reason
(the table still down) is reported back to SQS and retried, then dead-lettered; one
that can never apply (no such payment, another phone number) is logged with its payload
and dropped; unless its caller failed the check, it is counted as ``AuthenticWebhooksRefused``,
which alarms (Taramoney never calls again about that payment).
"""

from __future__ import annotations

from typing import Any

from taramoney_payments.startup import collect_after_first_call

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from taramoney_payments.clock import utc_now
from taramoney_payments.credentials import load_credentials
from taramoney_payments.errors import PaymentError, WebhookNotAuthenticated
from taramoney_payments.observability import PaymentMetric, bound_payment, count, logger, metrics, tracer
from taramoney_payments.parking import ParkedWebhook
from taramoney_payments.services import payment_repository
from taramoney_payments.settlement import Delivery, settle
from taramoney_payments.webhook_payload import read_webhook_payload
from taramoney_payments.webhook_receiver import check_parked_caller, keep_authentic_refusal

processor = BatchProcessor(event_type=EventType.SQS)


def apply_parked(record: SQSRecord) -> None:
    parked = ParkedWebhook.from_message(record.body)
    # Logged under the webhook request's correlation id: one search finds the webhook and its parking.
    with bound_payment(parked.payment_id, correlation_id=parked.correlation_id):
        try:
            payload = read_webhook_payload(parked.payload.encode())
            if not parked.caller_verified:
                # Parked while the webhook had no secret: check the caller now (an unreadable
                # secret raises, and the record is retried).
                check_parked_caller(parked, payload, load_credentials())
            delivery = Delivery.from_webhook(
                payload, raw_payload=parked.payload, received_at=parked.received_at, source="parked-webhook"
            )
            result = settle(payment_repository(), parked.payment_id, delivery, now=utc_now())
        except PaymentError as refusal:
            # Retrying cannot change this answer: keep it in the logs and move on.
            count(PaymentMetric.PARKED_WEBHOOKS_REFUSED)
            if isinstance(refusal, WebhookNotAuthenticated):  # a forgery: its text is not worth an ERROR line
                logger.warning(
                    "Parked webhook cannot be applied", extra={"code": refusal.code, "detail": refusal.detail}
                )
                return
            keep_authentic_refusal("Parked webhook cannot be applied", refusal, parked.payload)
            return
        logger.info("Parked webhook applied", extra={"outcome": result.outcome.value})
        count(PaymentMetric.PARKED_WEBHOOKS_APPLIED)


@collect_after_first_call
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    logger.set_correlation_id(context.aws_request_id)
    return process_partial_response(event=event, record_handler=apply_parked, processor=processor, context=context)
