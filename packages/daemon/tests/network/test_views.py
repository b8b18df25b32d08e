"""What inspect shows of networks and containers, and the records on disk (no kernel)."""

from __future__ import annotations

from pathlib import Path

from pymoby import api
from pymoby.daemon.network._inspect import container_settings, network_view
from pymoby.daemon.network._model import (
    AttachmentRecord,
    ContainerRecord,
    EndpointRecord,
    NetworkRecord,
    PortRecord,
    PortRequest,
    SubnetRecord,
)
from pymoby.daemon.network._store import RecordStore

BRIDGE = NetworkRecord(id="b" * 64, name="bridge", driver="bridge", created="", default=True,
                       subnets=[SubnetRecord(subnet="10.50.0.0/24", gateway="10.50.0.1")])  # fmt: skip
WEB = NetworkRecord(id="w" * 64, name="web", driver="bridge", created="", labels={"a": "b"},
                    subnets=[SubnetRecord(subnet="10.60.0.0/24", ip_range="10.60.0.128/25", gateway="10.60.0.1",
                                          user=True)])  # fmt: skip
NETWORKS = {n.id: n for n in (BRIDGE, WEB)}


def running() -> ContainerRecord:
    return ContainerRecord(
        id="c" * 64,
        name="app",
        network_mode="bridge",
        attachments=[
            AttachmentRecord(network_id=BRIDGE.id, network_name="bridge"),
            AttachmentRecord(network_id=WEB.id, network_name="web", aliases=["api"], ipv4_address="10.60.0.9"),
        ],
        ports=[PortRequest(port=80, proto="tcp")],
        exposed_ports=["80/tcp", "443/tcp"],
        sandbox_id="s" * 64,
        sandbox_key="/run/pymoby/netns/ssssssssssss",
        endpoints=[
            EndpointRecord(id="e1" * 32, network_id=BRIDGE.id, ifname="eth0", veth="vethaaaaaaa",
                           mac="02:42:0a:32:00:02", ipv4="10.50.0.2/24", gateway="10.50.0.1",
                           ports=[PortRecord(proto="tcp", port=80, host_ip="0.0.0.0", host_port=32768)]),
            EndpointRecord(id="e2" * 32, network_id=WEB.id, ifname="eth1", veth="vethbbbbbbb",
                           mac="02:42:0a:3c:00:09", ipv4="10.60.0.9/24", gateway="10.60.0.1",
                           dns_names=["app", "api", "cccccccccccc"]),
        ],
    )  # fmt: skip


def test_container_settings_show_both_networks_and_the_default_bridge_fields() -> None:
    settings = container_settings(running(), NETWORKS)
    assert settings.sandbox_key == "/run/pymoby/netns/ssssssssssss"
    assert (settings.ip_address, settings.ip_prefix_len, settings.gateway) == ("10.50.0.2", 24, "10.50.0.1")
    assert settings.ports == {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "32768"}], "443/tcp": None}
    web = (settings.networks or {})["web"]
    assert (web.ip_address, web.aliases, web.dns_names, web.network_id) == (
        "10.60.0.9", ["api"], ["app", "api", "cccccccccccc"], WEB.id)  # fmt: skip
    assert web.ipam_config == api.EndpointIPAMConfig(ipv4_address="10.60.0.9")


def test_a_stopped_container_keeps_its_networks_but_no_addresses() -> None:
    record = running()
    record.sandbox_id = record.sandbox_key = ""
    record.endpoints = []
    settings = container_settings(record, NETWORKS)
    assert settings.ports == {}
    assert settings.ip_address == ""
    assert set(settings.networks or {}) == {"bridge", "web"}
    assert (settings.networks or {})["web"].endpoint_id == ""


def test_network_view_lists_user_config_and_containers() -> None:
    record = running()
    view = network_view(WEB, [(record, record.endpoints[1])])
    assert view.ipam.config == [api.IPAMConfig(subnet="10.60.0.0/24", ip_range="10.60.0.128/25", gateway="10.60.0.1")]
    assert view.containers[record.id] == api.NetworkContainer(
        name="app", endpoint_id="e2" * 32, mac_address="02:42:0a:3c:00:09", ipv4_address="10.60.0.9/24"
    )
    encoded = api.encode(network_view(BRIDGE))
    assert b'"Containers":{}' in encoded
    assert b'"ConfigFrom":{"Network":""}' in encoded


def test_records_survive_a_round_trip_and_bad_files_are_skipped(tmp_path: Path) -> None:
    store = RecordStore(tmp_path)
    store.prepare()
    store.save_network(WEB)
    store.save_container(running())
    (tmp_path / "containers" / "broken.json").write_text("{not json")
    assert store.load_networks() == [WEB]
    assert store.load_containers() == [running()]
    store.delete_container(running().id)
    store.delete_container(running().id)
    assert store.load_containers() == []
    assert not list(tmp_path.glob("*/.*"))  # no temporary files left
