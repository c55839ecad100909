"""Event publisher (payments table stream): announce each stored status change on the bus.

The event source mapping only delivers updates of payment items (FilterCriteria in
the template). The whole batch is published in one ``PutEvents`` call first; then
Powertools reports, record by record, the changes that are still unannounced, so
that Lambda delivers them again and never takes them for published.
"""

from __future__ import annotations

from typing import Any

from taramoney_payments.startup import collect_after_first_call

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord, DynamoDBStreamEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from taramoney_payments.observability import logger, metrics, tracer
from taramoney_payments.outbox import StoredChange
from taramoney_payments.services import payment_event_relay

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


class ChangeNotAnnounced(Exception):
    """The change's event could not be published; Lambda will deliver the record again."""


def stored_change(record: DynamoDBRecord) -> StoredChange:
    stream = record.dynamodb
    if stream is None or stream.sequence_number is None:
        raise ValueError(f"not a DynamoDB stream record: {record.event_id}")
    return StoredChange(change_id=stream.sequence_number, old_image=stream.old_image, new_image=stream.new_image)


@collect_after_first_call
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    logger.set_correlation_id(context.aws_request_id)
    changes = [stored_change(record) for record in DynamoDBStreamEvent(event).records]
    unannounced = payment_event_relay().relay(changes)

    def confirm_announced(record: DynamoDBRecord) -> None:
        if stored_change(record).change_id in unannounced:
            raise ChangeNotAnnounced(record.event_id)

    return process_partial_response(event=event, record_handler=confirm_announced, processor=processor, context=context)
