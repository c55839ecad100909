"""The local stack's settings: ports and real mode come from the environment."""

from __future__ import annotations

import pytest

from local_stack.runner import LocalConfig, _real_mode_warning
from local_stack.simulator import DEFAULT_API_KEY


def test_by_default_the_simulator_is_taramoney_on_the_documented_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TARAMONEY_API_URL", "TARAMONEY_API_KEY", "LOCAL_API_PORT", "LOCAL_AWS_PORT"):
        monkeypatch.delenv(name, raising=False)

    config = LocalConfig.from_env()

    assert (config.api_port, config.webhook_port, config.aws_port, config.sandbox_port) == (3000, 3001, 5000, 3002)
    assert not config.real_mode
    assert config.simulator.api_key == config.taramoney_api_key == DEFAULT_API_KEY


def test_a_remote_taramoney_is_real_mode_with_a_loud_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TARAMONEY_API_URL", "https://www.dklo.co/api/tara/cmmobile")
    monkeypatch.setenv("TARAMONEY_API_KEY", "real-key")
    monkeypatch.setenv("TARAMONEY_BUSINESS_ID", "real-business")
    monkeypatch.delenv("PUBLIC_WEBHOOK_URL", raising=False)

    config = LocalConfig.from_env()
    warning = "\n".join(_real_mode_warning(config))

    assert config.real_mode
    assert "REAL MONEY" in warning
    assert "PUBLIC_WEBHOOK_URL" in warning  # the one thing still missing
    assert "real-key" not in warning


def test_a_taramoney_on_this_machine_is_not_real_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TARAMONEY_API_URL", "http://127.0.0.1:9999/api/tara/cmmobile")

    assert not LocalConfig.from_env().real_mode
