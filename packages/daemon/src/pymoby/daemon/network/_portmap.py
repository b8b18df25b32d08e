"""Published ports: parsing ``PortBindings``/``ExposedPorts``, choosing host ports, binding them.

A binding with no host address is made on ``0.0.0.0`` and on ``::`` (when the
host has IPv6), like Docker; a binding with no host port (``-P``, or
``-p 80``) gets an ephemeral one from the kernel's local port range, the same
for both families. The bound socket is the reservation: a port some other
program holds fails with Docker's ``address already in use`` message, one
another container holds with ``port is already allocated``.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._errors import InvalidNetworkConfig, PortAllocationError
from ._model import PortRequest

__all__ = [
    "BoundPort",
    "PortTable",
    "ephemeral_range",
    "parse_port",
    "port_requests",
]

_PROTOCOLS = ("tcp", "udp", "sctp")
_FALLBACK_RANGE = (49153, 65535)


def parse_port(spec: str) -> tuple[int, int, str]:
    """``"80/tcp"``, ``"53/udp"``, ``"8000-8010"`` -> (first, last, protocol); raises :class:`InvalidNetworkConfig`."""
    text, _, proto = spec.partition("/")
    proto = (proto or "tcp").lower()
    if proto not in _PROTOCOLS:
        raise InvalidNetworkConfig(f"invalid proto: {proto}")
    first, sep, last = text.partition("-")
    try:
        start = int(first)
        end = int(last) if sep else start
    except ValueError:
        raise InvalidNetworkConfig(f'invalid port specification: "{spec}"') from None
    if not 0 < start <= 65535 or not 0 < end <= 65535 or end < start:
        raise InvalidNetworkConfig(f'invalid port specification: "{spec}"')
    return start, end, proto


def _host_range(text: str) -> tuple[int, int]:
    if text in ("", "0"):
        return 0, 0
    first, sep, last = text.partition("-")
    try:
        start = int(first)
        end = int(last) if sep else start
    except ValueError:
        raise InvalidNetworkConfig(f"invalid hostPort: {text}") from None
    if not 0 < start <= 65535 or not 0 < end <= 65535 or end < start:
        raise InvalidNetworkConfig(f"invalid hostPort: {text}")
    return start, end


def port_requests(
    bindings: Mapping[str, Sequence[Any] | None] | None, exposed: Iterable[str], publish_all: bool
) -> list[PortRequest]:
    """The ports to publish: every binding of ``PortBindings``, and every exposed port for ``-P``.

    ``bindings`` values are ``api.PortBinding`` (or anything with ``host_ip``
    and ``host_port``). Raises :class:`InvalidNetworkConfig` for a bad port,
    protocol, host address or host port.
    """
    requests: list[PortRequest] = []
    bound: set[tuple[int, str]] = set()
    for spec, host_bindings in sorted((bindings or {}).items()):
        start, end, proto = parse_port(spec)
        if start != end:
            raise InvalidNetworkConfig(f'invalid port specification: "{spec}"')
        for binding in host_bindings or []:
            host_ip = getattr(binding, "host_ip", "") or ""
            if host_ip:
                try:
                    host_ip = str(ipaddress.ip_address(host_ip.strip("[]")))
                except ValueError:
                    raise InvalidNetworkConfig(f"invalid IP address: {host_ip}") from None
            first, last = _host_range(getattr(binding, "host_port", "") or "")
            requests.append(PortRequest(port=start, proto=proto, host_ip=host_ip, host_port=first, host_port_end=last))
            bound.add((start, proto))
    if publish_all:
        for spec in sorted(exposed):
            start, end, proto = parse_port(spec)
            for port in range(start, end + 1):
                if (port, proto) not in bound:
                    requests.append(PortRequest(port=port, proto=proto))
                    bound.add((port, proto))
    return requests


def ephemeral_range() -> tuple[int, int]:
    """The kernel's local port range (Docker's fallback when it cannot be read)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return _FALLBACK_RANGE


@dataclass(eq=False, slots=True)
class BoundPort:
    """A host port held for an endpoint: its socket (the reservation) and where it leads."""

    proto: str
    host_ip: str
    host_port: int
    sock: socket.socket


def _unspecified(ip: str) -> bool:
    return ip in ("0.0.0.0", "::")


def _family(ip: str) -> int:
    return socket.AF_INET6 if ":" in ip else socket.AF_INET


class PortTable:
    """The host ports this daemon holds; binds new ones (blocking: call from a worker thread)."""

    def __init__(self) -> None:
        self._held: dict[tuple[str, str, int], BoundPort] = {}
        self._next_ephemeral = 0

    def _conflict(self, proto: str, ip: str, port: int) -> bool:
        for held_proto, held_ip, held_port in self._held:
            if held_proto != proto or held_port != port or _family(held_ip) != _family(ip):
                continue
            if held_ip == ip or _unspecified(held_ip) or _unspecified(ip):
                return True
        return False

    def _bind(self, proto: str, ip: str, port: int, listen: bool) -> socket.socket:
        family = _family(ip)
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        if proto == "sctp":
            kind = socket.SOCK_STREAM
        sock = socket.socket(family, kind, socket.IPPROTO_SCTP if proto == "sctp" else 0)
        try:
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            if proto != "udp":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((ip, port))
            if listen and proto != "udp":
                sock.listen(socket.SOMAXCONN)
        except OSError:
            sock.close()
            raise
        return sock

    def bind(self, proto: str, ips: Sequence[str], first: int, last: int, *, listen: bool) -> list[BoundPort]:
        """Hold one port in ``first..last`` (any ephemeral one when 0) on every address of ``ips``.

        Raises :class:`PortAllocationError` with Docker's message when it is taken.
        """
        if first == 0:
            low, high = ephemeral_range()
            span = high - low + 1
            start = self._next_ephemeral if low <= self._next_ephemeral <= high else low
            candidates = [low + (start - low + i) % span for i in range(span)]
        else:
            candidates = list(range(first, last + 1))
        error: PortAllocationError | None = None
        for port in candidates:
            bound: list[BoundPort] = []
            try:
                for ip in ips:
                    if self._conflict(proto, ip, port):
                        raise PortAllocationError(f"Bind for {ip}:{port} failed: port is already allocated")
                    try:
                        sock = self._bind(proto, ip, port, listen)
                    except OSError as exc:
                        family = "4" if _family(ip) == socket.AF_INET else "6"
                        reason = "address already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
                        where = f"[{ip}]" if ":" in ip else ip
                        raise PortAllocationError(
                            f"Error starting userland proxy: listen {proto}{family} {where}:{port}: bind: {reason}"
                        ) from exc
                    bound.append(BoundPort(proto, ip, port, sock))
            except PortAllocationError as exc:
                for held in bound:
                    held.sock.close()
                error = exc
                continue
            for held in bound:
                self._held[(proto, held.host_ip, port)] = held
            if first == 0:
                self._next_ephemeral = port + 1
            return bound
        if first == 0:
            raise PortAllocationError("all ports are allocated") from error
        assert error is not None
        raise error

    def release(self, port: BoundPort) -> None:
        """Forget a port (its socket is closed by the proxy that owns it, or here)."""
        held = self._held.pop((port.proto, port.host_ip, port.host_port), None)
        if held is not None and held.sock.fileno() != -1:
            held.sock.close()
