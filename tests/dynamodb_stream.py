"""The payments table's stream as Lambda delivers it to the event publisher.

Reads the records moto's DynamoDB Streams holds, shapes them as the Lambda event
source mapping does (``eventSourceARN``, epoch ``ApproximateCreationDateTime``),
keeps only those the mapping's ``FilterCriteria`` in ``template.yaml`` lets through,
and cuts them into batches of its ``BatchSize``.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from moto.events.models import EventPattern

from local_stack.template import load_template
from tools.republish_changes import as_lambda_delivers

MAPPING = "EventPublisherFunctionPaymentChanges"


def mapping_properties() -> dict[str, Any]:
    properties: dict[str, Any] = load_template().resources[MAPPING]["Properties"]
    return properties


def passes_filter(record: dict[str, Any]) -> bool:
    """True if one of the mapping's filters matches the record (Lambda's filtering rules)."""
    filters = mapping_properties().get("FilterCriteria", {}).get("Filters", [])
    patterns = [EventPattern(f["Pattern"], json.loads(f["Pattern"])) for f in filters]
    return not patterns or any(pattern.matches_event(record) for pattern in patterns)


class TableStream:
    """Reads a table's stream from its start, then only what was written since the last read."""

    def __init__(self, session: boto3.Session, table_name: str) -> None:
        self._client = session.client("dynamodbstreams")
        description = session.client("dynamodb").describe_table(TableName=table_name)["Table"]
        self.stream_arn: str = description["LatestStreamArn"]
        shards = self._client.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        self._iterators = [
            self._client.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            for shard in shards
        ]

    def new_records(self) -> list[dict[str, Any]]:
        """Every record written since the last call, shaped as Lambda delivers them, unfiltered."""
        records: list[dict[str, Any]] = []
        for index, iterator in enumerate(self._iterators):
            answer = self._client.get_records(ShardIterator=iterator)
            records += [as_lambda_delivers(record, self.stream_arn) for record in answer["Records"]]
            self._iterators[index] = answer["NextShardIterator"]
        return records

    def next_batches(self) -> list[dict[str, Any]]:
        """What the event source mapping would invoke the publisher with for the new records."""
        delivered = [record for record in self.new_records() if passes_filter(record)]
        size = int(mapping_properties().get("BatchSize", 100))
        return [{"Records": delivered[start : start + size]} for start in range(0, len(delivered), size)]
