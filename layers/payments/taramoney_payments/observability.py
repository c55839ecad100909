"""The service's logger, metrics and tracer (Powertools), shared by every function.

Logs are JSON lines. Each handler sets a ``correlation_id`` (the API or function URL
request id, else the Lambda request id) and ``bind_payment`` adds ``payment_id`` once
the payment is known; ``inject_lambda_context(clear_state=True)`` forgets both at the
start of the next invocation. Phone numbers only ever appear masked: code logs
``mask_phone(...)``, and the formatter masks any Cameroon mobile number that slips
into a line anyway (an exception message, a payload). Secrets are never logged.

Metrics are CloudWatch EMF lines, named by ``PaymentMetric`` and sent with ``count``.
Every metric has the ``service`` dimension; a few also have one low-cardinality
dimension of their own (vendor, reason, source), sent as a second data point so that
alarms read the service-wide total without summing every dimension value.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.types import LogRecord
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from .masking import mask_log_line
from .payment_ids import ISSUED_PAYMENT_ID
from .tracing import LazyTracer

SERVICE = "taramoney-payments"
METRICS_NAMESPACE = "TaramoneyPayments"


class PaymentMetric(StrEnum):
    """The service's metrics (namespace ``TaramoneyPayments``); dimensions besides ``service`` noted."""

    PAYMENTS_INITIATED = "PaymentsInitiated"  # Taramoney accepted the order; vendor
    PAYMENTS_SUCCEEDED = "PaymentsSucceeded"  # a payment became SUCCESS; source
    PAYMENTS_FAILED = "PaymentsFailed"  # a payment became FAILURE; source
    PAYMENTS_EXPIRED = "PaymentsExpired"  # a payment passed its deadline while PENDING
    PROVIDER_REJECTIONS = "ProviderRejections"  # Taramoney answered and refused the order
    PROVIDER_ERRORS = "ProviderErrors"  # Taramoney unreachable, timed out or unreadable; reason
    PROVIDER_LATENCY = "ProviderLatency"  # one data point per order call, in milliseconds
    WEBHOOKS_APPLIED = "WebhooksApplied"  # a webhook changed its payment's status
    WEBHOOKS_REJECTED = "WebhooksRejected"  # refused with a 4xx; reason (the problem code)
    AUTHENTIC_WEBHOOKS_REFUSED = "AuthenticWebhooksRefused"  # refused although its address token was valid
    WEBHOOK_DUPLICATES = "WebhookDuplicates"  # repeated a status the payment already had
    WEBHOOK_CONFLICTS = "WebhookConflicts"  # contradicted a settled payment (corrected or recorded only)
    WEBHOOKS_PARKED = "WebhooksParked"  # kept on the parking queue: the payments table failed
    WEBHOOKS_LOST = "WebhooksLost"  # could be neither applied nor parked (answered 500)
    PARKED_WEBHOOKS_APPLIED = "ParkedWebhooksApplied"
    PARKED_WEBHOOKS_REFUSED = "ParkedWebhooksRefused"  # can never apply (no such payment, another number)
    EVENTS_PUBLISHED = "PaymentEventsPublished"
    EVENTS_FAILED = "PaymentEventsFailed"  # refused by EventBridge: the stream delivers them again

    @property
    def unit(self) -> MetricUnit:
        return MetricUnit.Milliseconds if self is PaymentMetric.PROVIDER_LATENCY else MetricUnit.Count


class PhoneMaskingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON lines, with phone numbers masked and secrets left out (``masking``)."""

    def serialize(self, log: LogRecord) -> str:
        return mask_log_line(super().serialize(log))


logger = Logger(service=SERVICE, logger_formatter=PhoneMaskingFormatter())
# An invocation with nothing to count is normal (a GET, a duplicate): no plain-text warning
# line among the JSON ones for it.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)
tracer = LazyTracer(SERVICE)  # X-Ray only where traces can be sent (tracing.py)
# The annotation X-Ray finds a payment's traces by: annotation.payment_id = "<payment id>"
PAYMENT_ID_ANNOTATION = "payment_id"


def count(metric: PaymentMetric, value: float = 1, **dimension: str) -> None:
    """Add ``value`` to ``metric`` (flushed by ``log_metrics`` when the invocation ends).

    With a ``dimension`` (one low-cardinality name, e.g. ``vendor="MTN_CAMEROON"``) the
    value is also sent at once under ``service`` plus that dimension.
    """
    metrics.add_metric(name=metric.value, unit=metric.unit, value=value)
    if not dimension:
        return
    with single_metric(
        name=metric.value,
        unit=metric.unit,
        value=value,
        namespace=METRICS_NAMESPACE,
        default_dimensions={"service": SERVICE},
    ) as breakdown:
        for name, dimension_value in dimension.items():
            breakdown.add_dimension(name=name, value=dimension_value)


def bind_payment(payment_id: str) -> None:
    """Put ``payment_id`` on every later log line of this invocation, and on its trace.

    Only an id of the shape this service issues is annotated (``_trace_annotations``): a
    caller may name anything (a path, a webhook address), and an X-Ray annotation is
    neither masked nor unbounded.
    """
    logger.append_keys(payment_id=payment_id)
    for key, value in _trace_annotations(payment_id).items():
        tracer.put_annotation(key, value)


def _trace_annotations(payment_id: str) -> dict[str, str]:
    """The payment's id as an annotation, if it has the shape of the ids this service issues."""
    if not tracer.enabled or not ISSUED_PAYMENT_ID.fullmatch(payment_id):
        return {}
    return {PAYMENT_ID_ANNOTATION: payment_id}


@contextmanager
def bound_payment(payment_id: str, *, correlation_id: str | None = None) -> Iterator[None]:
    """``payment_id`` (and a correlation id, if given) on the log lines of one payment of a batch or run.

    Traced, the record gets a subsegment of its own (``## payment``) carrying the annotation:
    the invocation's would hold only one payment id of the batch.
    """
    previous_correlation_id = logger.get_correlation_id()
    logger.append_keys(payment_id=payment_id)
    if correlation_id:
        logger.set_correlation_id(correlation_id)
    try:
        with tracer.subsegment("## payment", **_trace_annotations(payment_id)):
            yield
    finally:
        logger.remove_keys(["payment_id"])
        logger.set_correlation_id(previous_correlation_id)
