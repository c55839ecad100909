"""The alarms, the dashboard and the log groups of template.yaml watch what the code really emits."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from typing import Any

import pytest
from cfnlint.decode import decode

from local_stack.template import TEMPLATE
from taramoney_payments.observability import METRICS_NAMESPACE, SERVICE, PaymentMetric

ALARM_ACTIONS = {"Fn::If": ["HasAlarmEmail", [{"Ref": "AlarmTopic"}], {"Ref": "AWS::NoValue"}]}


@cache
def template() -> dict[str, Any]:
    decoded, problems = decode(str(TEMPLATE))
    assert not problems
    document: dict[str, Any] = json.loads(json.dumps(decoded))
    return document


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template()["Resources"].items() if res["Type"] == kind}


def alarm_metrics(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """Every metric an alarm reads: its own, or those of its metric math."""
    props = alarm["Properties"]
    if "MetricName" in props:
        return [{"Namespace": props["Namespace"], "MetricName": props["MetricName"], "Dimensions": props["Dimensions"]}]
    return [query["MetricStat"]["Metric"] for query in props["Metrics"] if "MetricStat" in query]


def dashboard_body() -> dict[str, Any]:
    """The dashboard's JSON, with every ${...} of its Fn::Sub replaced by a placeholder."""
    (dashboard,) = resources("AWS::CloudWatch::Dashboard").values()
    text = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    body: dict[str, Any] = json.loads(re.sub(r"\$\{([^}!]+)\}", r"<\1>", text))
    return body


def substitutions() -> set[str]:
    (dashboard,) = resources("AWS::CloudWatch::Dashboard").values()
    return set(re.findall(r"\$\{([^}!]+)\}", dashboard["Properties"]["DashboardBody"]["Fn::Sub"]))


