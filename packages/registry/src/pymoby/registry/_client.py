"""The async registry client: manifests, blobs, pushes, listings, login.

``RegistryClient`` is the API the daemon and scripts use; it resolves
references Docker's way (``busybox`` is ``docker.io/library/busybox``), finds
the endpoints (mirrors first for Docker Hub pulls) and pins, per repository,
the endpoint that served the manifest so that its blobs come from the same
place.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from pymoby import errdefs
from pymoby.reference import Reference, familiar_string, parse_normalized_named

from . import _listing
from ._auth import Credentials
from ._blobs import Progress, Sink, fetch_to_file, fetch_to_sink, stream_blob
from ._endpoints import Endpoint, endpoints_for
from ._errors import (
    DigestMismatch,
    ManifestTooLarge,
    NoMatchingPlatform,
    RegistryError,
    RegistryProtocolError,
    Unauthorized,
    error_from_response,
)
from ._manifest import ACCEPT_MANIFESTS, Descriptor, Manifest, parse_manifest
from ._options import RegistryOptions
from ._platform import Platform, default_platform, select_manifest
from ._session import Session, iter_raw
from ._upload import BlobSource, PushedBlob, blob_exists, push_blob

__all__ = ["RegistryClient", "as_reference", "login_domain"]


def as_reference(ref: str | Reference) -> Reference:
    """``ref`` normalised as Docker does; raises the reference package's errors."""
    return ref if isinstance(ref, Reference) else parse_normalized_named(ref)


def login_domain(server: str) -> str:
    """The registry a ``docker login SERVER`` argument names (``docker.io`` when empty).

    Scheme and path are dropped (``https://host:5000/v1/`` is ``host:5000``);
    Docker Hub's other names are ``docker.io``. A bare ``myregistry`` is a
    host here, unlike in an image reference.
    """
    host = server.strip().removeprefix("https://").removeprefix("http://").split("/", 1)[0]
    if host in ("", "docker.io", "index.docker.io", "registry-1.docker.io"):
        return "docker.io"
    return host


def _mirror_fallback(exc: RegistryError) -> bool:
    """Whether a mirror's failure lets the next endpoint be tried (as dockerd does)."""
    return errdefs.kind_of(exc) in (errdefs.NotFound, errdefs.Unavailable, errdefs.Unauthorized, errdefs.Forbidden)


