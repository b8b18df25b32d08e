"""Error answers only raw HTTP can provoke: bad versions, bad JSON, unknown paths, abusive clients."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from support.pymobyd import Pymobyd

pytestmark = pytest.mark.root


def exchange(path: Path, request: bytes, timeout: float = 10) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        try:
            s.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and stopped reading before the end (431)
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
    return data


def status_and_json(data: bytes) -> tuple[int, dict[str, str]]:
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (
            "1.23",
            "client version 1.23 is too old. Minimum supported API version is 1.24, "
            "please upgrade your client to a newer version",
        ),
        ("1.46", "client version 1.46 is too new. Maximum supported API version is 1.45"),
    ],
)
def test_versions_outside_the_range_are_400(daemon: Pymobyd, version: str, message: str) -> None:
    data = exchange(daemon.socket, f"GET /v{version}/info HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n".encode())
    assert status_and_json(data) == (400, {"message": message})


def test_the_oldest_supported_version_still_answers(daemon: Pymobyd) -> None:
    data = exchange(daemon.socket, b"GET /v1.24/version HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200 OK")


def test_unknown_path_is_404_page_not_found(daemon: Pymobyd) -> None:
    data = exchange(
        daemon.socket, b"GET /v1.45/containers/nope/frobnicate HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n"
    )
    assert status_and_json(data) == (404, {"message": "page not found"})


def test_malformed_json_body_is_400(daemon: Pymobyd) -> None:
    body = b'{"username": "a", "password": '
    data = exchange(
        daemon.socket,
        b"POST /v1.45/auth HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nConnection: close\r\n"
        b"Content-Length: %d\r\n\r\n%b" % (len(body), body),
    )
    status, answer = status_and_json(data)
    assert status == 400
    assert answer["message"].startswith("invalid JSON")


def test_huge_headers_are_431(daemon: Pymobyd) -> None:
    data = exchange(daemon.socket, b"GET /_ping HTTP/1.1\r\nHost: d\r\nX-Huge: " + b"a" * (2 << 20) + b"\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 431 ")


def test_garbage_is_400(daemon: Pymobyd) -> None:
    assert exchange(daemon.socket, b"\x16\x03\x01 not http at all\r\n\r\n").startswith(b"HTTP/1.1 400 ")


def test_slow_client_is_disconnected_after_the_header_timeout(start_daemon: object) -> None:
    daemon = start_daemon("--api-header-timeout", "1")  # type: ignore[operator]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(15)
        s.connect(str(daemon.socket))
        s.sendall(b"GET /_ping HTTP/1.1\r\nHo")
        started = time.monotonic()
        assert s.recv(1024) == b""  # closed by the server
        assert time.monotonic() - started < 10
    # and the daemon still serves others
    assert exchange(daemon.socket, b"GET /_ping HTTP/1.0\r\n\r\n").endswith(b"OK")
