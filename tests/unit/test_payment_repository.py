"""``PaymentRepository`` against a fake DynamoDB client: what moto cannot show.

moto applies a transaction without ever reporting ``TransactionConflict``, and accepts
keys of any size; real DynamoDB does both.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from taramoney_payments.models import Payment, PaymentStatus
from taramoney_payments.repository import PaymentAlreadyStored, PaymentRepository, PhoneLimitReached

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
PAYMENT = Payment(
    payment_id="pay-1",
    status=PaymentStatus.PENDING,
    product_id="product-456",
    product_name="Nom du produit",
    product_price=100,
    phone_number="655123456",
    created_at=NOW,
    updated_at=NOW,
    expires_at=NOW + timedelta(minutes=15),
)


def cancelled(*reasons: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": reason} for reason in reasons],
        },
        "TransactWriteItems",
    )


class FakeDynamoDB:
    """Answers each transaction with the next scripted outcome (None: written)."""

    def __init__(self, *outcomes: ClientError | None) -> None:
        self.outcomes = list(outcomes)
        self.transactions: list[Any] = []
        self.reads: list[Any] = []

    def transact_write_items(self, **request: Any) -> dict[str, Any]:
        self.transactions.append(request)
        outcome = self.outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return {}

    def get_item(self, **request: Any) -> dict[str, Any]:
        self.reads.append(request)
        return {}


def test_a_transaction_conflict_with_a_concurrent_payment_is_tried_again() -> None:
    # given DynamoDB cancelling the first attempt because another payment touched the phone
    dynamodb = FakeDynamoDB(cancelled("None", "TransactionConflict"), None)
    # when the payment is added
    PaymentRepository(dynamodb, "payments").add_pending(PAYMENT, max_pending_per_phone=3)
    # then it is written on the second attempt, with the same id and the same condition
    assert len(dynamodb.transactions) == 2
    assert dynamodb.transactions[0] == dynamodb.transactions[1]


def test_a_full_phone_after_a_conflict_is_the_limit() -> None:
    dynamodb = FakeDynamoDB(cancelled("None", "TransactionConflict"), cancelled("None", "ConditionalCheckFailed"))
    with pytest.raises(PhoneLimitReached):
        PaymentRepository(dynamodb, "payments").add_pending(PAYMENT, max_pending_per_phone=3)


def test_endless_conflicts_end_in_an_error() -> None:
    dynamodb = FakeDynamoDB(*[cancelled("TransactionConflict", "None")] * 4)
    with pytest.raises(ClientError):
        PaymentRepository(dynamodb, "payments").add_pending(PAYMENT, max_pending_per_phone=3)
    assert len(dynamodb.transactions) == 4


@pytest.mark.parametrize("phone", ["None", "ConditionalCheckFailed"])
def test_a_payment_id_clash_is_not_retried(phone: str) -> None:
    # the payment an Idempotency-Key stands for exists already (and may hold the phone's last slot)
    dynamodb = FakeDynamoDB(cancelled("ConditionalCheckFailed", phone))
    with pytest.raises(PaymentAlreadyStored):
        PaymentRepository(dynamodb, "payments").add_pending(PAYMENT, max_pending_per_phone=3)
    assert len(dynamodb.transactions) == 1


@pytest.mark.parametrize("payment_id", ["", "a" * 3000, "é" * 600])
def test_an_id_that_cannot_be_a_key_is_no_payment(payment_id: str) -> None:
    # DynamoDB answers a ValidationException (a 500 for the client) to keys over 2 KB
    dynamodb = FakeDynamoDB()
    assert PaymentRepository(dynamodb, "payments").get(payment_id) is None
    assert dynamodb.reads == []
