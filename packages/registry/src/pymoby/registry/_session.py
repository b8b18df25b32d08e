"""The HTTP engine: one connection pool per registry host, auth, retries, redirects.

Every request names the registry endpoint and the token scopes it needs; the
session pings ``/v2/`` once per host to learn its scheme (HTTPS, or HTTP for
an insecure registry) and its challenge, attaches the right
``Authorization``, retries 429, 5xx and connection failures with bounded
exponential back-off, and follows redirects itself so that credentials are
never sent to another host. httpx's transport is the one-method seam that
tests replace (``RegistryOptions.transport``).
"""

from __future__ import annotations

import random
import ssl
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import anyio
import httpx

from ._auth import CLIENT_ID, Challenge, Credentials, Token, TokenCache, parse_challenges
from ._certs import tls_context
from ._dockerconfig import DockerConfig
from ._endpoints import Endpoint
from ._errors import (
    RegistryError,
    RegistryTimeout,
    RegistryUnavailable,
    Unauthorized,
    error_from_response,
)
from ._options import RegistryOptions

__all__ = ["Body", "HostState", "Session", "iter_raw"]

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 10

#: A request body that can be sent again on a retry: bytes, or a factory of fresh async streams.
Body = bytes | Callable[[], AsyncIterable[bytes]] | None


async def iter_raw(response: httpx.Response) -> AsyncIterator[bytes]:
    """The body's bytes as they arrive (without content decoding).

    A response built in memory (an httpx ``MockTransport`` in tests) arrives
    already read; its content is then given in one piece.
    """
    if response.is_stream_consumed:
        if response.content:
            yield response.content
        return
    async for chunk in response.aiter_raw():
        yield chunk


def _is_tls_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            return True
        current = current.__cause__ or current.__context__
    return "SSL" in str(exc) or "CERTIFICATE" in str(exc).upper()


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


@dataclass
class HostState:
    """What the session learned about one endpoint: its base URL and challenge."""

    endpoint: Endpoint
    base: str
    secure: bool
    challenges: list[Challenge] = field(default_factory=list)

    @property
    def challenge(self) -> Challenge | None:
        """The challenge to answer: Bearer when offered, else Basic."""
        for scheme in ("bearer", "basic"):
            for challenge in self.challenges:
                if challenge.scheme == scheme:
                    return challenge
        return None


