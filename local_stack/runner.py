"""``make run``: the whole service on this machine, read from ``template.yaml``.

Starts, in this process group: moto server (the AWS endpoint), the template's
resources in it, one pool of execution environments per function, the HTTP APIs and
function URLs on their ports, the event source mappings and schedules, the Taramoney
simulator, and a printer of the events reaching the template's queues. Writes
``outputs.json`` (the template's Outputs, resolved locally, plus ``AwsEndpointUrl`` and
``Region``) once everything answers. SIGINT or SIGTERM stops all of it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import signal
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import requests

from .checkout_files import HttpApiWithCheckout
from .event_sources import event_sources
from .event_tap import EventPrinter, tap_rules
from .faults import CONTROL_PATH, FaultDecider, FaultPlan, FaultProxy, FaultSpecError
from .functions import FunctionPool, FunctionSpec, InvocationResult, function_specs
from .http_front import Cors, Front, FunctionUrlFront, routes_from_openapi
from .ports import HOST, check_ports_free, free_port
from .resources import Stack, create_resources, default_parameters, local_api_id, name_local_compute
from .simulator import DEFAULT_API_KEY, DEFAULT_BUSINESS_ID, SimulatorConfig, TaramoneySimulator
from .simulator_faults import SimulatorFaults
from .template import ROOT, Template, load_template

STACK_NAME = "local"
# Variables of this shell handed on to every function (finer settings the template leaves to the code).
FUNCTION_OVERRIDES = (
    "PAYMENT_TIMEOUT_SECONDS",
    "PROVIDER_CONNECT_TIMEOUT_SECONDS",
    "PROVIDER_READ_TIMEOUT_SECONDS",
    "LOG_LEVEL",
    "POWERTOOLS_LOG_LEVEL",
)


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


@dataclass
class LocalConfig:
    api_port: int = 3000
    webhook_port: int = 3001
    aws_port: int = 5000
    sandbox_port: int = 3002
    region: str = "eu-west-1"
    state_dir: Path = ROOT / ".local"
    taramoney_api_url: str = ""
    taramoney_api_key: str = DEFAULT_API_KEY
    taramoney_business_id: str = DEFAULT_BUSINESS_ID
    webhook_secret: str = ""
    public_webhook_url: str = ""
    schedule_seconds: float | None = None
    max_concurrency: int = 4
    warm_environments: int = 1  # per function, started before the stack answers
    faults: str = ""  # LOCAL_FAULTS: the functions reach AWS through a fault-injecting proxy
    overrides: dict[str, str] = field(default_factory=dict)
    simulator: SimulatorConfig = field(default_factory=SimulatorConfig)

    @classmethod
    def from_env(cls) -> LocalConfig:
        key = _env("TARAMONEY_API_KEY", DEFAULT_API_KEY)
        business = _env("TARAMONEY_BUSINESS_ID", DEFAULT_BUSINESS_ID)
        secret = _env("TARAMONEY_WEBHOOK_SECRET")
        return cls(
            api_port=int(_env("LOCAL_API_PORT", "3000")),
            webhook_port=int(_env("LOCAL_WEBHOOK_PORT", "3001")),
            aws_port=int(_env("LOCAL_AWS_PORT", "5000")),
            sandbox_port=int(_env("LOCAL_SANDBOX_PORT", "3002")),
            region=_env("LOCAL_AWS_REGION", "eu-west-1"),
            state_dir=Path(_env("LOCAL_STATE_DIR", str(ROOT / ".local"))),
            taramoney_api_url=_env("TARAMONEY_API_URL"),
            taramoney_api_key=key,
            taramoney_business_id=business,
            webhook_secret=secret,
            public_webhook_url=_env("PUBLIC_WEBHOOK_URL"),
            schedule_seconds=float(_env("LOCAL_SCHEDULE_SECONDS")) if _env("LOCAL_SCHEDULE_SECONDS") else None,
            max_concurrency=int(_env("LOCAL_MAX_CONCURRENCY", "4")),
            warm_environments=int(_env("LOCAL_WARM_ENVIRONMENTS", "1")),
            faults=_env("LOCAL_FAULTS"),
            overrides={name: os.environ[name] for name in FUNCTION_OVERRIDES if _env(name)},
            simulator=SimulatorConfig(
                api_key=key,
                business_id=business,
                webhook_delay_seconds=float(_env("SIMULATOR_WEBHOOK_DELAY_SECONDS", "3")),
                slow_seconds=float(_env("SIMULATOR_SLOW_SECONDS", "20")),
                webhook_secret=secret or None,
                faults=_simulator_faults(_env("SIMULATOR_FAULTS")),
            ),
        )

    @property
    def real_mode(self) -> bool:
        """Orders go to a Taramoney that is not on this machine: real phones, real money."""
        host = urlsplit(self.taramoney_api_url).hostname or ""
        return bool(self.taramoney_api_url) and host not in {"127.0.0.1", "localhost", "::1"}


def _simulator_faults(text: str) -> SimulatorFaults | None:
    try:
        return SimulatorFaults.parse(text) if text else None
    except FaultSpecError as error:
        raise SystemExit(f"SIMULATOR_FAULTS: {error}") from None


class Console:
    """One writer for every thread, so lines from functions and pollers never interleave."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def print(self, text: str) -> None:
        with self._lock:
            print(text, flush=True)

    def log(self, source: str, line: str) -> None:
        self.print(f"{source:<26} | {line}")


