"""Secrets Manager watched, and failing on demand, in front of moto (for every client made after)."""

from __future__ import annotations

from typing import Any

import botocore.handlers
import botocore.session
import pytest
from botocore.exceptions import EndpointConnectionError


class SecretsManager:
    """Watches the requests to Secrets Manager and the clients made for it; ``down`` refuses them."""

    def __init__(self) -> None:
        self.down = False
        self.requests = 0
        self.client_configs: list[Any] = []

    def before_send(self, request: Any, **_: Any) -> None:
        if "secretsmanager" not in request.url:
            return
        self.requests += 1
        if self.down:
            raise EndpointConnectionError(endpoint_url=request.url)


def watch_secrets_manager(monkeypatch: pytest.MonkeyPatch) -> SecretsManager:
    """Put a ``SecretsManager`` first in line, before moto answers, for the clients made from now on."""
    watch = SecretsManager()
    monkeypatch.setattr(
        botocore.handlers, "BUILTIN_HANDLERS", [("before-send", watch.before_send), *botocore.handlers.BUILTIN_HANDLERS]
    )
    create_client = botocore.session.Session.create_client

    def recording_create_client(self: botocore.session.Session, service_name: str, *args: Any, **kwargs: Any) -> Any:
        client = create_client(self, service_name, *args, **kwargs)
        if service_name == "secretsmanager":
            watch.client_configs.append(client.meta.config)
        return client

    monkeypatch.setattr(botocore.session.Session, "create_client", recording_create_client)
    return watch
