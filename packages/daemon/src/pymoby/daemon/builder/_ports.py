"""EXPOSE's port specifications, read as Docker's ``nat.ParsePortSpec`` reads them.

``80``, ``80/udp``, ``8000-8002/tcp`` (three ports), and the
``[ip:][hostPort:]containerPort[/proto]`` forms, of which only the
container side counts here. Protocols are ``tcp`` (the default), ``udp``
and ``sctp``.
"""

from __future__ import annotations

import ipaddress

from ._errors import BuildStepError

__all__ = ["exposed_ports"]

_PROTOCOLS = frozenset({"tcp", "udp", "sctp"})


def _split_parts(raw: str) -> tuple[str, str, str]:
    parts = raw.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def _split_proto(raw: str) -> tuple[str, str]:
    parts = raw.split("/")
    if not raw or not parts[0]:
        return "", ""
    if len(parts) == 1 or not parts[1]:
        return "tcp", parts[0]
    return parts[1], parts[0]


def _port(text: str) -> int:
    if not text.isdigit() or not text.isascii():
        raise ValueError(text)
    value = int(text)
    if value > 65535:
        raise ValueError(text)
    return value


def _range(text: str) -> tuple[int, int]:
    if not text:
        raise ValueError("Empty string specified for ports.")
    if "-" not in text:
        port = _port(text)
        return port, port
    start_text, _, end_text = text.partition("-")
    start, end = _port(start_text), _port(end_text)
    if end < start:
        raise ValueError(f"Invalid range specified for the Port: {text}")
    return start, end


def exposed_ports(specs: list[str]) -> list[str]:
    """The ``port/proto`` keys ``specs`` expose, in order. Raises :class:`BuildStepError` with Docker's message."""
    keys: list[str] = []
    for raw in specs:
        ip, host_port, container_port = _split_parts(raw)
        proto, container_port = _split_proto(container_port)
        address = ip[1:-1] if ip.startswith("[") and ip.endswith("]") else ip
        if address:
            try:
                ipaddress.ip_address(address)
            except ValueError:
                raise BuildStepError(f"Invalid ip address: {address}") from None
        if not container_port:
            raise BuildStepError(f"No port specified: {raw}<empty>")
        try:
            start, end = _range(container_port)
        except ValueError:
            raise BuildStepError(f"Invalid containerPort: {container_port}") from None
        if host_port:
            try:
                host_start, host_end = _range(host_port)
            except ValueError:
                raise BuildStepError(f"Invalid hostPort: {host_port}") from None
            if end - start != host_end - host_start and end != start:
                raise BuildStepError(
                    f"Invalid ranges specified for container and host Ports: {container_port} and {host_port}"
                )
        if proto.lower() not in _PROTOCOLS:
            raise BuildStepError(f"Invalid proto: {proto}")
        for port in range(start, end + 1):
            key = f"{port}/{proto.lower()}"
            if key not in keys:
                keys.append(key)
    return keys
