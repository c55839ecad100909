"""The local stack evaluates Conditions and Fn::If as CloudFormation does, so optional resources stay out."""

from __future__ import annotations

from typing import Any

from local_stack.resources import Stack, evaluate_conditions
from local_stack.template import Template


def template_with(conditions: dict[str, Any]) -> Template:
    return Template(resources={}, outputs={}, parameters={}, conditions=conditions)


def test_conditions_follow_the_parameters_and_each_other() -> None:
    stack = Stack("test", "eu-west-1", {"Endpoint": "", "Url": "https://x.example"})
    conditions = evaluate_conditions(
        template_with(
            {
                "Both": {"Fn::And": [{"Condition": "HasEndpoint"}, {"Condition": "HasUrl"}]},
                "HasEndpoint": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Endpoint"}, ""]}]},
                "HasUrl": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Url"}, ""]}]},
            }
        ),
        stack,
    )
    assert conditions == {"HasEndpoint": False, "HasUrl": True, "Both": False}


def test_a_false_branch_of_no_value_removes_the_list_item_and_the_property() -> None:
    stack = Stack("test", "eu-west-1", {}, conditions={"On": False})
    resolved = stack.resolve(
        {
            "Targets": [{"Id": "Queue"}, {"Fn::If": ["On", {"Id": "Webhook"}, {"Ref": "AWS::NoValue"}]}],
            "Secret": {"Fn::If": ["On", "arn:secret", {"Ref": "AWS::NoValue"}]},
            "Kept": {"Fn::If": ["On", "yes", "no"]},
        }
    )
    assert resolved == {"Targets": [{"Id": "Queue"}], "Kept": "no"}
