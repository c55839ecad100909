"""Each function's role grants what its code calls, on the resources it calls it on, and nothing more.

Read from ``template.yaml`` as CloudFormation sees it (SAM translated, as the local stack
does). A need names the environment variable the code finds its resource by, so a grant
on the wrong table or queue fails as surely as a missing one. moto does not enforce IAM:
this is the only place a missing permission shows before a deploy.
"""

from __future__ import annotations

from typing import Any

import pytest

from local_stack.template import Template, load_template

# (IAM action, the environment variable naming the resource, a suffix of the resource's ARN)
Need = tuple[str, str, str]

# What each function's code path calls (see the module named in each comment).
NEEDS: dict[str, set[Need]] = {
    "PaymentsApiFunction": {
        # repository: get / pending_payment_ids (GetItem), get_many (BatchGetItem), add_pending
        # (TransactWriteItems: a Put and an Update), record_order_accepted, mark_failed_at_initiation
        # and release_phone_slots (UpdateItem)
        ("dynamodb:GetItem", "PAYMENTS_TABLE_NAME", ""),
        ("dynamodb:BatchGetItem", "PAYMENTS_TABLE_NAME", ""),
        ("dynamodb:PutItem", "PAYMENTS_TABLE_NAME", ""),
        ("dynamodb:UpdateItem", "PAYMENTS_TABLE_NAME", ""),
        # idempotency (Powertools DynamoDBPersistenceLayer)
        ("dynamodb:GetItem", "IDEMPOTENCY_TABLE_NAME", ""),
        ("dynamodb:PutItem", "IDEMPOTENCY_TABLE_NAME", ""),
        ("dynamodb:UpdateItem", "IDEMPOTENCY_TABLE_NAME", ""),
        ("dynamodb:DeleteItem", "IDEMPOTENCY_TABLE_NAME", ""),
        # credentials
        ("secretsmanager:GetSecretValue", "TARAMONEY_SECRET_ID", ""),
    },
    "WebhookFunction": {
        # settlement: one conditional UpdateItem (ALL_OLD on failure replaces any read); append_delivery
        ("dynamodb:UpdateItem", "PAYMENTS_TABLE_NAME", ""),
        # webhook_receiver._already_held: a read only when settling and parking both failed
        ("dynamodb:GetItem", "PAYMENTS_TABLE_NAME", ""),
        # parking
        ("sqs:SendMessage", "PARKED_WEBHOOKS_QUEUE_URL", ""),
        # credentials: the signing key of the webhook addresses
        ("secretsmanager:GetSecretValue", "TARAMONEY_SECRET_ID", ""),
    },
    "ParkedWebhooksFunction": {
        # settlement, as the webhook
        ("dynamodb:UpdateItem", "PAYMENTS_TABLE_NAME", ""),
        # credentials: webhook_receiver.check_parked_caller, for webhooks parked unverified
        ("secretsmanager:GetSecretValue", "TARAMONEY_SECRET_ID", ""),
    },
    "EventPublisherFunction": {
        # publisher
        ("events:PutEvents", "EVENT_BUS_NAME", ""),
        # outbox: release_phone_slots
        ("dynamodb:UpdateItem", "PAYMENTS_TABLE_NAME", ""),
    },
    "PaymentExpiryFunction": {
        # repository.payment_ids_past_deadline
        ("dynamodb:Query", "PAYMENTS_TABLE_NAME", "/index/PendingByExpiry"),
        # expiry: get (before a status look-up), mark_expired and settle (UpdateItem)
        ("dynamodb:GetItem", "PAYMENTS_TABLE_NAME", ""),
        ("dynamodb:UpdateItem", "PAYMENTS_TABLE_NAME", ""),
        # reconciliation's credentials, only when a status endpoint is configured (HasStatusLookup)
        ("secretsmanager:GetSecretValue", "TARAMONEY_SECRET_ID", ""),
    },
}

# What Lambda itself does with the function's role, not its code: (action, resource) pairs.
PLATFORM_GRANTS: dict[str, set[tuple[str, str]]] = {
    # the stream's on-failure destination is written with the function's role
    "EventPublisherFunction": {("sqs:SendMessage", "EventPublisherFailuresQueue")},
}

