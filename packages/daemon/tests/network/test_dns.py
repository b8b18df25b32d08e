"""The embedded resolver's DNS codec and its local answers (pure)."""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pymoby.daemon.network._dns import (
    NOERROR,
    TYPE_A,
    TYPE_AAAA,
    TYPE_PTR,
    DNSFormatError,
    encode_name,
    parse_query,
    response,
    reverse_name,
)
from pymoby.daemon.network._resolver import resolve

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def query(name: str, qtype: int = TYPE_A, ident: int = 0x1234) -> bytes:
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + encode_name(name) + struct.pack("!HH", qtype, 1)


def answers(message: bytes) -> tuple[int, int, list[tuple[int, bytes]]]:
    """(id, rcode, [(type, rdata)]) of a response built by ``response``."""
    ident, flags, qd, an, _ns, _ar = struct.unpack_from("!HHHHHH", message)
    assert flags & 0x8000
    assert qd == 1
    offset = 12
    while message[offset]:
        offset += message[offset] + 1
    offset += 5
    found = []
    for _ in range(an):
        _name, rtype, _cls, _ttl, size = struct.unpack_from("!HHHIH", message, offset)
        offset += 12
        found.append((rtype, message[offset : offset + size]))
        offset += size
    return ident, flags & 0xF, found


class Lookup:
    def __init__(self) -> None:
        self.names = {"web": [ipaddress.ip_address("10.1.0.2"), ipaddress.ip_address("fd00::2")], "v4only": [
            ipaddress.ip_address("10.1.0.3")]}  # fmt: skip

    def addresses(self, name: str) -> list[IPAddress] | None:
        return self.names.get(name)

    def pointer(self, address: IPAddress) -> str | None:
        return "web.mynet" if str(address) == "10.1.0.2" else None

    def external_servers(self) -> Sequence[str]:
        return ["192.0.2.53"]


def test_a_query_parses_case_insensitively() -> None:
    parsed = parse_query(query("Web.MyNet."))
    assert (parsed.id, parsed.name, parsed.qtype) == (0x1234, "web.mynet", TYPE_A)


NOT_QUERIES = [
    b"",
    b"\x00" * 11,
    struct.pack("!HHHHHH", 1, 0x8100, 1, 0, 0, 0) + b"\x00\x00\x01\x00\x01",
    struct.pack("!HHHHHH", 1, 0x0100, 0, 0, 0, 0),
    query("web")[:-3],
]


@pytest.mark.parametrize("data", NOT_QUERIES)
def test_messages_that_are_not_queries_are_refused(data: bytes) -> None:
    with pytest.raises(DNSFormatError):
        parse_query(data)


def test_known_names_get_their_addresses() -> None:
    ident, rcode, found = answers(resolve(Lookup(), query("web")) or b"")
    assert (ident, rcode, found) == (0x1234, NOERROR, [(TYPE_A, bytes([10, 1, 0, 2]))])
    _, _, found6 = answers(resolve(Lookup(), query("web", TYPE_AAAA)) or b"")
    assert found6 == [(TYPE_AAAA, ipaddress.ip_address("fd00::2").packed)]


def test_a_known_name_without_ipv6_is_nodata_not_nxdomain() -> None:
    _, rcode, found = answers(resolve(Lookup(), query("v4only", TYPE_AAAA)) or b"")
    assert (rcode, found) == (NOERROR, [])


def test_unknown_names_are_left_for_forwarding() -> None:
    assert resolve(Lookup(), query("example.com")) is None
    assert resolve(Lookup(), query("9.9.9.9.in-addr.arpa", TYPE_PTR)) is None


def test_reverse_lookups_name_the_container_and_network() -> None:
    _, rcode, found = answers(resolve(Lookup(), query("2.0.1.10.in-addr.arpa", TYPE_PTR)) or b"")
    assert (rcode, found) == (NOERROR, [(TYPE_PTR, encode_name("web.mynet"))])


def test_reverse_names() -> None:
    assert reverse_name("4.3.2.1.in-addr.arpa") == ipaddress.ip_address("1.2.3.4")
    six = ipaddress.ip_address("fd00::1")
    nibbles = ".".join(reversed(f"{int(six):032x}"))
    assert reverse_name(f"{nibbles}.ip6.arpa") == six
    assert reverse_name("1.2.3.in-addr.arpa") is None
    assert reverse_name("example.com") is None


@given(st.lists(st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True), min_size=1, max_size=5),
       st.integers(min_value=0, max_value=0xFFFF))  # fmt: skip
def test_names_round_trip_through_a_query_and_its_answer(labels: list[str], ident: int) -> None:
    name = ".".join(labels)
    parsed = parse_query(query(name, ident=ident))
    assert parsed.name == name
    assert parsed.id == ident
    got_id, rcode, found = answers(response(parsed, [(TYPE_A, b"\x01\x02\x03\x04")]))
    assert (got_id, rcode, found) == (ident, NOERROR, [(TYPE_A, b"\x01\x02\x03\x04")])
