"""AWS clients, created once per container and shared by every invocation.

Every client comes from one boto3 session: the endpoint rules, partitions and loaders
a session reads are read once, not once per client (a second session costs a cold
start tens of milliseconds). Clients are made on first use, in the invocation that
needs them, and kept for the life of the container.

The session's model loader knows only the services the stack calls (``CALLED_SERVICES``).
botocore's own loader checks a service's name by listing every service it has a model
for: about 440 folders, walked once for the service's API and once for its endpoint
rules, 14 to 24 ms of every cold start (measured in paired fresh processes). A client for
any other service is refused (``UnknownServiceError``): name the service here first. It
searches the folders botocore's own would, those of ``AWS_DATA_PATH`` first.

It reads each model into plain dicts. botocore's own file loader builds ``OrderedDict``s, a
habit from before dicts kept their order (Python 3.7): the same data, parsed in under half
the time. The largest file a client reads is the table of every region's endpoints
(``endpoints.json``, 1.25 MB); making the first two clients takes 18 to 25 ms less.
"""

from __future__ import annotations

import gzip
import json
import os
from functools import cache
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError
from botocore.loaders import JSONFileLoader, Loader, create_loader

from . import snapstart  # noqa: F401 - registers the after-restore reseed in every function
from .invocation import ANSWER_SECONDS, seconds_left


def _worst_call_seconds(attempts: int, connect_seconds: float, read_seconds: float) -> float:
    """Every try timing out connecting and reading, and standard mode's back-offs at their
    longest (after throttles: at most 1 s, then 2 s, then 4 s)."""
    return attempts * (connect_seconds + read_seconds) + 2.0 ** (attempts - 1) - 1


# Standard retry mode with a few attempts: long enough to ride out a throttle, for the
# functions no one waits on (their event source or schedule retries what still fails). A
# call gives up within their 30 s, so a hung one ends in an error, not a timeout.
# No client-side parameter validation: AWS validates every request anyway, and walking
# each payment item against the service model was the largest part of a warm invocation.
# ("total_max_attempts" counts the first try; botocore's "max_attempts" would count retries only.)
_ATTEMPTS, _CONNECT_SECONDS, _READ_SECONDS = 4, 1, 3
_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": _ATTEMPTS},
    connect_timeout=_CONNECT_SECONDS,
    read_timeout=_READ_SECONDS,
    parameter_validation=False,
)
PATIENT_CALL_SECONDS = _worst_call_seconds(_ATTEMPTS, _CONNECT_SECONDS, _READ_SECONDS)


CALLED_SERVICES = ("dynamodb", "events", "secretsmanager", "sqs")


class _CalledServicesLoader(Loader):  # type: ignore[misc]  # botocore has no type hints: Loader is Any
    """botocore's model loader, told which services there are instead of listing its data folder."""

    def list_available_services(self, type_name: str) -> list[str]:
        return list(CALLED_SERVICES)


class _ModelFileLoader(JSONFileLoader):  # type: ignore[misc]  # botocore has no type hints: JSONFileLoader is Any
    """botocore's model file loader (``name.json``, else ``name.json.gz``), reading into plain dicts."""

    def load_file(self, file_path: str) -> Any:
        for extension, open_file in ((".json", open), (".json.gz", gzip.open)):
            path = file_path + extension
            if os.path.isfile(path):
                with open_file(path, "rb") as model:
                    return json.loads(model.read())
        return None


@cache
def _session() -> boto3.session.Session:
    core = botocore.session.get_session()
    folders = create_loader(core.get_config_variable("data_path")).search_paths  # botocore's own
    loader = _CalledServicesLoader(
        extra_search_paths=folders, include_default_search_paths=False, file_loader=_ModelFileLoader()
    )
    core.register_component("data_loader", loader)
    return boto3.session.Session(botocore_session=core)


@cache
def aws_client(service: str) -> Any:
    return _session().client(service, config=_CONFIG)


# The budget of the functions someone waits on: a DynamoDB call that hangs must still leave
# the payments API time to answer 503 (its client may retry) and the webhook time to park the
# payload on SQS, inside the function's timeout. The patient budget above (23 s) would leave
# the API's 29 s no room for Taramoney. Three tries ride out a short throttle.
_FAIL_FAST_ATTEMPTS, _FAIL_FAST_CONNECT_SECONDS, _FAIL_FAST_READ_SECONDS = 3, 1, 2
_FAIL_FAST_CONFIG = _CONFIG.merge(
    Config(
        retries={"mode": "standard", "total_max_attempts": _FAIL_FAST_ATTEMPTS},
        connect_timeout=_FAIL_FAST_CONNECT_SECONDS,
        read_timeout=_FAIL_FAST_READ_SECONDS,
    )
)
FAIL_FAST_CALL_SECONDS = _worst_call_seconds(_FAIL_FAST_ATTEMPTS, _FAIL_FAST_CONNECT_SECONDS, _FAIL_FAST_READ_SECONDS)


@cache
def fail_fast_aws_client(service: str) -> Any:
    """A client for the payments API and the webhook, where giving up early beats a timeout that answers nothing."""
    client = _session().client(service, config=_FAIL_FAST_CONFIG)
    client.meta.events.register_first("before-send", _refuse_a_try_the_invocation_cannot_wait_for)
    return client


class NoTimeToWait(BotoCoreError):  # type: ignore[misc]  # botocore has no type hints: BotoCoreError is Any
    """An AWS call not tried: the invocation would end before the try could time out."""

    fmt = "Not tried: {seconds_left:.1f} s left in this invocation, and a try may take {try_seconds} s"


# A fail-fast try's worst: its connect and read timeouts.
FAIL_FAST_TRY_SECONDS = _FAIL_FAST_CONNECT_SECONDS + _FAIL_FAST_READ_SECONDS


def _refuse_a_try_the_invocation_cannot_wait_for(**_: Any) -> None:
    """Where a function set its deadline (``invocation.answer_within``): the payments API.

    There an answer is worth more than one more try: after a slow Taramoney and a silent
    DynamoDB, the order's best-effort writes are given up on and the customer still gets the
    USSD code, instead of a timeout that answers nothing. The webhook sets none: there, a try
    that may still land beats giving up on parking a payload.
    """
    left = seconds_left()
    if left < FAIL_FAST_TRY_SECONDS + ANSWER_SECONDS:
        raise NoTimeToWait(seconds_left=left, try_seconds=FAIL_FAST_TRY_SECONDS)
