"""Announce the payment changes the event publisher gave up on (``EventPublisherFailuresAlarm``).

When the table's stream gives up on a batch (its retries or the records' age exhausted),
Lambda puts a message on ``EventPublisherFailuresQueue`` that names the shard and the range
of sequence numbers, not the records. This command reads every record of each range from the
stream (records stay there 24 hours after they were written), hands them to the deployed
publisher function ten at a time, as the event source mapping would, and deletes the message
once the function has announced every change. The range holds every write to the table, not
only the status changes the mapping's filter lets through: the publisher announces the status
changes among them and leaves the rest. A change announced before goes out again with its
``eventId``, which consumers deduplicate on.

    .venv/bin/python -m tools.republish_changes --stack taramoney-payments [--region eu-west-1]

A message whose changes could not all be announced stays on the queue (hidden for ten
minutes): the command says why, goes on with the others and exits with status 1.
"""

from __future__ import annotations

import argparse
import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

BATCH_SIZE = 10  # the event source mapping's BatchSize, and what one PutEvents call takes
HIDDEN_SECONDS = 600  # a message being handled, or kept, is not received again meanwhile
EMPTY_PAGES_LIMIT = 100  # pages without records before a range's end is taken as gone
EMPTY_PAGE_PAUSE_SECONDS = 0.2
Invoke = Callable[[dict[str, Any]], dict[str, Any]]
Say = Callable[[str], None]


class NotAnnounced(RuntimeError):
    """Some changes of a batch are still unannounced; its message stays on the queue."""


@dataclass(frozen=True)
class GivenUpBatch:
    """Where the records of one message of ``EventPublisherFailuresQueue`` are."""

    stream_arn: str
    shard_id: str
    first: str  # sequence numbers as the stream writes them; compared as the integers they are
    last: str

    @classmethod
    def from_message(cls, body: str) -> GivenUpBatch:
        try:
            info = json.loads(body)["DDBStreamBatchInfo"]
            batch = cls(info["streamArn"], info["shardId"], info["startSequenceNumber"], info["endSequenceNumber"])
            int(batch.first), int(batch.last)
        except (ValueError, TypeError, KeyError) as error:
            raise NotAnnounced(f"not a message of a stream batch given up on: {body[:200]!r}") from error
        return batch

    def __str__(self) -> str:
        return f"{self.shard_id} {self.first}..{self.last}"


def batch_records(streams: Any, batch: GivenUpBatch) -> list[dict[str, Any]]:
    """Every record of the batch's range, in order, shaped as Lambda delivers them."""
    try:
        iterator = streams.get_shard_iterator(
            StreamArn=batch.stream_arn,
            ShardId=batch.shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=batch.first,
        )["ShardIterator"]
    except streams.exceptions.TrimmedDataAccessException as error:
        raise NotAnnounced("the stream no longer holds these records (written over 24 hours ago)") from error
    records: list[dict[str, Any]] = []
    last, empty_pages = int(batch.last), 0
    while iterator:
        answer = streams.get_records(ShardIterator=iterator)
        for record in answer["Records"]:
            sequence = int(record["dynamodb"]["SequenceNumber"])
            if sequence > last:
                return records
            records.append(as_lambda_delivers(record, batch.stream_arn))
            if sequence == last:
                return records
        empty_pages = 0 if answer["Records"] else empty_pages + 1
        if empty_pages == EMPTY_PAGES_LIMIT:
            raise NotAnnounced(f"{EMPTY_PAGES_LIMIT} empty pages in a row before the range's last record")
        if empty_pages:
            time.sleep(EMPTY_PAGE_PAUSE_SECONDS)  # the publisher's own mapping reads this shard too
        iterator = answer.get("NextShardIterator")
    raise NotAnnounced(f"the shard closed before the range's last record ({len(records)} read)")


def republish(batch: GivenUpBatch, streams: Any, invoke: Invoke) -> int:
    """Hand the batch's records to the publisher, ten at a time; how many there were."""
    records = batch_records(streams, batch)
    for start in range(0, len(records), BATCH_SIZE):
        answer = invoke({"Records": records[start : start + BATCH_SIZE]})
        if answer != {"batchItemFailures": []}:
            raise NotAnnounced(f"the publisher answered {answer}")
    return len(records)


def drain(sqs: Any, queue_url: str, streams: Any, invoke: Invoke, say: Say) -> int:
    """Handle every message of the failures queue; 0 if all were announced and deleted, else 1."""
    announced = kept = 0
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=HIDDEN_SECONDS, WaitTimeSeconds=1
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            try:
                batch = GivenUpBatch.from_message(message["Body"])
                count = republish(batch, streams, invoke)
            except (NotAnnounced, ClientError, BotoCoreError) as reason:
                kept += 1
                say(f"kept message {message['MessageId']}: {reason}")
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            announced += 1
            say(f"announced {batch}: {count} records handed to the publisher")
    say(f"{announced} batches announced and deleted, {kept} kept on the queue")
    return 1 if kept else 0


def lambda_invoker(client: Any, function_name: str) -> Invoke:
    """Invoke the deployed function and return its answer; a function error is no answer."""

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        answer = client.invoke(FunctionName=function_name, Payload=as_payload(event))
        payload: dict[str, Any] = json.loads(answer["Payload"].read() or b"null") or {}
        if "FunctionError" in answer:
            raise NotAnnounced(f"the publisher failed: {payload.get('errorMessage', payload)}")
        return payload

    return invoke


def as_payload(event: dict[str, Any]) -> bytes:
    """The event as the function receives it: JSON, binary attributes in base64."""
    return json.dumps(event, default=_jsonable).encode()


def as_lambda_delivers(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A record as ``GetRecords`` answers it, shaped as the event source mapping delivers it."""
    stream = dict(record["dynamodb"])
    created = stream.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        stream["ApproximateCreationDateTime"] = float(int(created.timestamp()))
    region = stream_arn.split(":")[3]
    return {**record, "awsRegion": region, "eventVersion": "1.1", "dynamodb": stream, "eventSourceARN": stream_arn}


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):  # a binary attribute, base64 as Lambda delivers it
        return base64.b64encode(value).decode()
    if isinstance(value, set):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} in a stream record")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--stack", required=True, help="the payments stack's name")
    parser.add_argument("--region", help="its region (default: your AWS configuration's)")
    arguments = parser.parse_args(argv)
    session = boto3.Session(region_name=arguments.region)
    stack = session.client("cloudformation")

    def resource(logical_id: str) -> str:
        detail = stack.describe_stack_resource(StackName=arguments.stack, LogicalResourceId=logical_id)
        return str(detail["StackResourceDetail"]["PhysicalResourceId"])

    invoke = lambda_invoker(session.client("lambda"), resource("EventPublisherFunction"))
    return drain(
        session.client("sqs"), resource("EventPublisherFailuresQueue"), session.client("dynamodbstreams"), invoke, print
    )


if __name__ == "__main__":
    raise SystemExit(main())
