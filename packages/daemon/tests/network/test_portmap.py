"""Published ports: parsing the API's port maps, and holding host ports (loopback only, no root)."""

from __future__ import annotations

import socket

import pytest

from pymoby import api, errdefs
from pymoby.daemon.network._model import PortRequest
from pymoby.daemon.network._portmap import PortTable, parse_port, port_requests


def test_port_specs_parse_like_dockers() -> None:
    assert parse_port("80") == (80, 80, "tcp")
    assert parse_port("53/UDP") == (53, 53, "udp")
    assert parse_port("8000-8010/tcp") == (8000, 8010, "tcp")
    for bad in ("0", "70000", "x/tcp", "9-8"):
        with pytest.raises(errdefs.InvalidParameter, match="invalid port specification"):
            parse_port(bad)
    with pytest.raises(errdefs.InvalidParameter, match="invalid proto: icmp"):
        parse_port("80/icmp")


def test_bindings_and_publish_all_become_requests() -> None:
    bindings = {
        "80/tcp": [api.PortBinding(host_ip="127.0.0.1", host_port="8080"), api.PortBinding(host_port="9000-9010")],
        "53/udp": [api.PortBinding()],
        "443/tcp": None,
    }
    requests = port_requests(bindings, ["80/tcp", "443/tcp", "22/tcp"], publish_all=True)
    assert requests == [
        PortRequest(port=53, proto="udp"),
        PortRequest(port=80, proto="tcp", host_ip="127.0.0.1", host_port=8080, host_port_end=8080),
        PortRequest(port=80, proto="tcp", host_port=9000, host_port_end=9010),
        PortRequest(port=22, proto="tcp"),
        PortRequest(port=443, proto="tcp"),
    ]
    assert port_requests(bindings, ["22/tcp"], publish_all=False)[-1] == PortRequest(
        port=80, proto="tcp", host_port=9000, host_port_end=9010
    )


@pytest.mark.parametrize(
    ("bindings", "message"),
    [
        ({"80/tcp": [api.PortBinding(host_ip="bogus")]}, "invalid IP address: bogus"),
        ({"80/tcp": [api.PortBinding(host_port="http")]}, "invalid hostPort: http"),
        ({"80-81/tcp": [api.PortBinding()]}, "invalid port specification"),
    ],
)
def test_bad_bindings_are_invalid(bindings: dict[str, list[api.PortBinding]], message: str) -> None:
    with pytest.raises(errdefs.InvalidParameter, match=message):
        port_requests(bindings, [], False)


def test_ephemeral_ports_are_bound_and_released() -> None:
    table = PortTable()
    first = table.bind("tcp", ["127.0.0.1"], 0, 0, listen=True)
    second = table.bind("tcp", ["127.0.0.1"], 0, 0, listen=True)
    assert first[0].host_port != second[0].host_port
    with socket.create_connection(("127.0.0.1", first[0].host_port), timeout=2):
        pass
    for held in first + second:
        table.release(held)
    assert first[0].sock.fileno() == -1


def test_a_port_held_by_another_container_is_already_allocated() -> None:
    table = PortTable()
    held = table.bind("udp", ["127.0.0.1"], 0, 0, listen=False)[0]
    with pytest.raises(errdefs.System, match=f"^Bind for 0.0.0.0:{held.host_port} failed: port is already allocated$"):
        table.bind("udp", ["0.0.0.0"], held.host_port, held.host_port, listen=False)
    table.release(held)


def test_a_port_held_by_another_program_is_address_in_use() -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(errdefs.System) as caught:
            PortTable().bind("tcp", ["127.0.0.1"], port, port, listen=True)
    assert str(caught.value) == (
        f"Error starting userland proxy: listen tcp4 127.0.0.1:{port}: bind: address already in use"
    )


def test_a_host_port_range_takes_the_first_free_port() -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        table = PortTable()
        held = table.bind("tcp", ["127.0.0.1"], port, port + 1, listen=True)
        assert held[0].host_port == port + 1
        table.release(held[0])
