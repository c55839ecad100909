"""AWS clients, created once per container and shared by every invocation."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Standard retry mode with a few attempts: long enough to ride out a throttle, short
# enough that a webhook can still park its payload before Taramoney gives up on us.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=2, read_timeout=5)


@cache
def aws_client(service: str) -> Any:
    return boto3.session.Session().client(service, config=_CONFIG)
