"""Registry clients for pulls and pushes, and registry errors in Docker's words.

Each operation gets its own :class:`pymoby.registry.RegistryClient`, made
from the daemon's options (mirrors, insecure registries, certs.d) and the
client's ``X-Registry-Auth`` credentials. Transfers that outlive the
operation that started them (another pull watches them) keep the client
open: :class:`SharedClient` counts its users and closes it with the last.
"""

from __future__ import annotations

import dataclasses

import anyio

from pymoby import errdefs
from pymoby.reference import Reference, familiar_name, familiar_string
from pymoby.registry import (
    Credentials,
    Denied,
    DigestMismatch,
    ManifestUnknown,
    NameUnknown,
    RegistryClient,
    RegistryError,
    RegistryOptions,
    Unauthorized,
)

__all__ = [
    "LayerVerificationFailed",
    "PullAccessDenied",
    "registry_text",
    "scope_refused",
    "translate_push_error",
    "SharedClient",
    "client_options",
    "translate_pull_error",
]


class PullAccessDenied(errdefs.NotFound):
    """The registry refused the repository: it does not exist, or needs a login."""


class LayerVerificationFailed(errdefs.DataLoss):
    """A downloaded layer does not match its digest."""


class SharedClient:
    """A registry client shared by an operation and the transfers it starts; closed by its last user."""

    def __init__(self, client: RegistryClient) -> None:
        self.client = client
        self._users = 1

    def acquire(self) -> SharedClient:
        """One more user."""
        self._users += 1
        return self

    async def release(self) -> None:
        """One user fewer; the last one closes the connections (even while being cancelled)."""
        self._users -= 1
        if self._users == 0:
            with anyio.CancelScope(shield=True):
                await self.client.aclose()


def client_options(options: RegistryOptions, ref: Reference, credentials: Credentials | None) -> RegistryOptions:
    """``options`` with ``credentials`` for the registry of ``ref`` (none: anonymous)."""
    if credentials is None or credentials.empty:
        return options
    return dataclasses.replace(options, credentials={**options.credentials, ref.domain: credentials})


def _after(text: str, marker: str) -> str:
    return text.split(marker, 1)[1] if marker in text else text


def registry_text(exc: Exception) -> str:
    """A registry error as the registry put it (``denied: ...``), without the client's context before it."""
    text = str(exc)
    code = getattr(exc, "code", "")
    if code:
        marker = code.lower().replace("_", " ") + ":"
        at = text.find(marker)
        if at > 0:
            return text[at:]
    return text


async def scope_refused(client: RegistryClient, ref: Reference) -> str | None:
    """The registry's refusal when its last challenge for ``ref``'s push endpoint said the token lacks the scope.

    RFC 6750 section 3.1: a Bearer challenge with ``error="insufficient_scope"``
    means the token was valid but not for this access. Docker's registry
    client reads it as ``DENIED`` (the description, or ``requested access to
    the resource is denied``), whatever code the body carries; ``None``
    when the challenge said nothing of the kind.
    """
    try:
        state = await client.session.host(client.push_endpoint(ref))
    except RegistryError:
        return None
    for challenge in state.challenges:
        if challenge.scheme == "bearer" and challenge.params.get("error") == "insufficient_scope":
            return challenge.params.get("error_description") or "requested access to the resource is denied"
    return None


def translate_push_error(exc: Exception, *, scope_refusal: str | None = None) -> Exception:
    """A registry error of a push, with the registry's words only (``denied: requested access ...``).

    ``scope_refusal`` (from :func:`scope_refused`) turns a 401 into the
    ``denied`` that Docker reports for a token without the push scope.
    """
    if scope_refusal is not None and isinstance(exc, Unauthorized):
        return Denied(f"denied: {scope_refusal}", code="DENIED", status=exc.status, reference=exc.reference)
    text = registry_text(exc)
    if text == str(exc):
        return exc
    kind = errdefs.kind_of(exc)
    return kind(text) if kind is not None else exc


def translate_pull_error(exc: Exception, ref: Reference, *, anonymous: bool) -> Exception:
    """A registry error of a pull, worded as dockerd words it (``pull access denied for ...``)."""
    name = familiar_name(ref)
    text = str(exc)
    if isinstance(exc, ManifestUnknown):
        return exc  # "manifest for busybox:latest not found: manifest unknown: manifest unknown"
    if isinstance(exc, NameUnknown):
        return PullAccessDenied(f"repository {name} not found: {_after(text, ' not found: ')}")
    if isinstance(exc, Denied) or (isinstance(exc, Unauthorized) and anonymous):
        detail = text.rsplit(": ", 2)
        reason = ": ".join(detail[-2:]) if len(detail) >= 2 else text
        return PullAccessDenied(
            f"pull access denied for {name}, repository does not exist or may require 'docker login': {reason}"
        )
    if isinstance(exc, DigestMismatch):
        return LayerVerificationFailed(f"filesystem layer verification failed for {familiar_string(ref)}: {text}")
    return exc
