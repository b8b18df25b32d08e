"""pymoby.client: a typed Docker Engine API client, async first with a sync facade.

``AsyncClient`` speaks HTTP/1.1 (h11 over anyio) to a unix socket, TCP or
TLS; ``Client`` is the same through a blocking portal. Errors are
:mod:`pymoby.errdefs` kinds mapped from the HTTP status.
"""

from typing import TYPE_CHECKING, Any

from ._client import AsyncClient, Ping, registry_auth_header
from ._errors import KIND_OF_STATUS, error_from_response
from ._frames import demux
from ._transport import Body, HijackedConnection, Host, RawResponse, StreamedResponse, TLSConfig, parse_docker_host

if TYPE_CHECKING:
    from ._sync import Client, SyncHijackedConnection

__all__ = [
    "KIND_OF_STATUS",
    "AsyncClient",
    "Body",
    "Client",
    "HijackedConnection",
    "Host",
    "Ping",
    "RawResponse",
    "StreamedResponse",
    "SyncHijackedConnection",
    "TLSConfig",
    "demux",
    "error_from_response",
    "parse_docker_host",
    "registry_auth_header",
]


def __getattr__(name: str) -> Any:
    # The blocking facade (a portal thread, anyio.from_thread) is imported when first asked for:
    # async users, such as the command line, start faster without it.
    if name in ("Client", "SyncHijackedConnection"):
        from . import _sync

        return getattr(_sync, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
