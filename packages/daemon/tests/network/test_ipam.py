"""IPAM: subnets from the default pools, addresses from a subnet (pure, no kernel)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pymoby import errdefs
from pymoby.daemon.network import AddressInUse, NoAvailableAddress, NoAvailablePool, PoolOverlap
from pymoby.daemon.network._ipam import DEFAULT_POOLS, PoolAllocator, SubnetAllocator, check_overlap, mac_for

net = ipaddress.ip_network
addr = ipaddress.ip_address


def test_default_pools_start_like_dockers() -> None:
    pools = PoolAllocator()
    assert pools.allocate([]) == net("172.17.0.0/16")
    assert pools.allocate([net("172.17.0.0/16")]) == net("172.18.0.0/16")


def test_pools_skip_subnets_in_use_and_routes() -> None:
    pools = PoolAllocator([("10.10.0.0/16", 24)])
    chosen = pools.allocate(in_use=[net("10.10.0.0/24")], routes=[net("10.10.1.0/25"), net("0.0.0.0/0")])
    assert chosen == net("10.10.2.0/24")


def test_pools_rotate_so_a_freed_subnet_is_not_reused_at_once() -> None:
    pools = PoolAllocator([("10.10.0.0/16", 24)])
    first = pools.allocate([])
    second = pools.allocate([first])
    # ``first`` was released (not in use any more): the next one still moves on.
    assert pools.allocate([second]) == net("10.10.2.0/24")


def test_pools_wrap_around_to_freed_subnets() -> None:
    pools = PoolAllocator([("10.10.0.0/30", 31)])
    a = pools.allocate([])
    b = pools.allocate([a])
    assert (a, b) == (net("10.10.0.0/31"), net("10.10.0.2/31"))
    assert pools.allocate([b]) == a


def test_exhausted_pools_raise_dockers_not_found() -> None:
    pools = PoolAllocator([("10.10.0.0/24", 24)])
    with pytest.raises(NoAvailablePool) as caught:
        pools.allocate([net("10.10.0.0/16")])
    assert errdefs.is_not_found(caught.value)
    assert str(caught.value) == (
        "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network"
    )


def test_ipv6_pools_are_separate() -> None:
    pools = PoolAllocator([("10.10.0.0/16", 24), ("fd00:1::/48", 64)])
    assert pools.allocate([], version=6) == net("fd00:1::/64")
    assert pools.allocate([], version=4) == net("10.10.0.0/24")


def test_overlap_check_is_dockers_forbidden() -> None:
    check_overlap(net("10.1.0.0/24"), [net("10.2.0.0/16"), net("fd00::/64")])
    with pytest.raises(PoolOverlap, match="Pool overlaps with other one on this address space") as caught:
        check_overlap(net("10.2.3.0/24"), [net("10.2.0.0/16")])
    assert errdefs.is_forbidden(caught.value)


def test_addresses_are_serial_and_skip_network_gateway_and_aux() -> None:
    subnet = SubnetAllocator(net("10.0.0.0/29"), gateway=addr("10.0.0.1"), reserved=[addr("10.0.0.3")])
    got = [str(subnet.allocate()) for _ in range(4)]
    assert got == ["10.0.0.2", "10.0.0.4", "10.0.0.5", "10.0.0.6"]
    with pytest.raises(NoAvailableAddress) as caught:
        subnet.allocate()
    assert errdefs.is_unavailable(caught.value)


def test_released_addresses_come_back_only_after_the_others() -> None:
    subnet = SubnetAllocator(net("10.0.0.0/28"), gateway=addr("10.0.0.1"))
    first = subnet.allocate()
    subnet.allocate()
    subnet.release(first)
    assert subnet.allocate() == addr("10.0.0.4")


def test_ip_range_limits_dynamic_addresses_but_not_static_ones() -> None:
    subnet = SubnetAllocator(net("10.0.0.0/24"), ip_range=net("10.0.0.128/25"), gateway=addr("10.0.0.1"))
    assert subnet.allocate() == addr("10.0.0.128")
    assert subnet.allocate(addr("10.0.0.7")) == addr("10.0.0.7")


def test_static_addresses_taken_or_reserved_are_in_use() -> None:
    subnet = SubnetAllocator(net("10.0.0.0/24"), gateway=addr("10.0.0.1"))
    subnet.allocate(addr("10.0.0.9"))
    for taken in ("10.0.0.9", "10.0.0.1", "10.0.0.0", "10.0.0.255"):
        with pytest.raises(AddressInUse, match=r"^Address already in use$") as caught:
            subnet.allocate(addr(taken))
        assert errdefs.is_forbidden(caught.value)
    with pytest.raises(errdefs.InvalidParameter, match=r"no configured subnet or ip-range contain the IP address"):
        subnet.allocate(addr("10.0.1.9"))


def test_reserve_restores_allocations() -> None:
    subnet = SubnetAllocator(net("10.0.0.0/24"), gateway=addr("10.0.0.1"))
    subnet.reserve(addr("10.0.0.2"))
    assert subnet.taken(addr("10.0.0.2"))
    assert subnet.allocate() == addr("10.0.0.3")


def test_ipv6_subnets_hand_out_addresses() -> None:
    subnet = SubnetAllocator(net("fd00:1::/64"), gateway=addr("fd00:1::1"))
    assert subnet.allocate() == addr("fd00:1::2")


def test_mac_addresses_follow_dockers_02_42_form() -> None:
    assert mac_for(ipaddress.IPv4Address("172.17.0.2")) == "02:42:ac:11:00:02"


@given(st.integers(min_value=24, max_value=30), st.lists(st.integers(min_value=0, max_value=255), max_size=20))
def test_allocations_are_unique_and_inside_the_subnet(prefix: int, static: list[int]) -> None:
    block = net(f"10.9.0.0/{prefix}")
    subnet = SubnetAllocator(block, gateway=block.network_address + 1)
    seen: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
    for offset in static:
        candidate = block.network_address + (offset % block.num_addresses)
        try:
            seen.add(subnet.allocate(candidate))
        except AddressInUse:
            assert candidate in seen or candidate in (block.network_address, block.network_address + 1,
                                                      block.broadcast_address)  # fmt: skip
    while True:
        try:
            got = subnet.allocate()
        except NoAvailableAddress:
            break
        assert got in block
        assert got not in seen
        seen.add(got)
    assert len(seen) == block.num_addresses - 3


def test_default_pools_are_dockers() -> None:
    flat = [s for base, size in DEFAULT_POOLS for s in net(base).subnets(new_prefix=size)]
    assert flat[0] == net("172.17.0.0/16")
    assert flat[14] == net("172.31.0.0/16")
    assert flat[15] == net("192.168.0.0/20")
    assert len(flat) == 31
