"""The classic builder: ``POST /build`` from the context tar to the tagged image (dockerd's ``BuildManager``).

A build runs as a job in the daemon's job group (:class:`~pymoby.daemon.distribution.Jobs`):
the context is unpacked, its Dockerfile read and parsed, ``.dockerignore``
applied; then each stage is built step by step (``Step 2/5 : ...``), the
cache consulted before each step, and the final image tagged. What fails
before any output is the request's error (a 400 for a bad Dockerfile);
later failures end the stream (``{"errorDetail": ...}``), with the exit code
of a failed RUN as ``code``, which the docker CLI exits with.

Intermediate containers are removed after each successful step (``rm``,
the default), also after a failed one with ``forcerm``, and always when
the build is cancelled (the client went away). The unpacked context is
removed when the build ends, whatever the outcome.
"""

from __future__ import annotations

import logging
import secrets
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import anyio.from_thread

from pymoby import api, errdefs
from pymoby.image import ContainerConfig
from pymoby.reference import InvalidReference, Reference, familiar_string, parse_normalized_named, tag_name_only
from pymoby.registry import Platform

from ..distribution import Job, Jobs
from ._backend import BuildContainers, BuildImages, EventLog
from ._buildargs import BuildArgs
from ._buildrun import BuildRun, short_id
from ._commands import ArgCommand, KeyValue, LabelCommand, Stage, expand_command
from ._context import BuildContext, extract_context
from ._dispatch import dispatch
from ._dockerignore import PatternMatcher, read_ignore_file
from ._errors import BuildStepError, CommandFailed, DockerfileSyntaxError, InvalidContext
from ._gofmt import go_value_list
from ._imagewriter import STEP_LAYER_PREFIX
from ._instructions import parse_command, parse_stages
from ._output import BuildOutput, error_line
from ._parser import ParseResult, parse_dockerfile
from ._prune import prune_build_cache
from ._runconfig import copy_config, with_default_path
from ._runner import ContainerManager
from ._state import BuildOptions, DispatchState

__all__ = ["Builder"]

log = logging.getLogger("pymoby.daemon.builder")

Receive = Callable[[], Awaitable[bytes]]
_BATCH = 1 << 20
_CLEANUP_TIMEOUT = 60.0


def sanitize_tags(tags: tuple[str, ...]) -> list[Reference]:
    """The ``t`` arguments as tagged references (``latest`` by default), duplicates dropped.

    Raises ``InvalidParameter`` for a malformed name or one with a digest.
    """
    refs: list[Reference] = []
    for text in tags:
        if not text:
            continue
        try:
            ref = parse_normalized_named(text)
        except InvalidReference as exc:
            raise errdefs.InvalidParameter(str(exc)) from exc
        if ref.digest is not None:
            raise errdefs.InvalidParameter("build tag cannot contain a digest")
        ref = tag_name_only(ref)
        if ref not in refs:
            refs.append(ref)
    return refs


def _blocking_receive(receive: Receive) -> Callable[[], bytes]:
    """A ``receive()`` for a worker thread, taking about a megabyte of the body per trip to the event loop."""

    async def batch() -> bytes:
        parts: list[bytes] = []
        size = 0
        while size < _BATCH:
            chunk = await receive()
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
        return b"".join(parts)

    return lambda: anyio.from_thread.run(batch)


def _read_dockerfile(context: BuildContext, name: str) -> ParseResult:
    data = context.read_file(name)
    if data is None and name == "Dockerfile":
        data = context.read_file("dockerfile")
    if data is None:
        raise InvalidContext(f"Cannot locate specified Dockerfile: {name}")
    if not data:
        raise InvalidContext(f"the Dockerfile ({name}) cannot be empty")
    try:
        return parse_dockerfile(data.decode("utf-8", "replace"))
    except DockerfileSyntaxError as exc:
        raise DockerfileSyntaxError(f"failed to parse {name}: {exc}", exc.line) from None


def _apply_dockerignore(context: BuildContext) -> None:
    data = context.read_file(".dockerignore")
    if data is None:
        return
    matcher = PatternMatcher(read_ignore_file(data))
    if matcher.patterns:
        context.exclude(matcher)


def _expand_meta(run: BuildRun, meta: ArgCommand, allowed: dict[str, str]) -> ArgCommand:
    expanded = expand_command(meta, lambda word: run.lex.process_word(word, allowed))
    assert isinstance(expanded, ArgCommand)
    return expanded


