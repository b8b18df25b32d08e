"""pymoby.client: a typed Docker Engine API client, async first with a sync facade.

``AsyncClient`` speaks HTTP/1.1 (h11 over anyio) to a unix socket, TCP or
TLS; ``Client`` is the same through a blocking portal. Errors are
:mod:`pymoby.errdefs` kinds mapped from the HTTP status.
"""

from ._client import AsyncClient, Ping, registry_auth_header
from ._errors import KIND_OF_STATUS, error_from_response
from ._frames import demux
from ._sync import Client, SyncHijackedConnection
from ._transport import HijackedConnection, Host, RawResponse, TLSConfig, parse_docker_host

__all__ = [
    "KIND_OF_STATUS",
    "AsyncClient",
    "Client",
    "HijackedConnection",
    "Host",
    "Ping",
    "RawResponse",
    "SyncHijackedConnection",
    "TLSConfig",
    "demux",
    "error_from_response",
    "parse_docker_host",
    "registry_auth_header",
]
