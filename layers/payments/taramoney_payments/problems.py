"""RFC 9457 problem details: the one shape of every error the API answers."""

from __future__ import annotations

import json
from typing import Any

from .errors import PaymentError

PROBLEM_CONTENT_TYPE = "application/problem+json"
_TYPE_BASE = "https://taramoney-payments.dev/problems/"


def problem_body(error: PaymentError) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": _TYPE_BASE + error.code.lower().replace("_", "-"),
        "title": error.title,
        "status": int(error.status),
        "detail": error.detail,
        "code": error.code,
    }
    if error.errors:
        body["errors"] = [{"field": item.field, "message": item.message} for item in error.errors]
    if error.payment_id:
        body["paymentId"] = error.payment_id
    return body


def problem_json(error: PaymentError) -> str:
    return json.dumps(problem_body(error), ensure_ascii=False)
