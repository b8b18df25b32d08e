"""Blocking HTTP/1.1 over the standard library's sockets: unix, tcp and TLS daemons.

:class:`BlockingTransport` sends a request whose body is known in full and
reads its whole answer (``Content-Length``, chunked, or up to the end of the
connection), keeping idle keep-alive connections for reuse. It is what plain
request/response calls use when no event loop is wanted (the blocking
:class:`~pymoby.client.Client`, one-shot command lines); streamed and hijacked
requests go through the async transport.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pymoby import errdefs

from ._hosts import Host, RawResponse, TLSConfig

if TYPE_CHECKING:
    import ssl

__all__ = ["BlockingTransport"]

#: The longest head (status line and headers) accepted from the daemon.
MAX_HEAD = 1 << 20
_NO_BODY_STATUS = (204, 304)


class _ProtocolError(Exception):
    """The daemon's answer is not HTTP/1.1 as we read it."""


class _Deadline:
    def __init__(self, timeout: float | None) -> None:
        self.at = None if timeout is None else time.monotonic() + timeout

    def remaining(self) -> float | None:
        if self.at is None:
            return None
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out waiting for the daemon")
        return left


class _Connection:
    """One socket and what was read from it past the current answer."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.deadline = _Deadline(None)

    def close(self) -> None:
        self.sock.close()

    def _fill(self) -> bool:
        self.sock.settimeout(self.deadline.remaining())
        data = self.sock.recv(65536)
        self.buffer += data
        return bool(data)

    def read_until(self, marker: bytes, limit: int) -> bytes | None:
        """Up to and including ``marker``; ``None`` when the connection ends first with nothing read."""
        start = 0
        while True:
            index = self.buffer.find(marker, start)
            if index >= 0:
                end = index + len(marker)
                line, self.buffer = self.buffer[:end], self.buffer[end:]
                return line
            if len(self.buffer) > limit:
                raise _ProtocolError("answer head too long")
            start = max(0, len(self.buffer) - len(marker) + 1)
            if not self._fill():
                if self.buffer:
                    raise _ProtocolError("connection closed in the middle of an answer")
                return None

    def read_exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            if not self._fill():
                raise _ProtocolError("connection closed in the middle of an answer's body")
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read_to_end(self) -> bytes:
        while self._fill():
            pass
        data, self.buffer = self.buffer, b""
        return data


def _parse_head(head: bytes) -> tuple[int, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit() or len(parts[1]) != 3:
        raise _ProtocolError(f"malformed status line {lines[0]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise _ProtocolError(f"malformed header line {line!r}")
        headers[name.lower()] = value.strip(" \t")
    return int(parts[1]), parts[0], headers


def _read_chunked(connection: _Connection) -> bytes:
    parts: list[bytes] = []
    while True:
        line = connection.read_until(b"\r\n", 1024)
        if line is None:
            raise _ProtocolError("connection closed in the middle of a chunked body")
        size_text = line[:-2].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise _ProtocolError(f"malformed chunk size {size_text!r}") from None
        if size == 0:
            while connection.read_until(b"\r\n", 65536) not in (b"\r\n", None):
                pass  # trailers are not used by the Engine API
            return b"".join(parts)
        parts.append(connection.read_exactly(size))
        if connection.read_exactly(2) != b"\r\n":
            raise _ProtocolError("malformed chunk")


def _connect_unix(sock: socket.socket, path: str, timeout: float | None) -> None:
    """Connect to a unix socket, waiting (up to ``timeout``) while the server's listen queue is full.

    With a timeout set, the socket is non-blocking underneath, and a unix
    socket's connect then fails at once with EAGAIN when the queue is full
    (several threads connecting at the same moment), where a TCP connect waits.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = 0.001
    while True:
        try:
            sock.connect(path)
            return
        except BlockingIOError:
            if deadline is not None and time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


