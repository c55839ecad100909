"""Print each event that reaches a queue fed by an EventBridge rule, without taking it away.

Consumers (and the end-to-end tests) read those queues, and a receive, even with a zero
visibility timeout, counts towards the redrive policy. So the tap is another target on
the same rules, with the same input settings, feeding a queue of its own.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import boto3

from .resources import Stack
from .template import Template

TAP_TARGET_ID = "local-stack-event-tap"


def tap_rules(template: Template, stack: Stack) -> dict[str, str] | None:
    """Add the tap to every rule that targets a queue of the template: {tap queue url: queue names}."""
    queue_names = {
        stack.attributes[(logical_id, "Arn")]: logical_id
        for logical_id in template.of_type("AWS::SQS::Queue")
        if (logical_id, "Arn") in stack.attributes
    }
    events, sqs = boto3.client("events"), boto3.client("sqs")
    tap_url: str | None = None
    watched: list[str] = []
    for logical_id, resource in template.of_type("AWS::Events::Rule").items():
        props = stack.resolve(resource["Properties"])
        if "EventPattern" not in props:
            continue
        for target in props.get("Targets", []):
            if target.get("Arn") not in queue_names:
                continue
            if tap_url is None:
                tap_url = sqs.create_queue(QueueName=stack.physical_name("LocalEventTap"))["QueueUrl"]
            keys = {"Input", "InputPath", "InputTransformer"}
            tap = {"Id": TAP_TARGET_ID, "Arn": stack.arn("sqs", stack.physical_name("LocalEventTap"))}
            tap.update({key: value for key, value in target.items() if key in keys})
            name = props.get("Name") or stack.physical_name(logical_id)
            events.put_targets(Rule=name, EventBusName=props.get("EventBusName", "default"), Targets=[tap])
            watched.append(queue_names[target["Arn"]])
    return {tap_url: ", ".join(sorted(set(watched)))} if tap_url else None


class EventPrinter(threading.Thread):
    def __init__(self, tap_url: str, queues: str, printer: Callable[[str], None], stopping: threading.Event) -> None:
        super().__init__(name="event-tap", daemon=True)
        self._url = tap_url
        self._queues = queues
        self._print = printer
        self._stopping = stopping

    def run(self) -> None:
        sqs = boto3.client("sqs")
        while not self._stopping.is_set():
            try:
                messages = sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
                    "Messages", []
                )
            except Exception:
                if self._stopping.wait(1):
                    return
                continue
            for message in messages:
                self._print(self._describe(message["Body"]))
                sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])

    def _describe(self, body: str) -> str:
        try:
            event: Any = json.loads(body)
        except ValueError:
            return f"event -> {self._queues}: {body}"
        if isinstance(event, dict) and "detail-type" in event:
            detail = event.get("detail", {})
            summary = " ".join(
                f"{key}={detail[key]}" for key in ("paymentId", "status", "previousStatus") if key in detail
            )
            return f"event -> {self._queues}: {event['detail-type']} {summary}\n{json.dumps(event, indent=2)}"
        return f"event -> {self._queues}: {json.dumps(event)}"
