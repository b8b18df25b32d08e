"""Where a registry is reached: Docker Hub's host, mirrors, HTTP or HTTPS.

``docker.io`` is served by ``registry-1.docker.io``; configured mirrors are
tried first for pulls. Plain HTTP (and HTTPS without certificate checks) is
allowed only for insecure registries: the loopback range, and the hosts or
CIDRs the user lists; everywhere else HTTPS is verified.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from ._options import RegistryOptions

__all__ = [
    "DOCKER_HUB_AUTH_KEY",
    "DOCKER_HUB_HOST",
    "DOCKER_IO",
    "Endpoint",
    "endpoints_for",
    "is_insecure",
    "registry_host",
]

DOCKER_IO = "docker.io"
DOCKER_HUB_HOST = "registry-1.docker.io"
#: The key Docker uses for Docker Hub in config.json.
DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One base URL to try for a registry, in order.

    ``host`` is the ``host[:port]`` the requests go to, ``secure`` whether
    its certificate is verified, ``fallback_http`` whether plain HTTP may be
    tried when TLS fails, ``mirror`` whether it stands in for Docker Hub
    (pull only), ``domain`` the registry the reference names.
    """

    domain: str
    host: str
    scheme: str = "https"
    secure: bool = True
    fallback_http: bool = False
    mirror: bool = False

    @property
    def url(self) -> str:
        """``scheme://host``."""
        return f"{self.scheme}://{self.host}"


def registry_host(domain: str) -> str:
    """The host that serves ``domain``: ``registry-1.docker.io`` for ``docker.io``."""
    return DOCKER_HUB_HOST if domain in (DOCKER_IO, "index.docker.io") else domain


def _hostname(host: str) -> str:
    """``host[:port]`` without the port (and without IPv6 brackets)."""
    if host.startswith("["):
        return host[1 : host.index("]")]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_insecure(host: str, options: RegistryOptions) -> bool:
    """Whether ``host`` (``host[:port]``) may be reached without verified TLS."""
    name = _hostname(host)
    for entry in options.insecure_registries:
        entry = entry.removeprefix("http://").removeprefix("https://").rstrip("/")
        if entry in (host, name):
            return True
        if "/" in entry:
            try:
                network = ipaddress.ip_network(entry, strict=False)
                if ipaddress.ip_address(name) in network:
                    return True
            except ValueError:
                continue
    if options.insecure_loopback:
        if name == "localhost":
            return True
        try:
            return ipaddress.ip_address(name).is_loopback
        except ValueError:
            return False
    return False


def _mirror_endpoint(url: str, options: RegistryOptions) -> Endpoint:
    parts = urlsplit(url if "://" in url else f"https://{url}")
    host = parts.netloc
    insecure = is_insecure(host, options)
    if parts.scheme == "http":
        return Endpoint(DOCKER_IO, host, "http", secure=False, mirror=True)
    return Endpoint(DOCKER_IO, host, "https", secure=not insecure, fallback_http=insecure, mirror=True)


def endpoints_for(domain: str, options: RegistryOptions, *, push: bool = False) -> list[Endpoint]:
    """The endpoints to try for ``domain``, in order.

    Mirrors come first for Docker Hub pulls (never for pushes). An insecure
    registry is tried over HTTPS without certificate checks, then over HTTP.
    """
    result: list[Endpoint] = []
    if domain in (DOCKER_IO, "index.docker.io"):
        if not push:
            result.extend(_mirror_endpoint(url, options) for url in options.mirrors)
        result.append(Endpoint(DOCKER_IO, DOCKER_HUB_HOST))
        return result
    insecure = is_insecure(domain, options)
    result.append(Endpoint(domain, domain, "https", secure=not insecure, fallback_http=insecure))
    return result