# Actions no function of this service ever calls: a grant of one is a mistake.
NEVER: set[str] = {"dynamodb:Scan", "dynamodb:DeleteTable", "dynamodb:*", "sqs:*", "secretsmanager:*", "*"}


def _resource_name(value: Any) -> str:
    """A logical resource id (with any ARN suffix) from the intrinsic that names it."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            name, attribute = value["Fn::GetAtt"]
            assert attribute == "Arn", value
            return str(name)
        if "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
            template: str = value["Fn::Sub"]
            assert template.startswith("${"), value
            assert ".Arn}" in template, value
            name, _, suffix = template[2:].partition(".Arn}")
            return name + suffix
        if "Fn::If" in value:
            return _resource_name(value["Fn::If"][1])
    raise AssertionError(f"a resource the test cannot read: {value!r}")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _policies(role: dict[str, Any]) -> list[dict[str, Any]]:
    """The role's inline policies; a conditional one (``Fn::If``) counted as if its condition held."""
    policies = []
    for policy in role["Properties"].get("Policies", []):
        if "Fn::If" in policy:
            policy = policy["Fn::If"][1]
        policies.append(policy)
    return policies


def granted(template: Template, function: str) -> set[tuple[str, str]]:
    """(action, resource) pairs the function's role allows."""
    role_name = template.resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]
    pairs: set[tuple[str, str]] = set()
    for policy in _policies(template.resources[role_name]):
        for statement in _as_list(policy["PolicyDocument"]["Statement"]):
            assert statement["Effect"] == "Allow", statement
            assert not {"NotAction", "NotResource"} & set(statement), statement
            for action in _as_list(statement["Action"]):
                for resource in _as_list(statement["Resource"]):
                    pairs.add((action, _resource_name(resource)))
    return pairs


def needed(template: Template, function: str) -> set[tuple[str, str]]:
    variables = template.resources[function]["Properties"]["Environment"]["Variables"]
    pairs = set(PLATFORM_GRANTS.get(function, set()))
    for action, variable, suffix in NEEDS[function]:
        assert variable in variables, f"{function} has no {variable} to find its resource by"
        pairs.add((action, _resource_name(variables[variable]) + suffix))
    return pairs


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template()


def test_every_function_is_covered(template: Template) -> None:
    assert set(template.of_type("AWS::Lambda::Function")) == set(NEEDS)


@pytest.mark.parametrize("function", sorted(NEEDS))
def test_the_role_grants_what_the_code_calls_on_its_own_resources(template: Template, function: str) -> None:
    missing = needed(template, function) - granted(template, function)
    assert not missing, f"{function} would be refused {sorted(missing)}"


@pytest.mark.parametrize("function", sorted(NEEDS))
def test_the_role_grants_nothing_the_code_does_not_call(template: Template, function: str) -> None:
    extra = granted(template, function) - needed(template, function)
    assert not extra, f"{function} is granted more than it uses: {sorted(extra)}"
    assert not {action for action, _ in granted(template, function)} & NEVER


def test_the_webhook_can_neither_scan_nor_delete(template: Template) -> None:
    actions = {action for action, _ in granted(template, "WebhookFunction")}
    assert actions == {"dynamodb:UpdateItem", "dynamodb:GetItem", "sqs:SendMessage", "secretsmanager:GetSecretValue"}


def test_the_expiry_reads_the_secret_only_when_it_looks_up_statuses(template: Template) -> None:
    role = template.resources["PaymentExpiryFunctionRole"]["Properties"]
    conditional = [policy for policy in role["Policies"] if "Fn::If" in policy]
    assert [policy["Fn::If"][0] for policy in conditional] == ["HasStatusLookup"]
    statements = conditional[0]["Fn::If"][1]["PolicyDocument"]["Statement"]
    assert {action for statement in statements for action in _as_list(statement["Action"])} == {
        "secretsmanager:GetSecretValue"
    }
