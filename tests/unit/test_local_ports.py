"""`make run` on a port something else holds stops at once, naming the setting to change."""

from __future__ import annotations

import socket

import pytest

from local_stack.ports import HOST, check_ports_free, free_port


def test_a_taken_port_stops_the_stack_with_the_setting_to_change() -> None:
    with socket.socket() as holder:
        holder.bind((HOST, 0))
        holder.listen()
        taken = holder.getsockname()[1]

        with pytest.raises(SystemExit) as stopped:
            check_ports_free({"LOCAL_AWS_PORT": free_port(), "LOCAL_API_PORT": taken})

    assert str(stopped.value) == (
        f"port {taken} (LOCAL_API_PORT) is taken: stop what uses it, or set LOCAL_API_PORT=<another port>"
    )


def test_free_ports_pass_the_check_and_can_be_listened_on() -> None:
    port = free_port()

    check_ports_free({"LOCAL_API_PORT": port})
    with socket.socket() as server:
        server.bind((HOST, port))
        server.listen()
