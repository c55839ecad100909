"""What the template promises about data at rest and wildcard grants, read from the translated template.

Per-function least privilege (actions and resources) is tests/unit/test_function_permissions.py;
this file covers what holds across the stack:
- every DynamoDB table, SQS queue and SNS topic is encrypted at rest. Tables use
  ``SSESpecification.SSEEnabled`` (the AWS managed KMS key), queues SSE-SQS
  (``SqsManagedSseEnabled``) or a KMS key. The event bus and its archive have no switch to
  turn on: EventBridge encrypts both with an AWS owned key unless ``KmsKeyIdentifier``
  names a customer managed key, which this stack does not (a key per stack costs, and its
  key policy would have to admit EventBridge and every consumer);
- no inline policy grants ``Resource: "*"``: every resource this service touches has a name;
- the only AWS managed policies are the ones SAM attaches itself, each accepted below
  with the reason its wildcard cannot be narrowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from local_stack.http_front import Cors
from local_stack.template import TEMPLATE, Template, load_template

# Managed policies SAM attaches, and why their "Resource": "*" is accepted.
ACCEPTED_MANAGED_POLICIES = {
    # logs:CreateLogGroup/CreateLogStream/PutLogEvents: SAM's basic execution role for every function
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    # Tracing: Active; X-Ray's PutTraceSegments has no resource-level permissions at all
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    # the SQS event source's poller (ParkedWebhooksFunction): Receive/Delete/GetQueueAttributes
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
    # the DynamoDB stream's poller (EventPublisherFunction): GetRecords/GetShardIterator/DescribeStream/ListStreams
    "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
}


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template()


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    statements = []
    for policy in role["Properties"].get("Policies", []):
        for variant in policy["Fn::If"][1:] if "Fn::If" in policy else [policy]:
            if isinstance(variant, dict) and "PolicyDocument" in variant:
                statements += _as_list(variant["PolicyDocument"]["Statement"])
    return statements


def test_every_table_is_encrypted_at_rest(template: Template) -> None:
    tables = template.of_type("AWS::DynamoDB::Table")
    assert len(tables) >= 2
    for name, table in tables.items():
        assert table["Properties"].get("SSESpecification", {}).get("SSEEnabled") is True, name


def test_every_queue_is_encrypted_at_rest(template: Template) -> None:
    queues = template.of_type("AWS::SQS::Queue")
    assert len(queues) >= 6
    for name, queue in queues.items():
        properties = queue["Properties"]
        assert properties.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in properties, name


def test_the_event_bus_is_archived_and_never_sent_to_a_plain_text_key(template: Template) -> None:
    archives = template.of_type("AWS::Events::Archive")
    buses = template.of_type("AWS::Events::EventBus")
    assert archives, "past payment events could not be replayed"
    for name, archive in archives.items():
        source = archive["Properties"]["SourceArn"]
        assert source == {"Fn::GetAtt": [next(iter(buses)), "Arn"]}, name
        # EventBridge encrypts archives with an AWS owned key; a customer key, if ever set, must be the bus's too
        bus_key = buses[source["Fn::GetAtt"][0]]["Properties"].get("KmsKeyIdentifier")
        assert archive["Properties"].get("KmsKeyIdentifier") == bus_key, name


def test_no_inline_policy_grants_a_wildcard_resource(template: Template) -> None:
    roles = template.of_type("AWS::IAM::Role")
    assert roles
    for name, role in roles.items():
        for statement in _statements(role):
            for resource in _as_list(statement.get("Resource", [])):
                assert resource != "*", (name, statement.get("Sid"), statement["Action"])
                if isinstance(resource, str):
                    assert not resource.endswith(":*"), (name, resource)
            for action in _as_list(statement["Action"]):
                assert not action.endswith("*"), (name, action)


def test_the_only_managed_policies_are_sams_own(template: Template) -> None:
    for name, role in template.of_type("AWS::IAM::Role").items():
        managed = set(role["Properties"].get("ManagedPolicyArns", []))
        strings = {arn for arn in managed if isinstance(arn, str)}
        assert managed == strings, f"{name} attaches a managed policy this test cannot read: {managed - strings}"
        assert strings <= ACCEPTED_MANAGED_POLICIES, (name, strings - ACCEPTED_MANAGED_POLICIES)


def test_the_public_webhook_cannot_take_the_accounts_concurrency(template: Template) -> None:
    # Forgeries are refused before any DynamoDB call (tests/integration/test_webhook.py), and at most
    # this many run at once: a flood is throttled (429 from the function URL) instead of starving the API.
    webhook = template.resources["WebhookFunction"]["Properties"]
    assert 1 <= int(webhook["ReservedConcurrentExecutions"]) <= 50


def test_the_api_allows_only_the_configured_origins(tmp_path: Path) -> None:
    # given a deployment that names its shop's origins (SAM resolves the parameter when it translates)
    origins = ["https://shop.example.cm", "https://pay.example.cm"]
    text = TEMPLATE.read_text().replace(
        'Type: CommaDelimitedList\n    Default: "*"', f'Type: CommaDelimitedList\n    Default: "{",".join(origins)}"'
    )
    assert text != TEMPLATE.read_text(), "AllowedOrigins is no longer declared as this test expects"
    (tmp_path / "template.yaml").write_text(text)
    # when
    (api,) = load_template(tmp_path / "template.yaml").of_type("AWS::ApiGatewayV2::Api").values()
    cors = api["Properties"]["Body"]["x-amazon-apigateway-cors"]
    mirror = Cors.from_config(cors, origins_override=None)  # the local stack's reading of API Gateway's CORS
    # then the HTTP API answers CORS for those origins only, without credentials
    assert mirror is not None
    assert mirror.allow_origins == tuple(origins)
    assert not mirror.allow_credentials
    assert sorted(mirror.allow_methods) == ["GET", "OPTIONS", "POST"]
    # and refuses any other origin
    assert mirror.preflight_headers("https://pay.example.cm")["access-control-allow-origin"] == "https://pay.example.cm"
    assert mirror.preflight_headers("https://evil.example") == {}
    assert mirror.response_headers("https://evil.example") == {}
