"""Listening sockets for ``-H`` addresses: unix, tcp (with TLS), fd (socket activation).

Docker's rules: a unix socket is created mode 0660 and owned by the API group
(``--group``; a missing default group only gets a warning); ``tcp://`` without
TLS on an address that is not loopback is refused unless TLS was explicitly
turned off (``--tls=false``), and then warned about.
"""

from __future__ import annotations

import grp
import ipaddress
import logging
import os
import socket
import ssl
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pymoby import errdefs

from ._server import Listener

__all__ = ["HostAddress", "TLSOptions", "load_listeners", "parse_host", "server_tls_context"]

log = logging.getLogger("pymoby.daemon.server")

DEFAULT_TCP_HOST = "127.0.0.1"
DEFAULT_HTTP_PORT = 2375
DEFAULT_TLS_PORT = 2376


class InvalidHost(errdefs.InvalidParameter):
    """A ``-H`` value that is not a valid address."""


@dataclass(frozen=True, slots=True)
class HostAddress:
    """A parsed ``-H`` value: ``proto`` is unix, tcp or fd."""

    proto: str
    address: str  # socket path, "host:port", or the fd spec ("" for all)

    def __str__(self) -> str:
        return f"{self.proto}://{self.address}"


def parse_host(value: str, default_unix: str, tls: bool = False) -> HostAddress:
    """Parse ``-H`` as Docker does (``unix:///p``, ``tcp://h:p``, ``tcp://:p``, ``fd://``, ``/p``)."""
    value = value.strip()
    if not value:
        return HostAddress("unix", default_unix)
    proto, sep, rest = value.partition("://")
    if not sep:
        if value.startswith("/"):
            return HostAddress("unix", value)
        proto, rest = "tcp", value
    if proto == "unix":
        return HostAddress("unix", rest or default_unix)
    if proto == "fd":
        return HostAddress("fd", rest)
    if proto != "tcp":
        raise InvalidHost(f"Invalid bind address format: {value}")
    rest = rest.split("/", 1)[0]
    host, _, port = rest.rpartition(":") if ":" in rest else (rest, "", "")
    host = host.strip("[]") or DEFAULT_TCP_HOST
    if not port:
        port = str(DEFAULT_TLS_PORT if tls else DEFAULT_HTTP_PORT)
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise InvalidHost(f"Invalid bind address format: {value}")
    return HostAddress("tcp", f"[{host}]:{port}" if ":" in host else f"{host}:{port}")


@dataclass(frozen=True, slots=True)
class TLSOptions:
    """Server TLS settings: ``verify`` demands client certificates signed by ``ca``."""

    cert: str
    key: str
    ca: str | None = None
    verify: bool = False


def server_tls_context(options: TLSOptions) -> ssl.SSLContext:
    """An SSL context for the API; raises ``InvalidParameter`` when files cannot be loaded."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(options.cert, options.key)
        if options.verify:
            if not options.ca:
                raise errdefs.InvalidParameter("--tlsverify needs a CA certificate (--tlscacert)")
            context.load_verify_locations(options.ca)
            context.verify_mode = ssl.CERT_REQUIRED
    except (OSError, ssl.SSLError) as exc:
        raise errdefs.InvalidParameter(f"could not load X509 key pair: {exc}") from exc
    return context


def _is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _group_id(group: str, explicit: bool) -> int:
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        if group.isdigit():
            return int(group)
        if explicit:
            raise errdefs.InvalidParameter(f"can't create unix socket: group {group} not found") from None
        log.warning("could not change group of the API socket to %s: the group does not exist", group)
        return 0


def _unix_listener(path: str, group: str, group_explicit: bool) -> Listener:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if stat.S_ISSOCK(target.lstat().st_mode):
            target.unlink()
    except FileNotFoundError:
        pass
    gid = _group_id(group, group_explicit)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        os.chown(path, 0 if os.geteuid() == 0 else -1, gid if os.geteuid() == 0 else -1)
        os.chmod(path, 0o660)
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        raise errdefs.System(f"can't create unix socket {path}: {exc.strerror or exc}") from exc
    sock.setblocking(False)
    return Listener(sock, f"unix://{path}")


def _tcp_listener(address: str, context: ssl.SSLContext | None, tls_explicitly_off: bool) -> Listener:
    host, _, port = address.rpartition(":")
    plain_host = host.strip("[]")
    if context is None and not _is_loopback(plain_host):
        if not tls_explicitly_off:
            raise errdefs.InvalidParameter(
                f"refusing to listen on tcp://{address} without TLS: anyone who can reach it has root on this "
                "host. Use --tlsverify, or pass --tls=false to accept the risk"
            )
        log.warning(
            "Binding to IP address without --tlsverify is insecure and gives root access on this machine "
            "to everyone who has access to your network (tcp://%s)",
            address,
        )
    try:
        infos = socket.getaddrinfo(plain_host, int(port), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, _, _, _, sockaddr = infos[0]
        sock = socket.create_server(sockaddr[:2], family=family, backlog=1024)
        # Accepted sockets inherit it: small answers leave at once instead of waiting for Nagle.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError as exc:
        raise errdefs.System(f"failed to listen on tcp://{address}: {exc.strerror or exc}") from exc
    sock.setblocking(False)
    return Listener(sock, f"tcp://{address}", context)


def _fd_listeners(spec: str, context: ssl.SSLContext | None) -> list[Listener]:
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        raise errdefs.InvalidParameter(
            "no sockets found via socket activation: make sure the service was started by systemd"
        )
    count = int(os.environ.get("LISTEN_FDS", "0"))
    fds = list(range(3, 3 + count))
    if spec:
        if not spec.isdigit() or int(spec) not in fds:
            raise errdefs.InvalidParameter(f"too few socket activated files passed in by systemd (fd {spec})")
        fds = [int(spec)]
    if not fds:
        raise errdefs.InvalidParameter(
            "no sockets found via socket activation: make sure the service was started by systemd"
        )
    listeners = []
    for fd in fds:
        sock = socket.socket(fileno=fd)
        sock.setblocking(False)
        listeners.append(Listener(sock, f"fd://{fd}", context if sock.family != socket.AF_UNIX else None))
    return listeners


def load_listeners(
    hosts: Sequence[HostAddress],
    *,
    tls: TLSOptions | None = None,
    tls_explicitly_off: bool = False,
    group: str = "pymoby",
    group_explicit: bool = False,
) -> list[Listener]:
    """Bind every host; on failure close what was bound and raise (``InvalidParameter`` or ``System``)."""
    context = server_tls_context(tls) if tls is not None else None
    listeners: list[Listener] = []
    try:
        for host in hosts:
            if host.proto == "unix":
                listeners.append(_unix_listener(host.address, group, group_explicit))
            elif host.proto == "tcp":
                listeners.append(_tcp_listener(host.address, context, tls_explicitly_off))
            else:
                listeners.extend(_fd_listeners(host.address, context))
    except BaseException:
        for listener in listeners:
            listener.sock.close()
        raise
    return listeners
