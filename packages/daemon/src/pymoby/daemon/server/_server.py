"""The API server: listeners, the middleware-wrapped routing table, connections.

``Server(config, routers, middlewares)`` builds the table once; ``serve``
runs in the caller's task group until cancelled, owning one task per
connection and a watchdog that enforces the header and idle timeouts (and
refreshes the cached ``Date`` header) once a tick, so the request path
carries no timers.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import formatdate

import anyio
import anyio.abc

from pymoby import errdefs

from .. import httpstatus
from ._connection import HTTPConnection
from ._request import Request
from ._response import JSON, AnyResponse, Response
from ._routing import Middleware, Mux, Router

__all__ = ["Listener", "Server", "ServerConfig", "error_response"]

log = logging.getLogger("pymoby.daemon.server")


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Limits of the HTTP server.

    ``header_timeout``: seconds a client has to send a request's head once it
    started it; ``idle_timeout``: seconds a keep-alive connection may wait
    between requests; ``max_header_bytes``: size of a request head (Go's
    default, 1 MiB) above which the answer is 431.
    """

    header_timeout: float = 60.0
    idle_timeout: float = 300.0
    max_header_bytes: int = 1 << 20


@dataclass(slots=True)
class Listener:
    """A bound, listening socket, with the TLS context it serves (``None`` for plain)."""

    sock: socket.socket
    address: str
    ssl: ssl.SSLContext | None = None


class _PageNotFound(errdefs.NotFound):
    pass


def error_response(exc: BaseException) -> Response:
    """The answer for an error: the status from :mod:`httpstatus` and ``{"message": ...}``."""
    status = httpstatus.status_of(exc)
    if status == 304:
        return Response(304)
    return Response(status, httpstatus.error_body(exc), JSON)


_NOT_FOUND = error_response(_PageNotFound("page not found"))


class Server:
    """An HTTP/1.1 server for the Engine API."""

    def __init__(self, config: ServerConfig, routers: Sequence[Router], middlewares: Sequence[Middleware] = ()) -> None:
        self.config = config
        self._mux = Mux(routers, middlewares)
        self._connections: set[HTTPConnection] = set()
        self._task_group: anyio.abc.TaskGroup | None = None
        self._servers: list[asyncio.Server] = []
        self.now = 0.0
        self.date_line = b""
        self._tick()

    @property
    def connections(self) -> int:
        """How many client connections are open."""
        return len(self._connections)

    # -- called by connections -------------------------------------------------
    def route(self, request: Request) -> None:
        """Match ``request`` to its route (done as soon as its head is parsed)."""
        match = self._mux.match(request.method, request.path)
        if match is not None:
            request.route, request.vars = match
            request.hijack = match[0].hijack

    async def dispatch(self, request: Request) -> AnyResponse:
        """Run the request's handler; an error becomes its answer (never raises but cancellation)."""
        route = request.route
        if route is None:
            return _NOT_FOUND
        try:
            response: AnyResponse = await route.handler(request)
        except Exception as exc:
            response = error_response(exc)
            if response.status >= 500:
                log.error("Handler for %s %s returned error: %s", request.method, request.path, exc, exc_info=exc)
            else:
                log.debug("Handler for %s %s returned error: %s", request.method, request.path, exc)
        return response

    def connection_started(self, connection: HTTPConnection) -> None:
        """Register a new connection and start its task."""
        if self._task_group is None:
            connection.close()
            return
        self._connections.add(connection)
        self._task_group.start_soon(connection.run)

    def connection_ended(self, connection: HTTPConnection) -> None:
        """Forget a closed connection."""
        self._connections.discard(connection)

    # -- serving ---------------------------------------------------------------
    async def serve(
        self, listeners: Sequence[Listener], *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Accept on ``listeners`` until cancelled; then stop accepting and close every connection."""
        loop = asyncio.get_running_loop()
        try:
            async with anyio.create_task_group() as tg:
                self._task_group = tg
                for listener in listeners:
                    server = await loop.create_server(
                        lambda: HTTPConnection(self),
                        sock=listener.sock,
                        ssl=listener.ssl,
                        backlog=1024,
                    )
                    self._servers.append(server)
                    log.info("API listen on %s", listener.address)
                tg.start_soon(self._watchdog)
                task_status.started()
                await anyio.sleep_forever()
        finally:
            self._task_group = None
            for server in self._servers:
                server.close()
            self._servers.clear()
            for connection in list(self._connections):
                connection.close()

    def _tick(self) -> None:
        self.now = asyncio.get_running_loop().time() if _loop_running() else 0.0
        self.date_line = b"Date: " + formatdate(usegmt=True).encode() + b"\r\n"

    async def _watchdog(self) -> None:
        tick = max(0.05, min(1.0, self.config.header_timeout / 4, self.config.idle_timeout / 4))
        while True:
            await anyio.sleep(tick)
            self._tick()
            now = self.now
            for connection in list(self._connections):
                if connection.parsing:
                    if now - connection.parse_started > self.config.header_timeout:
                        log.debug("closing a connection that sent no complete request head in time")
                        connection.close()
                elif not connection.busy and now - connection.idle_since > self.config.idle_timeout:
                    connection.close()


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
