"""Containers' network life cycle against the kernel: connect, disconnect, modes, links, errors, restarts."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import anyio
import pytest
from networks.nshelp import addresses_of, kernel_leftovers, tcp_exchange, tcp_server

from pymoby import api, errdefs
from pymoby.daemon.network import (
    AddressInUse,
    ContainerNetworkSpec,
    NetworkConfig,
    NetworkController,
    NoSuchNetwork,
    PoolOverlap,
    PortAllocationError,
)

pytestmark = [pytest.mark.root, pytest.mark.anyio]


def cid(name: str) -> str:
    return (name.encode().hex() * 64)[:64]


async def network(controller: NetworkController, name: str, **fields: object) -> str:
    return (await controller.create_network(api.NetworkCreateRequest(name=name, **fields))).id  # type: ignore[arg-type]


def in_thread(fn, *args):  # type: ignore[no-untyped-def]
    return anyio.to_thread.run_sync(fn, *args)


def bridge_ports(controller: NetworkController, network: str) -> set[str]:
    """The veths plugged into a network's bridge."""
    device = controller.inspect_network(network).options.get("com.docker.network.bridge.name") or (
        "pmb-" + controller.inspect_network(network).id[:11]
    )
    out = subprocess.run(["ip", "-o", "link", "show", "master", device], capture_output=True, text=True, check=True)
    return {line.split(":")[1].strip().split("@")[0] for line in out.stdout.splitlines()}


async def test_connect_and_disconnect_a_running_container(controller: NetworkController, start) -> None:  # type: ignore[no-untyped-def]
    await network(controller, "one")
    await network(controller, "two", ipam=api.IPAM(config=[api.IPAMConfig(subnet="10.99.77.0/24")]))
    a = await start("a", network_mode="one")
    b = await start("b", network_mode="two")
    assert await in_thread(a.lookup, "b") == []
    settings = api.EndpointSettings(
        aliases=["bee-friend"], ipam_config=api.EndpointIPAMConfig(ipv4_address="10.99.77.50")
    )
    await controller.connect("two", "a", settings)
    assert await in_thread(a.interfaces) == ["eth0", "eth1", "lo"]
    assert "10.99.77.50" in await in_thread(addresses_of, a)
    assert await in_thread(a.ping, "b")
    assert await in_thread(b.lookup, "bee-friend") == ["10.99.77.50"]
    assert cid("a") in controller.inspect_network("two").containers
    assert "10.99.77.50\t" in a.info.hosts_path.read_text()
    with pytest.raises(errdefs.Forbidden, match="endpoint with name a already exists in network two"):
        await controller.connect("two", cid("a"), None)

    await controller.disconnect("two", "a")
    assert await in_thread(a.interfaces) == ["eth0", "lo"]
    assert await in_thread(a.lookup, "b") == []
    assert await in_thread(b.lookup, "bee-friend") == []
    assert "10.99.77.50" not in a.info.hosts_path.read_text()
    assert cid("a") not in controller.inspect_network("two").containers
    with pytest.raises(errdefs.System, match=f"container {cid('a')} is not connected to network two"):
        await controller.disconnect("two", "a")


async def test_a_stopped_container_is_connected_at_its_next_start(controller: NetworkController, start) -> None:  # type: ignore[no-untyped-def]
    await network(controller, "later")
    await start("s", network_mode="none")
    await controller.stop_container(cid("s"))
    with pytest.raises(errdefs.Forbidden, match="private \\(none\\) mode"):
        await controller.connect("later", "s", None)
    await controller.create_container(ContainerNetworkSpec(id=cid("t"), name="t"))
    await controller.connect("later", "t", None)
    assert set(controller.container_settings(cid("t")).networks or {}) == {"bridge", "later"}
    info = await controller.start_container(cid("t"))
    assert set(info.settings.networks or {}) == {"bridge", "later"}
    assert all(e.ip_address for e in (info.settings.networks or {}).values())
    await controller.stop_container(cid("t"))
    await controller.disconnect("later", "t")
    assert set(controller.container_settings(cid("t")).networks or {}) == {"bridge"}


