"""Docker's plugin protocol on the wire: JSON over HTTP/1.1 POST, on a unix socket or TCP.

Every call is ``POST /Service.Method`` with a JSON body and
``Accept: application/vnd.docker.plugins.v1.2+json``; the answer is JSON,
with an ``Err`` member when the call failed. A non-200 status is an error
too (its message taken from ``Err`` when the body has one, else the body).
One connection per call (``Connection: close``), as plugin servers expect
nothing more. Connecting is retried with back-off while ``retry_for``
seconds allow (a plugin may still be starting), as Docker does.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.abc

from pymoby import errdefs

from ._errors import PluginUnavailable, VolumeDriverError

__all__ = ["PLUGIN_MIMETYPE", "PluginAddress", "PluginCallError", "PluginClient"]

log = logging.getLogger("pymoby.daemon.volume")

PLUGIN_MIMETYPE = "application/vnd.docker.plugins.v1.2+json"
_MAX_BODY = 16 << 20


class PluginCallError(VolumeDriverError):
    """The plugin answered a call with an error: ``Method: message``; ``status`` is the HTTP status."""

    def __init__(self, method: str, message: str, status: int = 200) -> None:
        super().__init__(f"{method}: {message}")
        self.method = method
        self.status = status
        self.remote_message = message


@dataclass(frozen=True, slots=True)
class PluginAddress:
    """Where a plugin listens: ``unix:///run/docker/plugins/x.sock`` or ``tcp://host:port``."""

    name: str
    url: str

    def parts(self) -> tuple[str, str, int]:
        """(scheme, path or host, port)."""
        split = urlsplit(self.url)
        if split.scheme == "unix":
            return "unix", split.path or split.netloc, 0
        if split.scheme in ("tcp", "http"):
            return "tcp", split.hostname or "127.0.0.1", split.port or 80
        raise errdefs.InvalidParameter(f"plugin {self.name}: unsupported address {self.url!r}")


async def _read_response(stream: anyio.abc.ByteStream) -> tuple[int, bytes]:
    buf = b""
    while b"\r\n\r\n" not in buf:
        try:
            chunk = await stream.receive()
        except anyio.EndOfStream:
            raise errdefs.System("the plugin closed the connection before answering") from None
        buf += chunk
        if len(buf) > 1 << 16:
            raise errdefs.System("the plugin's answer headers are too large")
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        raise errdefs.System(f"malformed answer from the plugin: {lines[0]!r}") from None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()

    async def more() -> bytes:
        try:
            return await stream.receive()
        except anyio.EndOfStream:
            return b""

    if "content-length" in headers:
        length = int(headers["content-length"])
        while len(rest) < length:
            chunk = await more()
            if not chunk:
                break
            rest += chunk
        return status, rest[:length]
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            while b"\r\n" not in rest:
                chunk = await more()
                if not chunk:
                    return status, body
                rest += chunk
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                return status, body
            while len(rest) < size + 2:
                chunk = await more()
                if not chunk:
                    return status, body + rest
                rest += chunk
            body += rest[:size]
            rest = rest[size + 2 :]
            if len(body) > _MAX_BODY:
                raise errdefs.System("the plugin's answer is too large")
    while chunk := await more():
        rest += chunk
        if len(rest) > _MAX_BODY:
            raise errdefs.System("the plugin's answer is too large")
    return status, rest


class PluginClient:
    """Calls one plugin's methods."""

    def __init__(self, address: PluginAddress, *, timeout: float = 60.0) -> None:
        self.address = address
        self.timeout = timeout

    async def _connect(self) -> anyio.abc.ByteStream:
        scheme, where, port = self.address.parts()
        if scheme == "unix":
            return await anyio.connect_unix(where)
        return await anyio.connect_tcp(where, port)

    async def call(
        self,
        method: str,
        args: dict[str, Any] | None = None,
        *,
        long: bool = False,
        retry_for: float = 0.0,
    ) -> dict[str, Any]:
        """Call ``method`` with ``args``; its JSON answer. The plugin has a minute to answer (two
        with ``long``: volume creation and mounts, as Docker allows).

        Raises PluginCallError (the plugin said no: ``Err`` or a non-200
        status), PluginUnavailable (nothing answers at its address, after
        ``retry_for`` seconds of retries), errdefs.DeadlineExceeded.
        """
        body = json.dumps(args).encode() if args is not None else b"null"
        request = (
            f"POST /{method} HTTP/1.1\r\nHost: {self.address.name}\r\nAccept: {PLUGIN_MIMETYPE}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode("latin-1") + body
        start = time.monotonic()
        attempt = 0
        while True:
            try:
                stream = await self._connect()
                break
            except OSError as exc:
                delay = min(2.0**attempt * 0.1, 2.0)
                if time.monotonic() - start + delay > retry_for:
                    raise PluginUnavailable(
                        f"error while calling plugin {self.address.name} ({method}): {exc.strerror or exc}"
                    ) from exc
                log.warning(
                    "Unable to connect to plugin %s (%s): %s, retrying in %.1fs", self.address.name, method, exc, delay
                )
                attempt += 1
                await anyio.sleep(delay)
        try:
            with anyio.fail_after(self.timeout * 2 if long else self.timeout):
                async with stream:
                    await stream.send(request)
                    status, data = await _read_response(stream)
        except TimeoutError as exc:
            raise errdefs.DeadlineExceeded(f"{method}: the plugin {self.address.name} did not answer in time") from exc
        except (OSError, anyio.BrokenResourceError) as exc:
            raise PluginUnavailable(f"error while calling plugin {self.address.name} ({method}): {exc}") from exc
        try:
            answer = json.loads(data) if data.strip() else {}
        except ValueError:
            answer = None
        if status != 200:
            message = data.decode(errors="replace")
            if isinstance(answer, dict) and answer.get("Err"):
                message = str(answer["Err"])
            raise PluginCallError(method, message.strip(), status)
        if not isinstance(answer, dict):
            raise PluginCallError(method, f"invalid answer: {data[:200].decode(errors='replace')!r}", status)
        err = answer.get("Err")
        if err:
            raise PluginCallError(method, str(err))
        return answer