def test_every_alarm_tells_the_alarm_topic_when_there_is_one() -> None:
    alarms = resources("AWS::CloudWatch::Alarm")
    assert len(alarms) >= 15
    for name, alarm in alarms.items():
        assert alarm["Properties"].get("AlarmActions") == ALARM_ACTIONS, name
        assert alarm["Properties"].get("OKActions") == ALARM_ACTIONS, name
    (topic,) = resources("AWS::SNS::Topic").values()
    assert topic["Condition"] == "HasAlarmEmail"
    (subscription,) = resources("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert template()["Parameters"]["AlarmEmail"]["Default"] == ""


def test_the_services_metrics_in_alarms_are_metrics_the_code_emits() -> None:
    emitted = {metric.value for metric in PaymentMetric}
    watched = [
        metric
        for alarm in resources("AWS::CloudWatch::Alarm").values()
        for metric in alarm_metrics(alarm)
        if metric["Namespace"] == METRICS_NAMESPACE
    ]
    assert watched
    for metric in watched:
        assert metric["MetricName"] in emitted
        # the service-wide total that ``count`` always sends
        assert metric["Dimensions"] == [{"Name": "service", "Value": SERVICE}]


def test_every_dead_letter_queue_and_the_parking_queue_have_an_alarm() -> None:
    queues = resources("AWS::SQS::Queue")
    dead_letter = {
        queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for queue in queues.values()
        if "RedrivePolicy" in queue["Properties"]
    }
    for rule in resources("AWS::Events::Rule").values():
        for target in rule["Properties"].get("Targets", []):
            config = target.get("DeadLetterConfig") or target.get("Fn::If", [None, {}])[1].get("DeadLetterConfig")
            if config:
                dead_letter.add(config["Arn"]["Fn::GetAtt"][0])
    for function in resources("AWS::Serverless::Function").values():
        for event in function["Properties"].get("Events", {}).values():
            destination = event["Properties"].get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            if destination:
                dead_letter.add(destination["Fn::GetAtt"][0])
    watched = {
        metric["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in resources("AWS::CloudWatch::Alarm").values()
        for metric in alarm_metrics(alarm)
        if metric["Namespace"] == "AWS/SQS"
    }
    assert len(dead_letter) == 4
    assert dead_letter | {"ParkedWebhooksQueue"} <= watched


def test_every_function_has_an_errors_and_throttles_alarm() -> None:
    watched: dict[str, set[str]] = {}
    for alarm in resources("AWS::CloudWatch::Alarm").values():
        for metric in alarm_metrics(alarm):
            if metric["Namespace"] == "AWS/Lambda":
                function = metric["Dimensions"][0]["Value"]["Ref"]
                watched.setdefault(function, set()).add(metric["MetricName"])
    for function in resources("AWS::Serverless::Function"):
        assert {"Errors", "Throttles"} <= watched.get(function, set()), function


def function_log_groups() -> set[str]:
    functions = resources("AWS::Serverless::Function").values()
    return {function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for function in functions}


def access_log_group() -> str:
    """The logical id of the access log's group, which its destination names by ARN."""
    arn: str = access_log_settings()["DestinationArn"]["Fn::Sub"]
    (group,) = re.findall(r"\$\{(\w+)\}$", arn)
    return group


def access_log_settings() -> dict[str, Any]:
    (api,) = resources("AWS::Serverless::HttpApi").values()
    settings: dict[str, Any] = api["Properties"]["AccessLogSettings"]
    return settings


def test_every_function_logs_to_its_own_log_group_and_the_api_to_its_access_log() -> None:
    groups = resources("AWS::Logs::LogGroup")
    assert len(function_log_groups()) == len(resources("AWS::Serverless::Function"))
    assert sorted([*function_log_groups(), access_log_group()]) == sorted(groups)
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    retention = template()["Parameters"]["LogRetentionDays"]
    assert retention["Default"] in retention["AllowedValues"]


def test_the_api_access_log_is_named_under_the_prefix_its_delivery_policy_covers_at_once() -> None:
    # API Gateway delivers it through the account's CloudWatch Logs resource policy (5,120
    # characters); a group under /aws/vendedlogs/ takes no entry of its own there, so one
    # more stack in the account and region cannot be the one that fails to deploy.
    name = resources("AWS::Logs::LogGroup")[access_log_group()]["Properties"]["LogGroupName"]["Fn::Sub"]
    assert name.startswith("/aws/vendedlogs/")
    assert "${AWS::StackName}" in name


def test_the_api_access_log_destination_is_its_group_arn_whose_last_field_is_the_group_name() -> None:
    # sam logs (make logs) reads the group's name as the destination ARN's last field: the
    # group's Arn attribute would end in ":*" and name no group
    arn = access_log_settings()["DestinationArn"]["Fn::Sub"]
    assert arn.startswith("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${")
    assert arn.split(":")[-1] == "${" + access_log_group() + "}"  # Ref of a log group: its name


def test_the_api_access_log_is_a_json_line_of_what_api_gateway_knows_joining_the_functions_logs() -> None:
    # given the access log format, each $context variable replaced by a value as API Gateway writes it
    variables = set(re.findall(r"\$context\.[a-zA-Z.]+", access_log_settings()["Format"]))
    quoted_by_api_gateway = {"$context.error.messageString": '"not found"', "$context.status": "429"}
    line = re.sub(
        r"\$context\.[a-zA-Z.]+",
        lambda variable: quoted_by_api_gateway.get(variable[0], "sample"),
        access_log_settings()["Format"],
    )

    # then each request is one JSON object with what a runbook reads
    record = json.loads(line)
    assert {"requestId", "routeKey", "status", "error", "integrationError", "integrationLatency"} <= set(record)
    assert record["status"] == 429
    assert "$context.requestId" in variables  # the correlation_id of the functions' lines
    # and nothing the caller wrote, which API Gateway does not escape and may hold a phone number
    caller_written = ("path", "body", "query", "userAgent", "header")
    assert not {variable for variable in variables if any(part in variable for part in caller_written)}


def test_the_saved_log_queries_read_the_log_groups_they_are_for() -> None:
    # each reads every function's log group (a payment's path crosses them all), or the access log
    read = Counter(
        frozenset(group["Ref"] for group in query["Properties"]["LogGroupNames"])
        for query in resources("AWS::Logs::QueryDefinition").values()
    )
    assert set(read) == {frozenset(function_log_groups()), frozenset({access_log_group()})}
    assert read[frozenset(function_log_groups())] >= 2


def test_the_dashboard_is_json_naming_resources_of_the_template() -> None:
    body = dashboard_body()
    names = set(template()["Resources"])
    for substitution in substitutions():
        assert substitution.startswith("AWS::") or substitution.split(".")[0] in names, substitution
    (alarm_widget,) = [widget for widget in body["widgets"] if widget["type"] == "alarm"]
    shown = {arn.strip("<>").removesuffix(".Arn") for arn in alarm_widget["properties"]["alarms"]}
    assert shown == set(resources("AWS::CloudWatch::Alarm"))


@pytest.mark.parametrize(
    "metric",
    [
        PaymentMetric.PAYMENTS_INITIATED,
        PaymentMetric.PAYMENTS_SUCCEEDED,
        PaymentMetric.PAYMENTS_FAILED,
        PaymentMetric.PAYMENTS_EXPIRED,
        PaymentMetric.PROVIDER_REJECTIONS,
        PaymentMetric.WEBHOOKS_APPLIED,
        PaymentMetric.WEBHOOKS_REJECTED,
        PaymentMetric.EVENTS_PUBLISHED,
        PaymentMetric.EVENTS_FAILED,
    ],
)
def test_the_dashboard_shows_the_funnel_and_the_outcomes(metric: PaymentMetric) -> None:
    shown = [
        row
        for widget in dashboard_body()["widgets"]
        for row in widget["properties"].get("metrics", [])
        if isinstance(row, list) and row[:2] == [METRICS_NAMESPACE, metric.value]
    ]
    assert shown, metric
    assert all(row[2:4] == ["service", SERVICE] for row in shown)


def test_every_metric_on_the_dashboard_is_one_the_code_emits() -> None:
    emitted = {metric.value for metric in PaymentMetric}
    for widget in dashboard_body()["widgets"]:
        for row in widget["properties"].get("metrics", []):
            if isinstance(row, list) and row[0] == METRICS_NAMESPACE:
                assert row[1] in emitted
            elif isinstance(row, dict):
                for name in re.findall(r'MetricName="(\w+)"', row["expression"]):
                    assert name in emitted
