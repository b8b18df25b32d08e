"""-H parsing, the unix socket's mode, and the refusal of plain TCP on the network."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pymoby import errdefs
from pymoby.daemon.server import HostAddress, load_listeners, parse_host


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", HostAddress("unix", "/run/pymoby.sock")),
        ("unix://", HostAddress("unix", "/run/pymoby.sock")),
        ("unix:///tmp/x.sock", HostAddress("unix", "/tmp/x.sock")),
        ("/tmp/y.sock", HostAddress("unix", "/tmp/y.sock")),
        ("tcp://", HostAddress("tcp", "127.0.0.1:2375")),
        ("tcp://:2380", HostAddress("tcp", "127.0.0.1:2380")),
        ("tcp://0.0.0.0:2376", HostAddress("tcp", "0.0.0.0:2376")),
        ("tcp://[::1]:2375", HostAddress("tcp", "[::1]:2375")),
        ("fd://", HostAddress("fd", "")),
        ("fd://3", HostAddress("fd", "3")),
    ],
)
def test_hosts_parse_as_docker_parses_them(value: str, expected: HostAddress) -> None:
    assert parse_host(value, "/run/pymoby.sock") == expected


def test_tls_changes_the_default_port() -> None:
    assert parse_host("tcp://", "/s", tls=True) == HostAddress("tcp", "127.0.0.1:2376")


@pytest.mark.parametrize("value", ["ssh://host", "tcp://h:notaport", "tcp://h:99999"])
def test_bad_hosts_are_invalid(value: str) -> None:
    with pytest.raises(errdefs.InvalidParameter):
        parse_host(value, "/s")


def test_unix_socket_is_created_mode_0660(tmp_path: Path) -> None:
    path = tmp_path / "d.sock"
    listeners = load_listeners([HostAddress("unix", str(path))])
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o660
        assert stat.S_ISSOCK(path.stat().st_mode)
    finally:
        for listener in listeners:
            listener.sock.close()


def test_an_explicit_group_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(errdefs.InvalidParameter, match="group nosuchgroup not found"):
        load_listeners([HostAddress("unix", str(tmp_path / "d.sock"))], group="nosuchgroup", group_explicit=True)


def test_plain_tcp_on_the_network_is_refused_unless_tls_is_explicitly_off() -> None:
    with pytest.raises(errdefs.InvalidParameter, match="without TLS"):
        load_listeners([HostAddress("tcp", "0.0.0.0:0")])
    listeners = load_listeners([HostAddress("tcp", "0.0.0.0:0")], tls_explicitly_off=True)
    for listener in listeners:
        listener.sock.close()  # type: ignore[attr-defined]


def test_plain_tcp_on_loopback_is_allowed() -> None:
    listeners = load_listeners([HostAddress("tcp", "127.0.0.1:0")])
    for listener in listeners:
        listener.sock.close()  # type: ignore[attr-defined]


def test_fd_without_socket_activation_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LISTEN_PID", raising=False)
    with pytest.raises(errdefs.InvalidParameter, match="socket activation"):
        load_listeners([HostAddress("fd", "")])