async def test_errors_leave_nothing_behind(controller: NetworkController, start, config: NetworkConfig) -> None:  # type: ignore[no-untyped-def]
    await network(controller, "fixed", ipam=api.IPAM(config=[api.IPAMConfig(subnet="10.99.78.0/24")]))
    with pytest.raises(PoolOverlap):
        await network(controller, "overlap", ipam=api.IPAM(config=[api.IPAMConfig(subnet="10.99.78.128/25")]))
    with pytest.raises(NoSuchNetwork, match="network nowhere not found"):
        await controller.create_container(ContainerNetworkSpec(id=cid("x"), name="x", network_mode="nowhere"))
    taken = api.EndpointSettings(ipam_config=api.EndpointIPAMConfig(ipv4_address="10.99.78.9"))
    await start("holder", network_mode="fixed", endpoints={"fixed": taken})
    before = bridge_ports(controller, "fixed")
    await controller.create_container(
        ContainerNetworkSpec(id=cid("dup"), name="dup", network_mode="fixed", endpoints={"fixed": taken})
    )
    with pytest.raises(AddressInUse, match=r"^Address already in use$"):
        await controller.start_container(cid("dup"))

    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        await controller.create_container(
            ContainerNetworkSpec(
                id=cid("p"),
                name="p",
                network_mode="fixed",
                port_bindings={"80/tcp": [api.PortBinding(host_port=str(port))]},
            )
        )
        with pytest.raises(PortAllocationError) as caught:
            await controller.start_container(cid("p"))
    assert str(caught.value).startswith("driver failed programming external connectivity on endpoint p (")
    assert f"Error starting userland proxy: listen tcp4 0.0.0.0:{port}: bind: address already in use" in str(
        caught.value
    )
    assert bridge_ports(controller, "fixed") == before
    assert len(list(config.netns_dir.iterdir())) == 1  # the holder's only
    assert not [r for r in kernel_leftovers(config, []) if "DNAT" in r]
    assert len(controller.inspect_network("fixed").containers) == 1
    # The address the failed start had taken (the first free one) went back.
    free_again = api.EndpointSettings(ipam_config=api.EndpointIPAMConfig(ipv4_address="10.99.78.2"))
    assert (await start("next", network_mode="fixed", endpoints={"fixed": free_again})).ip("fixed") == "10.99.78.2"


async def test_port_already_allocated_to_another_container(controller: NetworkController, start) -> None:  # type: ignore[no-untyped-def]
    first = await start("p1", port_bindings={"80/tcp": [api.PortBinding(host_ip="127.0.0.1")]})
    port = (first.info.settings.ports or {})["80/tcp"][0]["HostPort"]  # type: ignore[index]
    await controller.create_container(
        ContainerNetworkSpec(id=cid("p2"), name="p2", port_bindings={"80/tcp": [api.PortBinding(host_port=port)]})
    )
    with pytest.raises(PortAllocationError, match=f"Bind for 0.0.0.0:{port} failed: port is already allocated"):
        await controller.start_container(cid("p2"))


async def test_default_bridge_links_extra_hosts_and_dns_options(controller: NetworkController, start) -> None:  # type: ignore[no-untyped-def]
    db = await start("db", hostname="dbhost", exposed_ports=["5432/tcp"])
    web = await start(
        "web",
        links=["db:database"],
        extra_hosts=["gw:host-gateway", "static:10.1.2.3"],
        dns=["192.0.2.53"],
        dns_search=["corp.example"],
        dns_options=["ndots:2"],
    )
    hosts = web.info.hosts_path.read_text()
    gateway = db.info.settings.gateway
    assert f"{db.ip('bridge')}\tdatabase dbhost db\n" in hosts
    assert f"{gateway}\tgw\n" in hosts
    assert "10.1.2.3\tstatic\n" in hosts
    resolv = web.info.resolv_conf_path.read_text()
    assert "nameserver 192.0.2.53\nsearch corp.example\noptions ndots:2\n" in resolv
    assert "127.0.0.11" not in resolv
    ip = db.ip("bridge")
    assert f"DATABASE_PORT=tcp://{ip}:5432" in web.info.link_env
    assert f"DATABASE_PORT_5432_TCP_ADDR={ip}" in web.info.link_env
    assert "DATABASE_NAME=/web/database" in web.info.link_env
    assert await in_thread(web.ping, "database")
    with tcp_server(db.netns, 5432, b"pg:"):
        assert (
            await in_thread(lambda: web.run_as_container("sh", "-c", "echo x | busybox nc database 5432"))
        ).stdout == "pg:x\n"
    await controller.stop_container(cid("db"))
    await controller.create_container(ContainerNetworkSpec(id=cid("web2"), name="web2", links=["db:database"]))
    with pytest.raises(errdefs.Conflict, match="Cannot link to a non running container: /db AS /web2/database"):
        await controller.start_container(cid("web2"))


