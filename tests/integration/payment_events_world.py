"""The payment-events test stack seen from outside: the table, its stream, the publisher and the queue."""

from __future__ import annotations

import json
from typing import Any

import boto3

from local_stack.resources import Stack
from taramoney_payments.repository import PaymentRepository
from tests.conftest import REGION
from tests.dynamodb_stream import TableStream
from tests.lambda_runtime import LambdaContext


class World:
    """The test stack seen from outside: the table, its stream, the publisher and the queue."""

    def __init__(self, stack: Stack, publisher: Any) -> None:
        self.session = boto3.Session(region_name=REGION)
        self.dynamodb = self.session.client("dynamodb")
        self.sqs = self.session.client("sqs")
        self.table = stack.refs["PaymentsTable"]
        self.bus = stack.refs["PaymentEventBus"]
        self.queue_url = stack.refs["PaymentEventsQueue"]
        self.repository = PaymentRepository(self.dynamodb, self.table)
        self.stream = TableStream(self.session, self.table)
        self.publisher = publisher

    def deliver_stream(self) -> list[dict[str, Any]]:
        """Invoke the publisher with what the stream holds since last time; its answers."""
        return [self.publisher.lambda_handler(batch, LambdaContext()) for batch in self.stream.next_batches()]

    def queued_events(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while True:
            answer = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            batch = answer.get("Messages", [])
            if not batch:
                return messages
            for message in batch:
                messages.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
