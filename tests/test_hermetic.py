"""The conftest guards: no MODELBENCH_* setting leaks in, no connection leaves loopback."""

from __future__ import annotations

import os
import socket

import pytest

# Set while the tests are collected, as a developer's shell would; every test must not see it.
os.environ.setdefault("MODELBENCH_CANARY_SETTING", "from-the-developer-shell")


def test_modelbench_settings_of_the_shell_are_not_seen() -> None:
    assert [v for v in os.environ if v.startswith("MODELBENCH_")] == []


def test_a_connection_outside_loopback_is_refused_and_recorded(loopback_only: list[str]) -> None:
    with socket.socket() as s, pytest.raises(ConnectionRefusedError, match="loopback"):
        s.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed
    with pytest.raises(socket.gaierror, match="loopback"):
        socket.getaddrinfo("example.com", 443)
    assert loopback_only == ["connect(('192.0.2.1', 80))", "getaddrinfo('example.com')"]
    loopback_only.clear()  # recorded as it should be: let this test pass


def test_loopback_connections_pass() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
