"""The command that announces what the event publisher gave up on: moto's stream and queue, the real publisher."""

from __future__ import annotations

import json
from typing import Any

from local_stack.resources import Stack
from taramoney_payments.models import PaymentStatus
from tests.dynamodb_stream import passes_filter
from tests.integration.payment_events_world import World
from tests.lambda_runtime import LambdaContext
from tests.payment_writes import new_payment, settle_as_webhook, store_pending
from tools.republish_changes import BATCH_SIZE, Invoke, as_payload, drain


def given_up(world: World, changes: list[dict[str, Any]]) -> str:
    """The message Lambda puts on the failures queue for a batch of these records: their range."""
    streams = world.session.client("dynamodbstreams")
    (shard,) = streams.describe_stream(StreamArn=world.stream.stream_arn)["StreamDescription"]["Shards"]
    return json.dumps(
        {
            "version": "1.0",
            "DDBStreamBatchInfo": {
                "shardId": shard["ShardId"],
                "startSequenceNumber": changes[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": changes[-1]["dynamodb"]["SequenceNumber"],
                "batchSize": len(changes),
                "streamArn": world.stream.stream_arn,
            },
        }
    )


def settled_among_other_writes(world: World, count: int) -> tuple[list[str], list[dict[str, Any]]]:
    """``count`` payments settled as SUCCESS, another payment stored after each; their ids, and the stream's records."""
    settled = []
    for _ in range(count):
        payment = store_pending(world.repository, new_payment())
        settle_as_webhook(world.dynamodb, world.table, payment.payment_id, PaymentStatus.SUCCESS)
        store_pending(world.repository, new_payment())
        settled.append(payment.payment_id)
    return settled, world.stream.new_records()


def run_command(world: World, failures: str, invoke: Invoke | None = None) -> tuple[int, list[str]]:
    """What the command returns and says; the publisher invoked as Lambda would invoke it, unless told."""

    def publisher(event: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = world.publisher.lambda_handler(json.loads(as_payload(event)), LambdaContext())
        return answer

    said: list[str] = []
    status = drain(world.sqs, failures, world.session.client("dynamodbstreams"), invoke or publisher, said.append)
    return status, said


def messages_left(world: World, queue_url: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = world.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return sum(int(attributes[name]) for name in names)


def test_every_change_of_a_given_up_range_is_announced_and_its_message_deleted(world: World, aws: Stack) -> None:
    # given settled payments whose records, on the stream, lie among the other writes to the table
    settled, records = settled_among_other_writes(world, 4)
    changes = [record for record in records if passes_filter(record)]
    assert len(changes) == 4
    assert len(records) > 2 * BATCH_SIZE  # so one page of ten records would not reach the last change
    # and the publisher gave up on those changes: Lambda's message names their range, not the records
    failures = aws.refs["EventPublisherFailuresQueue"]
    world.sqs.send_message(QueueUrl=failures, MessageBody=given_up(world, changes))

    # when the operator runs the command, the publisher invoked as Lambda would be
    status, said = run_command(world, failures)

    # then each payment is announced, once, and the message is gone
    assert status == 0
    events = world.queued_events()
    assert sorted(event["detail"]["eventId"] for event in events) == sorted(f"{p}:SUCCESS" for p in settled)
    assert messages_left(world, failures) == 0
    assert said[-1] == "1 batches announced and deleted, 0 kept on the queue"


def test_a_range_the_publisher_does_not_announce_stays_on_the_queue(world: World, aws: Stack) -> None:
    # given a given-up range, and a publisher that still reports a change unannounced
    _, records = settled_among_other_writes(world, 1)
    failures = aws.refs["EventPublisherFailuresQueue"]
    world.sqs.send_message(QueueUrl=failures, MessageBody=given_up(world, [r for r in records if passes_filter(r)]))

    # when the operator runs the command
    status, said = run_command(
        world,
        failures,
        lambda event: {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["dynamodb"]["SequenceNumber"]}]},
    )

    # then it says so, fails, and the message waits on the queue for another try
    assert status == 1
    assert said[0].startswith("kept message ")
    assert "the publisher answered" in said[0]
    assert messages_left(world, failures) == 1


def test_a_message_that_cannot_be_read_is_kept_and_the_others_are_handled(world: World, aws: Stack) -> None:
    # given a message that names no stream batch, before one that does
    settled, records = settled_among_other_writes(world, 1)
    failures = aws.refs["EventPublisherFailuresQueue"]
    world.sqs.send_message(QueueUrl=failures, MessageBody='{"note": "not from Lambda"}')
    world.sqs.send_message(QueueUrl=failures, MessageBody=given_up(world, [r for r in records if passes_filter(r)]))

    # when the operator runs the command
    status, said = run_command(world, failures)

    # then the readable one is announced and deleted, the other kept, and the command fails
    assert status == 1
    assert [event["detail"]["eventId"] for event in world.queued_events()] == [f"{settled[0]}:SUCCESS"]
    assert messages_left(world, failures) == 1
    assert said[-1] == "1 batches announced and deleted, 1 kept on the queue"
