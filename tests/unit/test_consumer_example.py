"""The consumer example of docs/events.md is SAM that translates, and its rule matches the events we publish."""

from __future__ import annotations

import json
import re
from typing import Any

from cfnlint.decode.cfn_yaml import loads
from samtranslator.translator.transform import transform

from tests.lambda_runtime import ROOT


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


def consumer_template() -> dict[str, Any]:
    text = (ROOT / "docs" / "events.md").read_text()
    snippet = re.search(r"```yaml\n(.*?)```", text, re.DOTALL)
    assert snippet is not None, "docs/events.md has no SAM example"
    resources = json.loads(json.dumps(loads(snippet.group(1))))  # CloudFormation YAML: !Ref and friends
    for resource in resources.values():  # SAM translates S3 code locations only
        resource.get("Properties", {}).update({"CodeUri": "s3://consumer-code/fulfil.zip"})
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Parameters": {"PaymentsEventBusName": {"Type": "String"}},
        "Resources": resources,
    }


def test_the_consumer_example_translates_to_a_rule_on_the_payments_bus() -> None:
    # given the example, in a stack of its own / when SAM translates it
    translated = transform(consumer_template(), {}, _NoManagedPolicies())
    # then it holds a rule on the payments bus for succeeded payments, with a dead-letter queue
    rules = [res for res in translated["Resources"].values() if res["Type"] == "AWS::Events::Rule"]
    (rule,) = rules
    assert rule["Properties"]["EventBusName"] == {"Ref": "PaymentsEventBusName"}
    assert rule["Properties"]["EventPattern"] == {
        "source": ["taramoney.payments"],
        "detail-type": ["Payment Succeeded"],
    }
    assert "DeadLetterConfig" in json.dumps(rule["Properties"]["Targets"])
