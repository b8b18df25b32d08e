"""Netlink through pyroute2: bridges, veth pairs, addresses, routes.

:class:`Netlink` wraps one ``AsyncIPRoute`` socket, either the daemon's own
(the host namespace) or one opened inside a container's namespace
(:meth:`Netlink.inside`). Kernel errors become :class:`NetworkSetupError`
naming what failed.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pyroute2 import AsyncIPRoute  # type: ignore[import-untyped]
from pyroute2.netlink.exceptions import NetlinkError  # type: ignore[import-untyped]

from ._errors import NetworkSetupError
from ._netns import netns_socket

__all__ = ["Netlink", "random_mac"]

IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface

_ENODEV = 19
_EEXIST = 17
_EADDRNOTAVAIL = 99
_ESRCH = 3
_IFA_F_NODAD = 0x02


def random_mac() -> str:
    """A random locally administered unicast MAC address."""
    raw = bytearray(secrets.token_bytes(6))
    raw[0] = (raw[0] & 0xFE) | 0x02
    return ":".join(f"{b:02x}" for b in raw)


class Netlink:
    """Netlink operations over one rtnetlink socket (host or container namespace)."""

    def __init__(self, ipr: AsyncIPRoute, where: str = "host") -> None:
        self._ipr = ipr
        self.where = where

    @classmethod
    @asynccontextmanager
    async def host(cls) -> AsyncIterator[Netlink]:
        """The daemon's own namespace."""
        ipr = AsyncIPRoute(groups=0)
        try:
            yield cls(ipr)
        finally:
            ipr.close()

    @classmethod
    @asynccontextmanager
    async def inside(cls, netns: Path) -> AsyncIterator[Netlink]:
        """A container's namespace, by its bind-mounted file."""
        sock = await netns_socket(netns, socket.AF_NETLINK, socket.SOCK_DGRAM, 0)
        try:
            ipr = AsyncIPRoute(groups=0, use_socket=sock)
            try:
                yield cls(ipr, str(netns))
            finally:
                ipr.close()
        finally:
            sock.close()

    def _fail(self, what: str, exc: NetlinkError | OSError) -> NetworkSetupError:
        return NetworkSetupError(f"{what} ({self.where}): {exc}")

    # -- links -----------------------------------------------------------------------
    async def index(self, name: str) -> int | None:
        """The interface index of ``name``, ``None`` when there is none."""
        try:
            found = await self._ipr.link_lookup(ifname=name)
        except NetlinkError as exc:
            if exc.code == _ENODEV:
                return None
            raise self._fail(f"failed to look up {name}", exc) from exc
        return int(found[0]) if found else None

    async def link_names(self) -> list[str]:
        """Every interface name."""
        return [str(link.get("ifname")) async for link in await self._ipr.link("dump")]

    async def delete_link(self, name: str) -> bool:
        """Delete an interface; ``False`` when it did not exist."""
        try:
            await self._ipr.link("del", ifname=name)
        except NetlinkError as exc:
            if exc.code == _ENODEV:
                return False
            raise self._fail(f"failed to delete {name}", exc) from exc
        return True

    async def _index_of(self, link: str | int) -> int:
        index = link if isinstance(link, int) else await self.index(link)
        if index is None:
            raise NetworkSetupError(f"no such interface {link} ({self.where})")
        return index

    async def set_link(self, link: str | int, **attributes: Any) -> None:
        """Set attributes of a link, by name or index (``state="up"``, ``master=``, ``mtu=``, ``address=``)."""
        name = link
        index = await self._index_of(link)
        try:
            await self._ipr.link("set", index=index, **attributes)
        except NetlinkError as exc:
            raise self._fail(f"failed to set {sorted(attributes)} on {name}", exc) from exc

    async def ensure_bridge(self, name: str, mtu: int, addresses: Iterable[IPInterface]) -> int:
        """Create bridge ``name`` if needed; give it exactly ``addresses``; bring it up; return its index."""
        index = await self.index(name)
        if index is None:
            try:
                await self._ipr.link("add", ifname=name, kind="bridge", address=random_mac(), mtu=mtu)
            except NetlinkError as exc:
                if exc.code != _EEXIST:
                    raise self._fail(f"failed to create bridge {name}", exc) from exc
            index = await self.index(name)
            if index is None:
                raise NetworkSetupError(f"bridge {name} vanished after its creation")
        wanted = {(str(a.ip), a.network.prefixlen) for a in addresses}
        present = await self.addresses(index)
        for address, prefixlen in present - wanted:
            if address.startswith("fe80:"):
                continue  # the kernel's link-local address
            await self._addr("del", index, address, prefixlen)
        for address, prefixlen in wanted - present:
            await self._addr("add", index, address, prefixlen)
        try:
            await self._ipr.link("set", index=index, state="up", mtu=mtu)
        except NetlinkError as exc:
            raise self._fail(f"failed to bring up bridge {name}", exc) from exc
        return index

    async def create_veth(
        self, host_name: str, peer_name: str, netns: Path, *, bridge: int, mtu: int, peer_mac: str
    ) -> None:
        """A veth pair in one request: ``host_name`` in the bridge and up; ``peer_name`` inside ``netns``."""
        fd = os.open(netns, os.O_RDONLY | os.O_CLOEXEC)
        try:
            peer = {"ifname": peer_name, "net_ns_fd": fd, "mtu": mtu, "address": peer_mac}
            await self._ipr.link("add", ifname=host_name, kind="veth", mtu=mtu, master=bridge, state="up", peer=peer)
        except NetlinkError as exc:
            raise self._fail(f"failed to create veth pair {host_name}/{peer_name}", exc) from exc
        finally:
            os.close(fd)

    # -- addresses -------------------------------------------------------------------
    async def addresses(self, index: int) -> set[tuple[str, int]]:
        """The (address, prefix length) pairs of an interface."""
        return {(str(a.get("address")), int(a["prefixlen"])) async for a in await self._ipr.addr("dump", index=index)}

    async def _addr(self, command: str, index: int, address: str, prefixlen: int) -> None:
        extra: dict[str, Any] = {"flags": _IFA_F_NODAD} if command == "add" and ":" in address else {}
        try:
            await self._ipr.addr(command, index=index, address=address, prefixlen=prefixlen, **extra)
        except NetlinkError as exc:
            if (command == "add" and exc.code == _EEXIST) or (command == "del" and exc.code == _EADDRNOTAVAIL):
                return
            raise self._fail(f"failed to {command} address {address}/{prefixlen}", exc) from exc

    async def add_address(self, link: str | int, address: IPInterface) -> None:
        """Add ``address`` to a link, by name or index (IPv6 without duplicate address detection)."""
        name = link
        index = await self._index_of(link)
        extra: dict[str, Any] = {}
        if address.version == 6:
            extra["flags"] = _IFA_F_NODAD  # the address is ours alone: usable at once, not "tentative"
        try:
            await self._ipr.addr(
                "add", index=index, address=str(address.ip), prefixlen=address.network.prefixlen, **extra
            )
        except NetlinkError as exc:
            if exc.code != _EEXIST:
                raise self._fail(f"failed to add address {address} to {name}", exc) from exc

    # -- routes ----------------------------------------------------------------------
    async def routes(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """The destinations of the main routing table (IPv4 and IPv6), the default routes left out."""
        found: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        async for route in await self._ipr.route("dump"):
            if route.get("table") != 254 or not route["dst_len"] or route.get("dst") is None:
                continue
            try:
                found.append(ipaddress.ip_network(f"{route.get('dst')}/{route['dst_len']}", strict=False))
            except ValueError:
                continue
        return found

    async def set_default_route(self, gateway: str, version: int) -> None:
        """Make ``gateway`` the default route of IP ``version`` (replacing any other)."""
        dst = "0.0.0.0/0" if version == 4 else "::/0"
        try:
            await self._ipr.route(
                "replace", dst=dst, gateway=gateway, family=socket.AF_INET if version == 4 else socket.AF_INET6
            )
        except NetlinkError as exc:
            raise self._fail(f"failed to set the default route via {gateway}", exc) from exc

    async def delete_default_route(self, version: int) -> None:
        """Remove the default route of IP ``version`` (none is fine)."""
        dst = "0.0.0.0/0" if version == 4 else "::/0"
        try:
            await self._ipr.route("del", dst=dst, family=socket.AF_INET if version == 4 else socket.AF_INET6)
        except NetlinkError as exc:
            if exc.code not in (_ESRCH, _ENODEV):
                raise self._fail("failed to remove the default route", exc) from exc
