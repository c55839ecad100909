"""Every alarm of template.yaml has a runbook in docs/operations.md, and the README leads there."""

from __future__ import annotations

import re

import pytest

from local_stack.template import ROOT, load_template

OPERATIONS = ROOT / "docs" / "operations.md"
PARTS = ("**What it means**", "**First checks**", "**Recover**")


def runbooks() -> dict[str, str]:
    """The sections under ``## Runbooks``, by their ``### <alarm logical id>`` heading."""
    text = OPERATIONS.read_text().split("\n## Runbooks\n", 1)[1]
    sections = re.split(r"^### ", text, flags=re.MULTILINE)[1:]
    return {section.split("\n", 1)[0].strip(): section for section in sections}


@pytest.mark.parametrize("alarm", sorted(load_template().of_type("AWS::CloudWatch::Alarm")))
def test_every_alarm_has_a_runbook_that_says_what_it_means_what_to_check_and_how_to_recover(alarm: str) -> None:
    section = runbooks().get(alarm)
    assert section is not None, f"docs/operations.md has no '### {alarm}'"
    positions = [section.find(part) for part in PARTS]
    assert -1 not in positions, alarm
    assert positions == sorted(positions), alarm


def test_no_runbook_is_left_for_an_alarm_that_is_gone() -> None:
    assert set(runbooks()) == set(load_template().of_type("AWS::CloudWatch::Alarm"))


def test_the_readme_links_the_runbooks() -> None:
    assert "(docs/operations.md)" in (ROOT / "README.md").read_text()
