"""The embedded DNS server of a container on user-defined networks (Docker's 127.0.0.11).

One :class:`EmbeddedDNS` per such container listens on 127.0.0.11:53, UDP
and TCP, with sockets opened inside the container's namespace and served by
the daemon's event loop. Names are looked up at query time in the daemon's
live state (:class:`NameLookup`), so a container that joins later resolves at
once and one that left never does; other names are forwarded, from the
host's namespace, to the container's external servers.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import struct
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Protocol

import anyio
import anyio.abc
from anyio.abc import TaskStatus

from ._dns import (
    CLASS_IN,
    NOERROR,
    NXDOMAIN,
    SERVFAIL,
    TYPE_A,
    TYPE_AAAA,
    TYPE_PTR,
    DNSFormatError,
    encode_name,
    parse_query,
    response,
    reverse_name,
)
from ._files import EMBEDDED_DNS
from ._netns import in_netns

__all__ = ["EmbeddedDNS", "NameLookup", "resolve"]

log = logging.getLogger("pymoby.daemon.network")

_FORWARD_TIMEOUT = 3.0
_MAX_UDP = 4096
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class NameLookup(Protocol):
    """The daemon's live view of the names one container can resolve."""

    def addresses(self, name: str) -> list[IPAddress] | None:
        """The addresses of ``name`` on the container's networks; ``None`` when it names no container."""
        ...

    def pointer(self, address: IPAddress) -> str | None:
        """The PTR name (``web.mynet``) of an address on the container's networks, or ``None``."""
        ...

    def external_servers(self) -> Sequence[str]:
        """Where other names are forwarded; empty when the container may not reach out."""
        ...


def resolve(lookup: NameLookup, data: bytes) -> bytes | None:
    """The local answer to query ``data``, or ``None`` when it must be forwarded.

    Raises :class:`DNSFormatError` for a message that is not a query.
    """
    query = parse_query(data)
    if query.qclass != CLASS_IN:
        return None
    if query.qtype == TYPE_PTR:
        address = reverse_name(query.name)
        if address is None:
            return None
        target = lookup.pointer(address)
        if target is None:
            return None
        return response(query, [(TYPE_PTR, encode_name(target))])
    found = lookup.addresses(query.name)
    if found is None:
        return None
    if query.qtype == TYPE_A:
        answers = [(TYPE_A, a.packed) for a in found if a.version == 4]
    elif query.qtype == TYPE_AAAA:
        answers = [(TYPE_AAAA, a.packed) for a in found if a.version == 6]
    else:
        answers = []
    # A known name without a record of this type is NOERROR with no answers (not NXDOMAIN),
    # so that a resolver asking A and AAAA in parallel keeps the A answer.
    return response(query, answers, rcode=NOERROR)


async def _forward_udp(server: str, data: bytes) -> bytes:
    async with await anyio.create_connected_udp_socket(server, 53) as udp:
        await udp.send(data)
        while True:
            answer = await udp.receive()
            if answer[:2] == data[:2]:
                return answer


async def _forward_tcp(server: str, data: bytes) -> bytes:
    async with await anyio.connect_tcp(server, 53) as stream:
        await stream.send(struct.pack("!H", len(data)) + data)
        buffer = b""
        while len(buffer) < 2 or len(buffer) < 2 + struct.unpack("!H", buffer[:2])[0]:
            buffer += await stream.receive()
        return buffer[2 : 2 + struct.unpack("!H", buffer[:2])[0]]


class EmbeddedDNS:
    """Serves one container's 127.0.0.11:53 until cancelled."""

    def __init__(self, netns: Path, lookup: NameLookup) -> None:
        self.netns = netns
        self.lookup = lookup
        self._limiter = anyio.CapacityLimiter(64)
        self._sockets: tuple[socket.socket, socket.socket] | None = None

    async def _answer(self, data: bytes, tcp: bool) -> bytes | None:
        try:
            local = resolve(self.lookup, data)
        except DNSFormatError:
            return None
        if local is not None:
            return local
        query = parse_query(data)
        servers = list(self.lookup.external_servers())
        forward: Callable[[str, bytes], Awaitable[bytes]] = _forward_tcp if tcp else _forward_udp
        for server in servers:
            with anyio.move_on_after(_FORWARD_TIMEOUT):
                try:
                    answer = await forward(server, data)
                except OSError as exc:
                    log.debug("DNS forward of %s to %s failed: %s", query.name, server, exc)
                    continue
                return answer
        return response(query, rcode=SERVFAIL if servers else NXDOMAIN)

    async def bind(self) -> None:
        """Open the UDP and TCP sockets on 127.0.0.11:53 inside the namespace.

        Raises :class:`NetworkSetupError` when the namespace cannot be entered, ``OSError`` when the port is taken.
        """

        def open_sockets() -> tuple[socket.socket, socket.socket]:
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                udp.bind((EMBEDDED_DNS, 53))
                tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                tcp.bind((EMBEDDED_DNS, 53))
                tcp.listen(64)
            except OSError:
                udp.close()
                tcp.close()
                raise
            return udp, tcp

        self._sockets = await in_netns(self.netns, open_sockets)

    async def serve(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Answer on the sockets of :meth:`bind` until cancelled (a failure is logged, not raised)."""
        if self._sockets is None:
            raise RuntimeError("EmbeddedDNS.serve() before bind()")
        udp_raw, tcp_raw = self._sockets
        self._sockets = None
        try:
            udp = await anyio.abc.UDPSocket.from_socket(udp_raw)
            listener = await anyio.abc.SocketListener.from_socket(tcp_raw)
        except OSError:
            udp_raw.close()
            tcp_raw.close()
            raise
        task_status.started()
        # anyio lets one task at a time send on a socket; replies are answered concurrently.
        send_lock = anyio.Lock()
        try:
            async with udp, listener, anyio.create_task_group() as tg:
                tg.start_soon(listener.serve, self._serve_tcp)
                async for data, peer in udp:
                    tg.start_soon(self._reply_udp, udp, send_lock, data, peer)
        except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            # The container's namespace went away under the server: nothing left to serve.
            log.debug("embedded DNS server in %s stopped: %s", self.netns, exc)

    async def _reply_udp(
        self, udp: anyio.abc.UDPSocket, send_lock: anyio.Lock, data: bytes, peer: tuple[str, int]
    ) -> None:
        async with self._limiter:
            answer = await self._answer(data, tcp=False)
        if answer is not None:
            try:
                async with send_lock:
                    await udp.sendto(answer[:_MAX_UDP], *peer)
            except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                pass

    async def _serve_tcp(self, stream: anyio.abc.SocketStream) -> None:
        async with stream:
            buffer = b""
            with anyio.move_on_after(30):
                while True:
                    while len(buffer) < 2 or len(buffer) < 2 + struct.unpack("!H", buffer[:2])[0]:
                        try:
                            buffer += await stream.receive()
                        except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
                            return
                    size = struct.unpack("!H", buffer[:2])[0]
                    data, buffer = buffer[2 : 2 + size], buffer[2 + size :]
                    async with self._limiter:
                        answer = await self._answer(data, tcp=True)
                    if answer is None:
                        return
                    try:
                        await stream.send(struct.pack("!H", len(answer)) + answer)
                    except (anyio.BrokenResourceError, OSError):
                        return
