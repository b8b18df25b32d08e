"""Published ports of a running container: host ports bound, proxies started, and their release.

The ports go with the container's gateway endpoint (its first non-internal
bridge network, as in Docker); a binding without a host address is made on
``0.0.0.0`` and, when the host has IPv6, on ``::`` (relayed to the container's
IPv4 address when it has no IPv6 one, as docker-proxy does).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

import anyio

from ._errors import PortAllocationError
from ._model import OPT_HOST_BINDING, ContainerRecord, EndpointRecord, PortRecord
from ._portmap import BoundPort
from ._proxy import TCPProxy, UDPProxy
from ._state import Live, State

__all__ = ["close_ports", "publish", "unpublish"]

_ipv6_ok: bool | None = None


def _ipv6_listenable() -> bool:
    global _ipv6_ok
    if _ipv6_ok is None:
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
                probe.bind(("::1", 0))
            _ipv6_ok = True
        except OSError:
            _ipv6_ok = False
    return _ipv6_ok


async def publish(state: State, record: ContainerRecord, endpoint: EndpointRecord) -> None:
    """Bind the container's published ports on the host and start their proxies.

    Raises :class:`PortAllocationError` in Docker's words (nothing stays bound).
    """
    network = state.networks[endpoint.network_id]
    if not record.ports or network.internal or not endpoint.ipv4:
        return
    ipv4 = str(ipaddress.ip_interface(endpoint.ipv4).ip)
    ipv6 = str(ipaddress.ip_interface(endpoint.ipv6).ip) if endpoint.ipv6 else ""
    default_ip = network.option(OPT_HOST_BINDING, state.config.default_bind_ip)
    proxy = state.config.userland_proxy
    made: list[tuple[BoundPort, TCPProxy | UDPProxy | None]] = []
    records: list[PortRecord] = []

    def bind_all() -> None:
        for request in record.ports:
            if request.host_ip:
                ips = [request.host_ip]
            else:
                ips = [default_ip] + (["::"] if default_ip == "0.0.0.0" and _ipv6_listenable() else [])
            last = request.host_port_end or request.host_port
            bound = state.ports.bind(
                request.proto, ips, request.host_port, last, listen=proxy and request.proto == "tcp"
            )
            for held in bound:
                target = (ipv6 if ":" in held.host_ip and ipv6 else ipv4, request.port)
                relay: TCPProxy | UDPProxy | None = None
                if proxy and request.proto == "tcp":
                    relay = TCPProxy(held.sock, target)
                elif proxy and request.proto == "udp":
                    relay = UDPProxy(held.sock, target)
                if relay is not None:
                    relay.start()
                made.append((held, relay))
                records.append(
                    PortRecord(proto=request.proto, port=request.port, host_ip=held.host_ip, host_port=held.host_port)
                )

    try:
        await anyio.to_thread.run_sync(bind_all)
    except PortAllocationError as exc:
        await anyio.to_thread.run_sync(close_ports, state, made)
        raise PortAllocationError(
            f"driver failed programming external connectivity on endpoint {record.name} ({endpoint.id}): {exc}"
        ) from exc
    state.live.setdefault(record.id, Live()).ports.extend(made)
    endpoint.ports = records


def close_ports(state: State, ports: Iterable[tuple[BoundPort, TCPProxy | UDPProxy | None]]) -> None:
    """Stop the proxies and release their host ports (blocking: joins the proxy threads)."""
    for held, relay in ports:
        if relay is not None:
            relay.close()
        state.ports.release(held)


async def unpublish(state: State, record: ContainerRecord) -> None:
    """Stop the proxies and release the host ports of a container."""
    live = state.live.get(record.id)
    if live is not None and live.ports:
        ports, live.ports = live.ports, []
        await anyio.to_thread.run_sync(close_ports, state, ports)
    for endpoint in record.endpoints:
        endpoint.ports = []
