"""The local stack's ports: every server listens on the loopback interface, on a port given or free."""

from __future__ import annotations

import socket

HOST = "127.0.0.1"


def free_port() -> int:
    """A port free now: for a server started soon after (the tests', the bench's)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def check_ports_free(ports: dict[str, int]) -> None:
    """Stop with a message naming the setting to change when a configured port is taken."""
    for name, port in ports.items():
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, port))
            except OSError:
                raise SystemExit(
                    f"port {port} ({name}) is taken: stop what uses it, or set {name}=<another port>"
                ) from None
