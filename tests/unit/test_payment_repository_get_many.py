"""``PaymentRepository.get_many`` when ``BatchGetItem`` answers only part of a request.

DynamoDB returns ``UnprocessedKeys`` under throttling; moto never does, so a fake client
plays DynamoDB here. A key left out would count as "no such payment": the initiation
would then free a phone slot still held by a live PENDING payment.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from taramoney_payments.models import Payment, PaymentStatus
from taramoney_payments.repository import IncompleteRead, PaymentRepository, payment_key, to_attributes

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def item(payment_id: str) -> dict[str, Any]:
    payment = Payment(
        payment_id=payment_id,
        status=PaymentStatus.PENDING,
        product_id="product-456",
        product_name="Nom du produit",
        product_price=100,
        phone_number="655123456",
        created_at=NOW,
        updated_at=NOW,
        expires_at=NOW + timedelta(minutes=15),
    )
    return {**payment_key(payment_id), **to_attributes({**payment.view(), "entityType": "PAYMENT"})}


class ThrottledBatchReads:
    """Answers each ``BatchGetItem`` with at most ``per_call`` of the keys asked, the rest unprocessed."""

    def __init__(self, ids: list[str], *, per_call: int, stop_after: int | None = None) -> None:
        self.items = {f"PAYMENT#{payment_id}": item(payment_id) for payment_id in ids}
        self.per_call = per_call
        self.stop_after = stop_after  # answer nothing at all after this many calls
        self.calls: list[list[str]] = []

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        ((table, request),) = RequestItems.items()
        keys = request["Keys"]
        self.calls.append([key["pk"]["S"] for key in keys])
        served = 0 if self.stop_after is not None and len(self.calls) > self.stop_after else self.per_call
        answered, left = keys[:served], keys[served:]
        answer: dict[str, Any] = {"Responses": {table: [self.items[key["pk"]["S"]] for key in answered]}}
        answer["UnprocessedKeys"] = {table: {**request, "Keys": left}} if left else {}
        return answer


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr("taramoney_payments.repository.time.sleep", waits.append)
    return waits


def test_unprocessed_keys_are_asked_again_until_every_payment_is_read(no_waiting: list[float]) -> None:
    # given DynamoDB answering one key per call
    dynamodb = ThrottledBatchReads(["a", "b", "c"], per_call=1)
    # when three payments are read
    payments = PaymentRepository(dynamodb, "payments").get_many(["a", "b", "c"])
    # then all three come back, the left-over keys asked again after a pause each time
    assert sorted(payment.payment_id for payment in payments) == ["a", "b", "c"]
    assert dynamodb.calls == [["PAYMENT#a", "PAYMENT#b", "PAYMENT#c"], ["PAYMENT#b", "PAYMENT#c"], ["PAYMENT#c"]]
    assert len(no_waiting) == 2


def test_keys_never_processed_are_an_error_not_a_missing_payment() -> None:
    dynamodb = ThrottledBatchReads(["a", "b"], per_call=1, stop_after=1)
    with pytest.raises(IncompleteRead):
        PaymentRepository(dynamodb, "payments").get_many(["a", "b"])
    assert 2 < len(dynamodb.calls) <= 10  # retried, but not forever


def test_more_keys_than_one_batch_allows_are_read_in_batches_of_100() -> None:
    ids = [f"p{index:03}" for index in range(150)]
    dynamodb = ThrottledBatchReads(ids, per_call=100)
    payments = PaymentRepository(dynamodb, "payments").get_many(ids)
    assert len(payments) == 150
    assert [len(call) for call in dynamodb.calls] == [100, 50]


def test_no_ids_is_no_call() -> None:
    dynamodb = ThrottledBatchReads([], per_call=1)
    assert PaymentRepository(dynamodb, "payments").get_many([]) == []
    assert dynamodb.calls == []
