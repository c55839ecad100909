"""What the webhook tests share: a PENDING payment to settle, deliveries from events/webhook, the table's view."""

from __future__ import annotations

import base64
import copy
import json
from datetime import timedelta
from typing import Any

import boto3

from taramoney_payments.clock import utc_now
from taramoney_payments.models import Payment, PaymentStatus
from taramoney_payments.repository import from_attributes, payment_key
from taramoney_payments.services import payment_repository, webhook_parking
from taramoney_payments.webhook_tokens import webhook_token
from tests.conftest import REGION, TEST_API_KEY, TEST_BUSINESS_ID, TEST_SIGNING_KEY
from tests.lambda_runtime import LambdaContext, load_event

# The payment the samples in events/webhook/ are addressed to, and the number it was paid from.
PAYMENT_ID = "q3Zr8YkE1v0bXy9LmN2pTw"
PHONE = "696717597"


def add_pending_payment(payment_id: str = PAYMENT_ID, phone_number: str = PHONE) -> Payment:
    now = utc_now()
    payment = Payment(
        payment_id=payment_id,
        status=PaymentStatus.PENDING,
        product_id="product-456",
        product_name="Nom du produit",
        product_price=100,
        phone_number=phone_number,
        vendor="ORANGE_CAMEROON",
        ussd_code="#150*50#",
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(minutes=15),
    )
    payment_repository().add_pending(payment, max_pending_per_phone=3)
    return payment


def webhook_event(
    sample: str,
    *,
    payment_id: str | None = None,
    path: str | None = None,
    method: str | None = None,
    body: str | bytes | None = None,
    payload_changes: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A function URL event from ``events/webhook/<sample>.json``, changed as a test needs."""
    event = copy.deepcopy(load_event(f"webhook/{sample}.json"))
    if payment_id is not None:
        path = f"/payments/{payment_id}/{webhook_token(payment_id, TEST_SIGNING_KEY)}"
    if path is not None:
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
    if method is not None:
        event["requestContext"]["http"]["method"] = method
    if payload_changes is not None:
        payload = json.loads(event["body"])
        payload.update(payload_changes)
        body = json.dumps({name: value for name, value in payload.items() if value is not None})
    if isinstance(body, bytes):
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    elif body is not None:
        event["body"] = body
    event["headers"].update(headers or {})
    return event


def deliver(webhook: Any, event: dict[str, Any], context: LambdaContext | None = None) -> tuple[int, dict[str, Any]]:
    answer = webhook.lambda_handler(event, context or LambdaContext())
    return answer["statusCode"], json.loads(answer["body"])


def stored_item(payment_id: str = PAYMENT_ID) -> dict[str, Any] | None:
    repository = payment_repository()
    item = repository._client.get_item(TableName=repository._table, Key=payment_key(payment_id), ConsistentRead=True)
    return from_attributes(item["Item"]) if "Item" in item else None


def force_status(status: PaymentStatus, payment_id: str = PAYMENT_ID, failure_reason: str | None = None) -> None:
    """Put a payment in a state as the expiry run or an earlier webhook would have left it."""
    repository = payment_repository()
    values: dict[str, Any] = {":status": {"S": status.value}}
    update = "SET #status = :status"
    if failure_reason:
        update += ", failureReason = :reason"
        values[":reason"] = {"S": failure_reason}
    if status is not PaymentStatus.PENDING:
        update += " REMOVE awaitingExpiry"
    repository._client.update_item(
        TableName=repository._table,
        Key=payment_key(payment_id),
        UpdateExpression=update,
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues=values,
    )


def set_shared_secret(secret_id: str, shared_secret: str) -> None:
    """The merchant configures a shared webhook secret in Taramoney's dashboard, and in our secret."""
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=secret_id,
        SecretString=json.dumps(
            {
                "apiKey": TEST_API_KEY,
                "businessId": TEST_BUSINESS_ID,
                "webhookSigningKey": TEST_SIGNING_KEY,
                "webhookSharedSecret": shared_secret,
            }
        ),
    )


def parked_messages(function_env: dict[str, str]) -> list[dict[str, Any]]:
    """The parked queue's messages, as the SQS event source would hand them to the function."""
    sqs = webhook_parking().client
    answer = sqs.receive_message(
        QueueUrl=function_env["PARKED_WEBHOOKS_QUEUE_URL"], MaxNumberOfMessages=10, AttributeNames=["All"]
    )
    template = load_event("parked_webhooks/parked_success.json")["Records"][0]
    return [
        {
            **template,
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
        }
        for message in answer.get("Messages", [])
    ]
