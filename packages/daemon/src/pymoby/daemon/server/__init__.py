"""pymoby.daemon.server: the Engine API's HTTP/1.1 server.

Routers are flat tables of :class:`Route`; middlewares wrap handlers;
handlers take a :class:`Request` and return a :class:`Response`, a
:class:`StreamingResponse` or a :class:`HijackResponse`, or raise an
errdefs kind (mapped to a status by :mod:`pymoby.daemon.httpstatus`).
"""

from ._hijack import HijackedStream
from ._listeners import HostAddress, TLSOptions, load_listeners, parse_host, server_tls_context
from ._middleware import CORSMiddleware, DebugMiddleware, ExperimentalMiddleware, VersionMiddleware, redact
from ._request import BodyReader, Handler, QueryArgs, Request, bool_value
from ._response import (
    JSON,
    MULTIPLEXED_STREAM,
    RAW_STREAM,
    AnyResponse,
    HijackResponse,
    Response,
    StreamingResponse,
    encode_headers,
    json_response,
    json_stream,
)
from ._routing import Middleware, Mux, Route, Router, delete, get, head, options, post, put
from ._server import Listener, Server, ServerConfig
from ._websocket import BadHandshake, WebSocketStream, websocket_accept, websocket_response

__all__ = [
    "JSON",
    "BadHandshake",
    "MULTIPLEXED_STREAM",
    "RAW_STREAM",
    "AnyResponse",
    "BodyReader",
    "CORSMiddleware",
    "DebugMiddleware",
    "ExperimentalMiddleware",
    "Handler",
    "HijackResponse",
    "HijackedStream",
    "HostAddress",
    "Listener",
    "Middleware",
    "Mux",
    "QueryArgs",
    "Request",
    "Response",
    "Route",
    "Router",
    "Server",
    "ServerConfig",
    "StreamingResponse",
    "TLSOptions",
    "VersionMiddleware",
    "WebSocketStream",
    "bool_value",
    "delete",
    "encode_headers",
    "get",
    "head",
    "json_response",
    "json_stream",
    "load_listeners",
    "options",
    "parse_host",
    "post",
    "put",
    "redact",
    "server_tls_context",
    "websocket_accept",
    "websocket_response",
]
