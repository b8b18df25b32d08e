"""Real traffic through the kernel: names, isolation, published ports, internal networks."""

from __future__ import annotations

import anyio
import pytest
from networks.nshelp import host_address, tcp_exchange, tcp_server, udp_exchange, udp_server

from pymoby import api
from pymoby.daemon.network import NetworkController

pytestmark = [pytest.mark.root, pytest.mark.anyio]


async def network(controller: NetworkController, name: str, **fields: object) -> str:
    return (await controller.create_network(api.NetworkCreateRequest(name=name, **fields))).id  # type: ignore[arg-type]


def in_thread(fn, *args):  # type: ignore[no-untyped-def]
    return anyio.to_thread.run_sync(fn, *args)


async def test_containers_on_one_network_reach_each_other_by_name_alias_and_short_id(
    controller: NetworkController, start
) -> None:  # type: ignore[no-untyped-def]
    await network(controller, "app")
    db = await start("db", network_mode="app", endpoints={"app": api.EndpointSettings(aliases=["database"])})
    web = await start("web", network_mode="app")
    short_id = (b"db".hex() * 64)[:12]
    for name in ("db", "database", short_id, "db.app"):
        assert await in_thread(web.ping, name), name
    with tcp_server(db.netns, 7000, b"from db: "):
        result = await in_thread(lambda: web.run_as_container("sh", "-c", "echo hello | busybox nc db 7000"))
    assert result.stdout == "from db: hello\n"
    assert "nameserver 127.0.0.11" in web.info.resolv_conf_path.read_text()


async def test_containers_that_join_later_resolve_and_those_that_left_do_not(
    controller: NetworkController, start
) -> None:  # type: ignore[no-untyped-def]
    await network(controller, "app")
    first = await start("first", network_mode="app")
    assert await in_thread(first.lookup, "late-comer") == []
    late = await start("late-comer", network_mode="app")
    assert await in_thread(first.lookup, "late-comer") == [late.ip("app")]
    await controller.stop_container((b"late-comer".hex() * 64)[:64])
    assert await in_thread(first.lookup, "late-comer") == []


async def test_two_networks_are_isolated(controller: NetworkController, start) -> None:  # type: ignore[no-untyped-def]
    await network(controller, "red")
    await network(controller, "blue")
    red = await start("red1", network_mode="red")
    blue = await start("blue1", network_mode="blue")
    red_gateway = (red.info.settings.networks or {})["red"].gateway
    assert await in_thread(lambda: red.ping(red_gateway, as_container=False))
    assert not await in_thread(lambda: red.ping(blue.ip("blue"), as_container=False))
    assert not await in_thread(lambda: blue.ping(red.ip("red"), as_container=False))
    assert await in_thread(red.lookup, "blue1") == []


async def test_published_tcp_and_udp_ports_answer_on_loopback_and_the_bridge_address(
    controller: NetworkController, start
) -> None:  # type: ignore[no-untyped-def]
    box = await start(
        "srv",
        port_bindings={"7000/tcp": [api.PortBinding()], "7001/udp": [api.PortBinding(host_ip="0.0.0.0")]},
        exposed_ports=["7000/tcp", "7001/udp"],
    )
    ports = box.info.settings.ports or {}
    tcp_port = int((ports["7000/tcp"] or [])[0]["HostPort"])
    udp_port = int((ports["7001/udp"] or [])[0]["HostPort"])
    gateway = box.info.settings.gateway
    with tcp_server(box.netns, 7000, b"tcp:"), udp_server(box.netns, 7001, b"udp:"):
        for host in ("127.0.0.1", gateway, host_address()):
            assert await in_thread(tcp_exchange, host, tcp_port) == b"tcp:hi", host
            assert await in_thread(udp_exchange, host, udp_port) == b"udp:hi", host
    assert {b["HostIp"] for b in ports["7000/tcp"] or []} == {"0.0.0.0", "::"}


async def test_publish_all_gives_exposed_ports_ephemeral_host_ports(controller: NetworkController, start) -> None:  # type: ignore[no-untyped-def]
    box = await start("pall", exposed_ports=["7000/tcp", "7002/tcp"], publish_all_ports=True)
    ports = box.info.settings.ports or {}
    assert set(ports) == {"7000/tcp", "7002/tcp"}
    host_port = int((ports["7000/tcp"] or [])[0]["HostPort"])
    low, high = map(int, (await anyio.Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()).split())
    assert low <= host_port <= high
    with tcp_server(box.netns, 7000, b"ok:"):
        assert await in_thread(tcp_exchange, "127.0.0.1", host_port) == b"ok:hi"
    inspect = controller.container_settings((b"pall".hex() * 64)[:64])
    assert inspect.ports == ports


async def test_internal_networks_have_no_way_out(controller: NetworkController, start) -> None:  # type: ignore[no-untyped-def]
    await network(controller, "closed", internal=True)
    await network(controller, "open")
    inside = await start("in1", network_mode="closed")
    peer = await start("in2", network_mode="closed")
    outside = await start("out1", network_mode="open")
    me = host_address()
    assert await in_thread(lambda: outside.ping(me, as_container=False))
    assert not await in_thread(lambda: inside.ping(me, as_container=False))
    assert await in_thread(inside.ping, "in2")
    assert peer.info.settings.gateway == ""  # no default route: an internal network is not a gateway
    assert "default" not in (await in_thread(lambda: inside.run("ip", "route"))).stdout