class Builder:
    """Builds images from Dockerfiles; one :meth:`build` per ``POST /build``.

    ``images`` and ``containers`` are the daemon's services; ``jobs`` the
    task group builds run in (the image service's); ``scratch_dir`` where
    contexts are unpacked (under the data root); ``events`` the event bus.
    """

    def __init__(
        self,
        images: BuildImages,
        containers: BuildContainers | None,
        *,
        jobs: Jobs,
        scratch_dir: Path,
        events: EventLog | None = None,
    ) -> None:
        self.images = images
        self.containers = containers
        self.jobs = jobs
        self.scratch_dir = scratch_dir
        self.events = events
        self._clean_up_after_a_crash()

    def _clean_up_after_a_crash(self) -> None:
        """Remove the contexts and step layers a daemon that died during a build left (blocking, at start-up).

        Only this daemon uses its data root; RUN containers are ordinary containers and stay, as with dockerd.
        """
        for stale in self.scratch_dir.glob("build-*") if self.scratch_dir.is_dir() else ():
            shutil.rmtree(stale, ignore_errors=True)
        for layer in self.images.layers.rw_layers():
            if layer.name.startswith(STEP_LAYER_PREFIX):
                try:
                    while layer.is_mounted:
                        layer.unmount()
                    self.images.layers.release_rw_layer(layer.name)
                except errdefs.PymobyError as exc:
                    log.warning("could not remove the build layer %s: %s", layer.name, exc)

    def build(self, receive: Receive, options: BuildOptions) -> Job:
        """Start a build of the context read from ``receive``; the job's output is the build's stream.

        Wait for the job's first output (``Job.first``): a failure before it
        (a bad tag, Dockerfile or context) is raised there.
        """
        return self.jobs.start(lambda job: self._job(job, receive, options))

    async def prune(self, filters: api.Filters, *, all_cache: bool = False) -> api.BuildCachePruneResponse:
        """``POST /build/prune``: delete the dangling images builds left (see :mod:`._prune`)."""
        return await prune_build_cache(self.images, filters, all_cache=all_cache, events=self.events)

    async def _job(self, job: Job, receive: Receive, options: BuildOptions) -> None:
        output = BuildOutput(job.send, quiet=options.quiet)
        try:
            image_id = await self._build(receive, options, output)
        except Exception as exc:
            if options.quiet:
                await output.flush_held()
            if not output.written:
                raise
            log.info("build failed: %s", exc)
            await job.send(error_line(str(exc), exc.code if isinstance(exc, CommandFailed) else 0))
            return
        if options.quiet:
            await output.quiet_result(image_id)

    async def _build(self, receive: Receive, options: BuildOptions, output: BuildOutput) -> str:
        if options.remote:
            raise errdefs.NotImplemented(
                f"remote build contexts are not supported by pymobyd ({options.remote}): send the context as the body"
            )
        refs = sanitize_tags(options.tags)
        if options.platform:
            try:
                platform = Platform.parse(options.platform)
            except (ValueError, errdefs.InvalidParameter) as exc:
                raise errdefs.InvalidParameter(f"failed to parse platform {options.platform}: {exc}") from exc
            if platform.os != "linux":
                raise errdefs.InvalidParameter(f'"{options.platform}": operating system is not supported')
        manager = ContainerManager(self.containers)
        context: BuildContext | None = None
        outcome = "cancelled"
        try:
            await anyio.to_thread.run_sync(lambda: self.scratch_dir.mkdir(mode=0o700, parents=True, exist_ok=True))
            where = self.scratch_dir / f"build-{secrets.token_hex(8)}"
            context = await anyio.to_thread.run_sync(extract_context, _blocking_receive(receive), where)
            ready = context
            parsed = await anyio.to_thread.run_sync(lambda: _read_dockerfile(ready, options.dockerfile))
            await anyio.to_thread.run_sync(_apply_dockerignore, ready)
            stages, meta_args = parse_stages(parsed.nodes)
            if options.target:
                index = next((i for i, s in enumerate(stages) if s.name == options.target.lower()), None)
                if index is None:
                    raise errdefs.InvalidParameter(f"failed to reach build target {options.target} in Dockerfile")
                stages = stages[: index + 1]
            for key in sorted(options.labels):
                label = KeyValue(key, options.labels[key])
                command = LabelCommand(name="label", code=f"LABEL {label}", labels=(label,), expand=False)
                stages[-1].commands.append(command)
            run = BuildRun(
                images=self.images,
                containers=manager,
                output=output,
                options=options,
                context=context,
                escape=parsed.escape,
            )
            if parsed.warnings:
                await output.warning("\n".join(parsed.warnings) + "\n")
            image_id = await self._stages(run, stages, meta_args)
            if not image_id:
                raise BuildStepError("No image was generated. Is your Dockerfile empty?")
            await output.stream(f"Successfully built {short_id(image_id)}\n")
            for ref in refs:
                await anyio.to_thread.run_sync(self.images.tag_image, image_id, ref)
                await output.stream(f"Successfully tagged {familiar_string(ref)}\n")
            outcome = "done"
            return image_id
        except Exception:
            outcome = "failed"
            raise
        finally:
            # Shielded (a cancelled build still cleans up), but bounded: the daemon may be shutting down.
            with anyio.move_on_after(_CLEANUP_TIMEOUT, shield=True):
                if outcome == "cancelled" and manager.made:
                    await manager.remove_all(None)
                if context is not None:
                    await anyio.to_thread.run_sync(context.remove)

    async def _stages(self, run: BuildRun, stages: list[Stage], meta_args: list[ArgCommand]) -> str:
        output = run.output
        build_args = BuildArgs(run.options.build_args)
        total = len(meta_args) + len(stages) + sum(len(stage.commands) for stage in stages)
        step = 1
        for meta in meta_args:
            await output.stream(f"Step {step}/{total} : {meta}\n")
            step += 1
            expanded = _expand_meta(run, meta, build_args.all_allowed())
            for arg in expanded.args:
                build_args.add_arg(arg.key, arg.value)
                build_args.add_meta_arg(arg.key, arg.value)
        state: DispatchState | None = None
        for stage in stages:
            run.stages.check_available(stage.name)
            state = DispatchState(run_config=ContainerConfig(), build_args=build_args.for_stage())
            await output.stream(f"Step {step}/{total} : {stage}\n")
            step += 1
            await self._initialize_stage(run, state, stage)
            state.update_run_config()
            await output.stream(f" ---> {short_id(state.image_id)}\n")
            for command in stage.commands:
                await output.stream(f"Step {step}/{total} : {command}\n")
                step += 1
                await dispatch(run, state, command)
                state.update_run_config()
                await output.stream(f" ---> {short_id(state.image_id)}\n")
            if state.image_id:
                await output.aux(state.image_id)
            build_args.merge_referenced(state.build_args)
            run.stages.commit(state.stage_name, copy_config(state.run_config))
        unused = build_args.unused()
        if unused:
            await output.stream(f"[Warning] One or more build-args {go_value_list(unused)} were not consumed\n")
        return state.image_id if state is not None else ""

    async def _initialize_stage(self, run: BuildRun, state: DispatchState, stage: Stage) -> None:
        run.cache.reset()
        meta = state.build_args.all_meta()
        platform: Platform | None = None
        if stage.platform:
            text = run.lex.process_word(stage.platform, meta)
            try:
                platform = Platform.parse(text)
            except (ValueError, errdefs.InvalidParameter) as exc:
                raise errdefs.InvalidParameter(f"failed to parse platform {text}: {exc}") from exc
        name = run.lex.process_word(stage.base_name, meta)
        if not name:
            raise BuildStepError(f"base name ({stage.base_name}) should not be blank")
        local_only = False
        built = run.stages.get_by_name(name)
        if built is not None:
            name, local_only = built.image, True
        image = None
        if name and name != "scratch":
            image = await run.image_for(name, local_only=local_only, platform=platform)
        state.stage_name = stage.name
        state.image_id = image.id if image is not None else ""
        state.has_from = True
        state.os = (image.config.os if image is not None else "") or "linux"
        if state.os != "linux":
            raise errdefs.InvalidParameter(f"operating system is not supported: {state.os}")
        base = image.config.config if image is not None else None
        config = copy_config(base) if base is not None else ContainerConfig()
        with_default_path(config)
        config.open_stdin = False
        config.stdin_once = False
        state.run_config = config
        if config.on_build:
            triggers, config.on_build = config.on_build, None
            plural = "s" if len(triggers) > 1 else ""
            await run.output.stream(f"# Executing {len(triggers)} build trigger{plural}\n")
            for trigger in triggers:
                state.update_run_config()
                parsed = parse_dockerfile(trigger)
                if len(parsed.nodes) != 1:
                    raise BuildStepError("onbuild trigger should be a single expression")
                await dispatch(run, state, parse_command(parsed.nodes[0]))
