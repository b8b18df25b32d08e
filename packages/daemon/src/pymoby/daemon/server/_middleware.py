"""Middlewares: each is ``wrap_handler(handler) -> handler``, applied once per route at start-up.

- :class:`VersionMiddleware`: the ``/vX.Y`` prefix (or none) -> ``request.api_version``;
  outside ``[min, max]`` -> 400 with Docker's message; ``Server``, ``Api-Version``
  and ``Ostype`` headers on every answer.
- :class:`ExperimentalMiddleware`: ``Docker-Experimental: true|false``.
- :class:`CORSMiddleware`: the ``Access-Control-*`` headers of ``--api-cors-header``.
- :class:`DebugMiddleware`: logs each call, with auth headers and secrets in
  JSON bodies redacted.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from pymoby import api

from ._request import Handler, Request
from ._response import AnyResponse, encode_headers

__all__ = ["CORSMiddleware", "DebugMiddleware", "ExperimentalMiddleware", "VersionMiddleware"]

log = logging.getLogger("pymoby.daemon.server")


class VersionMiddleware:
    """Checks the API version of each request and stamps the version headers."""

    def __init__(
        self, server_version: str, default_version: str = api.API_VERSION, min_version: str = api.MIN_API_VERSION
    ) -> None:
        self.default_version = default_version
        self.min_version = min_version
        self._headers = encode_headers(
            {"Api-Version": default_version, "Ostype": "linux", "Server": f"Docker/{server_version} (linux)"}
        )
        self._checked: dict[str, None] = {default_version: None}

    def __call__(self, handler: Handler) -> Handler:
        headers, default = self._headers, self.default_version
        checked, minimum = self._checked, self.min_version

        async def version_handler(request: Request) -> AnyResponse:
            request.response_headers += headers
            version = request.raw_version
            if version is None:
                request.api_version = default
            elif version not in checked:
                api.check_api_version(version, minimum, default)
                if len(checked) < 64:
                    checked[version] = None
            return await handler(request)

        return version_handler


class ExperimentalMiddleware:
    """Adds ``Docker-Experimental: true`` (or ``false``) to every answer, as moby does."""

    def __init__(self, experimental: bool) -> None:
        self.experimental = experimental

    def __call__(self, handler: Handler) -> Handler:
        header = b"Docker-Experimental: %s\r\n" % (b"true" if self.experimental else b"false")

        async def experimental_handler(request: Request) -> AnyResponse:
            request.response_headers += header
            return await handler(request)

        return experimental_handler


class CORSMiddleware:
    """Adds the CORS headers of ``--api-cors-header`` (``*`` or an origin)."""

    def __init__(self, origin: str) -> None:
        self._headers = encode_headers(
            {
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Headers": "Origin, X-Requested-With, Content-Type, Accept, X-Registry-Auth",
                "Access-Control-Allow-Methods": "HEAD, GET, POST, DELETE, PUT, OPTIONS",
            }
        )

    def __call__(self, handler: Handler) -> Handler:
        headers = self._headers

        async def cors_handler(request: Request) -> AnyResponse:
            request.response_headers += headers
            return await handler(request)

        return cors_handler


#: Headers whose values never reach the log.
SECRET_HEADERS = frozenset({"authorization", "x-registry-auth", "x-registry-config", "proxy-authorization"})
#: JSON keys (lower case) whose values never reach the log, at any depth.
SECRET_KEYS = frozenset(
    {"password", "secret", "auth", "identitytoken", "registrytoken", "token", "authconfig", "passphrase", "data"}
)
_DEBUG_BODY_LIMIT = 64 << 10


def redact(value: Any) -> Any:
    """A copy of decoded JSON with the values of secret keys replaced by ``*****``."""
    if isinstance(value, dict):
        return {k: "*****" if str(k).lower() in SECRET_KEYS else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def redacted_headers(headers: dict[str, str]) -> dict[str, str]:
    """``headers`` with the values of credential headers replaced by ``*****``."""
    return {k: "*****" if k in SECRET_HEADERS else v for k, v in headers.items()}


class DebugMiddleware:
    """Logs every call at debug level, never logging credentials."""

    def __call__(self, handler: Handler) -> Handler:
        async def debug_handler(request: Request) -> AnyResponse:
            version = request.raw_version
            log.debug("Calling %s %s", request.method, f"/v{version}{request.path}" if version else request.path)
            if log.isEnabledFor(logging.DEBUG):
                log.debug("headers: %s", redacted_headers(request.headers))
                expected = request.body.expected
                if (
                    request.method == "POST"
                    and request.headers.get("content-type", "").startswith("application/json")
                    and expected is not None
                    and 0 < expected <= _DEBUG_BODY_LIMIT
                ):
                    data = await request.body.read_all(_DEBUG_BODY_LIMIT)
                    try:
                        form = redact(msgspec.json.decode(data))
                    except msgspec.DecodeError:
                        form = "<invalid JSON>"
                    log.debug("form data: %s", msgspec.json.encode(form).decode())
            return await handler(request)

        return debug_handler
