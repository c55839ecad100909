"""The local stack knows every resource type of the template: created in moto, served locally, or left out."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from local_stack.resources import CREATORS, NOT_EMULATED, SERVED_LOCALLY, Stack, create_resources
from local_stack.template import Template, load_template


def test_every_type_of_the_template_has_a_local_answer() -> None:
    types = {resource["Type"] for resource in load_template().resources.values()}
    assert types <= CREATORS.keys() | SERVED_LOCALLY | NOT_EMULATED
    # the monitoring of template.yaml is there, and left out on purpose
    assert {"AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard", "AWS::Logs::LogGroup"} <= types & NOT_EMULATED


def test_a_type_nobody_decided_on_stops_the_local_stack() -> None:
    template = Template(
        resources={"Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {}}},
        outputs={},
        parameters={},
    )
    with mock_aws(), pytest.raises(RuntimeError, match="StepFunctions"):
        create_resources(template, Stack("test", "eu-west-1", {}), boto3.Session(region_name="eu-west-1"))
