"""pymoby.client: a typed Docker Engine API client, async first with a sync facade.

``AsyncClient`` speaks HTTP/1.1 (h11 over anyio) to a unix socket, TCP or
TLS. ``Client`` is the synchronous facade: plain request/response calls go
over a blocking standard-library transport (``BlockingClient``), streamed and
hijacked ones through an event loop in a thread of its own, started when
first needed. Errors are :mod:`pymoby.errdefs` kinds mapped from the HTTP
status.

Names are imported when first used, so that a blocking caller never loads
the async machinery (asyncio, anyio, h11).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._blocking import API_VERSION, BlockingClient, Ping, run_to_completion
    from ._client import AsyncClient, registry_auth_header
    from ._errors import KIND_OF_STATUS, error_from_response
    from ._frames import demux
    from ._hosts import Host, RawResponse, TLSConfig, parse_docker_host
    from ._sync import Client, SyncHijackedConnection
    from ._transport import Body, HijackedConnection, StreamedResponse

__all__ = [
    "API_VERSION",
    "KIND_OF_STATUS",
    "AsyncClient",
    "BlockingClient",
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
    "run_to_completion",
]

_MODULE_OF = {
    "API_VERSION": "_blocking",
    "KIND_OF_STATUS": "_errors",
    "AsyncClient": "_client",
    "BlockingClient": "_blocking",
    "Body": "_transport",
    "Client": "_sync",
    "HijackedConnection": "_transport",
    "Host": "_hosts",
    "Ping": "_blocking",
    "RawResponse": "_hosts",
    "StreamedResponse": "_transport",
    "SyncHijackedConnection": "_sync",
    "TLSConfig": "_hosts",
    "demux": "_frames",
    "error_from_response": "_errors",
    "parse_docker_host": "_hosts",
    "registry_auth_header": "_client",
    "run_to_completion": "_blocking",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
