"""Just enough of the DNS wire format (RFC 1035) for the embedded resolver (pure functions).

The resolver reads the question of a query, answers A, AAAA and PTR for the
containers it knows, and forwards every other query unchanged, so it never
needs to parse more than the header and the first question.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "CLASS_IN",
    "NOERROR",
    "NXDOMAIN",
    "SERVFAIL",
    "TYPE_A",
    "TYPE_AAAA",
    "TYPE_PTR",
    "DNSFormatError",
    "Query",
    "encode_name",
    "parse_query",
    "response",
    "reverse_name",
]

TYPE_A = 1
TYPE_PTR = 12
TYPE_AAAA = 28
CLASS_IN = 1
NOERROR = 0
FORMERR = 1
SERVFAIL = 2
NXDOMAIN = 3
REFUSED = 5

_HEADER = struct.Struct("!HHHHHH")


class DNSFormatError(ValueError):
    """The message is not a DNS query we can read."""


@dataclass(frozen=True, slots=True)
class Query:
    """A query's ID, flags and first question (name lower-cased, without the final dot)."""

    id: int
    flags: int
    name: str
    qtype: int
    qclass: int
    question: bytes  # the question section as it came, echoed in answers


def _read_name(data: bytes, offset: int) -> tuple[str, int]:
    labels: list[str] = []
    while True:
        if offset >= len(data):
            raise DNSFormatError("truncated name")
        length = data[offset]
        if length == 0:
            return ".".join(labels), offset + 1
        if length & 0xC0:
            raise DNSFormatError("compressed name in a question")
        label = data[offset + 1 : offset + 1 + length]
        if len(label) != length:
            raise DNSFormatError("truncated label")
        labels.append(label.decode("ascii", errors="replace"))
        offset += 1 + length


def parse_query(data: bytes) -> Query:
    """The header and first question of a query; raises :class:`DNSFormatError`."""
    if len(data) < _HEADER.size:
        raise DNSFormatError("short message")
    ident, flags, qdcount, _an, _ns, _ar = _HEADER.unpack_from(data)
    if flags & 0x8000:
        raise DNSFormatError("not a query")
    if qdcount < 1:
        raise DNSFormatError("no question")
    name, end = _read_name(data, _HEADER.size)
    if end + 4 > len(data):
        raise DNSFormatError("truncated question")
    qtype, qclass = struct.unpack_from("!HH", data, end)
    return Query(ident, flags, name.lower().rstrip("."), qtype, qclass, data[_HEADER.size : end + 4])


def encode_name(name: str) -> bytes:
    """A domain name in wire format (uncompressed)."""
    out = bytearray()
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode("ascii", errors="replace")[:63]
            out.append(len(raw))
            out += raw
    out.append(0)
    return bytes(out)


def response(query: Query, answers: Sequence[tuple[int, bytes]] = (), *, rcode: int = NOERROR, ttl: int = 600) -> bytes:
    """The answer to ``query``: ``answers`` are (type, rdata) for its name; ``rcode`` as given."""
    opcode = query.flags & 0x7800
    rd = query.flags & 0x0100
    flags = 0x8000 | opcode | rd | 0x0080 | (rcode & 0xF)  # QR, RA
    out = bytearray(_HEADER.pack(query.id, flags, 1, len(answers), 0, 0))
    out += query.question
    for rtype, rdata in answers:
        # 0xC00C: the name is the question's, at offset 12.
        out += struct.pack("!HHHIH", 0xC00C, rtype, CLASS_IN, ttl, len(rdata)) + rdata
    return bytes(out)


def reverse_name(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a PTR name (``4.3.2.1.in-addr.arpa``, ``...ip6.arpa``) is about, or ``None``."""
    if name.endswith(".in-addr.arpa"):
        parts = name.removesuffix(".in-addr.arpa").split(".")
        if len(parts) != 4:
            return None
        try:
            return ipaddress.IPv4Address(".".join(reversed(parts)))
        except ValueError:
            return None
    if name.endswith(".ip6.arpa"):
        nibbles = name.removesuffix(".ip6.arpa").split(".")
        if len(nibbles) != 32 or not all(len(n) == 1 for n in nibbles):
            return None
        try:
            return ipaddress.IPv6Address(int("".join(reversed(nibbles)), 16))
        except ValueError:
            return None
    return None
