"""Create the template's stateful resources in an AWS endpoint (moto), and resolve intrinsics.

Each supported CloudFormation type has one creator that maps its properties onto the
API call AWS itself makes; compute (functions, APIs, URLs) is served by the local
runtime instead. Physical names are ``{stack}-{LogicalId}``, as CloudFormation makes them.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from .template import Template

ACCOUNT_ID = "123456789012"
_NO_VALUE: Any = object()  # what Ref AWS::NoValue resolves to: dropped from its list or mapping


@dataclass
class Stack:
    """What the created resources are called: enough to resolve ``Ref`` and ``Fn::GetAtt``."""

    name: str
    region: str
    parameters: dict[str, str]
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    conditions: dict[str, bool] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        """Evaluate Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select and the condition functions.

        ``Fn::If`` picks a branch by the stack's evaluated ``conditions``; ``AWS::NoValue``
        removes the list item or property it stands for, as CloudFormation does.
        """
        if isinstance(value, list):
            return [item for item in (self.resolve(item) for item in value) if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref":
                return self._ref(argument)
            if function == "Fn::If":
                condition, when_true, when_false = argument
                return self.resolve(when_true if self.conditions[condition] else when_false)
            if function == "Condition" and isinstance(argument, str):
                return self.conditions[argument]
            if function == "Fn::Equals":
                left, right = self.resolve(argument)
                return str(left) == str(right)
            if function == "Fn::Not":
                return not self.resolve(argument)[0]
            if function == "Fn::And":
                return all(self.resolve(argument))
            if function == "Fn::Or":
                return any(self.resolve(argument))
            if function == "Fn::GetAtt":
                name, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self.attributes[(name, attribute)]
            if function == "Fn::Sub":
                return self._sub(argument)
            if function == "Fn::Join":
                separator, items = argument
                return separator.join(str(item) for item in self.resolve(items))
            if function == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(self.resolve(index))]
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def _ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": self.name,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::Partition": "aws",
            "AWS::NoValue": _NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self.refs[name]

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {key: str(self.resolve(item)) for key, item in variables.items()}
        out, rest = "", text
        while "${" in rest:
            before, _, after = rest.partition("${")
            name, _, rest = after.partition("}")
            if name in values:
                out += before + values[name]
            elif "." in name:
                resource, attribute = name.split(".", 1)
                out += before + self.attributes[(resource, attribute)]
            else:
                out += before + str(self._ref(name))
        return out + rest

    def physical_name(self, logical_id: str) -> str:
        return f"{self.name}-{logical_id}"

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{resource}"


def default_parameters(template: Template, overrides: dict[str, str] | None = None) -> dict[str, str]:
    values = {name: str(spec.get("Default", "")) for name, spec in template.parameters.items()}
    values.update(overrides or {})
    return values


def _create_table(stack: Stack, logical_id: str, props: dict[str, Any], session: boto3.Session) -> None:
    client = session.client("dynamodb")
    name = stack.physical_name(logical_id)
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    if "GlobalSecondaryIndexes" in props:
        request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if "StreamSpecification" in props:
        request["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    if props.get("SSESpecification", {}).get("SSEEnabled"):
        request["SSESpecification"] = {"Enabled": True}
    description = client.create_table(**request)["TableDescription"]
    if "TimeToLiveSpecification" in props:
        client.update_time_to_live(TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"])
    stack.refs[logical_id] = name
    stack.attributes[(logical_id, "Arn")] = description["TableArn"]
    if "LatestStreamArn" in description:
        stack.attributes[(logical_id, "StreamArn")] = description["LatestStreamArn"]


_QUEUE_ATTRIBUTES = {
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "RedrivePolicy",
    "DelaySeconds",
    "SqsManagedSseEnabled",
}


def _queue_attribute(value: Any) -> str:
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _create_queue(stack: Stack, logical_id: str, props: dict[str, Any], session: boto3.Session) -> None:
    client = session.client("sqs")
    name = props.get("QueueName") or stack.physical_name(logical_id)
    attributes = {key: _queue_attribute(value) for key, value in props.items() if key in _QUEUE_ATTRIBUTES}
    url = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    stack.refs[logical_id] = url
    stack.attributes[(logical_id, "QueueName")] = name
    stack.attributes[(logical_id, "QueueUrl")] = url
    stack.attributes[(logical_id, "Arn")] = stack.arn("sqs", name)


def _create_secret(stack: Stack, logical_id: str, props: dict[str, Any], session: boto3.Session) -> None:
    """A secret as CloudFormation makes it, with its generated key drawn locally."""
    client = session.client("secretsmanager")
    generate = props.get("GenerateSecretString", {})
    value: Any = props.get("SecretString")
    if value is None:
        alphabet = string.ascii_letters + string.digits
        generated = "".join(secrets.choice(alphabet) for _ in range(int(generate.get("PasswordLength", 32))))
        if "SecretStringTemplate" in generate:
            document = json.loads(generate["SecretStringTemplate"])
            document[generate["GenerateStringKey"]] = generated
            value = json.dumps(document)
        else:
            value = generated
    arn = client.create_secret(Name=stack.physical_name(logical_id), SecretString=value)["ARN"]
    stack.refs[logical_id] = arn


def _create_queue_policy(stack: Stack, logical_id: str, props: dict[str, Any], session: boto3.Session) -> None:
    client = session.client("sqs")
    for queue_url in props["Queues"]:
        client.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(props["PolicyDocument"])})
    stack.refs[logical_id] = stack.physical_name(logical_id)


def _event_pattern(pattern: Any) -> str:
    return pattern if isinstance(pattern, str) else json.dumps(pattern)


def _create_event_bus(stack: Stack, logical_id: str, props: dict[str, Any], session: boto3.Session) -> None:
    name = props["Name"]
    arn = session.client("events").create_event_bus(Name=name)["EventBusArn"]
    stack.refs[logical_id] = name
    stack.attributes[(logical_id, "Name")] = name
    stack.attributes[(logical_id, "Arn")] = arn


def _create_rule(stack: Stack, logical_id: str, props: dict[str, Any], session: boto3.Session) -> None:
    """A rule and its targets as given (SQS targets' RetryPolicy and DeadLetterConfig are kept, not acted on)."""
    client = session.client("events")
    name = props.get("Name") or stack.physical_name(logical_id)
    bus = props.get("EventBusName", "default")
    request: dict[str, Any] = {"Name": name, "EventBusName": bus, "State": props.get("State", "ENABLED")}
    if "EventPattern" in props:
        request["EventPattern"] = _event_pattern(props["EventPattern"])
    if "Description" in props:
        request["Description"] = props["Description"]
    arn = client.put_rule(**request)["RuleArn"]
    if props.get("Targets"):
        client.put_targets(Rule=name, EventBusName=bus, Targets=props["Targets"])
    stack.refs[logical_id] = name if bus == "default" else f"{bus}|{name}"
    stack.attributes[(logical_id, "Arn")] = arn


def _create_archive(stack: Stack, logical_id: str, props: dict[str, Any], session: boto3.Session) -> None:
    name = props.get("ArchiveName") or stack.physical_name(logical_id)
    request: dict[str, Any] = {"ArchiveName": name, "EventSourceArn": props["SourceArn"]}
    if "EventPattern" in props:
        request["EventPattern"] = _event_pattern(props["EventPattern"])
    if "RetentionDays" in props:
        request["RetentionDays"] = int(props["RetentionDays"])
    arn = session.client("events").create_archive(**request)["ArchiveArn"]
    stack.refs[logical_id] = name
    stack.attributes[(logical_id, "Arn")] = arn


def _is_schedule(resource: dict[str, Any]) -> bool:
    return resource["Type"] == "AWS::Events::Rule" and "ScheduleExpression" in resource.get("Properties", {})


# Not created in moto, on purpose:
# - schedules (rules with a ScheduleExpression): their targets are functions, which the
#   local runtime runs on its own clock;
# - the resource types of NOT_EMULATED below.
CREATORS: dict[str, Callable[[Stack, str, dict[str, Any], boto3.Session], None]] = {
    "AWS::DynamoDB::Table": _create_table,
    "AWS::SQS::Queue": _create_queue,
    "AWS::SQS::QueuePolicy": _create_queue_policy,
    "AWS::SecretsManager::Secret": _create_secret,
    "AWS::Events::EventBus": _create_event_bus,
    "AWS::Events::Rule": _create_rule,
    "AWS::Events::Archive": _create_archive,
}

# What the local runtime stands in for itself (functions.py, event_sources.py, http_front.py).
SERVED_LOCALLY = frozenset(
    {
        "AWS::Lambda::Function",
        "AWS::Lambda::LayerVersion",
        "AWS::Lambda::Permission",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::Url",
        "AWS::Lambda::Version",  # AutoPublishAlias: locally, a version and its alias are the function
        "AWS::Lambda::Alias",
        "AWS::IAM::Role",
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Stage",
        "AWS::Scheduler::Schedule",
    }
)
# Left out of the local stack, each for its reason:
NOT_EMULATED = frozenset(
    {
        # moto has no schema registry; the tests read events/schemas/.
        "AWS::EventSchemas::Registry",
        "AWS::EventSchemas::Schema",
        # The merchant's API destination and its role: only with MerchantWebhookEndpoint
        # set, which the local stack leaves empty.
        "AWS::Events::Connection",
        "AWS::Events::ApiDestination",
        # Monitoring: the local functions send no CloudWatch metrics and log to the terminal,
        # so alarms, the dashboard and log groups would watch nothing (moto could hold them,
        # at a cost to every start). The alarm topic only exists with AlarmEmail set.
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::Dashboard",
        "AWS::Logs::LogGroup",
        "AWS::Logs::QueryDefinition",
        "AWS::SNS::Topic",
        "AWS::SNS::Subscription",
    }
)


def evaluate_conditions(template: Template, stack: Stack) -> dict[str, bool]:
    """The template's Conditions, evaluated against the stack's parameters (in dependency order)."""
    pending = dict(template.conditions)
    while pending:
        progressed = False
        for name, expression in list(pending.items()):
            try:
                stack.conditions[name] = bool(stack.resolve(expression))
            except KeyError:
                continue  # refers to a condition not evaluated yet
            del pending[name]
            progressed = True
        if not progressed:
            raise RuntimeError(f"cannot evaluate the conditions {sorted(pending)}")
    return stack.conditions


def create_resources(template: Template, stack: Stack, session: boto3.Session) -> Stack:
    """Create every resource of a supported type, dependencies first (Ref/GetAtt order).

    Resources whose ``Condition`` is false are left out, as CloudFormation leaves them out.
    A type that is neither created, served locally nor left out on purpose is an error:
    the local stack would silently differ from the template.
    """
    unknown = {res["Type"] for res in template.resources.values()} - CREATORS.keys() - SERVED_LOCALLY - NOT_EMULATED
    if unknown:
        raise RuntimeError(
            f"the local stack does not know what to do with {sorted(unknown)} (local_stack/resources.py)"
        )
    conditions = evaluate_conditions(template, stack)
    pending = {
        name: res
        for name, res in template.resources.items()
        if res["Type"] in CREATORS and conditions.get(res.get("Condition", ""), True) and not _is_schedule(res)
    }
    while pending:
        progressed = False
        for logical_id, resource in list(pending.items()):
            try:
                props = stack.resolve(resource.get("Properties", {}))
            except KeyError:
                continue  # depends on something not created yet
            CREATORS[resource["Type"]](stack, logical_id, props, session)
            del pending[logical_id]
            progressed = True
        if not progressed:
            raise RuntimeError(f"cannot resolve the dependencies of {sorted(pending)}")
    return stack


def name_local_compute(template: Template, stack: Stack, urls: dict[str, str] | None = None) -> None:
    """Give functions, layers, roles, APIs and URLs the names and attributes AWS would.

    They are served by the local runtime, not created in the endpoint; ``urls`` maps the
    logical id of an ``AWS::Lambda::Url`` or ``AWS::ApiGatewayV2::Api`` to its local address.
    """
    urls = urls or {}
    for logical_id, resource in template.resources.items():
        kind, name = resource["Type"], stack.physical_name(logical_id)
        if kind == "AWS::Lambda::Function":
            stack.refs[logical_id] = name
            stack.attributes[(logical_id, "Arn")] = stack.arn("lambda", f"function:{name}")
        elif kind == "AWS::Lambda::LayerVersion":
            stack.refs[logical_id] = stack.arn("lambda", f"layer:{name}:1")
        elif kind == "AWS::IAM::Role":
            stack.refs[logical_id] = name
            stack.attributes[(logical_id, "Arn")] = f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"
        elif kind == "AWS::Lambda::Url":
            stack.attributes[(logical_id, "FunctionUrl")] = urls.get(logical_id, f"https://{name}.lambda-url.local/")
        elif kind == "AWS::ApiGatewayV2::Api":
            api_id = local_api_id(logical_id)
            stack.refs[logical_id] = api_id
            stack.attributes[(logical_id, "ApiId")] = api_id
            stack.attributes[(logical_id, "ApiEndpoint")] = urls.get(logical_id, f"https://{api_id}.local")
        elif kind == "AWS::Scheduler::Schedule":
            stack.refs[logical_id] = name
            stack.attributes[(logical_id, "Arn")] = stack.arn("scheduler", f"schedule/default/{name}")
    # One version of each function runs locally ($LATEST): its published versions and aliases
    # (AutoPublishAlias) stand for the function itself.
    for logical_id, resource in template.resources.items():
        if resource["Type"] in ("AWS::Lambda::Version", "AWS::Lambda::Alias"):
            function = resource["Properties"]["FunctionName"]["Ref"]
            stack.refs[logical_id] = stack.attributes[(function, "Arn")]
            stack.attributes[(logical_id, "Version")] = "$LATEST"


def local_api_id(logical_id: str) -> str:
    """A stable, API Gateway-shaped id (10 lower-case characters) for an API of the template."""
    alphabet = string.ascii_lowercase + string.digits
    digest = hashlib.sha256(logical_id.encode()).digest()
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:10])
