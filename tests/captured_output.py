"""What the functions print: Powertools' JSON log lines and its EMF metric blobs, read back.

Powertools' log handler keeps the ``sys.stdout`` of import time; ``follow_stdout`` points
it at whatever ``sys.stdout`` is now, so that pytest's ``capsys`` sees the log lines
next to the metrics (printed with ``print``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from taramoney_payments.observability import logger


class _CurrentStdout:
    """Writes to whatever ``sys.stdout`` is now (capsys swaps it in for the test call)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@contextmanager
def follow_stdout() -> Iterator[None]:
    handler: Any = logger.registered_handler
    previous = handler.setStream(_CurrentStdout())
    try:
        yield
    finally:
        handler.setStream(previous)


class Capture:
    """Each call's stdout, as Lambda would ship it to CloudWatch Logs (the ``capture`` fixture)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def __call__(self) -> Output:
        return Output(self._capsys.readouterr().out)


@dataclass(frozen=True)
class MetricPoint:
    """One metric value of an EMF blob, with the dimensions CloudWatch files it under."""

    namespace: str
    name: str
    unit: str
    values: tuple[float, ...]
    dimensions: dict[str, str]


@dataclass(frozen=True)
class Output:
    """Captured stdout, split into log lines, metric points and anything else."""

    text: str

    def _json_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.text.splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines

    @property
    def log_lines(self) -> list[dict[str, Any]]:
        return [line for line in self._json_lines() if "_aws" not in line]

    @property
    def metrics(self) -> list[MetricPoint]:
        points = []
        for blob in self._json_lines():
            if "_aws" not in blob:
                continue
            for directive in blob["_aws"]["CloudWatchMetrics"]:
                for dimension_set in directive["Dimensions"]:
                    for metric in directive["Metrics"]:
                        value = blob[metric["Name"]]
                        points.append(
                            MetricPoint(
                                namespace=directive["Namespace"],
                                name=metric["Name"],
                                unit=metric["Unit"],
                                values=tuple(value if isinstance(value, list) else [value]),
                                dimensions={name: blob[name] for name in dimension_set},
                            )
                        )
        return points

    def metric_total(self, name: str, **dimensions: str) -> float:
        """The sum of ``name`` filed under exactly ``service`` plus ``dimensions``."""
        wanted = {"service": "taramoney-payments", **dimensions}
        return sum(sum(point.values) for point in self.metrics if point.name == name and point.dimensions == wanted)
