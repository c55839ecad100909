"""The EventBridge adapter: one PutEvents per 10 events, refused entries sent again a bounded number of times."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from taramoney_payments.events import PaymentEvent
from taramoney_payments.models import Payment, PaymentStatus
from taramoney_payments.publisher import EventBridgePublisher


def event(number: int) -> PaymentEvent:
    created = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    payment = Payment(
        payment_id=f"pay_{number}",
        status=PaymentStatus.SUCCESS,
        product_id="product-456",
        product_name="Nom du produit",
        product_price=100,
        phone_number="655123456",
        created_at=created,
        updated_at=created,
        expires_at=created + timedelta(minutes=15),
    )
    return PaymentEvent(payment=payment, previous_status=PaymentStatus.PENDING)


class FakeEventBridge:
    """Accepts entries, except ``refuse[payment_id]`` more times for some; ``fail_calls`` whole calls fail."""

    def __init__(self, refuse: dict[str, int] | None = None, fail_calls: int = 0) -> None:
        self.refuse = refuse or {}
        self.fail_calls = fail_calls
        self.calls: list[list[dict[str, Any]]] = []
        self.published: list[str] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        assert len(Entries) <= 10
        self.calls.append(Entries)
        if self.fail_calls:
            self.fail_calls -= 1
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "PutEvents")
        results = []
        for number, entry in enumerate(Entries):
            payment_id = json.loads(entry["Detail"])["paymentId"]
            if self.refuse.get(payment_id, 0) > 0:
                self.refuse[payment_id] -= 1
                results.append({"ErrorCode": "InternalFailure", "ErrorMessage": "try again"})
            else:
                self.published.append(payment_id)
                results.append({"EventId": f"id-{len(self.calls)}-{number}"})
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


def publisher(fake: FakeEventBridge, max_attempts: int = 3) -> EventBridgePublisher:
    return EventBridgePublisher(fake, "payments-bus", max_attempts=max_attempts, sleep=lambda _: None)


def test_an_entry_carries_source_detail_type_detail_and_bus() -> None:
    fake = FakeEventBridge()
    publisher(fake).publish([event(1)])
    ((entry,),) = fake.calls
    assert entry["EventBusName"] == "payments-bus"
    assert entry["Source"] == "taramoney.payments"
    assert entry["DetailType"] == "Payment Succeeded"
    assert json.loads(entry["Detail"])["eventId"] == "pay_1:SUCCESS"


def test_twenty_five_events_take_three_calls() -> None:
    fake = FakeEventBridge()
    assert publisher(fake).publish([event(n) for n in range(25)]) == []
    assert [len(call) for call in fake.calls] == [10, 10, 5]
    assert len(fake.published) == 25


def test_only_refused_entries_are_sent_again_and_then_published_once() -> None:
    # given EventBridge refusing one entry of three, once
    fake = FakeEventBridge(refuse={"pay_2": 1})
    # when the three are published
    unpublished = publisher(fake).publish([event(1), event(2), event(3)])
    # then the second call carried only the refused entry, and each payment was published once
    assert unpublished == []
    assert [[json.loads(e["Detail"])["paymentId"] for e in call] for call in fake.calls] == [
        ["pay_1", "pay_2", "pay_3"],
        ["pay_2"],
    ]
    assert sorted(fake.published) == ["pay_1", "pay_2", "pay_3"]


def test_an_entry_refused_on_every_attempt_is_handed_back_after_the_bound() -> None:
    fake = FakeEventBridge(refuse={"pay_2": 100})
    unpublished = publisher(fake, max_attempts=4).publish([event(1), event(2)])
    assert [e.payment.payment_id for e in unpublished] == ["pay_2"]
    assert len(fake.calls) == 4


def test_a_failed_call_counts_as_every_entry_refused() -> None:
    # given a PutEvents call that fails as a whole once
    fake = FakeEventBridge(fail_calls=1)
    # when two events are published, then the retry publishes both
    assert publisher(fake).publish([event(1), event(2)]) == []
    assert sorted(fake.published) == ["pay_1", "pay_2"]
    # and if calls keep failing, both are handed back
    assert len(publisher(FakeEventBridge(fail_calls=99)).publish([event(1), event(2)])) == 2


@given(refusals=st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=23))
def test_every_event_is_published_at_most_once_and_handed_back_only_if_never_accepted(refusals: list[int]) -> None:
    # given any number of events, each refused a given number of times before EventBridge accepts it
    events = [event(n) for n in range(len(refusals))]
    fake = FakeEventBridge(refuse={f"pay_{n}": times for n, times in enumerate(refusals)})
    # when they are published with three attempts
    unpublished = publisher(fake, max_attempts=3).publish(events)
    # then each is published at most once, and exactly those refused three times or more are handed back
    assert len(fake.published) == len(set(fake.published))
    assert sorted(e.payment.payment_id for e in unpublished) == sorted(
        f"pay_{n}" for n, times in enumerate(refusals) if times >= 3
    )
    assert sorted(fake.published + [e.payment.payment_id for e in unpublished]) == sorted(
        e.payment.payment_id for e in events
    )
