"""Tags, catalog and referrers, with the registry's ``Link`` pagination."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from pymoby.reference import Reference, familiar_string

from ._endpoints import Endpoint
from ._errors import NotFoundError, RegistryError, error_from_response
from ._manifest import Descriptor
from ._session import Session

if TYPE_CHECKING:
    from ._client import RegistryClient

__all__ = ["catalog", "next_link", "referrers", "tags"]

_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?')


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header, or ``None``."""
    if not header:
        return None
    match = _LINK.search(header)
    return match.group(1) if match else None


async def _pages(
    session: Session, endpoint: Endpoint, path: str, key: str, scopes: tuple[str, ...], shown: str
) -> AsyncIterator[str]:
    url: str | None = path
    while url is not None:
        response = await session.request(endpoint, "GET", url, scopes=scopes)
        body = await response.aread()
        await response.aclose()
        if response.status_code != 200:
            raise error_from_response(response.status_code, body, reference=shown, context=f"listing {shown}")
        data: Any = response.json() if body else {}
        for item in data.get(key) or ():
            yield str(item)
        url = next_link(response.headers.get("link"))


def tags(
    session: Session, endpoint: Endpoint, repository: str, page_size: int | None, shown: str
) -> AsyncIterator[str]:
    """Every tag of ``repository``; raises :class:`NameUnknown` for a missing repository."""
    query = f"?{urlencode({'n': page_size})}" if page_size else ""
    path = f"/v2/{repository}/tags/list{query}"
    return _pages(session, endpoint, path, "tags", (f"repository:{repository}:pull",), shown)


def catalog(session: Session, endpoint: Endpoint, page_size: int | None) -> AsyncIterator[str]:
    """Every repository of the registry."""
    query = f"?{urlencode({'n': page_size})}" if page_size else ""
    return _pages(session, endpoint, f"/v2/_catalog{query}", "repositories", ("registry:catalog:*",), endpoint.domain)


async def referrers(client: RegistryClient, ref: Reference, digest: str, artifact_type: str) -> list[Descriptor]:
    """Referrers of ``digest``: the OCI 1.1 referrers API, else the ``sha256-HEX`` tag schema."""
    endpoint = client._blob_endpoint(ref)
    query = f"?{urlencode({'artifactType': artifact_type})}" if artifact_type else ""
    response = await client.session.request(
        endpoint,
        "GET",
        f"/v2/{ref.path}/referrers/{digest}{query}",
        scopes=(f"repository:{ref.path}:pull",),
        headers={"Accept": "application/vnd.oci.image.index.v1+json"},
    )
    body = await response.aread()
    await response.aclose()
    if response.status_code == 200:
        data: Any = response.json()
        found = [Descriptor.from_json(m) for m in data.get("manifests") or ()]
    elif response.status_code == 404:
        tag = digest.replace(":", "-", 1)
        try:
            index = await client.get_manifest(Reference(ref.domain, ref.path, tag))
        except (NotFoundError, RegistryError) as exc:
            if exc.status == 404:
                return []
            raise
        found = list(index.manifests)
    else:
        raise error_from_response(response.status_code, body, reference=familiar_string(ref))
    if artifact_type:
        found = [d for d in found if d.artifact_type == artifact_type]
    return found
