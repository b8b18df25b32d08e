"""Authentication: challenges, credentials, the token flow and its cache.

A registry answers ``401`` with ``WWW-Authenticate: Bearer realm=...,
service=...`` (token auth, as Docker Hub) or ``Basic realm=...``. For
Bearer, the client asks the realm for a token for the scopes it needs
(``repository:NAME:pull,push``), with Basic credentials (GET) or an identity
token (OAuth2 ``refresh_token`` grant, POST), and caches it until it expires.
See the distribution spec's token auth: docs/spec/auth/token.md.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass, field
from typing import Any

from pymoby import errdefs

__all__ = [
    "Challenge",
    "Credentials",
    "Token",
    "TokenCache",
    "parse_challenges",
    "scope_for",
]

#: Docker's minimum token lifetime when a server says less (or nothing).
MIN_TOKEN_SECONDS = 60
CLIENT_ID = "pymoby"


@dataclass(frozen=True, slots=True)
class Credentials:
    """What authenticates a user to one registry.

    ``username`` + ``password`` (Basic, or to get a token), or an
    ``identity_token`` (an OAuth2 refresh token from a login), or a
    ``registry_token`` sent as is as a Bearer token. Secrets never appear in
    ``repr``.
    """

    username: str = ""
    password: str = field(default="", repr=False)
    identity_token: str = field(default="", repr=False)
    registry_token: str = field(default="", repr=False)

    @property
    def empty(self) -> bool:
        """Whether there is nothing to authenticate with (anonymous)."""
        return not (self.username or self.password or self.identity_token or self.registry_token)

    @classmethod
    def from_registry_auth(cls, header: str) -> Credentials:
        """Decode an ``X-Registry-Auth`` header (base64url JSON, as the docker CLI sends it).

        An empty header means anonymous. Raises ``errdefs.InvalidParameter``
        when it is not base64 JSON.
        """
        if not header.strip():
            return cls()
        padded = header.strip() + "=" * (-len(header.strip()) % 4)
        try:
            raw = base64.urlsafe_b64decode(padded)
            data: Any = json.loads(raw)
        except (binascii.Error, ValueError) as exc:
            raise errdefs.InvalidParameter("invalid X-Registry-Auth header: not base64 encoded JSON") from exc
        if not isinstance(data, dict):
            raise errdefs.InvalidParameter("invalid X-Registry-Auth header: not a JSON object")
        return cls(
            username=str(data.get("username") or ""),
            password=str(data.get("password") or ""),
            identity_token=str(data.get("identitytoken") or ""),
            registry_token=str(data.get("registrytoken") or ""),
        )

    def basic_header(self) -> str:
        """The ``Authorization`` value for Basic auth with these credentials."""
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    @property
    def key(self) -> str:
        """An opaque identity for caches: tokens of different users never mix."""
        return f"{self.username}\0{hash((self.password, self.identity_token, self.registry_token))}"


@dataclass(frozen=True, slots=True)
class Challenge:
    """One ``WWW-Authenticate`` challenge: ``scheme`` (lower case) and its parameters."""

    scheme: str
    params: dict[str, str]

    @property
    def realm(self) -> str:
        """The token endpoint (Bearer) or the realm name (Basic)."""
        return self.params.get("realm", "")

    @property
    def service(self) -> str:
        """The ``service`` parameter: which registry the token is for."""
        return self.params.get("service", "")


def _parse_one(text: str, i: int) -> tuple[Challenge | None, int]:
    n = len(text)
    while i < n and text[i] in " ,":
        i += 1
    start = i
    while i < n and text[i] not in " ,":
        i += 1
    scheme = text[start:i].lower()
    if not scheme:
        return None, n
    params: dict[str, str] = {}
    while i < n:
        while i < n and text[i] in " ,":
            i += 1
        key_start = i
        while i < n and text[i] not in "=, ":
            i += 1
        key = text[key_start:i].strip().lower()
        j = i
        while j < n and text[j] == " ":
            j += 1
        if j >= n or text[j] != "=":
            # no '=': the start of the next challenge
            return Challenge(scheme, params), key_start
        i = j + 1
        while i < n and text[i] == " ":
            i += 1
        if i < n and text[i] == '"':
            i += 1
            value: list[str] = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                value.append(text[i])
                i += 1
            i += 1
            params[key] = "".join(value)
        else:
            value_start = i
            while i < n and text[i] not in ", ":
                i += 1
            params[key] = text[value_start:i]
    return Challenge(scheme, params), n


def parse_challenges(headers: list[str]) -> list[Challenge]:
    """The challenges of ``WWW-Authenticate`` header values (RFC 7235 syntax)."""
    challenges: list[Challenge] = []
    for text in headers:
        i = 0
        while i < len(text):
            challenge, i = _parse_one(text, i)
            if challenge is not None:
                challenges.append(challenge)
    return challenges


def scope_for(repository: str, actions: str) -> str:
    """The token scope for ``actions`` (``pull`` or ``pull,push``) on a repository path."""
    return f"repository:{repository}:{actions}"


@dataclass(frozen=True, slots=True)
class Token:
    """A bearer token and when it stops being usable (monotonic clock)."""

    value: str
    expires_at: float
    refresh_token: str = field(default="", repr=False)

    @classmethod
    def from_response(cls, data: dict[str, Any]) -> Token:
        """Read a token server's JSON answer (``token`` or ``access_token``, ``expires_in``).

        Raises ``errdefs.Unauthorized`` when it holds no token.
        """
        value = data.get("token") or data.get("access_token")
        if not isinstance(value, str) or not value:
            raise errdefs.Unauthorized("authorization server did not include a token in the response")
        try:
            lifetime = int(data.get("expires_in") or 0)
        except (TypeError, ValueError):
            lifetime = 0
        lifetime = max(lifetime, MIN_TOKEN_SECONDS)
        # Renew a little early so a token never expires in flight.
        return cls(value, time.monotonic() + lifetime * 0.9, str(data.get("refresh_token") or ""))

    @property
    def valid(self) -> bool:
        """Whether the token can still be used."""
        return time.monotonic() < self.expires_at


class TokenCache:
    """Bearer tokens by (realm, service, scopes, credentials), kept until they expire."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str, tuple[str, ...], str], Token] = {}

    def get(self, challenge: Challenge, scopes: tuple[str, ...], credentials: Credentials) -> Token | None:
        """A cached token still valid for exactly these scopes, or ``None``."""
        token = self._tokens.get((challenge.realm, challenge.service, scopes, credentials.key))
        return token if token is not None and token.valid else None

    def put(self, challenge: Challenge, scopes: tuple[str, ...], credentials: Credentials, token: Token) -> None:
        """Remember ``token``."""
        self._tokens[(challenge.realm, challenge.service, scopes, credentials.key)] = token

    def drop(self, challenge: Challenge, scopes: tuple[str, ...], credentials: Credentials) -> None:
        """Forget the token for these scopes (the registry refused it)."""
        self._tokens.pop((challenge.realm, challenge.service, scopes, credentials.key), None)
