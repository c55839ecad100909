"""Payment events end to end in moto: table write -> stream -> publisher -> bus -> rule -> queue."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from taramoney_payments.clock import utc_now
from taramoney_payments.models import PaymentStatus
from taramoney_payments.outbox import PaymentEventRelay
from taramoney_payments.publisher import EventBridgePublisher
from tests.integration.payment_events_world import World
from tests.lambda_runtime import LambdaContext, load_event
from tests.payment_writes import new_payment, settle_as_webhook, store_pending, touch

SCHEMAS = Path(__file__).resolve().parents[2] / "events" / "schemas"
SCHEMA_FILES = {
    "Payment Succeeded": "payment-succeeded.schema.json",
    "Payment Failed": "payment-failed.schema.json",
    "Payment Expired": "payment-expired.schema.json",
}


def assert_valid_event(message: dict[str, Any]) -> None:
    schema = json.loads((SCHEMAS / SCHEMA_FILES[message["detail-type"]]).read_text())
    jsonschema.Draft4Validator(schema).validate(message)


def no_failures(answers: list[dict[str, Any]]) -> bool:
    return all(answer == {"batchItemFailures": []} for answer in answers)


def test_a_payment_that_succeeds_is_announced_once_with_its_view(world: World) -> None:
    # given a payment created and given its USSD code (two writes that announce nothing)
    payment = store_pending(world.repository, new_payment())
    # when the webhook settles it as SUCCESS and the stream reaches the publisher
    settle_as_webhook(world.dynamodb, world.table, payment.payment_id, PaymentStatus.SUCCESS)
    answers = world.deliver_stream()
    # then exactly one event waits on the queue: the payment view, previousStatus and eventId
    assert no_failures(answers)
    (message,) = world.queued_events()
    assert message["source"] == "taramoney.payments"
    assert message["detail-type"] == "Payment Succeeded"
    stored = world.repository.get(payment.payment_id)
    assert stored is not None
    assert message["detail"] == {
        **stored.view(),
        "previousStatus": "PENDING",
        "eventId": f"{payment.payment_id}:SUCCESS",
    }
    assert_valid_event(message)


@pytest.mark.parametrize(
    ("close", "detail_type", "status"),
    [
        pytest.param(
            lambda w, p: settle_as_webhook(w.dynamodb, w.table, p, PaymentStatus.FAILURE, reason="Refused by customer"),
            "Payment Failed",
            "FAILURE",
            id="failed",
        ),
        pytest.param(
            lambda w, p: w.repository.mark_expired(p, now=utc_now() + timedelta(minutes=20)),
            "Payment Expired",
            "EXPIRED",
            id="expired",
        ),
    ],
)
def test_a_payment_that_fails_or_expires_is_announced_once(
    world: World, close: Callable[[World, str], None], detail_type: str, status: str
) -> None:
    # given a PENDING payment
    payment = store_pending(world.repository, new_payment())
    # when it is closed and the stream reaches the publisher
    close(world, payment.payment_id)
    assert no_failures(world.deliver_stream())
    # then one event of its kind announces it
    (message,) = world.queued_events()
    assert message["detail-type"] == detail_type
    assert message["detail"]["status"] == status
    assert message["detail"]["previousStatus"] == "PENDING"
    assert message["detail"]["eventId"] == f"{payment.payment_id}:{status}"
    assert_valid_event(message)


def test_a_write_that_repeats_the_status_announces_nothing_more(world: World) -> None:
    # given a payment whose SUCCESS was announced
    payment = store_pending(world.repository, new_payment())
    settle_as_webhook(world.dynamodb, world.table, payment.payment_id, PaymentStatus.SUCCESS)
    world.deliver_stream()
    assert len(world.queued_events()) == 1
    # when the payment item is written again with the same status (a duplicate delivery)
    touch(world.dynamodb, world.table, payment.payment_id)
    answers = world.deliver_stream()
    # then the publisher saw the write and announced nothing
    assert len(answers) == 1
    assert no_failures(answers)
    assert world.queued_events() == []


def test_a_redelivered_record_carries_the_same_event_id(world: World) -> None:
    # given the stream batch that announced a payment's success
    payment = store_pending(world.repository, new_payment())
    settle_as_webhook(world.dynamodb, world.table, payment.payment_id, PaymentStatus.SUCCESS)
    (batch,) = world.stream.next_batches()
    world.publisher.lambda_handler(batch, LambdaContext())
    # when Lambda delivers the same batch again (at least once)
    world.publisher.lambda_handler(batch, LambdaContext())
    # then both announcements carry the one eventId consumers deduplicate on
    first, second = world.queued_events()
    assert first["detail"]["eventId"] == second["detail"]["eventId"] == f"{payment.payment_id}:SUCCESS"


def test_a_late_success_after_expiry_is_announced_with_previous_status_expired(world: World) -> None:
    # given a payment that expired and whose expiry was announced
    payment = store_pending(world.repository, new_payment())
    world.repository.mark_expired(payment.payment_id, now=utc_now() + timedelta(minutes=20))
    world.deliver_stream()
    # when Taramoney's late webhook says the money moved
    settle_as_webhook(world.dynamodb, world.table, payment.payment_id, PaymentStatus.SUCCESS)
    world.deliver_stream()
    # then the success is announced too, naming the expiry it corrects
    expired, succeeded = world.queued_events()
    assert expired["detail-type"] == "Payment Expired"
    assert succeeded["detail-type"] == "Payment Succeeded"
    assert succeeded["detail"]["previousStatus"] == "EXPIRED"
    assert_valid_event(succeeded)


def test_the_phone_slot_is_given_back_when_a_payment_leaves_pending(world: World) -> None:
    # given a PENDING payment holding one of its phone's slots
    payment = store_pending(world.repository, new_payment(phone_number="677001122"))
    assert world.repository.pending_payment_ids("677001122") == {payment.payment_id}
    # when it fails and the publisher sees it
    settle_as_webhook(world.dynamodb, world.table, payment.payment_id, PaymentStatus.FAILURE, reason="Refused")
    world.deliver_stream()
    # then the slot is free again
    assert world.repository.pending_payment_ids("677001122") == set()


class RefusingEvents:
    """The real (moto) EventBridge client, except that entries for some payments are refused.

    ``refusals[payment_id]`` is how many more times that payment's entry is refused;
    refused entries are not sent on, as EventBridge does not publish them.
    """

    def __init__(self, client: Any, refusals: dict[str, int]) -> None:
        self._client = client
        self.refusals = refusals
        self.calls: list[list[str]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        self.calls.append([json.loads(entry["Detail"])["paymentId"] for entry in Entries])
        results: list[dict[str, Any]] = []
        for entry in Entries:
            payment_id = json.loads(entry["Detail"])["paymentId"]
            if self.refusals.get(payment_id, 0) > 0:
                self.refusals[payment_id] -= 1
                results.append({"ErrorCode": "InternalFailure", "ErrorMessage": "try again"})
            else:
                results += self._client.put_events(Entries=[entry])["Entries"]
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


def use_events_client(world: World, client: RefusingEvents, monkeypatch: pytest.MonkeyPatch) -> None:
    relay = PaymentEventRelay(EventBridgePublisher(client, world.bus, sleep=lambda _: None), world.repository)
    monkeypatch.setattr(world.publisher, "payment_event_relay", lambda: relay)


def test_an_entry_refused_for_good_is_reported_and_the_others_are_published_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given three payments settled in one stream batch, and EventBridge refusing the second's entry every time
    payments = [store_pending(world.repository, new_payment()) for _ in range(3)]
    world.stream.new_records()
    for payment in payments:
        settle_as_webhook(world.dynamodb, world.table, payment.payment_id, PaymentStatus.SUCCESS)
    (batch,) = world.stream.next_batches()
    refused = payments[1].payment_id
    events = RefusingEvents(world.session.client("events"), {refused: 99})
    use_events_client(world, events, monkeypatch)
    # when the publisher handles the batch
    answer = world.publisher.lambda_handler(batch, LambdaContext())
    # then one PutEvents carried the batch, only the refused entry was sent again, a bounded number of times
    assert events.calls[0] == [p.payment_id for p in payments]
    assert events.calls[1:] == [[refused], [refused]]
    # and the refused record is reported for Lambda to deliver again, never as a success
    refused_record = batch["Records"][1]
    assert answer == {"batchItemFailures": [{"itemIdentifier": refused_record["dynamodb"]["SequenceNumber"]}]}
    # and the other two are on the queue exactly once
    queued = sorted(message["detail"]["paymentId"] for message in world.queued_events())
    assert queued == sorted([payments[0].payment_id, payments[2].payment_id])


def test_an_entry_refused_once_is_published_on_the_retry(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # given two payments settled in one batch, and the first entry refused once
    payments = [store_pending(world.repository, new_payment()) for _ in range(2)]
    world.stream.new_records()
    for payment in payments:
        settle_as_webhook(world.dynamodb, world.table, payment.payment_id, PaymentStatus.FAILURE, reason="Refused")
    (batch,) = world.stream.next_batches()
    use_events_client(world, RefusingEvents(world.session.client("events"), {payments[0].payment_id: 1}), monkeypatch)
    # when the publisher handles the batch
    answer = world.publisher.lambda_handler(batch, LambdaContext())
    # then nothing is left to retry and each payment is announced once
    assert answer == {"batchItemFailures": []}
    queued = sorted(message["detail"]["paymentId"] for message in world.queued_events())
    assert queued == sorted(p.payment_id for p in payments)


def test_a_batch_whose_every_entry_is_refused_fails_the_invocation(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a batch whose only entry EventBridge keeps refusing
    payment = store_pending(world.repository, new_payment())
    settle_as_webhook(world.dynamodb, world.table, payment.payment_id, PaymentStatus.SUCCESS)
    (batch,) = world.stream.next_batches()
    use_events_client(world, RefusingEvents(world.session.client("events"), {payment.payment_id: 99}), monkeypatch)
    # when the publisher handles it, then the invocation fails (Lambda retries, bisects, then parks it)
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    with pytest.raises(BatchProcessingError):
        world.publisher.lambda_handler(batch, LambdaContext())
    assert world.queued_events() == []


def test_the_rule_delivers_only_payment_events(world: World) -> None:
    # given a payment event on the bus, and look-alikes from another source or of another detail-type
    events = world.session.client("events")
    detail = json.dumps({"paymentId": "x"})

    def entry(source: str, detail_type: str) -> dict[str, str]:
        return {"EventBusName": world.bus, "Source": source, "DetailType": detail_type, "Detail": detail}

    answer = events.put_events(
        Entries=[
            entry("someone.else", "Payment Succeeded"),
            entry("taramoney.payments", "Payment Refunded"),
            entry("taramoney.payments", "Payment Failed"),
        ]
    )
    assert answer["FailedEntryCount"] == 0
    # then only the payment event reaches the payment events queue
    (delivered,) = world.queued_events()
    assert (delivered["source"], delivered["detail-type"]) == ("taramoney.payments", "Payment Failed")


def test_the_sample_stream_batch_publishes_its_payment(world: World) -> None:
    # given the sample batch used with `sam local invoke -e`
    batch = load_event("event_publisher/payment_succeeded.json")
    # when the publisher handles it
    answer = world.publisher.lambda_handler(batch, LambdaContext())
    # then its payment is announced as succeeded
    assert answer == {"batchItemFailures": []}
    (message,) = world.queued_events()
    assert message["detail"]["eventId"] == "vq3Jc1YdM2xQ8nR5tW0bAg:SUCCESS"
    assert_valid_event(message)
