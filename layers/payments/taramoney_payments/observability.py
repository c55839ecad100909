"""The service's logger, metrics and tracer (Powertools), shared by every function.

Log lines carry the correlation id and ``payment_id``; phone numbers only ever appear
masked (``phone.mask_phone``) and secrets never.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

from .tracing import LazyTracer

SERVICE = "taramoney-payments"
METRICS_NAMESPACE = "TaramoneyPayments"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)
tracer = LazyTracer(SERVICE)  # X-Ray only where traces can be sent (tracing.py)
