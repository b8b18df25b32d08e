"""POST /networks/create's checks, in Docker's words and kinds (pure)."""

from __future__ import annotations

import pytest

from pymoby import api, errdefs
from pymoby.daemon.network._model import NetworkRecord, SubnetRecord
from pymoby.daemon.network._netcreate import bridge_device, build_network, default_gateway, needs_pool

ID = "f" * 64
EXISTING = [
    NetworkRecord(id="a" * 64, name="bridge", driver="bridge", created="", default=True, device="pmt0",
                  subnets=[SubnetRecord(subnet="10.50.0.0/24", gateway="10.50.0.1")]),
    NetworkRecord(id="b" * 64, name="web", driver="bridge", created="", device="pmb-bbbbbbbbbbb",
                  subnets=[SubnetRecord(subnet="10.60.0.0/16", gateway="10.60.0.1", user=True)]),
    NetworkRecord(id="c" * 64, name="template", driver="null", created="", config_only=True,
                  subnets=[SubnetRecord(subnet="10.70.0.0/24", gateway="10.70.0.9", user=True)],
                  options={"com.docker.network.driver.mtu": "1400"}),
]  # fmt: skip


def build(**fields: object) -> NetworkRecord:
    return build_network(api.NetworkCreateRequest(**fields), ID, "2024-01-01T00:00:00Z", EXISTING)  # type: ignore[arg-type]


def ipam(*configs: api.IPAMConfig) -> api.IPAM:
    return api.IPAM(config=list(configs))


def test_a_plain_network_is_a_bridge_waiting_for_a_pool() -> None:
    record = build(name="db", labels={"a": "b"}, internal=True)
    assert (record.driver, record.device, record.internal, record.labels) == (
        "bridge",
        bridge_device(ID),
        True,
        {"a": "b"},
    )
    assert len(record.device) <= 15
    assert needs_pool(record, 4)
    assert not needs_pool(record, 6)


def test_a_given_subnet_is_kept_as_given() -> None:
    record = build(name="db", ipam=ipam(api.IPAMConfig(subnet="10.99.0.0/24", ip_range="10.99.0.128/25")))
    assert record.subnets == [SubnetRecord(subnet="10.99.0.0/24", ip_range="10.99.0.128/25", user=True)]
    assert not needs_pool(record, 4)
    assert default_gateway(record.subnets[0]) == "10.99.0.128"
    assert default_gateway(SubnetRecord(subnet="10.99.0.0/24")) == "10.99.0.1"


@pytest.mark.parametrize(
    ("fields", "kind", "message"),
    [
        ({"name": "bridge"}, errdefs.Forbidden, "operation is not permitted on predefined bridge network "),
        ({"name": "none"}, errdefs.Forbidden, "operation is not permitted on predefined none network "),
        ({"name": "web"}, errdefs.Conflict, "network with name web already exists"),
        ({"name": "  "}, errdefs.InvalidParameter, "invalid name:   "),
        ({"name": "x", "driver": "overlay"}, errdefs.NotFound, 'plugin "overlay" not found'),
        ({"name": "x", "driver": "host"}, errdefs.Forbidden, 'only one instance of "host" network is allowed'),
        ({"name": "x", "scope": "swarm"}, errdefs.Forbidden, "cannot create a swarm scoped network when swarm is"),
        ({"name": "x", "ingress": True}, errdefs.Forbidden, "Ingress network can only be global scope network"),
        ({"name": "x", "ipam": api.IPAM(driver="dhcp")}, errdefs.NotFound, 'plugin "dhcp" not found'),
        ({"name": "x", "ipam": ipam(api.IPAMConfig(subnet="10.60.5.0/24"))}, errdefs.Forbidden,
         "Pool overlaps with other one on this address space"),
        ({"name": "x", "ipam": ipam(api.IPAMConfig(subnet="10.1.0.0/24"), api.IPAMConfig(subnet="10.2.0.0/24"))},
         errdefs.Forbidden, "bridge driver doesn't support multiple subnets"),
        ({"name": "x", "options": {"com.docker.network.bridge.name": "pmt0"}}, errdefs.Forbidden,
         "networks have same bridge name"),
        ({"name": "x", "options": {"com.docker.network.driver.mtu": "big"}}, errdefs.InvalidParameter,
         "failed to parse com.docker.network.driver.mtu value: big"),
        ({"name": "x", "config_from": api.ConfigReference(network="nope")}, errdefs.NotFound,
         'configuration network "nope" does not exist'),
        ({"name": "x", "config_from": api.ConfigReference(network="template"), "labels": {"a": "b"}},
         errdefs.Forbidden, "user specified configurations are not supported"),
        ({"name": "x", "config_only": True, "internal": True}, errdefs.Forbidden,
         "configuration network can only contain network specific fields"),
    ],
)  # fmt: skip
def test_bad_requests_fail_as_dockers_do(fields: dict[str, object], kind: type[Exception], message: str) -> None:
    with pytest.raises(kind) as caught:
        build(**fields)
    assert str(caught.value).startswith(message)


def test_ipam_problems_are_listed_together() -> None:
    config = api.IPAMConfig(subnet="10.3.0.1/24", ip_range="10.4.0.0/24", gateway="10.5.0.1", aux_address={"h": "x"})
    with pytest.raises(errdefs.InvalidParameter) as caught:
        build(name="x", ipam=ipam(config, api.IPAMConfig(subnet="banana")))
    assert str(caught.value).splitlines() == [
        "invalid network config:",
        "invalid subnet 10.3.0.1/24: it should be 10.3.0.0/24",
        "invalid ip-range 10.4.0.0/24: parent subnet 10.3.0.0/24 doesn't contain ip-range",
        "invalid gateway 10.5.0.1: parent subnet 10.3.0.0/24 doesn't contain this address",
        "invalid auxiliary address h: invalid address",
        "invalid subnet banana: invalid CIDR block notation",
    ]


def test_ipv6_subnets_count_only_with_ipv6_enabled() -> None:
    v6 = api.IPAMConfig(subnet="fd00:9::/64")
    assert build(name="x", ipam=ipam(v6)).subnets == []
    record = build(name="x", enable_ipv6=True, ipam=ipam(v6))
    assert [s.subnet for s in record.subnets] == ["fd00:9::/64"]
    assert needs_pool(record, 4)
    assert not needs_pool(record, 6)
    assert needs_pool(build(name="y", enable_ipv6=True), 6)


def test_config_only_networks_lend_their_configuration() -> None:
    only = build(name="tmpl2", config_only=True, ipam=ipam(api.IPAMConfig(subnet="10.71.0.0/24")))
    assert (only.driver, only.config_only, only.device) == ("null", True, "")
    record = build(name="x", config_from=api.ConfigReference(network="template"))
    assert record.config_from == "template"
    assert [(s.subnet, s.gateway) for s in record.subnets] == [("10.70.0.0/24", "10.70.0.9")]
    assert record.options == {"com.docker.network.driver.mtu": "1400"}
