"""The AWS side of the bench: moto server, the template's resources in it, the Taramoney simulator.

Built from the same pieces as ``make run`` (``local_stack``), on free ports, without the
fronts, event sources or schedules: the bench invokes each function itself, in a fresh
interpreter, so that nothing else runs while it measures.
"""

from __future__ import annotations

import json
import os
import subprocess
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import boto3

from local_stack.functions import FunctionSpec, function_specs
from local_stack.ports import HOST, free_port
from local_stack.resources import Stack, create_resources, default_parameters, name_local_compute
from local_stack.runner import MotoEndpoint
from local_stack.simulator import DEFAULT_API_KEY, DEFAULT_BUSINESS_ID, SimulatorConfig, TaramoneySimulator
from local_stack.template import load_template

from .runs import CHILD_PYTHON

REGION = "eu-west-1"


@dataclass
class BenchStack:
    moto: MotoEndpoint
    simulator: TaramoneySimulator
    stack: Stack
    specs: dict[str, FunctionSpec]
    aws_environment: dict[str, str]
    signing_key: str
    replaced_environment: dict[str, str | None]  # this process's variables before the stack's

    def client(self, service: str) -> Any:
        return boto3.session.Session(region_name=REGION).client(service)

    def stop(self) -> None:
        """Stop the servers and point this process back where it pointed before (a test may go on)."""
        self.simulator.stop()
        self.moto.stop()
        _restore_environment(self.replaced_environment)


def _restore_environment(replaced: dict[str, str | None]) -> None:
    for name, value in replaced.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def start_stack() -> BenchStack:
    aws_port = free_port()
    aws_environment = {
        "AWS_ENDPOINT_URL": f"http://{HOST}:{aws_port}",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    replaced = {name: os.environ.get(name) for name in [*aws_environment, "AWS_PROFILE"]}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(aws_environment)
    with ExitStack() as undo:  # a stack that fails to start leaves nothing behind either
        undo.callback(_restore_environment, replaced)
        moto = MotoEndpoint(aws_port)
        moto.start()
        undo.callback(moto.stop)
        # The simulator never calls back during the bench: each function gets its own event.
        simulator = TaramoneySimulator(HOST, free_port(), SimulatorConfig(webhook_delay_seconds=3600), lambda *_: None)
        simulator.start()
        undo.callback(simulator.stop)

        template = load_template()
        parameters = default_parameters(template, {"AllowedOrigins": "*", "TaramoneyApiUrl": simulator.order_url})
        stack = Stack("bench", REGION, parameters)
        session = boto3.session.Session(region_name=REGION)
        urls = {logical_id: f"http://{HOST}:{free_port()}/" for logical_id in template.of_type("AWS::Lambda::Url")}
        name_local_compute(template, stack, urls)
        create_resources(template, stack, session)
        signing_key = _store_credentials(template, stack, session)
        specs = function_specs(
            template,
            stack,
            base_environment={**aws_environment, "POWERTOOLS_TRACE_DISABLED": "true", "TZ": "UTC"},
            overrides={},
            max_concurrency=1,
        )
        _compile_layers(specs)
        started = BenchStack(moto, simulator, stack, specs, aws_environment, signing_key, replaced)
        undo.pop_all()
    return started


def _compile_layers(specs: dict[str, FunctionSpec]) -> None:
    """Bytecode for the layers' modules, as the deployed layer ships it (``layers/payments/Makefile``).

    Without it a module edited since its last ``.pyc`` is compiled again in every measured
    interpreter (they run with PYTHONDONTWRITEBYTECODE), a cost Lambda never pays for a
    layer. The functions' own ``app.py`` stay uncompiled: Lambda compiles those at each cold start.
    Compiled by the measured interpreter: each Python version reads only its own bytecode.
    """
    for layer_dir in sorted({folder for spec in specs.values() for folder in spec.layer_dirs}):
        subprocess.run(  # noqa: S603 - the interpreter the bench measures
            [CHILD_PYTHON, "-m", "compileall", "-q", str(layer_dir)], check=True, stdout=subprocess.DEVNULL
        )


def _store_credentials(template: Any, stack: Stack, session: boto3.session.Session) -> str:
    """The simulator's merchant credentials in the template's secret; the generated signing key."""
    client = session.client("secretsmanager")
    for logical_id in template.of_type("AWS::SecretsManager::Secret"):
        arn = stack.refs[logical_id]
        value = json.loads(client.get_secret_value(SecretId=arn)["SecretString"])
        if isinstance(value, dict) and "apiKey" in value:
            value.update(apiKey=DEFAULT_API_KEY, businessId=DEFAULT_BUSINESS_ID)
            client.put_secret_value(SecretId=arn, SecretString=json.dumps(value))
            return str(value["webhookSigningKey"])
    raise RuntimeError("the template has no Taramoney secret")
