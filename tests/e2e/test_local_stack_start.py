"""What `make run` tells the developer while the stack starts, and when it answers."""

from __future__ import annotations

import re

import pytest

from local_stack.template import load_template
from tests.local_stack_session import RunningStack

pytestmark = pytest.mark.e2e


def test_the_stack_says_what_it_is_loading_then_how_long_it_took_to_be_ready(stack: RunningStack) -> None:
    log = stack.log_file.read_text()

    loading = re.search(r"loading (\d+) functions' handlers", log)
    ready = re.search(r"Local stack ready in (\d+\.\d) s \(Ctrl-C stops it\):", log)

    assert loading, log[:2000]
    assert ready, log[:2000]
    assert int(loading[1]) == len(load_template().of_type("AWS::Lambda::Function"))
    assert loading.start() < ready.start()
    assert float(ready[1]) > 0
