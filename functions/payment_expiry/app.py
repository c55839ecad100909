"""Payment expiry (schedule): close the PENDING payments past their deadline as EXPIRED."""

from __future__ import annotations

from typing import Any

from taramoney_payments.startup import collect_after_first_call

from aws_lambda_powertools.utilities.typing import LambdaContext

from taramoney_payments.observability import logger, metrics, tracer
from taramoney_payments.services import payment_expirer


@collect_after_first_call
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    logger.set_correlation_id(context.aws_request_id)
    return payment_expirer().expire_due().summary()
