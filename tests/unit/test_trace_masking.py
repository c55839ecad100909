"""What the X-Ray daemon receives once tracing is on: each string masked as a log line is, the document intact.

The function runs of ``tests/e2e/test_traces.py`` show it for a real refusal; here a
subsegment carries what those runs cannot make appear at will (a nine-digit number that is
not a phone number, a secret that JSON escapes).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.models.segment import Segment
from aws_xray_sdk.core.models.subsegment import Subsegment

from taramoney_payments import tracing
from taramoney_payments.masking import never_log

SECRET = 'api-key-with-"quote"-0123'


class Caller:
    """An object the SDK keeps as it is (no ``__dict__``) and JSON writes as its text."""

    __slots__ = ()

    def __str__(self) -> str:
        return "caller 655123456"


@pytest.fixture
def daemon(monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """A UDP socket in the daemon's place, and the recorder's own emitter put back afterwards."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(5)
        monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", f"127.0.0.1:{listener.getsockname()[1]}")
        original = xray_recorder.emitter
        try:
            yield listener
        finally:
            xray_recorder.configure(emitter=original)


def received(listener: socket.socket) -> dict[str, Any]:
    header, _, document = listener.recv(65_535).decode().partition("\n")
    assert json.loads(header) == {"format": "json", "version": 1}
    loaded: dict[str, Any] = json.loads(document)
    return loaded


def test_a_subsegment_reaches_the_daemon_masked_and_still_json(daemon: socket.socket) -> None:
    # given the service's emitter, and a subsegment recording a refusal that quotes a number and a secret
    never_log(SECRET)
    tracing._mask_what_xray_receives()
    segment = Segment("payments", traceid="1-6b0aa685-5e1c7a100b2d4f1e9c532a7d", sampled=True)
    order = Subsegment("## place_order", "local", segment)
    order.put_metadata("answer", {"message": f"Le numero 655123456 refuse ({SECRET})", "limit": 612345678})
    order.put_metadata("caller", Caller())
    order.add_exception(RuntimeError("Le numero +237 655 12 34 56 ne peut pas payer"), stack=[])
    order.close()

    # when it is sent
    xray_recorder.emitter.send_entity(order)

    # then the daemon gets one JSON document: numbers as they were, text masked
    document = received(daemon)
    answer = document["metadata"]["default"]["answer"]
    assert answer["limit"] == 612345678
    assert answer["message"] == "Le numero 655***456 refuse (***)"
    assert document["metadata"]["default"]["caller"] == "caller 655***456"
    (exception,) = document["cause"]["exceptions"]
    assert exception["message"] == "Le numero 655***456 ne peut pas payer"
    assert document["name"] == "## place_order"
    assert document["trace_id"] == segment.trace_id