class _OneDynamoDBRequestAtATime:
    """moto's DynamoDB is not safe under concurrent requests (items, transactions and stream
    sequence numbers get corrupted): its requests, and its streams', are served one at a time."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            return self._app(environ, start_response)
        with self._lock:
            return list(self._app(environ, start_response))


class MotoEndpoint:
    """moto server in this process, on its own thread."""

    def __init__(self, port: int) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = make_server(
            HOST,
            port,
            _OneDynamoDBRequestAtATime(DomainDispatcherApplication(create_backend_app)),
            threaded=True,
            request_handler=MotoRequestHandler,
        )
        self.url = f"http://{HOST}:{port}"

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, name="moto", daemon=True).start()

    def stop(self) -> None:
        """Stop serving, and forget every resource: moto's state is this process's, and another
        server started here later (a second bench stack in one test run) would find them."""
        try:
            requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()
        finally:
            self._server.shutdown()
            self._server.server_close()


class LocalStack:
    def __init__(self, config: LocalConfig, console: Console) -> None:
        self.config = config
        self.console = console
        self.stopping = threading.Event()
        self.pools: dict[str, FunctionPool] = {}
        self.fronts: list[Front] = []
        self.moto: MotoEndpoint | None = None
        self.simulator: TaramoneySimulator | None = None
        self.fault_proxies: list[FaultProxy] = []
        self.outputs_file = config.state_dir / "outputs.json"
        self._last_failure: dict[str, tuple[str, float]] = {}

    # -- start ---------------------------------------------------------------------------------
    def start(self) -> dict[str, str]:
        began = time.monotonic()
        config = self.config
        self.outputs_file.unlink(missing_ok=True)
        check_ports_free(
            {
                "LOCAL_AWS_PORT": config.aws_port,
                "LOCAL_API_PORT": config.api_port,
                "LOCAL_WEBHOOK_PORT": config.webhook_port,
                "LOCAL_SANDBOX_PORT": config.sandbox_port,
            }
        )
        aws_url = f"http://{HOST}:{config.aws_port}"
        aws_environment = {
            "AWS_ENDPOINT_URL": aws_url,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
            "AWS_REGION": config.region,
            "AWS_DEFAULT_REGION": config.region,
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        }
        for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            os.environ.pop(name, None)
        os.environ.update(aws_environment)
        os.environ["AWS_CONFIG_FILE"] = os.devnull
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

        self.moto = MotoEndpoint(config.aws_port)
        self.moto.start()
        self.simulator = TaramoneySimulator(HOST, config.sandbox_port, config.simulator, self.console.log)
        self.simulator.start()

        template = load_template()
        urls = self._local_urls(template)
        overrides = {"AllowedOrigins": "*", "TaramoneyApiUrl": config.taramoney_api_url or self.simulator.order_url}
        parameters = default_parameters(template, {k: v for k, v in overrides.items() if k in template.parameters})
        stack = Stack(STACK_NAME, config.region, parameters)
        session = boto3.Session(region_name=config.region)
        name_local_compute(template, stack, urls)
        create_resources(template, stack, session)
        template = _without_false_conditions(template, stack)
        self._store_credentials(template, stack, session)

        specs = function_specs(
            template,
            stack,
            base_environment={**aws_environment, "POWERTOOLS_TRACE_DISABLED": "true", "TZ": "UTC"},
            overrides=config.overrides,
            max_concurrency=config.max_concurrency,
        )
        if config.faults:
            specs = self._through_fault_proxies(specs, aws_url)
        self.pools = {logical_id: FunctionPool(spec, self.console.log) for logical_id, spec in specs.items()}
        self.console.log(
            "local stack",
            f"resources created in moto server ({aws_url}); loading {len(self.pools)} functions' handlers"
            f" ({config.warm_environments} environment(s) each) ...",
        )
        with ThreadPoolExecutor(max_workers=len(self.pools) or 1) as executor:
            for logical_id, init_error in zip(
                self.pools, executor.map(lambda p: p.warm_up(), self.pools.values()), strict=True
            ):
                if init_error:
                    self.console.log(
                        logical_id,
                        f"cannot load {specs[logical_id].handler} from {specs[logical_id].code_dir.relative_to(ROOT)}: "
                        f"{init_error['errorType']}: {init_error['errorMessage']} (its invocations will fail)",
                    )
        self._warm_more(config.warm_environments - 1)
        function_by_arn = {spec.arn: logical_id for logical_id, spec in specs.items()}

        self._start_fronts(template, stack, function_by_arn, urls)
        for thread in event_sources(
            template, stack, function_by_arn, self.invoke, self.console.log, self.stopping, config.schedule_seconds
        ):
            thread.start()
        tap = tap_rules(template, stack)
        if tap:
            ((tap_url, queues),) = tap.items()
            EventPrinter(tap_url, queues, self.console.print, self.stopping).start()

        outputs = self._outputs(template, stack, urls, aws_url)
        self._wait_until_answering(outputs)
        config.state_dir.mkdir(parents=True, exist_ok=True)
        partial = self.outputs_file.with_suffix(".tmp")
        partial.write_text(json.dumps(outputs, indent=2) + "\n")
        partial.replace(self.outputs_file)
        self._print_summary(outputs, time.monotonic() - began)
        return outputs

    def _warm_more(self, count: int) -> None:
        """Extra environments per function before any request (a load test should not wait on cold starts)."""
        warm_ups = [pool for pool in self.pools.values() for _ in range(min(count, pool.spec.max_concurrency - 1))]
        if warm_ups:
            with ThreadPoolExecutor(max_workers=len(warm_ups)) as executor:
                list(executor.map(lambda pool: pool.warm_up(), warm_ups))

    def _through_fault_proxies(self, specs: dict[str, FunctionSpec], aws_url: str) -> dict[str, FunctionSpec]:
        """Each function reaches AWS through a proxy of its own, all failing calls by one plan."""
        try:
            decider = FaultDecider(FaultPlan.parse(self.config.faults))
        except FaultSpecError as error:
            raise SystemExit(f"LOCAL_FAULTS: {error}") from None
        proxied = {}
        for logical_id, spec in specs.items():
            proxy = FaultProxy(HOST, aws_url, decider, function=logical_id, log=self.console.log)
            proxy.start()
            self.fault_proxies.append(proxy)
            proxied[logical_id] = dataclasses.replace(
                spec, environment={**spec.environment, "AWS_ENDPOINT_URL": proxy.url}
            )
        self.console.log("faults", f"injecting {decider.plan.describe()}")
        return proxied

    def _local_urls(self, template: Any) -> dict[str, str]:
        """Local addresses of the HTTP APIs and function URLs, the first of each on its configured port."""
        urls: dict[str, str] = {}
        for index, logical_id in enumerate(template.of_type("AWS::ApiGatewayV2::Api")):
            urls[logical_id] = f"http://{HOST}:{self.config.api_port if index == 0 else free_port()}"
        for index, logical_id in enumerate(template.of_type("AWS::Lambda::Url")):
            port = self.config.webhook_port if index == 0 else free_port()
            local = f"http://{HOST}:{port}/"
            public = self.config.public_webhook_url
            urls[logical_id] = (public.rstrip("/") + "/") if public and index == 0 else local
            urls[f"{logical_id}#local"] = local
        return urls

    def _store_credentials(self, template: Any, stack: Stack, session: boto3.Session) -> None:
        """The merchant credentials go into the secret(s) holding an apiKey, as an operator would."""
        client = session.client("secretsmanager")
        for logical_id in template.of_type("AWS::SecretsManager::Secret"):
            arn = stack.refs[logical_id]
            value = json.loads(client.get_secret_value(SecretId=arn)["SecretString"])
            if not isinstance(value, dict) or "apiKey" not in value:
                continue
            value.update(apiKey=self.config.taramoney_api_key, businessId=self.config.taramoney_business_id)
            if self.config.webhook_secret:
                value["webhookSharedSecret"] = self.config.webhook_secret
            client.put_secret_value(SecretId=arn, SecretString=json.dumps(value))

    def _start_fronts(self, template: Any, stack: Stack, function_by_arn: dict[str, str], urls: dict[str, str]) -> None:
        for logical_id, resource in template.of_type("AWS::ApiGatewayV2::Api").items():
            body = resource["Properties"].get("Body", {})
            routes = routes_from_openapi(body, function_by_arn, stack.resolve)
            cors = Cors.from_config(stack.resolve(body.get("x-amazon-apigateway-cors")), origins_override=("*",))
            port = int(urls[logical_id].rsplit(":", 1)[1])
            front: Front = HttpApiWithCheckout(
                logical_id=logical_id,
                api_id=local_api_id(logical_id),
                routes=routes,
                cors=cors,
                invoke=self.invoke,
                host=HOST,
                port=port,
                log=self.console.log,
            )
            self.fronts.append(front)
        for logical_id, resource in template.of_type("AWS::Lambda::Url").items():
            props = stack.resolve(resource["Properties"])
            function = function_by_arn.get(f"{stack.arn('lambda', 'function:')}{props['TargetFunctionArn']}") or (
                function_by_arn.get(props["TargetFunctionArn"])
            )
            if function is None:
                continue
            port = int(urls[f"{logical_id}#local"].rstrip("/").rsplit(":", 1)[1])
            cors = Cors.from_config(props.get("Cors"), origins_override=("*",)) if props.get("Cors") else None
            self.fronts.append(
                FunctionUrlFront(
                    logical_id=logical_id,
                    function=function,
                    url_id=local_api_id(logical_id),
                    cors=cors,
                    invoke=self.invoke,
                    host=HOST,
                    port=port,
                    log=self.console.log,
                )
            )
        for front in self.fronts:
            front.start()

    def _outputs(self, template: Any, stack: Stack, urls: dict[str, str], aws_url: str) -> dict[str, str]:
        """The template's Outputs resolved locally; an HTTP API's AWS-shaped URL becomes its local one."""
        apis = template.of_type("AWS::ApiGatewayV2::Api")
        outputs: dict[str, str] = {}
        for name, output in template.outputs.items():
            value = output.get("Value")
            text = json.dumps(value)
            api = next((a for a in apis if re.search(rf'("Ref": "{a}"|\$\{{{a}[}}.])', text)), None)
            try:
                outputs[name] = urls[api] if api else str(stack.resolve(value))
            except KeyError as missing:
                self.console.log("outputs", f"{name} not resolved locally ({missing})")
        outputs.update(AwsEndpointUrl=aws_url, Region=self.config.region)
        assert self.simulator is not None
        outputs["TaramoneySimulatorUrl"] = self.simulator.base_url
        if self.fault_proxies:
            outputs["LocalFaultsUrl"] = self.fault_proxies[0].url + CONTROL_PATH
        return outputs

    def _wait_until_answering(self, outputs: dict[str, str]) -> None:
        """The endpoint and the simulator answer HTTP; the fronts accept connections (no invocation)."""
        deadline = time.monotonic() + 30
        for url in (outputs["AwsEndpointUrl"] + "/moto-api/", f"{outputs['TaramoneySimulatorUrl']}/__ledger"):
            while True:
                try:
                    requests.get(url, timeout=2)
                    break
                except requests.RequestException:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"{url} does not answer") from None
                    time.sleep(0.2)
        for front in self.fronts:
            while True:
                try:
                    socket.create_connection((front.host, front.port), timeout=2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"{front.label} does not answer on port {front.port}") from None
                    time.sleep(0.2)

    def _print_summary(self, outputs: dict[str, str], seconds: float) -> None:
        lines = ["", f"Local stack ready in {seconds:.1f} s (Ctrl-C stops it):"]
        lines += [f"  {key:<24} {value}" for key, value in outputs.items()]
        for front in self.fronts:
            lines.append(f"  {front.label:<24} listening on http://{front.host}:{front.port}")
            if isinstance(front, HttpApiWithCheckout):
                lines.append(f"  {'checkout':<24} http://{front.host}:{front.port}/checkout/")
                lines.append(f"  {'API docs (Swagger UI)':<24} http://{front.host}:{front.port}/docs")
        lines.append(f"  {'outputs':<24} {self.outputs_file}")
        if self.config.real_mode:
            lines += _real_mode_warning(self.config)
        elif self.config.taramoney_api_url:
            lines.append(f"  Taramoney: {self.config.taramoney_api_url} (TARAMONEY_API_URL)")
        else:
            lines.append(
                "  Taramoney: the simulator (test numbers in README: ...000001 success, ...000002 failure, ...)"
            )
        lines.append("")
        self.console.print("\n".join(lines))

    # -- run -----------------------------------------------------------------------------------
    def invoke(self, function: str, event: Any) -> InvocationResult:
        pool = self.pools.get(function)
        if pool is None:
            return InvocationResult(error={"errorType": "ResourceNotFound", "errorMessage": function})
        try:
            outcome = pool.invoke(event)
        except RuntimeError as stopping:
            return InvocationResult(error={"errorType": "Stopping", "errorMessage": str(stopping)})
        if outcome.failed and outcome.error:
            summary = f"invocation failed: {outcome.error.get('errorType')}: {outcome.error.get('errorMessage')}"
            last = self._last_failure.get(function)
            if last is None or last[0] != summary or time.monotonic() - last[1] > 60:  # a schedule repeats itself
                self._last_failure[function] = (summary, time.monotonic())
                self.console.log(function, summary)
        return outcome

    def stop(self) -> None:
        self.stopping.set()
        stoppers = [front.stop for front in self.fronts] + [pool.close for pool in self.pools.values()]
        stoppers += [proxy.stop for proxy in self.fault_proxies]
        if self.simulator:
            stoppers.append(self.simulator.stop)
        with ThreadPoolExecutor(max_workers=max(1, len(stoppers))) as executor:
            list(executor.map(lambda stop: stop(), stoppers))
        if self.moto:
            self.moto.stop()
        self.outputs_file.unlink(missing_ok=True)


def _without_false_conditions(template: Template, stack: Stack) -> Template:
    """The template as deployed: resources and outputs whose ``Condition`` is false left out."""
    conditions: dict[str, bool] = getattr(stack, "conditions", {})

    def kept(entry: dict[str, Any]) -> bool:
        return conditions.get(entry.get("Condition", ""), True)

    return dataclasses.replace(
        template,
        resources={name: res for name, res in template.resources.items() if kept(res)},
        outputs={name: out for name, out in template.outputs.items() if kept(out)},
    )


def _real_mode_warning(config: LocalConfig) -> list[str]:
    bar = "!" * 78
    lines = [
        bar,
        f"!! REAL MODE: payments go to {config.taramoney_api_url}",
        "!! Every payment started here asks a real phone to pay REAL MONEY.",
    ]
    missing = [
        name
        for name, value in (
            ("TARAMONEY_API_KEY", config.taramoney_api_key != DEFAULT_API_KEY),
            ("TARAMONEY_BUSINESS_ID", config.taramoney_business_id != DEFAULT_BUSINESS_ID),
            ("PUBLIC_WEBHOOK_URL", bool(config.public_webhook_url)),
        )
        if not value
    ]
    if missing:
        lines.append(f"!! Not set: {', '.join(missing)} - orders will be refused or webhooks will never arrive.")
    return [*lines, bar]


def main() -> None:
    console = Console()
    config = LocalConfig.from_env()
    stack = LocalStack(config, console)
    stopped = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    if config.real_mode:
        console.print("\n".join(_real_mode_warning(config)))
    try:
        stack.start()
        while not stopped.wait(0.5):
            pass
    finally:
        console.print("Stopping the local stack ...")
        stack.stop()
    sys.exit(0)