async def test_none_host_and_container_modes(controller: NetworkController, start) -> None:  # type: ignore[no-untyped-def]
    none = await start("lonely", network_mode="none")
    assert await in_thread(none.interfaces) == ["lo"]
    host = await start("hosty", network_mode="host", extra_hosts=["extra:10.9.8.7"])
    assert host.info.netns_path is None
    assert host.info.hosts_path.read_text().endswith("10.9.8.7\textra\n")
    assert set(host.info.settings.networks or {}) == {"host"}
    owner = await start("owner")
    guest = await start("guest", network_mode="container:owner")
    assert guest.info.netns_path == owner.info.netns_path
    assert guest.info.hosts_path == owner.info.hosts_path
    await controller.stop_container(cid("owner"))
    await controller.create_container(ContainerNetworkSpec(id=cid("g3"), name="g3", network_mode="container:owner"))
    with pytest.raises(errdefs.Conflict, match="cannot join network of a non running container: owner"):
        await controller.start_container(cid("g3"))
    with pytest.raises(errdefs.Forbidden, match="sharing network namespace"):
        await controller.connect("bridge", "g3", None)


async def test_ipv6_networks_give_containers_ipv6_addresses(controller: NetworkController, start) -> None:  # type: ignore[no-untyped-def]
    await network(controller, "dual", enable_ipv6=True, ipam=api.IPAM(config=[api.IPAMConfig(subnet="fd00:99:1::/64")]))
    a = await start("six-a", network_mode="dual")
    b = await start("six-b", network_mode="dual")
    six = (b.info.settings.networks or {})["dual"].global_ipv6_address
    assert six.startswith("fd00:99:1::")
    result = await in_thread(lambda: a.run("busybox", "ping", "-6", "-c", "1", "-W", "2", six))
    assert result.returncode == 0, result.stdout + result.stderr
    assert controller.inspect_network("dual").enable_ipv6


async def test_a_restart_keeps_networks_and_releases_containers_that_died(
    config: NetworkConfig, tmp_path: Path
) -> None:
    async with NetworkController.open(config) as first:
        await first.restore_containers(running=())
        await first.create_network(api.NetworkCreateRequest(name="keep"))
        for name in ("alive", "dead"):
            await first.create_container(
                ContainerNetworkSpec(
                    id=cid(name), name=name, network_mode="keep", files_dir=tmp_path / name,
                    port_bindings={"7000/tcp": [api.PortBinding()]},
                )
            )  # fmt: skip
            await first.start_container(cid(name))
        alive = first.container_settings(cid("alive"))
        dead = first.container_settings(cid("dead"))
    try:
        async with NetworkController.open(config) as second:
            await second.restore_containers(running={cid("alive")})
            assert not await anyio.Path(dead.sandbox_key).exists()
            assert await anyio.Path(alive.sandbox_key).exists()
            again = second.container_settings(cid("alive"))
            assert again.ports == alive.ports
            port = int((again.ports or {})["7000/tcp"][0]["HostPort"])  # type: ignore[index]
            with tcp_server(Path(alive.sandbox_key), 7000, b"back:"):
                assert await in_thread(tcp_exchange, "127.0.0.1", port) == b"back:hi"
            assert list(second.inspect_network("keep").containers) == [cid("alive")]
            # The dead one's address is free again, the live one's is not.
            await second.create_container(ContainerNetworkSpec(id=cid("new"), name="new", network_mode="keep"))
            fresh = await second.start_container(cid("new"))
            assert fresh.settings.networks["keep"].ip_address not in (  # type: ignore[index]
                alive.networks["keep"].ip_address,  # type: ignore[index]
            )
            await second.restore_containers(running=(), known={cid("new")})
            assert second.inspect_network("keep").containers == {}
            await second.remove_network("keep")
    finally:
        await NetworkController.purge(config)
    assert kernel_leftovers(config, []) == []


async def test_network_events_are_published(controller: NetworkController, start, events) -> None:  # type: ignore[no-untyped-def]
    network_id = await network(controller, "noisy")
    await start("ev", network_mode="noisy")
    await controller.disconnect("noisy", "ev")
    await controller.remove_network("noisy")
    seen = []
    async with events.subscribe(0, time.time_ns(), api.Filters({"type": ["network"]})) as stream:
        async for event in stream:
            seen.append((event.action, event.actor.id, event.actor.attributes))
    assert seen == [
        ("create", network_id, {"name": "noisy", "type": "bridge"}),
        ("connect", network_id, {"name": "noisy", "type": "bridge", "container": cid("ev")}),
        ("disconnect", network_id, {"name": "noisy", "type": "bridge", "container": cid("ev")}),
        ("destroy", network_id, {"name": "noisy", "type": "bridge"}),
    ]
