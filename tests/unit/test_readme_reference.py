"""The README's configuration reference names every template parameter and every variable of the local stack."""

from __future__ import annotations

import re
import tomllib

import pytest

from local_stack import runner
from local_stack.template import load_template
from tests.lambda_runtime import ROOT

README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    """The README's text under the heading ``title``, up to the next heading of its level or above."""
    lines = README.splitlines()
    heading = next((i for i, line in enumerate(lines) if re.fullmatch(rf"#+ {re.escape(title)}", line)), None)
    assert heading is not None, f"README has no section {title!r}"
    level = len(lines[heading]) - len(lines[heading].lstrip("#"))
    body = []
    for line in lines[heading + 1 :]:
        marks = len(line) - len(line.lstrip("#"))
        if 0 < marks <= level and line[marks:].startswith(" "):
            break
        body.append(line)
    return "\n".join(body)


def local_stack_variables() -> set[str]:
    source = (ROOT / "local_stack" / "runner.py").read_text()
    return set(re.findall(r'_env\("([A-Z0-9_]+)"', source)) | set(runner.FUNCTION_OVERRIDES)


@pytest.mark.parametrize("name", sorted(load_template().parameters))
def test_every_template_parameter_is_in_the_configuration_reference(name: str) -> None:
    assert f"`{name}`" in section("Template parameters"), f"add {name} to the README's Template parameters table"


@pytest.mark.parametrize("name", sorted(local_stack_variables()))
def test_every_local_stack_variable_is_in_the_configuration_reference(name: str) -> None:
    reference = section("Local stack environment variables")
    assert f"`{name}`" in reference, f"add {name} to the README's Local stack environment variables table"


def test_the_variables_are_found_in_the_code() -> None:
    # the scan above must see the SPEC's overrides, or it proves nothing
    assert {"TARAMONEY_API_URL", "LOCAL_API_PORT", "PUBLIC_WEBHOOK_URL", "PAYMENT_TIMEOUT_SECONDS"} <= (
        local_stack_variables()
    )


def test_every_stage_of_samconfig_sets_only_parameters_the_template_has() -> None:
    stages = tomllib.loads((ROOT / "samconfig.toml").read_text())
    known = set(load_template().parameters)
    for stage, commands in stages.items():
        if not isinstance(commands, dict):
            continue
        overrides = commands.get("deploy", {}).get("parameters", {}).get("parameter_overrides", "")
        names = set(re.findall(r"(\w+)=", overrides))
        assert names <= known, f"samconfig.toml [{stage}] sets unknown parameters {sorted(names - known)}"
    assert {"default", "staging", "prod"} <= set(stages)
