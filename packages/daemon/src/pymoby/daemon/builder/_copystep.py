"""The COPY and ADD steps (dockerd's ``performCopy``): name the sources, look the step up in the cache,
copy into a read-write layer on the current image and commit that layer.

The step's record names the sources by content (``COPY file:<hash> in /app/
``), so the cache notices a changed file whatever its name and time.
``COPY --from`` reads a finished stage's image (by name or index) or any
image (pulled if it is not local), through a read-write layer of its own.
"""

from __future__ import annotations

from pymoby import errdefs
from pymoby.image import Image

from ..archive import ExtractError, UnsupportedArchive
from ._buildrun import BuildRun
from ._commands import AddCommand, CopyCommand
from ._context import FileSource
from ._copy import CopyInfo, copy_sources, lookup_chown, normalize_dest, parse_chmod, source_hash, sources_for
from ._errors import BuildStepError, SourceNotFound
from ._imagewriter import StepLayer
from ._runconfig import copy_config, nop_comment_string
from ._state import DispatchState

__all__ = ["dispatch_copy"]


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


async def _source_image(run: BuildRun, name: str) -> Image | None:
    """The image ``COPY --from=name`` reads (None for a stage built FROM scratch with no step)."""
    try:
        stage = run.stages.get(name)
    except BuildStepError as exc:
        raise BuildStepError(f"invalid from flag value {name}: {exc}") from None
    target = stage.image if stage is not None else name
    if stage is not None and not target:
        return None
    try:
        return await run.image_for(target, local_only=stage is not None)
    except errdefs.PymobyError as exc:
        raise BuildStepError(f"invalid from flag value {name}: {exc}") from exc


async def dispatch_copy(run: BuildRun, state: DispatchState, command: AddCommand | CopyCommand) -> None:
    """Carry out a COPY or ADD whose variables are already expanded."""
    name = command.name.upper()
    chmod = parse_chmod(command.chmod)
    from_name = command.source_from if isinstance(command, CopyCommand) else ""
    for requested in command.sources:
        if _is_url(requested):
            if isinstance(command, CopyCommand):
                raise BuildStepError(f"{name} failed: source can't be a URL for COPY")
            raise errdefs.NotImplemented(
                f"{name} failed: downloading {requested} is not supported by pymobyd: "
                "download it into the build context and ADD it from there"
            )
    source_layer: StepLayer | None = None
    source: FileSource | None = run.context
    if from_name:
        image = await _source_image(run, from_name)
        source_layer = await run.blocking(lambda: run.writer.step_layer(image.id if image is not None else ""))
    try:
        if source_layer is not None:
            layer = source_layer
            source = FileSource(await run.blocking(layer.mount))
        if source is None:
            raise BuildStepError("missing build context")
        await _copy(run, state, command, source, chmod, preserve_owner=bool(from_name) and not command.chown)
    finally:
        if source is not None and source is not run.context:
            source.close()
        if source_layer is not None:
            await run.blocking(source_layer.release)


def _infos(command: AddCommand | CopyCommand, source: FileSource, in_context: bool) -> list[CopyInfo]:
    name = command.name.upper()
    infos: list[CopyInfo] = []
    try:
        for requested in command.sources:
            infos += sources_for(source, requested, in_context=in_context)
    except SourceNotFound as exc:
        raise SourceNotFound(f"{name} failed: {exc}") from None
    except (BuildStepError, OSError) as exc:
        raise BuildStepError(f"{name} failed: {exc}") from exc
    if not infos:
        raise SourceNotFound(f"{name} failed: no source files were specified")
    if len(infos) > 1 and not command.dest.endswith("/"):
        raise BuildStepError(
            f"When using {name} with more than one source file, the destination must be a directory and end with a /"
        )
    return infos


async def _copy(
    run: BuildRun,
    state: DispatchState,
    command: AddCommand | CopyCommand,
    source: FileSource,
    chmod: int | None,
    *,
    preserve_owner: bool,
) -> None:
    infos = await run.blocking(lambda: _infos(command, source, source is run.context))
    flags = f"--chown={command.chown} " if command.chown else ""
    flags += f"--chmod={command.chmod} " if command.chmod else ""
    comment = f"{command.name.upper()} {flags}{source_hash(infos)} in {command.dest} "
    record = nop_comment_string(state.run_config, comment)
    if await run.probe(state, record):
        return
    config = copy_config(state.run_config)
    parent, author = state.image_id, state.maintainer
    dest = normalize_dest(state.run_config.working_dir, command.dest)
    decompress = isinstance(command, AddCommand)

    def work() -> str:
        step = run.writer.step_layer(parent)
        try:
            root = step.mount()
            owner: tuple[int, int] | None = None if preserve_owner else (0, 0)
            if command.chown:
                owner = lookup_chown(command.chown, root)
            try:
                copy_sources(infos, root, dest, owner=owner, mode=chmod, decompress=decompress)
            except (OSError, ExtractError, UnsupportedArchive) as exc:
                raise errdefs.System(f"failed to copy files: {exc}") from exc
            layer = step.commit()
            try:
                return run.writer.create(parent, config=config, container_config=record, author=author, layer=layer)
            finally:
                run.images.layers.release(layer.chain_id)
        finally:
            step.release()

    run.made(state, parent, await run.blocking(work))
