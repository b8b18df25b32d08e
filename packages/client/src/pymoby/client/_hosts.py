"""Where the daemon is and how to reach it: ``DOCKER_HOST`` parsing and client TLS settings.

Standard library only (``ssl`` is imported when a TLS context is made), so
that a blocking client starts without the async machinery.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pymoby import errdefs

if TYPE_CHECKING:
    import ssl

__all__ = ["DEFAULT_HOST", "Host", "RawResponse", "TLSConfig", "parse_docker_host"]

DEFAULT_HOST = "unix:///var/run/docker.sock"


@dataclass(frozen=True, slots=True)
class TLSConfig:
    """Client TLS: ``ca`` to verify the daemon, ``cert``/``key`` to identify ourselves."""

    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    verify: bool = True

    @classmethod
    def from_cert_path(cls, path: str | os.PathLike[str], verify: bool = True) -> TLSConfig:
        """``ca.pem``, ``cert.pem`` and ``key.pem`` from one directory, as ``DOCKER_CERT_PATH``."""
        base = Path(path)
        return cls(str(base / "ca.pem"), str(base / "cert.pem"), str(base / "key.pem"), verify)

    def context(self) -> ssl.SSLContext:
        """The SSL context; ``InvalidParameter`` when a file cannot be loaded."""
        import ssl

        try:
            context = ssl.create_default_context(cafile=self.ca) if self.verify else ssl.create_default_context()
            if not self.verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            if self.cert:
                context.load_cert_chain(self.cert, self.key)
        except (OSError, ssl.SSLError) as exc:
            raise errdefs.InvalidParameter(f"could not load TLS files: {exc}") from exc
        return context


@dataclass(frozen=True, slots=True)
class Host:
    """Where the daemon listens: ``proto`` unix or tcp."""

    proto: str
    address: str  # socket path, or host
    port: int = 0

    def describe(self) -> str:
        """The address as ``unix:///path`` or ``tcp://host:port`` (for error messages)."""
        if self.proto == "unix":
            return f"unix://{self.address}"
        return f"tcp://{self.address}:{self.port}"

    @property
    def authority(self) -> str:
        """The ``Host`` header sent to this daemon."""
        return "api.moby.localhost" if self.proto == "unix" else f"{self.address}:{self.port}"


def parse_docker_host(value: str) -> Host:
    """Parse ``unix:///path``, ``tcp://host:port``, ``http(s)://host:port`` or a bare socket path."""
    if value.startswith("/"):
        return Host("unix", value)
    parts = urlsplit(value)
    if parts.scheme in ("unix", "npipe"):
        return Host("unix", parts.path or "/var/run/docker.sock")
    if parts.scheme in ("tcp", "http", "https"):
        if not parts.hostname:
            raise errdefs.InvalidParameter(f"invalid host: {value}")
        return Host("tcp", parts.hostname, parts.port or (2376 if parts.scheme == "https" else 2375))
    raise errdefs.InvalidParameter(f"unsupported protocol in host {value!r}: use unix:// or tcp://")


def resolve_host_and_tls(host: str | None, tls: TLSConfig | None) -> tuple[Host, TLSConfig | None]:
    """``host`` else ``DOCKER_HOST`` else the default; ``tls`` else ``DOCKER_TLS_VERIFY``/``DOCKER_CERT_PATH``."""
    host = host or os.environ.get("DOCKER_HOST") or DEFAULT_HOST
    if tls is None and os.environ.get("DOCKER_TLS_VERIFY") and os.environ.get("DOCKER_CERT_PATH"):
        tls = TLSConfig.from_cert_path(os.environ["DOCKER_CERT_PATH"])
    return parse_docker_host(host), tls


@dataclass(slots=True)
class RawResponse:
    """An answer's status and headers (lower-case names); the body is read separately."""

    status: int
    headers: dict[str, str]
