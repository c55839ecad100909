"""Load a function's handler the way Lambda does, and a Lambda context object for it."""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class LambdaContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:test-function"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/test-function"
    log_stream_name: str = "2026/11/28/[$LATEST]0123456789abcdef"
    function_version: str = "$LATEST"
    remaining_time_in_millis: int = 29_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_time_in_millis


def load_handler_module(function_dir: str) -> ModuleType:
    """Import ``functions/<function_dir>/app.py`` fresh, under a name of its own."""
    path = ROOT / "functions" / function_dir / "app.py"
    name = f"function_{function_dir}_app"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_event(relative_path: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((ROOT / "events" / relative_path).read_text())
    return event
