"""``GET /containers/{id}/attach/ws``: attach over a websocket (RFC 6455) to a real container.

The client is written here, on a plain socket, from the RFC: the handshake
(``Sec-WebSocket-Accept``), masked frames from the client, unmasked binary
frames from the daemon, ping/pong and the closing handshake.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import struct
from collections.abc import Iterator

import pytest
from support.pymobyd import Pymobyd

pytestmark = pytest.mark.root

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


class WebSocket:
    """A minimal RFC 6455 client over a connected socket."""

    def __init__(self, sock: socket.socket, pending: bytes) -> None:
        self.sock = sock
        self.buffer = pending

    def send(self, payload: bytes, opcode: int = BINARY) -> None:
        """One masked frame (clients must mask, RFC 6455 section 5.3)."""
        mask = os.urandom(4)
        head = bytes([0x80 | opcode])
        if len(payload) < 126:
            head += bytes([0x80 | len(payload)])
        elif len(payload) < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def _take(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(f"connection closed with {len(self.buffer)} of {n} bytes")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def receive(self) -> tuple[int, bytes]:
        """The next frame: (opcode, payload); server frames must not be masked."""
        first, second = self._take(2)
        assert first & 0x80, "fragmented frames are not expected from the daemon"
        assert not second & 0x80, "a server must not mask its frames"
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._take(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._take(8))
        return first & 0x0F, self._take(length)

    def read_until_close(self, data_opcode: int = BINARY) -> tuple[bytes, bytes]:
        """All data payloads (each in a ``data_opcode`` frame) until the daemon's close frame; (data, close payload)."""
        data = b""
        while True:
            opcode, payload = self.receive()
            if opcode == CLOSE:
                return data, payload
            assert opcode == data_opcode, opcode
            data += payload


def _open(daemon: Pymobyd, target: str, *, key: bytes | None = None) -> tuple[bytes, WebSocket]:
    """Send the opening handshake for ``target``; the answer's head and the websocket."""
    key = key or base64.b64encode(os.urandom(16))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(30)
    sock.connect(str(daemon.socket))
    sock.sendall(
        b"GET " + target.encode() + b" HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\nOrigin: http://localhost\r\n\r\n"
    )
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, WebSocket(sock, rest)


def _accept_for(key: bytes) -> bytes:
    return base64.b64encode(hashlib.sha1(key + _GUID).digest())


@pytest.fixture
def cat(daemon: Pymobyd) -> Iterator[str]:
    """A running container echoing its stdin (``-i``, no TTY)."""
    daemon.docker("run", "-d", "-i", "--name", "wscat", "--network", "none", "busybox", "cat")
    try:
        yield "wscat"
    finally:
        daemon.docker("rm", "-f", "wscat")


def test_handshake_and_stdin_echoed_back_in_binary_frames(daemon: Pymobyd, cat: str) -> None:
    key = base64.b64encode(os.urandom(16))
    head, ws = _open(daemon, f"/v1.45/containers/{cat}/attach/ws?stream=1&stdin=1&stdout=1&stderr=1", key=key)
    with ws.sock:
        lines = head.split(b"\r\n")
        assert lines[0] == b"HTTP/1.1 101 Switching Protocols"
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}
        assert headers[b"upgrade"].lower() == b"websocket"
        assert headers[b"connection"].lower() == b"upgrade"
        assert headers[b"sec-websocket-accept"] == _accept_for(key)
        ws.send(b"hello over a websocket\n")
        got = b""
        while got != b"hello over a websocket\n":
            opcode, payload = ws.receive()
            assert opcode == BINARY
            got += payload  # raw, not multiplexed: no 8-byte stream headers
        ws.send(b"ping me", opcode=PING)
        assert ws.receive() == (PONG, b"ping me")
        ws.send(b"text frames are input too\n", opcode=TEXT)
        got = b""
        while got != b"text frames are input too\n":
            got += ws.receive()[1]
        ws.send(struct.pack("!H", 1000), opcode=CLOSE)
        opcode, payload = ws.receive()
        assert opcode == CLOSE
        assert payload[:2] == struct.pack("!H", 1000)
    assert daemon.docker("inspect", "-f", "{{.State.Running}}", cat).stdout == b"true\n"


