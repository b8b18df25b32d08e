"""``docker search``: the registry's ``/v1/search`` index, as Docker Hub serves it.

The OCI distribution API (the CNCF ``registry``, Harbor's, ...) has no
search: such a registry answers 404, which is reported as a plain
"does not support search" error naming it, not a 501 of ours. A term with a
registry host (``127.0.0.1:5000/app``) searches that registry; any other
searches Docker Hub.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import quote

import msgspec

from pymoby import api, errdefs
from pymoby.reference import DEFAULT_DOMAIN, Reference
from pymoby.registry import Credentials, Endpoint, RegistryClient, RegistryError, endpoints_for

from ._registry import client_options

if TYPE_CHECKING:
    from ._service import Distribution

__all__ = ["SEARCH_FILTERS", "SearchUnsupported", "search", "split_search_term"]

SEARCH_FILTERS = frozenset({"is-automated", "is-official", "stars"})


class SearchUnsupported(errdefs.InvalidParameter):
    """The registry has no search endpoint (OCI distribution registries have none)."""


def split_search_term(term: str) -> tuple[str, str]:
    """(registry, remote term): ``127.0.0.1:5000/app`` searches ``app`` on ``127.0.0.1:5000``."""
    first, slash, rest = term.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return DEFAULT_DOMAIN, term


def _matches(filters: api.Filters, result: api.ImageSearchResult) -> bool:
    for name, flag in (("is-official", result.is_official), ("is-automated", result.is_automated)):
        if name in filters:
            wanted = filters.get(name)
            if wanted & {"true", "1"} and not flag:
                return False
            if wanted & {"false", "0"} and flag:
                return False
    for stars in filters.get("stars"):
        try:
            if result.star_count < int(stars):
                return False
        except ValueError:
            raise errdefs.InvalidParameter(f"invalid filter 'stars={stars}'") from None
    return True


async def search(
    service: Distribution, term: str, *, limit: int, filters: api.Filters, credentials: Credentials | None
) -> list[api.ImageSearchResult]:
    """Results of ``term`` (at most ``limit``, 1 to 100).

    Raises :class:`SearchUnsupported` for a registry without search, ``Unavailable`` when it cannot be reached.
    """
    filters.validate(SEARCH_FILTERS)
    if limit and not 1 <= limit <= 100:
        raise errdefs.InvalidParameter(f"limit {limit} is outside the range of [1, 100]")
    registry, remote = split_search_term(term)
    if not remote:
        raise errdefs.InvalidParameter("search term must not be empty")
    ref = Reference(registry, "library/search")
    options = client_options(service.options, ref, credentials)
    # Docker Hub's index is index.docker.io, not the registry's host; elsewhere the registry itself.
    endpoint = (
        Endpoint(DEFAULT_DOMAIN, "index.docker.io")
        if registry == DEFAULT_DOMAIN
        else endpoints_for(registry, options)[-1]
    )
    path = f"/v1/search?q={quote(remote)}&n={limit or 25}"
    async with RegistryClient(options) as client:
        try:
            response = await client.session.request(endpoint, "GET", path, scopes=())
        except RegistryError as exc:
            raise errdefs.Unavailable(f"searching {registry}: {exc}") from exc
        try:
            body = await response.aread()
        finally:
            await response.aclose()
    if response.status_code == 404:
        raise SearchUnsupported(
            f"the registry {registry} does not support search: it has no /v1/search endpoint "
            "(registries that implement only the OCI distribution API have none)"
        )
    if response.status_code != 200:
        raise errdefs.Unavailable(f"searching {registry}: unexpected status code {response.status_code}")
    try:
        data = json.loads(body)
        raw = data.get("results") or []
        results = [msgspec.convert(entry, api.ImageSearchResult) for entry in raw]
    except (ValueError, AttributeError, msgspec.ValidationError) as exc:
        raise errdefs.System(f"searching {registry}: invalid answer: {exc}") from exc
    return [r for r in results if _matches(filters, r)][: limit or 25]
