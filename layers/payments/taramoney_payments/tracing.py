"""X-Ray tracing through Powertools' Tracer, loaded only where traces can be sent.

Creating a Powertools ``Tracer`` imports the X-Ray SDK and patches libraries (botocore
here, ``TRACED_MODULES``), 150-400 ms of a cold start, even when tracing is off.
``LazyTracer`` decides once, the way Powertools does, whether this environment traces:
in Lambda (``LAMBDA_TASK_ROOT``), not under SAM local or Chalice, and without
``POWERTOOLS_TRACE_DISABLED``. When it does not (the local stack, the tests), nothing of
X-Ray is imported and the decorators return the function unchanged; when it does, the
real ``Tracer`` is created on the first decoration and used for everything.

What X-Ray receives is masked as a log line is (``masking.mask_log_line``): the SDK records
a failed call's exception message (a Taramoney refusal, a botocore error), which may quote
a phone number or a webhook address, and a trace is read by as many people as a log.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice

from .masking import mask_log_line

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

F = TypeVar("F", bound=Callable[..., Any])


@cache
def tracing_enabled() -> bool:
    """Whether Powertools' Tracer would trace here (its own rule, without creating one).

    Decided once per process: the environment of a Lambda container does not change, and
    ``bind_payment`` asks on every invocation.
    """
    if resolve_truthy_env_var_choice(env=os.getenv("POWERTOOLS_TRACE_DISABLED", "false")):
        return False
    in_lambda = bool(os.getenv("LAMBDA_TASK_ROOT"))
    emulated = bool(os.getenv("AWS_SAM_LOCAL") or os.getenv("AWS_CHALICE_CLI_MODE"))
    return in_lambda and not emulated


class LazyTracer:
    """The parts of Powertools' ``Tracer`` the service uses, creating it only when tracing is on."""

    def __init__(self, service: str) -> None:
        self._service = service

    @property
    def enabled(self) -> bool:
        return tracing_enabled()

    def powertools(self) -> Tracer:
        return _powertools_tracer(self._service)

    def capture_lambda_handler(self, handler: F) -> F:
        """The handler in a subsegment, without its answer: a payment's view names its customer's phone."""
        if not self.enabled:
            return handler
        return cast(F, self.powertools().capture_lambda_handler(handler, capture_response=False))

    @overload
    def capture_method(self, method: F) -> F: ...

    @overload
    def capture_method(self, method: None = None, **options: Any) -> Callable[[F], F]: ...

    def capture_method(self, method: F | None = None, **options: Any) -> F | Callable[[F], F]:
        """``@tracer.capture_method`` or ``@tracer.capture_method(capture_response=False)``, as Powertools'."""
        if method is None:
            return lambda decorated: self.capture_method(decorated, **options)
        if not self.enabled:
            return method
        return self.powertools().capture_method(method, **options)

    def put_annotation(self, key: str, value: str) -> None:
        """An annotation (searchable in X-Ray) on the subsegment open now, as Powertools' ``put_annotation``.

        Never raises: a trace is not worth a payment. (With no subsegment open, Lambda's
        facade segment refuses annotations with an exception.)
        """
        if not self.enabled:
            return
        try:
            self.powertools().put_annotation(key=key, value=value)
        except Exception:
            logging.getLogger(__name__).debug("annotation %s not added to the trace", key, exc_info=True)

    @contextmanager
    def subsegment(self, name: str, **annotations: str) -> Iterator[None]:
        """A subsegment around the block, with these annotations (nothing when tracing is off)."""
        if not self.enabled:
            yield
            return
        with self.powertools().provider.in_subsegment(name=name) as opened:
            for key, value in annotations.items():
                opened.put_annotation(key=key, value=value)
            yield


# botocore: a subsegment per AWS call. The order sent to Taramoney has its own
# (``capture_method`` on ``place_order``). Left to itself, the X-Ray SDK imports and patches
# every library it knows that happens to be installed (sqlite3 always is), each a cost to
# the cold start; Powertools' default already left http.client out.
TRACED_MODULES = ("botocore",)


@cache
def _powertools_tracer(service: str) -> Tracer:
    from aws_lambda_powertools import Tracer

    tracer = Tracer(service=service, patch_modules=TRACED_MODULES)
    _mask_what_xray_receives()
    return tracer


def _mask_what_xray_receives() -> None:
    """The X-Ray recorder (Powertools' provider) sends each (sub)segment with its text masked as a log line is.

    Each string of the document is masked before it is serialised: masking the JSON text
    would also take a number (a length, a limit) for a phone number and leave the document
    unreadable, and would miss a secret that JSON escapes. An object the SDK kept as it was
    is masked as the text it is written as. Nothing unmasked is logged on the way: the SDK's
    own emitter writes each document to its debug log first.
    """
    from aws_xray_sdk.core import xray_recorder
    from aws_xray_sdk.core.emitters.udp_emitter import PROTOCOL_DELIMITER, PROTOCOL_HEADER, UDPEmitter

    class MaskingEmitter(UDPEmitter):  # type: ignore[misc]
        def send_entity(self, entity: Any) -> None:
            try:
                document = json.dumps(_masked(entity.to_dict()), default=lambda value: mask_log_line(str(value)))
                self._send_data(f"{PROTOCOL_HEADER}{PROTOCOL_DELIMITER}{document}")
            except Exception:
                logging.getLogger(__name__).warning("trace segment not sent to the X-Ray daemon", exc_info=True)

    xray_recorder.configure(emitter=MaskingEmitter())


def _masked(value: Any) -> Any:
    """``value`` (a segment as a dict) with every string in it, key or value, masked as a log line is."""
    if isinstance(value, str):
        return mask_log_line(value)
    if isinstance(value, dict):
        return {_masked(key): _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value