def test_logs_then_close_when_not_streaming(daemon: Pymobyd) -> None:
    daemon.docker("run", "--name", "wslogs", "--network", "none", "busybox", "sh", "-c", "echo out1; echo err1 >&2")
    try:
        head, ws = _open(daemon, "/v1.45/containers/wslogs/attach/ws?logs=1&stdout=1&stderr=1")
        with ws.sock:
            assert head.startswith(b"HTTP/1.1 101 ")
            data, closing = ws.read_until_close()
        assert sorted(data.splitlines()) == [b"err1", b"out1"]
        assert closing[:2] == struct.pack("!H", 1000)
        head, ws = _open(daemon, "/v1.45/containers/wslogs/attach/ws?logs=1&stdout=1")
        with ws.sock:
            data, _ = ws.read_until_close()
        assert data == b"out1\n"  # stderr was not asked for
    finally:
        daemon.docker("rm", "-f", "wslogs")


@pytest.mark.parametrize(("version", "opcode"), [("1.41", BINARY), ("1.27", TEXT)])
def test_older_api_versions_attach_every_stream_and_before_1_28_use_text_frames(
    daemon: Pymobyd, version: str, opcode: int
) -> None:
    daemon.docker("run", "--name", "wsold", "--network", "none", "busybox", "sh", "-c", "echo out1; echo err1 >&2")
    try:
        head, ws = _open(daemon, f"/v{version}/containers/wsold/attach/ws?logs=1")  # before 1.42: no stdout=1 needed
        with ws.sock:
            assert head.startswith(b"HTTP/1.1 101 ")
            data, _ = ws.read_until_close(opcode)
        assert sorted(data.splitlines()) == [b"err1", b"out1"]
    finally:
        daemon.docker("rm", "-f", "wsold")


def test_a_tty_shell_over_a_websocket(daemon: Pymobyd) -> None:
    daemon.docker("run", "-dit", "--name", "wstty", "--network", "none", "busybox", "sh")
    try:
        _, ws = _open(daemon, "/v1.45/containers/wstty/attach/ws?stream=1&stdin=1&stdout=1&stderr=1")
        with ws.sock:
            ws.send(b"echo $((6 * 7))\r")
            seen = b""
            while b"42\r\n" not in seen:
                opcode, payload = ws.receive()
                assert opcode == BINARY
                seen += payload
            ws.send(b"exit\r")
            _, closing = ws.read_until_close()
            assert closing[:2] == struct.pack("!H", 1000)
        assert daemon.docker("wait", "wstty").stdout == b"0\n"
    finally:
        daemon.docker("rm", "-f", "wstty")


def test_output_of_a_running_container_until_it_exits(daemon: Pymobyd) -> None:
    daemon.docker("run", "-d", "--name", "wsrun", "--network", "none", "busybox", "sh", "-c",
                  "sleep 1; for i in 1 2 3; do echo line$i; done; echo bad >&2")  # fmt: skip
    try:
        head, ws = _open(daemon, "/v1.45/containers/wsrun/attach/ws?stream=1&stdout=1&stderr=1")
        with ws.sock:
            assert head.startswith(b"HTTP/1.1 101 ")
            data, _ = ws.read_until_close()
        lines = data.splitlines()
        # stdout and stderr share the frames (never multiplexed); their order between pipes is not kept
        assert [line for line in lines if line != b"bad"] == [b"line1", b"line2", b"line3"]
        assert lines.count(b"bad") == 1
    finally:
        daemon.docker("rm", "-f", "wsrun")


def test_unknown_container_is_an_http_404_before_the_upgrade(daemon: Pymobyd) -> None:
    head, ws = _open(daemon, "/v1.45/containers/nosuch/attach/ws?stream=1&stdout=1")
    with ws.sock:
        assert head.startswith(b"HTTP/1.1 404 ")
        assert b"No such container: nosuch" in ws.buffer + ws.sock.recv(65536)


def test_a_request_that_is_not_a_websocket_handshake_is_refused(daemon: Pymobyd, cat: str) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(str(daemon.socket))
        sock.sendall(f"GET /v1.45/containers/{cat}/attach/ws?stream=1 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert answer.endswith(b'{"message":"not websocket protocol"}\n')  # x/net/websocket's words, as dockerd
