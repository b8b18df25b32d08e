"""One build in progress: the stores, the cache, the containers and the output its steps share.

The step helpers here are dockerd's ``internals.go``: probing the cache
(`` ---> Using cache``), committing a metadata step, creating and
committing a RUN container, finding a base image (pulling it when it is not
local, or always with ``pull``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import TypeVar

import anyio

from pymoby import api, errdefs
from pymoby.image import ContainerConfig, Image
from pymoby.reference import InvalidReference, Reference, parse_normalized_named, tag_name_only
from pymoby.registry import Credentials, Platform

from ..distribution import encode_message, error_message
from ._backend import BuildImages
from ._cache import ImageCache
from ._context import BuildContext
from ._errors import BuildStepError
from ._imagewriter import ImageWriter
from ._output import BuildOutput
from ._runconfig import copy_config, nop_comment
from ._runner import ContainerManager
from ._shell import ShellLex, env_map
from ._state import BuildOptions, DispatchState, StageResults

__all__ = ["BuildRun"]

T = TypeVar("T")
_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")


def short_id(image_id: str) -> str:
    """The 12 hex digits Docker shows (``stringid.TruncateID``)."""
    return image_id.removeprefix("sha256:")[:12]


def _server(address: str) -> str:
    text = address.split("://", 1)[-1]
    return text.split("/", 1)[0]


def credentials_for(ref: Reference, configs: dict[str, api.AuthConfig]) -> Credentials | None:
    """The credentials ``X-Registry-Config`` holds for ``ref``'s registry, if any."""
    wanted = {"docker.io", "index.docker.io", "registry-1.docker.io"} if ref.domain == "docker.io" else {ref.domain}
    for key, config in configs.items():
        if (key in _HUB_KEYS and ref.domain == "docker.io") or _server(key) in wanted:
            username, password = config.username, config.password
            if not username and config.auth:
                try:
                    username, _, password = base64.b64decode(config.auth).decode().partition(":")
                except (binascii.Error, UnicodeDecodeError):
                    pass
            found = Credentials(
                username=username,
                password=password,
                identity_token=config.identitytoken,
                registry_token=config.registrytoken,
            )
            return None if found.empty else found
    return None


class BuildRun:
    """What the steps of one build share."""

    def __init__(
        self,
        *,
        images: BuildImages,
        containers: ContainerManager,
        output: BuildOutput,
        options: BuildOptions,
        context: BuildContext | None,
        escape: str = "\\",
    ) -> None:
        self.images = images
        self.writer = ImageWriter(images)
        self.cache = ImageCache(images.images, disabled=options.no_cache)
        self.containers = containers
        self.output = output
        self.options = options
        self.context = context
        self.lex = ShellLex(escape)
        self.stages = StageResults()
        self.platform = Platform.parse(options.platform) if options.platform else None

    async def blocking(self, function: Callable[[], T]) -> T:
        """Run blocking store or file work in a worker thread."""
        return await anyio.to_thread.run_sync(function)

    def envs(self, state: DispatchState) -> dict[str, str]:
        """The variables a step's words are expanded with: the environment, then the usable build arguments."""
        env = list(state.run_config.env or [])
        return env_map(env + state.build_args.filter_allowed(env))

    # -- the cache ----------------------------------------------------------------------------
    async def probe(self, state: DispatchState, record: ContainerConfig) -> bool:
        """Use the cached image of this step if there is one (`` ---> Using cache``)."""
        parent = state.image_id
        cached = await self.blocking(lambda: self.cache.probe(parent, record))
        if cached is None:
            return False
        await self.output.stream(" ---> Using cache\n")
        state.image_id = cached
        return True

    # -- commits --------------------------------------------------------------------------------
    def made(self, state: DispatchState, parent_id: str, image_id: str) -> None:
        """A step made ``image_id`` on ``parent_id``: the stage goes on from it, and the cache knows it."""
        state.image_id = image_id
        self.cache.add(parent_id, image_id)

    async def commit(self, state: DispatchState, comment: str) -> None:
        """A metadata step: an image with the new configuration and no new layer."""
        if not state.has_from:
            raise BuildStepError("Please provide a source image with `from` prior to commit")
        record = nop_comment(state.run_config, comment)
        if await self.probe(state, record):
            return
        config = copy_config(state.run_config)
        parent, author = state.image_id, state.maintainer
        self.made(
            state,
            parent,
            await self.blocking(
                lambda: self.writer.create(parent, config=config, container_config=record, author=author)
            ),
        )

    async def create_container(self, config: ContainerConfig) -> str:
        """Create a RUN step's container (`` ---> Running in ...``)."""
        request = api.decode(api.encode(config), api.ContainerCreateRequest)
        request.host_config = self.options.host_config()
        created = await self.containers.create(request)
        for warning in created.warnings:
            await self.output.stream(f" ---> [Warning] {warning}\n")
        await self.output.stream(f" ---> Running in {created.id[:12]}\n")
        return created.id

    async def commit_container(self, state: DispatchState, container_id: str, record: ContainerConfig) -> None:
        """A RUN step's image: its container's changes."""
        config = copy_config(state.run_config)
        parent, author = state.image_id, state.maintainer
        image_id = await self.blocking(
            lambda: self.writer.commit_container(
                container_id, parent, config=config, container_config=record, author=author
            )
        )
        self.made(state, parent, image_id)

    # -- base images --------------------------------------------------------------------------
    async def _pull(self, name: str, platform: Platform | None) -> None:
        try:
            ref = tag_name_only(parse_normalized_named(name))
        except InvalidReference as exc:
            raise errdefs.InvalidParameter(str(exc)) from exc
        job = self.images.pull(
            ref, platform=platform or self.platform, credentials=credentials_for(ref, self.options.auth_configs)
        )
        output = job.output()
        try:
            async for chunk in output:
                if job.done and job.error is not None and chunk == encode_message(error_message(job.error)):
                    break
                await self.output.raw(chunk)
        finally:
            await output.aclose()
        if job.error is not None:
            raise job.error

    async def image_for(self, name: str, *, local_only: bool, platform: Platform | None = None) -> Image:
        """A base image (FROM, ``COPY --from``): the local one, else pulled (always pulled with ``pull``).

        Raises ``NotFound`` for a missing local-only image, and the pull's errors.
        """
        if not local_only and self.options.pull:
            await self._pull(name, platform)
        try:
            return await self.blocking(lambda: self.images.get_image(name))
        except errdefs.NotFound:
            if local_only or self.options.pull:
                raise
        await self._pull(name, platform)
        return await self.blocking(lambda: self.images.get_image(name))
