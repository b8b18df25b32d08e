"""IP address management: subnets for networks, addresses for endpoints (pure, no I/O).

As Docker's default IPAM driver:

- a network without a subnet gets the next free subnet of the default
  address pools, in rotation (a freed subnet is not handed out again at
  once), skipping any that overlaps a network in use or a route of the host;
- a requested subnet must not overlap one in use (``Pool overlaps with other
  one on this address space``);
- endpoint addresses are handed out serially from the subnet (or its
  ``ip-range``), skipping the network and broadcast addresses, the gateway
  and the auxiliary addresses; a static address must be free
  (``Address already in use``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from ._errors import AddressInUse, InvalidNetworkConfig, NoAvailableAddress, NoAvailablePool, PoolOverlap

__all__ = [
    "DEFAULT_POOLS",
    "IPNetwork",
    "PoolAllocator",
    "SubnetAllocator",
    "check_overlap",
    "mac_for",
]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Docker's default address pools: 172.17-31.x.x as /16s, then 192.168.x.x as /20s.
DEFAULT_POOLS: tuple[tuple[str, int], ...] = (
    ("172.17.0.0/16", 16),
    ("172.18.0.0/15", 16),
    ("172.20.0.0/14", 16),
    ("172.24.0.0/13", 16),
    ("192.168.0.0/16", 20),
)
#: How far the serial search may walk a huge (IPv6) range before giving up.
_SCAN_LIMIT = 1 << 20


def check_overlap(subnet: IPNetwork, in_use: Iterable[IPNetwork]) -> None:
    """Raise :class:`PoolOverlap` when ``subnet`` overlaps one of ``in_use``."""
    for other in in_use:
        if other.version == subnet.version and other.overlaps(subnet):
            raise PoolOverlap()


@dataclass(frozen=True, slots=True)
class _Pool:
    base: IPNetwork
    size: int

    @property
    def count(self) -> int:
        return 1 << (self.size - self.base.prefixlen)

    def subnet(self, index: int) -> IPNetwork:
        step = 1 << (self.base.max_prefixlen - self.size)
        address = int(self.base.network_address) + index * step
        return ipaddress.ip_network((address, self.size))


class PoolAllocator:
    """Picks subnets for networks that ask for none, from the default address pools, in rotation."""

    def __init__(self, pools: Sequence[tuple[str, int]] = ()) -> None:
        chosen = pools or DEFAULT_POOLS
        self._pools = [_Pool(ipaddress.ip_network(base), size) for base, size in chosen]
        # Where the next search starts: (pool index, subnet index). Docker rotates so that a
        # subnet just released is not reused at once (stale ARP and conntrack entries).
        self._cursor = (0, 0)

    def _candidates(self, version: int) -> Iterator[tuple[int, int, IPNetwork]]:
        start_pool, start_index = self._cursor
        order = list(range(start_pool, len(self._pools))) + list(range(start_pool))
        for position, pool_index in enumerate(order):
            pool = self._pools[pool_index]
            if pool.base.version != version:
                continue
            first = start_index if position == 0 else 0
            for index in range(first, pool.count):
                yield pool_index, index, pool.subnet(index)
        if start_index and start_pool < len(self._pools):
            pool = self._pools[start_pool]
            if pool.base.version == version:
                for index in range(start_index):
                    yield start_pool, index, pool.subnet(index)

    def allocate(self, in_use: Iterable[IPNetwork], routes: Iterable[IPNetwork] = (), version: int = 4) -> IPNetwork:
        """The next free subnet of IP ``version``; :class:`NoAvailablePool` when there is none."""
        taken = [n for n in in_use if n.version == version]
        avoid = [r for r in routes if r.version == version and r.prefixlen > 0]
        for pool_index, index, subnet in self._candidates(version):
            if any(subnet.overlaps(other) for other in taken) or any(subnet.overlaps(r) for r in avoid):
                continue
            self._cursor = (pool_index, index + 1)
            return subnet
        raise NoAvailablePool(version)


class SubnetAllocator:
    """The addresses of one subnet: which are reserved, which are taken, which comes next."""

    def __init__(
        self,
        subnet: IPNetwork,
        *,
        ip_range: IPNetwork | None = None,
        gateway: IPAddress | None = None,
        reserved: Iterable[IPAddress] = (),
    ) -> None:
        self.subnet = subnet
        self.range = ip_range or subnet
        self.gateway = gateway
        base = int(subnet.network_address)
        self._base = base
        self._size = subnet.num_addresses
        self._taken: set[int] = set()
        self._reserved: set[int] = set()
        if subnet.version == 4 and self._size > 2:
            self._reserved |= {0, self._size - 1}
        elif subnet.version == 6 and self._size > 1:
            self._reserved.add(0)  # the subnet-router anycast address
        for address in [*reserved, *([gateway] if gateway is not None else [])]:
            if address in subnet:
                self._reserved.add(int(address) - base)
        self._first = int(self.range.network_address) - base
        self._last = self._first + self.range.num_addresses - 1
        self._next = self._first

    def _address(self, offset: int) -> IPAddress:
        return ipaddress.ip_address(self._base + offset)

    def _free(self, offset: int) -> bool:
        return offset not in self._taken and offset not in self._reserved

    def allocate(self, preferred: IPAddress | None = None) -> IPAddress:
        """An address: ``preferred`` if given and free, else the next free one after the last handed out.

        Raises :class:`AddressInUse` (taken or reserved), :class:`InvalidNetworkConfig`
        (outside the subnet) or :class:`NoAvailableAddress` (full).
        """
        if preferred is not None:
            if preferred not in self.subnet:
                raise InvalidNetworkConfig(f"no configured subnet or ip-range contain the IP address {preferred}")
            offset = int(preferred) - self._base
            if not self._free(offset):
                raise AddressInUse()
            self._taken.add(offset)
            return preferred
        span = self._last - self._first + 1
        offset = self._next
        for _ in range(min(span, _SCAN_LIMIT)):
            if self._free(offset):
                self._taken.add(offset)
                self._next = offset + 1 if offset < self._last else self._first
                return self._address(offset)
            offset = offset + 1 if offset < self._last else self._first
        raise NoAvailableAddress()

    def reserve(self, address: IPAddress) -> None:
        """Mark ``address`` as taken (restoring allocations after a restart)."""
        if address in self.subnet:
            self._taken.add(int(address) - self._base)

    def release(self, address: IPAddress) -> None:
        """Give ``address`` back."""
        self._taken.discard(int(address) - self._base)

    def taken(self, address: IPAddress) -> bool:
        """Whether ``address`` is handed out."""
        return address in self.subnet and (int(address) - self._base) in self._taken


def mac_for(address: ipaddress.IPv4Address) -> str:
    """Docker's MAC for an IPv4 address: ``02:42`` and the four bytes of the address."""
    return "02:42:" + ":".join(f"{b:02x}" for b in address.packed)