class BlockingTransport:
    """Sends whole requests to one daemon and reads whole answers, reusing keep-alive connections.

    Safe to use from several threads at once (each request has a connection of its own).
    """

    def __init__(self, host: Host, tls: TLSConfig | None = None, timeout: float | None = 60.0) -> None:
        self.host = host
        self.timeout = timeout
        self._ssl: ssl.SSLContext | None = tls.context() if tls is not None else None
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()

    def _connect(self) -> _Connection:
        try:
            if self.host.proto == "unix":
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    sock.settimeout(self.timeout)
                    _connect_unix(sock, self.host.address, self.timeout)
                except BaseException:
                    sock.close()
                    raise
            else:
                sock = socket.create_connection((self.host.address, self.host.port), timeout=self.timeout)
                if self._ssl is not None:
                    try:
                        sock = self._ssl.wrap_socket(sock, server_hostname=self.host.address)
                    except BaseException:
                        sock.close()
                        raise
        except OSError as exc:
            raise errdefs.Unavailable(
                f"Cannot connect to the Docker daemon at {self.host.describe()}. Is the docker daemon running? ({exc})"
            ) from exc
        return _Connection(sock)

    def close(self) -> None:
        """Close the idle connections."""
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _take_idle(self) -> _Connection | None:
        with self._lock:
            return self._idle.pop() if self._idle else None

    def request(
        self, method: str, target: str, headers: Sequence[tuple[str, str]] = (), body: bytes | None = None
    ) -> tuple[RawResponse, bytes]:
        """Send a request and read its whole answer within the transport's timeout.

        Raises ``errdefs.Unavailable`` when the daemon cannot be reached or the
        exchange breaks (the answer is not HTTP, the connection ends early),
        and ``TimeoutError`` when the answer does not come in time.
        """
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host.authority}", "User-Agent: pymoby-client/0.1.0"]
        lines.extend(f"{name}: {value}" for name, value in headers)
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        message = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
        deadline = _Deadline(self.timeout)
        for attempt in range(2):
            connection = self._take_idle() if attempt == 0 else None
            reused = connection is not None
            if connection is None:
                connection = self._connect()
            connection.deadline = deadline
            try:
                return self._exchange(connection, method, message)
            except _Retry as retry:
                connection.close()
                if reused:
                    continue  # a keep-alive connection the daemon had closed: try a fresh one
                raise errdefs.Unavailable(f"error during connect: {retry}") from None
            except _ProtocolError as exc:
                connection.close()
                raise errdefs.Unavailable(f"error during connect: {exc}") from exc
            except TimeoutError:
                connection.close()
                raise
            except OSError as exc:
                connection.close()
                if reused:
                    continue
                raise errdefs.Unavailable(f"error during connect: {exc}") from exc
            except BaseException:
                connection.close()
                raise
        raise errdefs.Unavailable("error during connect: the daemon closed the connection")

    def _exchange(self, connection: _Connection, method: str, message: bytes) -> tuple[RawResponse, bytes]:
        connection.sock.settimeout(connection.deadline.remaining())
        connection.sock.sendall(message)
        while True:
            head = connection.read_until(b"\r\n\r\n", MAX_HEAD)
            if head is None:
                raise _Retry("connection closed before an answer")
            status, version, headers = _parse_head(head)
            if status == 101 or status >= 200:
                break  # 100 Continue and other interim answers are skipped
        if method == "HEAD" or status in _NO_BODY_STATUS or status < 200:
            content, framed = b"", True
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            content, framed = _read_chunked(connection), True
        elif "content-length" in headers:
            try:
                length = int(headers["content-length"])
            except ValueError:
                raise _ProtocolError(f"malformed Content-Length {headers['content-length']!r}") from None
            content, framed = connection.read_exactly(length), True
        else:
            content, framed = connection.read_to_end(), False
        keep = (
            framed
            and status >= 200
            and version == "HTTP/1.1"
            and "close" not in headers.get("connection", "").lower()
            and not connection.buffer
        )
        if keep:
            with self._lock:
                self._idle.append(connection)
        else:
            connection.close()
        return RawResponse(status, headers), content


class _Retry(Exception):
    """The connection ended before any answer: a reused one is retried on a fresh connection."""
