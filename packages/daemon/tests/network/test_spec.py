"""Create-time checks of a container's networking options (pure), in Docker's words."""

from __future__ import annotations

import re

import pytest

from pymoby import api, errdefs
from pymoby.daemon.network import ContainerNetworkSpec
from pymoby.daemon.network._spec import (
    network_mode_target,
    normal_mac,
    parse_extra_host,
    validate_endpoint_settings,
    validate_network_mode,
)


def spec(**fields: object) -> ContainerNetworkSpec:
    return ContainerNetworkSpec(id="c" * 64, name="c", **fields)  # type: ignore[arg-type]


def test_default_means_bridge() -> None:
    assert network_mode_target("default") == network_mode_target("") == "bridge"
    assert network_mode_target("web") == "web"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"network_mode": "container:"}, "Invalid network mode: invalid container format container:<name|id>"),
        ({"network_mode": "container:db", "links": ["x:y"]}, "container type network can't be used with links"),
        ({"network_mode": "container:db", "dns": ["1.1.1.1"]}, "conflicting options: dns and the network mode"),
        ({"network_mode": "container:db", "extra_hosts": ["a:1.2.3.4"]}, "custom host-to-IP mapping"),
        ({"network_mode": "container:db", "publish_all_ports": True}, "conflicting options: port publishing"),
        ({"network_mode": "container:db", "exposed_ports": ["80/tcp"]}, "conflicting options: port exposing"),
        ({"network_mode": "container:db", "mac_address": "02:42:00:00:00:01"}, "conflicting options: mac-address"),
        ({"network_mode": "host", "links": ["db:db"]}, "host type networking can't be used with links"),
        ({"extra_hosts": ["nohost"]}, "bad format for add-host: 'nohost'"),
        ({"extra_hosts": ["a:notanip"]}, "invalid IP address in add-host: 'notanip'"),
    ],
)  # fmt: skip
def test_conflicting_options_are_invalid(fields: dict[str, object], message: str) -> None:
    with pytest.raises(errdefs.InvalidParameter, match=message):
        validate_network_mode(spec(**fields))


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("host", "container sharing network namespace with another container or host cannot be connected"),
        ("none", "container cannot be connected to multiple networks with one of the networks in private (none) mode"),
        ("container:db", "container sharing network namespace"),
    ],
)
def test_private_modes_cannot_join_other_networks(mode: str, message: str) -> None:
    with pytest.raises(errdefs.Forbidden, match=re.escape(message)):
        validate_network_mode(spec(network_mode=mode, endpoints={"web": None}))


def test_add_host_forms() -> None:
    assert parse_extra_host("db:10.0.0.2") == ("db", "10.0.0.2")
    assert parse_extra_host("db=10.0.0.2") == ("db", "10.0.0.2")
    assert parse_extra_host("v6:::1") == ("v6", "::1")
    assert parse_extra_host("v6=[fd00::1]") == ("v6", "fd00::1")
    assert parse_extra_host("gw:host-gateway") == ("gw", "host-gateway")


def settings(ipv4: str = "", ipv6: str = "", aliases: list[str] | None = None, mac: str = "") -> api.EndpointSettings:
    return api.EndpointSettings(
        ipam_config=api.EndpointIPAMConfig(ipv4_address=ipv4, ipv6_address=ipv6), aliases=aliases, mac_address=mac
    )


def test_static_addresses_and_aliases_need_a_user_defined_network() -> None:
    validate_endpoint_settings(True, settings("10.0.0.5", aliases=["db"]))
    with pytest.raises(errdefs.InvalidParameter) as caught:
        validate_endpoint_settings(False, settings("10.0.0.5", aliases=["db"]))
    assert str(caught.value).splitlines() == [
        "invalid endpoint settings:",
        "user specified IP address is supported on user defined networks only",
        "network-scoped alias is supported only for containers in user defined networks",
    ]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (settings("fd00::1"), "invalid IPv4 address: fd00::1"),
        (settings("0.0.0.0"), "invalid IPv4 address: 0.0.0.0"),
        (settings(ipv6="10.0.0.1"), "invalid IPv6 address: 10.0.0.1"),
        (settings(mac="02:42"), "invalid MAC address 02:42"),
    ],
)
def test_bad_endpoint_addresses(given: api.EndpointSettings, message: str) -> None:
    with pytest.raises(errdefs.InvalidParameter, match=message):
        validate_endpoint_settings(True, given)


def test_macs_are_normalised() -> None:
    assert normal_mac("02-42-AC-11-00-02") == "02:42:ac:11:00:02"