class Session:
    """HTTP to registries for one client. Close it with :meth:`aclose`."""

    def __init__(self, options: RegistryOptions) -> None:
        self.options = options
        self._clients: dict[tuple[str, bool], httpx.AsyncClient] = {}
        self._hosts: dict[tuple[str, str], HostState] = {}
        self.tokens = TokenCache()
        self._config: DockerConfig | None = None
        self._credentials: dict[str, Credentials] = dict(options.credentials)
        self._locks: dict[object, anyio.Lock] = {}

    def _lock(self, key: object) -> anyio.Lock:
        """One lock per key, so that concurrent requests share one token or credential look-up."""
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = anyio.Lock()
        return lock

    # --- clients and credentials -------------------------------------------------------

    def client(self, host: str, secure: bool) -> httpx.AsyncClient:
        """The pooled httpx client for ``host`` with its TLS settings."""
        key = (host, secure)
        client = self._clients.get(key)
        if client is None:
            timeout = httpx.Timeout(
                self.options.read_timeout, connect=self.options.connect_timeout, pool=self.options.read_timeout
            )
            headers = {"User-Agent": self.options.user_agent}
            limits = httpx.Limits(max_connections=32, max_keepalive_connections=16)
            if self.options.transport is not None:
                client = httpx.AsyncClient(transport=self.options.transport, timeout=timeout, headers=headers)
            else:
                context = tls_context(host, self.options.certs_dir, verify=secure)
                client = httpx.AsyncClient(verify=context, timeout=timeout, headers=headers, limits=limits)
            self._clients[key] = client
        return client

    async def credentials(self, domain: str) -> Credentials:
        """The credentials for ``domain``: given explicitly, else from config.json, else none."""
        found = self._credentials.get(domain)
        if found is not None:
            return found
        if self.options.config_path is None:
            return Credentials()
        async with self._lock(("credentials", domain)):
            found = self._credentials.get(domain)
            if found is None:
                if self._config is None:
                    self._config = DockerConfig(self.options.config_path)
                found = await self._config.credentials_for(domain)
                self._credentials[domain] = found
        return found

    def set_credentials(self, domain: str, credentials: Credentials) -> None:
        """Use ``credentials`` for ``domain`` from now on."""
        self._credentials[domain] = credentials

    async def aclose(self) -> None:
        """Close every connection pool."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    # --- ping ------------------------------------------------------------------------

    async def host(self, endpoint: Endpoint) -> HostState:
        """Ping ``endpoint`` once (``GET /v2/``) and return what was learned.

        An insecure endpoint falls back to plain HTTP when HTTPS fails.
        Raises :class:`RegistryUnavailable` when neither answers.
        """
        key = (endpoint.host, endpoint.scheme)
        state = self._hosts.get(key)
        if state is not None:
            return state
        async with self._lock(("ping", key)):  # concurrent first requests share one ping
            state = self._hosts.get(key)
            if state is not None:
                return state
            return await self._ping(endpoint, key)

    async def _ping(self, endpoint: Endpoint, key: tuple[str, str]) -> HostState:
        schemes = [endpoint.scheme] + (["http"] if endpoint.fallback_http and endpoint.scheme == "https" else [])
        last: RegistryError | None = None
        for scheme in schemes:
            base = f"{scheme}://{endpoint.host}"
            try:
                response = await self._send_raw(
                    self.client(endpoint.host, endpoint.secure), "GET", base + "/v2/", {}, None
                )
            except RegistryError as exc:
                last = exc
                continue
            await response.aclose()
            state = HostState(endpoint, base, endpoint.secure)
            state.challenges = parse_challenges(response.headers.get_list("www-authenticate"))
            self._hosts[key] = state
            return state
        assert last is not None
        raise last

    # --- requests --------------------------------------------------------------------

    async def _send_raw(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        headers: dict[str, str],
        body: Body,
        *,
        retry: bool = True,
    ) -> httpx.Response:
        """Send once per attempt with back-off; return the streaming response (caller closes it)."""
        attempts = self.options.retries + 1 if retry else 1
        for attempt in range(attempts):
            content: Any = body() if callable(body) else body
            request = client.build_request(method, url, headers=headers, content=content)
            try:
                response = await client.send(request, stream=True)
            except httpx.TimeoutException as exc:
                if attempt + 1 < attempts:
                    await self._backoff(attempt, None)
                    continue
                raise RegistryTimeout(f'{method} "{url}": {type(exc).__name__}: timed out') from exc
            except (httpx.TransportError, ssl.SSLError, anyio.BrokenResourceError, OSError) as exc:
                # a failed TLS handshake is not transient: it is not retried
                if attempt + 1 < attempts and not _is_tls_error(exc):
                    await self._backoff(attempt, None)
                    continue
                raise RegistryUnavailable(f'{method} "{url}": {exc or type(exc).__name__}') from exc
            if response.status_code in _RETRY_STATUS and attempt + 1 < attempts:
                await response.aclose()
                await self._backoff(attempt, response.headers.get("retry-after"))
                continue
            return response
        raise AssertionError("unreachable")

    async def _backoff(self, attempt: int, retry_after: str | None) -> None:
        delay = min(self.options.max_backoff, self.options.backoff * (2**attempt))
        delay *= 0.5 + random.random() / 2
        if retry_after is not None:
            try:
                delay = min(self.options.max_backoff, max(delay, float(retry_after)))
            except ValueError:
                pass
        await anyio.sleep(delay)

    async def _authorization(
        self, state: HostState, scopes: tuple[str, ...], credentials: Credentials, *, fresh: bool = False
    ) -> str | None:
        challenge = state.challenge
        if challenge is None:
            return None
        if challenge.scheme == "basic":
            return credentials.basic_header() if credentials.username else None
        if credentials.registry_token:
            return f"Bearer {credentials.registry_token}"
        if fresh:
            self.tokens.drop(challenge, scopes, credentials)
        token = self.tokens.get(challenge, scopes, credentials)
        if token is None:
            async with self._lock(("token", challenge.realm, challenge.service, scopes, credentials.key)):
                token = self.tokens.get(challenge, scopes, credentials)
                if token is None:
                    token = await self.fetch_token(state, challenge, scopes, credentials)
                    self.tokens.put(challenge, scopes, credentials, token)
        return f"Bearer {token.value}"

    async def fetch_token(
        self,
        state: HostState,
        challenge: Challenge,
        scopes: tuple[str, ...],
        credentials: Credentials,
        *,
        offline: bool = False,
    ) -> Token:
        """Ask the challenge's realm for a token for ``scopes``.

        With an identity token: the OAuth2 ``refresh_token`` grant (POST);
        otherwise GET with Basic credentials (or anonymously). ``offline``
        asks for a refresh token too (``login``). Raises :class:`Unauthorized`
        when the token server refuses.
        """
        realm = challenge.realm
        if not realm:
            raise Unauthorized("bearer challenge without a realm", status=401)
        realm_host = urlsplit(realm).netloc
        client = self.client(realm_host, state.secure or realm_host != state.endpoint.host)
        if credentials.identity_token:
            form = {
                "grant_type": "refresh_token",
                "refresh_token": credentials.identity_token,
                "service": challenge.service,
                "client_id": CLIENT_ID,
                "scope": " ".join(scopes),
            }
            if offline:
                form["access_type"] = "offline"
            body = httpx.QueryParams(form).__str__().encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            response = await self._send_raw(client, "POST", realm, headers, body)
        else:
            params: list[tuple[str, str]] = []
            if challenge.service:
                params.append(("service", challenge.service))
            params.extend(("scope", scope) for scope in scopes)
            headers = {}
            if credentials.username:
                params.append(("account", credentials.username))
                headers["Authorization"] = credentials.basic_header()
            if offline:
                params += [("offline_token", "true"), ("client_id", CLIENT_ID)]
            url = str(httpx.URL(realm, params=params))
            response = await self._send_raw(client, "GET", url, headers, None)
        try:
            raw = await response.aread()
        finally:
            await response.aclose()
        if response.status_code != 200:
            error = error_from_response(response.status_code, raw, context="failed to authorize")
            if response.status_code in (400, 401, 403):
                raise Unauthorized(str(error), code=error.code, status=response.status_code) from error
            raise error
        try:
            return Token.from_response(httpx.Response(200, content=raw).json())
        except ValueError as exc:
            raise Unauthorized("authorization server answered invalid JSON", status=200) from exc

    async def request(
        self,
        endpoint: Endpoint,
        method: str,
        path_or_url: str,
        *,
        scopes: tuple[str, ...] = (),
        headers: dict[str, str] | None = None,
        body: Body = None,
        retry: bool = True,
    ) -> httpx.Response:
        """Send a request to ``endpoint`` with auth, retries and safe redirects.

        ``path_or_url`` is a path under the endpoint (``/v2/...``) or an
        absolute URL (an upload location). Returns the streaming response,
        whatever its status: the caller reads or closes it. Raises
        :class:`RegistryUnavailable` or :class:`RegistryTimeout` when the
        registry cannot be reached.
        """
        state = await self.host(endpoint)
        credentials = await self.credentials(endpoint.domain)
        url = urljoin(state.base + "/", path_or_url)
        send_headers = dict(headers or {})
        client = self.client(endpoint.host, state.secure)
        authorization = await self._authorization(state, scopes, credentials)
        refreshed = False
        for _ in range(_MAX_REDIRECTS + 2):
            request_headers = dict(send_headers)
            if authorization and _origin(url) == _origin(state.base):
                request_headers["Authorization"] = authorization
            origin_client = client if _origin(url)[1] == endpoint.host else self.client(_origin(url)[1], True)
            response = await self._send_raw(origin_client, method, url, request_headers, body, retry=retry)
            if response.status_code == 401 and not refreshed and _origin(url) == _origin(state.base):
                # the token may have expired or lack a scope: answer the new challenge once
                challenges = parse_challenges(response.headers.get_list("www-authenticate"))
                refreshed = True
                if challenges:
                    state.challenges = challenges
                    renewed = await self._authorization(state, scopes, credentials, fresh=True)
                    if renewed is not None:
                        await response.aclose()
                        authorization = renewed
                        continue
            if response.status_code in _REDIRECTS and method in ("GET", "HEAD"):
                location = response.headers.get("location")
                await response.aclose()
                if not location:
                    raise RegistryUnavailable(f"redirect without a location from {url}")
                url = urljoin(url, location)
                continue
            return response
        raise RegistryUnavailable(f"stopped after {_MAX_REDIRECTS} redirects from {path_or_url}")