class RegistryClient:
    """An async client for OCI distribution registries.

    Use it as ``async with RegistryClient(options) as client: ...``. Methods
    take references as strings (normalised as Docker does) or
    :class:`pymoby.reference.Reference`. Errors are the typed exceptions of
    this package (each an errdefs kind).
    """

    def __init__(self, options: RegistryOptions | None = None) -> None:
        self.options = options or RegistryOptions()
        self.session = Session(self.options)
        self._pinned: dict[str, Endpoint] = {}

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pools."""
        await self.session.aclose()

    def set_credentials(self, registry: str, credentials: Credentials) -> None:
        """Use ``credentials`` for ``registry`` (``docker.io``, ``host:port``) from now on."""
        self.session.set_credentials(registry, credentials)

    # --- endpoints -------------------------------------------------------------------

    def _endpoints(self, ref: Reference, *, push: bool = False) -> list[Endpoint]:
        pinned = None if push else self._pinned.get(ref.name)
        return [pinned] if pinned is not None else endpoints_for(ref.domain, self.options, push=push)

    def push_endpoint(self, ref: Reference) -> Endpoint:
        """The endpoint pushes to ``ref`` go to (never a mirror)."""
        return endpoints_for(ref.domain, self.options, push=True)[0]

    # --- manifests -------------------------------------------------------------------

    async def _get_manifest_at(self, endpoint: Endpoint, ref: Reference, what: str, method: str = "GET") -> Manifest:
        shown = familiar_string(ref)
        response = await self.session.request(
            endpoint,
            method,
            f"/v2/{ref.path}/manifests/{what}",
            scopes=(f"repository:{ref.path}:pull",),
            headers={"Accept": ", ".join(ACCEPT_MANIFESTS)},
        )
        try:
            if response.status_code != 200:
                body = await response.aread()
                raise error_from_response(
                    response.status_code,
                    body,
                    reference=shown,
                    context=f"manifest for {shown} not found"
                    if response.status_code == 404
                    else f"fetching manifest for {shown}",
                )
            limit = self.options.max_manifest_size
            length = response.headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > limit:
                raise ManifestTooLarge(f"manifest for {shown} is larger than {limit} bytes", reference=shown)
            chunks: list[bytes] = []
            received = 0
            async for chunk in iter_raw(response):
                received += len(chunk)
                if received > limit:
                    raise ManifestTooLarge(f"manifest for {shown} is larger than {limit} bytes", reference=shown)
                chunks.append(chunk)
        finally:
            await response.aclose()
        raw = b"".join(chunks)
        manifest = parse_manifest(raw, response.headers.get("content-type", ""), shown)
        if what.startswith("sha") and ":" in what and manifest.digest != what:
            algorithm = what.split(":", 1)[0]
            if algorithm == "sha256" or hashlib.new(algorithm, raw).hexdigest() != what.split(":", 1)[1]:
                raise DigestMismatch(f"manifest for {shown}: content is {manifest.digest}, not {what}", reference=shown)
        return manifest

    async def _pull_endpoints(self, ref: Reference, what: str, method: str = "GET") -> tuple[Endpoint, Manifest]:
        endpoints = self._endpoints(ref)
        for i, endpoint in enumerate(endpoints):
            try:
                manifest = await self._get_manifest_at(endpoint, ref, what, method)
            except RegistryError as exc:
                if endpoint.mirror and i + 1 < len(endpoints) and _mirror_fallback(exc):
                    continue
                raise
            self._pinned[ref.name] = endpoint
            return endpoint, manifest
        raise AssertionError("no endpoint")  # endpoints_for never returns an empty list

    async def get_manifest(self, ref: str | Reference, *, platform: Platform | str | None = None) -> Manifest:
        """The manifest of ``ref`` (by its digest when it has one, else its tag, ``latest`` by default).

        With ``platform`` (a :class:`Platform` or ``"linux/arm64"``), an
        index is resolved to that platform's manifest; without, an index is
        returned as is. Raises :class:`ManifestUnknown`,
        :class:`NoMatchingPlatform`, :class:`UnsupportedManifest` (schema 1),
        :class:`ManifestTooLarge`, :class:`DigestMismatch`, auth and network errors.
        """
        ref = as_reference(ref)
        what = ref.digest or ref.tag or "latest"
        _, manifest = await self._pull_endpoints(ref, what)
        if platform is None or not manifest.is_index:
            return manifest
        wanted = Platform.parse(platform) if isinstance(platform, str) else platform
        return await self.platform_manifest(ref, manifest, wanted)

    async def platform_manifest(self, ref: str | Reference, index: Manifest, platform: Platform) -> Manifest:
        """The manifest of ``index`` for ``platform``; raises :class:`NoMatchingPlatform`."""
        ref = as_reference(ref)
        chosen = select_manifest(index.manifests, platform)
        if chosen is None:
            shown = familiar_string(ref)
            raise NoMatchingPlatform(
                f"no matching manifest for {platform} in the manifest list entries", reference=shown
            )
        _, manifest = await self._pull_endpoints(ref, chosen.digest)
        return manifest

    async def resolve(self, ref: str | Reference) -> Descriptor:
        """The descriptor (media type, digest, size) ``ref`` points at, with a ``HEAD`` when possible."""
        ref = as_reference(ref)
        what = ref.digest or ref.tag or "latest"
        endpoints = self._endpoints(ref)
        for i, endpoint in enumerate(endpoints):
            try:
                response = await self.session.request(
                    endpoint,
                    "HEAD",
                    f"/v2/{ref.path}/manifests/{what}",
                    scopes=(f"repository:{ref.path}:pull",),
                    headers={"Accept": ", ".join(ACCEPT_MANIFESTS)},
                )
                await response.aclose()
                if response.status_code != 200:
                    shown = familiar_string(ref)
                    raise error_from_response(
                        response.status_code, b"", reference=shown, context=f"manifest for {shown} not found"
                    )
            except RegistryError as exc:
                if endpoint.mirror and i + 1 < len(endpoints) and _mirror_fallback(exc):
                    continue
                raise
            self._pinned[ref.name] = endpoint
            digest = response.headers.get("docker-content-digest")
            media_type = response.headers.get("content-type", "").split(";")[0]
            length = response.headers.get("content-length", "")
            if digest and length.isdigit():
                return Descriptor(media_type, digest, int(length))
            break
        manifest = await self.get_manifest(ref)
        return manifest.descriptor

    async def get_config(self, ref: str | Reference, *, platform: Platform | str | None = None) -> bytes:
        """The image configuration blob of ``ref`` (for ``platform``, this machine's by default)."""
        ref = as_reference(ref)
        manifest = await self.get_manifest(ref, platform=platform or default_platform())
        if manifest.config is None:
            raise RegistryProtocolError(f"{familiar_string(ref)} is an index, not an image")
        return await self.get_blob(ref, manifest.config)

    # --- blobs -----------------------------------------------------------------------

    def _blob_endpoint(self, ref: Reference) -> Endpoint:
        pinned = self._pinned.get(ref.name)
        if pinned is not None:
            return pinned
        candidates = endpoints_for(ref.domain, self.options)
        return next((e for e in candidates if not e.mirror), candidates[-1])

    def blob_chunks(
        self, ref: str | Reference, descriptor: Descriptor, *, progress: Progress | None = None
    ) -> AsyncGenerator[bytes, None]:
        """The blob's content as an async iterator; it raises :class:`DigestMismatch` at the end if bad.

        Only trust the data once the iterator has finished. Close it with
        ``contextlib.aclosing`` when stopping early.
        """
        ref = as_reference(ref)
        return stream_blob(
            self.session,
            self._blob_endpoint(ref),
            ref.path,
            descriptor,
            reference=familiar_string(ref),
            progress=progress,
        )

    async def get_blob(self, ref: str | Reference, descriptor: Descriptor, *, limit: int = 64 << 20) -> bytes:
        """A small blob (a config) in memory, verified; raises ``errdefs.InvalidParameter`` above ``limit``."""
        if descriptor.size > limit:
            raise errdefs.InvalidParameter(f"blob {descriptor.digest} is {descriptor.size} bytes, over {limit}")
        parts: list[bytes] = []
        async with aclosing(self.blob_chunks(ref, descriptor)) as chunks:
            async for chunk in chunks:
                parts.append(chunk)
        return b"".join(parts)

    async def fetch_blob(
        self,
        ref: str | Reference,
        descriptor: Descriptor,
        sink: Sink | BinaryIO | Path,
        *,
        progress: Progress | None = None,
    ) -> None:
        """Download a blob into ``sink``: a path (written atomically), a file object or a callable.

        For a path nothing is left behind when the content does not verify;
        a file object or callable has received the bytes already, so the
        caller discards them on :class:`DigestMismatch`.
        """
        chunks = self.blob_chunks(ref, descriptor, progress=progress)
        if isinstance(sink, Path):
            await fetch_to_file(chunks, sink)
        else:
            await fetch_to_sink(chunks, sink)

    async def blob_exists(self, ref: str | Reference, digest: str) -> bool:
        """Whether the repository of ``ref`` has the blob ``digest``."""
        ref = as_reference(ref)
        return await blob_exists(self.session, self.push_endpoint(ref), ref.path, digest) is not None

    async def push_blob(
        self,
        ref: str | Reference,
        source: BlobSource,
        *,
        digest: str | None = None,
        size: int | None = None,
        media_type: str = "application/octet-stream",
        mount_from: str | Reference | None = None,
        progress: Progress | None = None,
    ) -> PushedBlob:
        """Push a blob into the repository of ``ref``; see :func:`pymoby.registry.push_blob` semantics.

        ``source`` is bytes, a :class:`~pathlib.Path`, an async iterable of
        chunks (size may be unknown: chunked upload) or a factory of such
        iterables. ``mount_from`` names another repository of the same
        registry to mount from. Returns how the blob got there.
        """
        ref = as_reference(ref)
        mount_path = None
        if mount_from is not None:
            source_ref = as_reference(mount_from)
            if source_ref.domain == ref.domain:
                mount_path = source_ref.path
        return await push_blob(
            self.session,
            self.push_endpoint(ref),
            ref.path,
            source,
            digest=digest,
            size=size,
            media_type=media_type,
            mount_from=mount_path,
            progress=progress,
        )

    async def put_manifest(self, ref: str | Reference, manifest: Manifest | bytes, media_type: str = "") -> str:
        """Push a manifest under the tag (or digest) of ``ref``; returns its digest.

        Raises :class:`ManifestBlobUnknown` when a blob it needs is missing,
        :class:`ManifestInvalid`, auth and network errors.
        """
        ref = as_reference(ref)
        if isinstance(manifest, bytes):
            manifest = parse_manifest(manifest, media_type, familiar_string(ref))
        what = ref.tag or ref.digest or manifest.digest
        if ref.tag is None and ref.digest is not None and ref.digest != manifest.digest:
            raise DigestMismatch(f"manifest is {manifest.digest}, not {ref.digest}", reference=familiar_string(ref))
        response = await self.session.request(
            self.push_endpoint(ref),
            "PUT",
            f"/v2/{ref.path}/manifests/{what}",
            scopes=(f"repository:{ref.path}:pull,push",),
            headers={"Content-Type": manifest.media_type or media_type},
            body=manifest.raw,
        )
        body = await response.aread()
        await response.aclose()
        if response.status_code not in (200, 201):
            shown = familiar_string(ref)
            raise error_from_response(response.status_code, body, reference=shown, context=f"pushing {shown}")
        return manifest.digest

    async def delete_manifest(self, ref: str | Reference) -> str:
        """Delete the manifest ``ref`` points at (its digest, resolved from a tag); returns the digest."""
        ref = as_reference(ref)
        digest = ref.digest or (await self.resolve(ref)).digest
        response = await self.session.request(
            self.push_endpoint(ref),
            "DELETE",
            f"/v2/{ref.path}/manifests/{digest}",
            scopes=(f"repository:{ref.path}:delete",),
        )
        body = await response.aread()
        await response.aclose()
        if response.status_code not in (200, 202):
            shown = familiar_string(ref)
            raise error_from_response(response.status_code, body, reference=shown, context=f"deleting {shown}")
        return digest

    # --- listings --------------------------------------------------------------------

    def tags(self, repository: str | Reference, *, page_size: int | None = None) -> AsyncIterator[str]:
        """Every tag of a repository, following the registry's pagination (``Link``)."""
        ref = as_reference(repository)
        return _listing.tags(self.session, self._blob_endpoint(ref), ref.path, page_size, familiar_string(ref))

    def catalog(self, registry: str, *, page_size: int | None = None) -> AsyncIterator[str]:
        """Every repository of ``registry`` (``host:port``), following pagination."""
        endpoint = endpoints_for(registry, self.options, push=True)[0]
        return _listing.catalog(self.session, endpoint, page_size)

    async def referrers(self, ref: str | Reference, digest: str, *, artifact_type: str = "") -> list[Descriptor]:
        """Manifests whose ``subject`` is ``digest`` (the referrers API, else the tag schema)."""
        ref = as_reference(ref)
        return await _listing.referrers(self, ref, digest, artifact_type)

    # --- login -----------------------------------------------------------------------

    async def login(self, registry: str, credentials: Credentials) -> str:
        """Check ``credentials`` against ``registry`` as ``docker login`` (``POST /auth``) does.

        Returns the identity token the token server issued ("" when none)
        and keeps the credentials for this client. Raises
        :class:`Unauthorized` when they are refused.
        """
        domain = login_domain(registry)
        endpoint = endpoints_for(domain, self.options, push=True)[0]
        state = await self.session.host(endpoint)
        challenge = state.challenge
        identity = ""
        if challenge is not None and challenge.scheme == "bearer" and not credentials.registry_token:
            token = await self.session.fetch_token(state, challenge, (), credentials, offline=True)
            identity = token.refresh_token
            authorization = f"Bearer {token.value}"
        elif challenge is not None and challenge.scheme == "basic":
            authorization = credentials.basic_header()
        elif credentials.registry_token:
            authorization = f"Bearer {credentials.registry_token}"
        else:
            authorization = ""
        client = self.session.client(endpoint.host, state.secure)
        headers = {"Authorization": authorization} if authorization else {}
        response = await client.get(state.base + "/v2/", headers=headers)
        if response.status_code != 200:
            error = error_from_response(response.status_code, response.content, context=f"login to {domain}")
            if response.status_code == 401:
                raise Unauthorized(str(error), code=error.code, status=401) from error
            raise error
        self.session.set_credentials(domain, credentials)
        return identity
