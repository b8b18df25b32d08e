"""``-p``/``--publish`` and ``--expose`` values: ``[ip:][host:]container[/proto]``, ranges, and the long
``target=,published=`` form, into ``ExposedPorts`` and ``PortBindings``; Docker's messages."""

from __future__ import annotations

import csv
import ipaddress
from collections.abc import Iterable
from typing import Any

from ._specs import SpecError

__all__ = ["parse_expose", "parse_port_specs"]


def _port_range(text: str) -> tuple[int, int]:
    if not text:
        raise SpecError("empty string specified for ports")
    start, sep, end = text.partition("-")
    try:
        low = int(start)
        high = int(end) if sep else low
    except ValueError as exc:
        raise SpecError(f"invalid port range: {text}") from exc
    if not (0 <= low <= 65535 and 0 <= high <= 65535) or high < low:
        raise SpecError(f"invalid port range: {text}")
    return low, high


def _split_proto(text: str) -> tuple[str, str]:
    port, sep, proto = text.partition("/")
    if not sep:
        return "tcp", port
    return proto or "tcp", port


def _long_port_syntax(spec: str) -> str:
    fields: dict[str, str] = {}
    for part in next(csv.reader([spec])):
        key, sep, value = part.partition("=")
        if not sep:
            raise SpecError(f"invalid field {part}")
        fields[key.strip().lower()] = value.strip()
    unknown = set(fields) - {"target", "published", "protocol", "mode", "host_ip"}
    if unknown:
        raise SpecError(f"invalid field key {sorted(unknown)[0]}")
    if "target" not in fields:
        raise SpecError("missing mandatory field 'target'")
    host_ip = fields.get("host_ip", "")
    published = fields.get("published", "")
    text = f"{fields['target']}/{fields.get('protocol', 'tcp')}"
    if published or host_ip:
        text = f"{published}:{text}"
    if host_ip:
        text = f"{host_ip}:{text}"
    return text


def parse_port_specs(specs: Iterable[str]) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, str]]]]:
    """``-p`` values as ``(ExposedPorts, PortBindings)``, as Docker's ``nat.ParsePortSpecs``."""
    exposed: dict[str, dict[str, Any]] = {}
    bindings: dict[str, list[dict[str, str]]] = {}
    for raw in specs:
        spec = _long_port_syntax(raw) if "=" in raw else raw
        parts = spec.split(":")
        container_part = parts[-1]
        if len(parts) == 1:
            ip, host = "", ""
        elif len(parts) == 2:
            ip, host = "", parts[0]
        elif len(parts) == 3:
            ip, host = parts[0], parts[1]
        else:
            ip, host = ":".join(parts[:-2]), parts[-2]
        proto, container_port = _split_proto(container_part)
        if ip.startswith("["):
            if not ip.endswith("]"):
                raise SpecError(f"invalid IP address {ip}: missing ']' in address")
            ip = ip[1:-1]
        if ip:
            try:
                ipaddress.ip_address(ip)
            except ValueError as exc:
                raise SpecError(f"invalid IP address: {ip}") from exc
        if not container_port:
            raise SpecError(f"no port specified: {raw}<empty>")
        try:
            start, end = _port_range(container_port)
        except SpecError as exc:
            raise SpecError(f"invalid containerPort: {container_port}") from exc
        host_start = host_end = 0
        if host:
            try:
                host_start, host_end = _port_range(host)
            except SpecError as exc:
                raise SpecError(f"invalid hostPort: {host}") from exc
        if host and (end - start) != (host_end - host_start) and end != start:
            raise SpecError(f"invalid ranges specified for container and host Ports: {container_port} and {host}")
        if proto.lower() not in ("tcp", "udp", "sctp"):
            raise SpecError(f"invalid proto: {proto}")
        for i in range(end - start + 1):
            port = f"{start + i}/{proto.lower()}"
            host_port = str(host_start + i) if host else ""
            if start == end and host_start != host_end:
                host_port = f"{host_start}-{host_end}"
            exposed.setdefault(port, {})
            bindings.setdefault(port, []).append({"HostIp": ip, "HostPort": host_port})
    return exposed, bindings


def parse_expose(values: Iterable[str], exposed: dict[str, dict[str, Any]]) -> None:
    """Add ``--expose`` ports (``80``, ``8000-8010/udp``) to ``exposed``."""
    for value in values:
        if ":" in value:
            raise SpecError(f"invalid port format for --expose: {value}")
        proto, port = _split_proto(value)
        try:
            start, end = _port_range(port)
        except SpecError as exc:
            raise SpecError(f"invalid range format for --expose: {value}, error: {exc}") from exc
        for number in range(start, end + 1):
            exposed.setdefault(f"{number}/{proto}", {})
