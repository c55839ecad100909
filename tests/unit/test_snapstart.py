"""SnapStart (EnableSnapStart): what init leaves in a snapshot is safe to share between restored environments."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

from taramoney_payments.payment_ids import new_payment_id
from tests.lambda_runtime import ROOT


def run_isolated(script: str, **environment: str) -> object:
    """``script`` in a fresh interpreter (layer and repository on the path); what it prints, as JSON."""
    env = {**os.environ, "PAYMENTS_TABLE_NAME": "payments", "POWERTOOLS_TRACE_DISABLED": "true", **environment}
    answer = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", "import sys; sys.path[:0] = ['layers/payments', '.']\n" + script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(answer.stdout.strip().splitlines()[-1])


def test_payment_ids_do_not_come_from_the_random_state_a_snapshot_shares() -> None:
    # Two environments restored from one snapshot hold the same `random` state.
    random.seed(20261129)
    first = new_payment_id()
    random.seed(20261129)
    second = new_payment_id()

    assert first != second


def test_after_a_restore_the_random_state_is_reseeded_from_the_os() -> None:
    # The runtime's snapshot_restore_py, standing in: it records the after-restore hooks.
    script = """
import json, random, types
hooks = []
sys.modules["snapshot_restore_py"] = types.SimpleNamespace(register_after_restore=hooks.append)
from tests.lambda_runtime import load_handler_module
load_handler_module("webhook")
random.seed(1); snapshot_draw = random.random()
random.seed(1)
for hook in hooks: hook()  # what Lambda does after restoring the snapshot
print(json.dumps({"hooks": len(hooks), "same_draw": random.random() == snapshot_draw}))
"""
    answer = run_isolated(script)

    assert answer == {"hooks": 1, "same_draw": False}


CLIENTS_AFTER_IMPORT = """
import json
from tests.lambda_runtime import load_handler_module
load_handler_module({function!r})
from taramoney_payments import aws, services
print(json.dumps({{"clients": aws.aws_client.cache_info().currsize + aws.fail_fast_aws_client.cache_info().currsize,
                  "services": services.{service}.cache_info().currsize}}))
"""


def test_a_snapshot_init_builds_the_clients_and_services_an_on_demand_init_leaves_to_the_first_call() -> None:
    for function, service, clients in (("webhook", "webhook_receiver", 3), ("payments_api", "payment_initiator", 2)):
        script = CLIENTS_AFTER_IMPORT.format(function=function, service=service)
        on_demand = run_isolated(script)
        snapshot = run_isolated(script, AWS_LAMBDA_INITIALIZATION_TYPE="snap-start", AWS_REGION="eu-west-1")

        assert on_demand == {"clients": 0, "services": 0}, function
        assert snapshot == {"clients": clients, "services": 1}, function
