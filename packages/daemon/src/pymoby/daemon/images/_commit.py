"""``POST /commit``: a container's changes as a new image, as dockerd's ``CreateImageFromContainer``.

The container is paused while its read-write layer is read (unless
``pause=0``); the layer's tar (reproducible: the same changes give the same
diff ID) is registered on the image's chain; the config is the request's
(or the container's), with ``--change`` instructions applied and the
container's config filling what it leaves empty; history gets a step with
the author, comment and the container's command. A commit with no changes
adds an empty-layer step only.
"""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING

import anyio
import msgspec

from pymoby import api, errdefs
from pymoby.image import ContainerConfig, History, ImageConfig, RootFS, encode_config, format_time, host_architecture
from pymoby.reference import Reference, familiar_string

from ._backends import CommitSource
from ._changes import apply_changes

if TYPE_CHECKING:
    from ._service import ImageService

log = logging.getLogger("pymoby.daemon")

__all__ = ["EMPTY_LAYER_DIFF_ID", "commit_container", "commit_image", "merge_config"]

#: The diff ID of a layer with no changes: an empty tar (1024 zero bytes).
EMPTY_LAYER_DIFF_ID = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"


def _image_config(config: api.ContainerConfig | None) -> ContainerConfig:
    if config is None:
        return ContainerConfig()
    return msgspec.json.decode(api.encode(config), type=ContainerConfig)


def merge_config(user: ContainerConfig, container: ContainerConfig) -> ContainerConfig:
    """Fill what ``user`` leaves empty from the container's config (dockerd's ``merge``)."""
    result = ContainerConfig(**{f: getattr(user, f) for f in user.__struct_fields__})
    if not result.user:
        result.user = container.user
    if not result.exposed_ports:
        result.exposed_ports = container.exposed_ports
    elif container.exposed_ports:
        result.exposed_ports = {**container.exposed_ports, **result.exposed_ports}
    if not result.env:
        result.env = container.env
    else:
        keys = {e.partition("=")[0] for e in result.env}
        result.env = list(result.env) + [e for e in container.env or [] if e.partition("=")[0] not in keys]
    result.labels = {**(container.labels or {}), **(result.labels or {})}
    if not result.entrypoint:
        if not result.cmd:
            result.cmd = container.cmd
        if result.entrypoint is None:
            result.entrypoint = container.entrypoint
    if container.healthcheck is not None:
        if result.healthcheck is None:
            result.healthcheck = container.healthcheck
        else:
            mine, theirs = result.healthcheck, container.healthcheck
            result.healthcheck = type(mine)(
                test=mine.test or theirs.test,
                interval=mine.interval or theirs.interval,
                timeout=mine.timeout or theirs.timeout,
                start_period=mine.start_period or theirs.start_period,
                start_interval=mine.start_interval or theirs.start_interval,
                retries=mine.retries or theirs.retries,
            )
    if not result.working_dir:
        result.working_dir = container.working_dir
    if not result.volumes:
        result.volumes = container.volumes
    elif container.volumes:
        result.volumes = {**result.volumes, **container.volumes}
    if not result.stop_signal:
        result.stop_signal = container.stop_signal
    return result


def commit_image(
    service: ImageService,
    source: CommitSource,
    config: ContainerConfig,
    *,
    author: str,
    comment: str,
) -> str:
    """Register the container's changes and store the new image (blocking); its ID."""
    container_config = _image_config(source.config)
    parent = service.images.get(source.image_id) if source.image_id else None
    rw = service.layers.get_rw_layer(source.id)
    layer = service.layers.register_changes(rw, parent.chain_id if parent else None)
    try:
        empty = layer.diff_id == EMPTY_LAYER_DIFF_ID
        now = format_time(datetime.datetime.now(datetime.UTC))
        base = parent.config if parent is not None else ImageConfig()
        diff_ids = list(base.rootfs.diff_ids) + ([] if empty else [layer.diff_id])
        step = History(
            created=now,
            author=author,
            created_by=" ".join(container_config.cmd or []),
            comment=comment,
            empty_layer=empty,
        )
        image_config = ImageConfig(
            architecture=base.architecture or host_architecture(),
            os=source.os or base.os or "linux",
            os_version=base.os_version,
            os_features=base.os_features,
            variant=base.variant,
            created=now,
            author=author,
            comment=comment,
            config=config,
            container=source.id,
            container_config=container_config,
            docker_version=service.docker_version,
            parent=parent.id if parent is not None else "",
            rootfs=RootFS("layers", diff_ids),
            history=[*base.history, step],
        )
        image = service.images.create(encode_config(image_config))
    finally:
        service.layers.release(layer.chain_id)
    if parent is not None:
        service.images.set_parent(image.id, parent.id)
    return image.id


async def commit_container(
    service: ImageService,
    name: str,
    *,
    ref: Reference | None,
    author: str,
    comment: str,
    pause: bool,
    changes: list[str],
    config: api.ContainerConfig | None,
) -> str:
    """Commit the container ``name``; the new image's ID (tagged ``ref`` when given).

    Raises ``NotImplemented`` when no container service is wired, the
    container side's ``NotFound``/``Conflict``, and :class:`InvalidChange`.
    """
    committer = service.committer
    if committer is None:
        raise errdefs.NotImplemented("commit is not available: no container service is configured")
    source = await committer.commit_source(name)
    paused_here = False
    if pause and not source.paused:
        try:
            await committer.pause(source.id)
            paused_here = True
        except errdefs.PymobyError as exc:  # a stopped container: nothing to pause (dockerd ignores it too)
            log.debug("commit of %s without pausing it: %s", source.id, exc)
    try:
        user = _image_config(config) if config is not None else _image_config(source.config)
        new_config = merge_config(apply_changes(user, changes), _image_config(source.config))
        image_id = await anyio.to_thread.run_sync(
            lambda: commit_image(service, source, new_config, author=author, comment=comment)
        )
    finally:
        if paused_here:
            with anyio.CancelScope(shield=True):
                try:
                    await committer.unpause(source.id)
                except errdefs.PymobyError as exc:
                    log.warning("could not unpause %s after committing it: %s", source.id, exc)
    shown = ""
    if ref is not None:
        await anyio.to_thread.run_sync(service.tag_image, image_id, ref)
        shown = familiar_string(ref)
    service.log_image_event("create", image_id, image_id)
    committer.log_commit(source.id, {"comment": comment, "imageID": image_id, "imageRef": shown})
    return image_id
