"""The client's configuration: endpoints, TLS, credentials, limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from ._auth import Credentials

__all__ = ["DEFAULT_CERTS_DIR", "RegistryOptions"]

#: Where Docker reads per-registry certificates.
DEFAULT_CERTS_DIR = Path("/etc/docker/certs.d")


@dataclass(frozen=True)
class RegistryOptions:
    """How to reach registries; what the daemon or the CLI passes to the client.

    - ``mirrors``: URLs tried first for ``docker.io`` pulls (``https://mirror:5000``).
    - ``insecure_registries``: hosts (``host[:port]``) and CIDRs (``10.0.0.0/8``) where
      an unverified HTTPS certificate and then plain HTTP are accepted.
    - ``insecure_loopback``: treat 127.0.0.0/8, ::1 and ``localhost`` as insecure, as
      Docker does by default.
    - ``certs_dir``: ``certs.d``: ``HOST[:PORT]/ca.crt`` (any ``*.crt``) adds CAs,
      ``*.cert`` + ``*.key`` a client certificate.
    - ``config_path``: a Docker ``config.json`` to take credentials from (``None``: none).
    - ``credentials``: fixed credentials per registry host (``docker.io``, ``host:port``),
      used before ``config.json`` (the daemon passes ``X-Registry-Auth`` here).
    - ``transport``: an httpx transport for every request (the seam tests replace).
    """

    mirrors: tuple[str, ...] = ()
    insecure_registries: tuple[str, ...] = ()
    insecure_loopback: bool = True
    certs_dir: Path | None = DEFAULT_CERTS_DIR
    config_path: Path | None = None
    credentials: dict[str, Credentials] = field(default_factory=dict)
    user_agent: str = "pymoby-registry/0.1.0"
    max_concurrent_downloads: int = 3
    max_concurrent_uploads: int = 5
    connect_timeout: float = 30.0
    read_timeout: float = 60.0
    retries: int = 4
    backoff: float = 0.25
    max_backoff: float = 8.0
    max_manifest_size: int = 4 * 1024 * 1024
    chunk_size: int = 16 * 1024 * 1024
    transport: httpx.AsyncBaseTransport | None = None
