"""docs/costs.md is what docs/costs.py computes from the calls of a payment and the current template."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from local_stack.template import load_template
from tests.lambda_runtime import ROOT


def costs_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_costs", ROOT / "docs" / "costs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_committed_cost_table_is_current() -> None:
    script = costs_script()
    assert script.OUTPUT.read_text() == script.render(), "docs/costs.md is stale: run `make costs` and commit it"


def test_every_function_a_payment_invokes_is_priced_at_its_template_memory() -> None:
    script = costs_script()
    functions = load_template().of_type("AWS::Lambda::Function")
    table = script.OUTPUT.read_text()
    for call in script.INVOCATIONS:
        properties = functions[call.function]["Properties"]
        memory, architecture = properties["MemorySize"], properties["Architectures"][0]
        assert f"{call.function}: {call.count:g} x {call.milliseconds} ms at {memory} MB ({architecture})" in table
