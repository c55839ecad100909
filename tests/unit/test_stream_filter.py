"""The publisher's FilterCriteria (template.yaml): which table writes reach the function at all."""

from __future__ import annotations

from typing import Any

import pytest

from tests.dynamodb_stream import passes_filter
from tests.lambda_runtime import load_event


def record(event_name: str, entity: str, status: str | None) -> dict[str, Any]:
    new_image: dict[str, Any] = {"pk": {"S": f"{entity}#1"}, "entityType": {"S": entity}}
    if status:
        new_image["status"] = {"S": status}
    return {"eventName": event_name, "eventSource": "aws:dynamodb", "dynamodb": {"NewImage": new_image}}


@pytest.mark.parametrize("status", ["SUCCESS", "FAILURE", "EXPIRED"])
def test_an_update_of_a_payment_to_an_outcome_reaches_the_publisher(status: str) -> None:
    assert passes_filter(record("MODIFY", "PAYMENT", status))


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(record("INSERT", "PAYMENT", "PENDING"), id="creation"),
        pytest.param(record("MODIFY", "PAYMENT", "PENDING"), id="ussd-code"),
        pytest.param(record("MODIFY", "PHONE", None), id="phone-slots"),
        pytest.param(record("REMOVE", "PAYMENT", "SUCCESS"), id="deletion"),
    ],
)
def test_other_writes_are_filtered_out(write: dict[str, Any]) -> None:
    assert not passes_filter(write)


def test_the_sample_batch_passes_the_filter() -> None:
    assert all(passes_filter(r) for r in load_event("event_publisher/payment_succeeded.json")["Records"])
