"""The image router: every ``/images/...`` endpoint of Engine API v1.45 but build, and ``POST /commit``.

Pulls, pushes, loads, imports and saves stream from a job: the handler
waits for the job's first output so that a failure before any output is an
HTTP error status (``404 manifest for ... not found``), and a failure
after it is the stream's last line (``{"errorDetail": ...}``), as dockerd
answers. A load always answers 200 and reports errors in the stream.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from pymoby import api, errdefs
from pymoby.reference import (
    InvalidReference,
    Reference,
    familiar_name,
    parse_normalized_named,
    tag_name_only,
    trim_named,
    with_digest,
    with_tag,
)
from pymoby.registry import Platform

from ..._request import Request
from ..._response import Response, StreamingResponse, json_response
from ..._routing import Route, delete, get, post
from ..distribution import DistributionRouter
from ..distribution._credentials import registry_credentials
from ._backend import ImageBackend

__all__ = ["ImageRouter", "registry_credentials", "repo_tag_reference"]

_TAR = "application/x-tar"


def _parse_named(text: str) -> Reference:
    try:
        return parse_normalized_named(text)
    except InvalidReference as exc:
        raise errdefs.InvalidParameter(str(exc)) from exc


def repo_tag_reference(repo: str, tag: str) -> Reference | None:
    """``repo`` and ``tag`` query arguments as one tagged reference (``latest`` by default); None without a repo.

    Raises ``InvalidParameter`` for a malformed name or tag, or a digest.
    """
    if not repo:
        return None
    ref = _parse_named(repo)
    if ref.digest is not None:
        raise errdefs.InvalidParameter("cannot import digest reference")
    if tag:
        try:
            return with_tag(ref, tag)
        except InvalidReference as exc:
            raise errdefs.InvalidParameter(str(exc)) from exc
    return tag_name_only(ref)


def _platform(request: Request) -> Platform | None:
    text = request.query.get("platform", "")
    return Platform.parse(text) if text else None


def _api_version(request: Request) -> tuple[int, int]:
    try:
        major, minor = request.api_version.split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return (1, 45)


class ImageRouter:
    """Routes of the image endpoints over an :class:`ImageBackend`."""

    def __init__(self, backend: ImageBackend) -> None:
        self.backend = backend

    def routes(self) -> Sequence[Route]:
        """The table."""
        return (
            get("/images/json", self.get_images_json),
            get("/images/search", self.get_images_search),
            get("/images/get", self.get_images_get),
            get("/images/{name:.*}/get", self.get_images_get),
            get("/images/{name:.*}/history", self.get_images_history),
            get("/images/{name:.*}/json", self.get_images_by_name),
            post("/images/create", self.post_images_create),
            post("/images/load", self.post_images_load),
            post("/images/prune", self.post_images_prune),
            post("/images/{name:.*}/push", self.post_images_push),
            post("/images/{name:.*}/tag", self.post_images_tag),
            delete("/images/{name:.*}", self.delete_images),
            post("/commit", self.post_commit),
            # dockerd's distribution router rides along: one registration serves both.
            *DistributionRouter(self.backend).routes(),
        )

    # -- reading ----------------------------------------------------------------------
    async def get_images_json(self, request: Request) -> Response:
        """List images (``all``, ``filters``, ``shared-size``; the pre-1.25 ``filter``)."""
        query = request.query
        filters = query.get_filters()
        if _api_version(request) < (1, 25) and query.get("filter") and "reference" not in filters:
            filters = api.Filters({**dict(filters), "reference": {query["filter"]}})
        shared = query.get_bool("shared-size") if _api_version(request) >= (1, 42) else False
        images = await self.backend.list_images(filters, all_images=query.get_bool("all"), shared_size=shared)
        if _api_version(request) < (1, 44):
            for image in images:
                image.virtual_size = image.size
        return json_response(images)

    async def get_images_by_name(self, request: Request) -> Response:
        """Inspect one image."""
        return json_response(await self.backend.inspect_image(request.vars["name"], _api_version(request)))

    async def get_images_history(self, request: Request) -> Response:
        """An image's history, newest step first."""
        return json_response(await self.backend.image_history(request.vars["name"]))

    async def get_images_search(self, request: Request) -> Response:
        """Search a registry's index (``term``, ``limit``, ``filters``)."""
        query = request.query
        limit = 25
        if query.get("limit"):
            try:
                limit = int(query["limit"])
            except ValueError:
                raise errdefs.InvalidParameter(f"invalid limit specified: {query['limit']!r}") from None
            if limit < 0:
                raise errdefs.InvalidParameter("invalid limit specified")
        results = await self.backend.search(
            query.get("term", ""),
            limit=limit,
            filters=query.get_filters(),
            credentials=registry_credentials(request),
        )
        return json_response(results)

    # -- pull, import, push ----------------------------------------------------------
    async def post_images_create(self, request: Request) -> StreamingResponse:
        """Pull (``fromImage``, ``tag``, ``platform``) or import (``fromSrc``, ``repo``, ``tag``, ``changes``)."""
        query = request.query
        platform = _platform(request)
        image = query.get("fromImage", "")
        if image:
            ref = _parse_named(image.removesuffix(":"))
            tag = query.get("tag", "")
            if tag:
                try:
                    ref = (
                        with_digest(trim_named(ref), tag)
                        if tag.startswith("sha") and ":" in tag
                        else with_tag(ref, tag)
                    )
                except InvalidReference as exc:
                    raise errdefs.InvalidParameter(str(exc)) from exc
            if familiar_name(ref) == "scratch":
                raise errdefs.Forbidden("'scratch' is a reserved name")
            job = self.backend.pull(ref, platform=platform, credentials=registry_credentials(request))
        else:
            source = query.get("fromSrc", "")
            target = repo_tag_reference(query.get("repo", ""), query.get("tag", ""))
            message = query.get("message", "") or f"Imported from {source}"
            job = self.backend.import_image(
                request.body.receive,
                source=source,
                ref=target,
                message=message,
                changes=query.get_all("changes"),
                platform=platform,
            )
        await job.first()
        return StreamingResponse(job.output())

    async def post_images_push(self, request: Request) -> StreamingResponse:
        """Push a tag (every tag of the repository when ``tag`` is empty)."""
        name = request.vars["name"]
        tag = request.query.get("tag", "")
        ref = repo_tag_reference(name, tag) if tag else _parse_named(name)
        assert ref is not None
        job = self.backend.push(ref, credentials=registry_credentials(request))
        await job.first()
        return StreamingResponse(job.output())

    # -- archives ---------------------------------------------------------------------
    async def get_images_get(self, request: Request) -> StreamingResponse:
        """``docker save``: a tar of the images named (``names=``, or the path's name)."""
        name = request.vars.get("name")
        names = [name] if name else request.query.get_all("names")
        job = await self.backend.save(names)
        await job.first()
        return StreamingResponse(job.output(), content_type=_TAR)

    async def post_images_load(self, request: Request) -> StreamingResponse:
        """``docker load`` of the tar in the body; errors are the stream's last line."""
        job = self.backend.load(request.body.receive, quiet=request.query.get_bool("quiet", True))
        return StreamingResponse(job.output())

    # -- changes ----------------------------------------------------------------------
    async def post_images_tag(self, request: Request) -> Response:
        """Tag an image: 201."""
        ref = repo_tag_reference(request.query.get("repo", ""), request.query.get("tag", ""))
        if ref is None:
            raise errdefs.InvalidParameter("repository name must have at least one component")
        if familiar_name(ref) == "sha256":
            raise errdefs.InvalidParameter("refusing to create an ambiguous tag using digest algorithm as name")
        await self.backend.tag(request.vars["name"], ref)
        return Response(201)

    async def delete_images(self, request: Request) -> Response:
        """Untag or remove an image (``force``, ``noprune``)."""
        name = request.vars["name"]
        if not name.strip():
            raise errdefs.InvalidParameter("image name cannot be blank")
        query = request.query
        records = await self.backend.delete_image(
            name, force=query.get_bool("force"), prune=not query.get_bool("noprune")
        )
        return json_response(records)

    async def post_images_prune(self, request: Request) -> Response:
        """Remove unused images."""
        return json_response(await self.backend.prune_images(request.query.get_filters()))

    async def post_commit(self, request: Request) -> Response:
        """Commit a container as an image: 201 ``{"Id": ...}``."""
        query = request.query
        body = (await request.body.read_all()).strip()
        config: api.ContainerConfig | None = None
        if body and body != b"null":
            try:
                config = api.decode(body, api.ContainerConfig)
            except msgspec.DecodeError as exc:  # pragma: no cover - api.decode raises InvalidJSON
                raise errdefs.InvalidParameter(str(exc)) from exc
        pause = query.get_bool("pause") if query.get("pause", "") != "" else True
        image_id = await self.backend.commit(
            query.get("container", ""),
            ref=repo_tag_reference(query.get("repo", ""), query.get("tag", "")),
            author=query.get("author", ""),
            comment=query.get("comment", ""),
            pause=pause,
            changes=query.get_all("changes"),
            config=config,
        )
        return json_response(api.IdResponse(id=image_id), status=201)
