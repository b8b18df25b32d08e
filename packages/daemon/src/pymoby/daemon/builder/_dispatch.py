"""Carrying out one instruction (dockerd's ``dispatchers.go``).

Metadata instructions change the run configuration and commit an image
with no new layer; their history entry is the configuration's no-op
comment (``/bin/sh -c #(nop)  ENV A=b``). WORKDIR also makes its
directory; RUN runs a container; COPY and ADD are in :mod:`._copystep`.
"""

from __future__ import annotations

import posixpath

from pymoby import errdefs
from pymoby.image import HealthConfig

from ..lifecycle import parse_signal
from ._buildrun import BuildRun
from ._commands import (
    AddCommand,
    ArgCommand,
    CmdCommand,
    Command,
    CopyCommand,
    EntrypointCommand,
    EnvCommand,
    ExposeCommand,
    HealthcheckCommand,
    LabelCommand,
    MaintainerCommand,
    OnbuildCommand,
    RunCommand,
    ShellCommand,
    StopSignalCommand,
    UserCommand,
    VolumeCommand,
    WorkdirCommand,
    expand_command,
)
from ._copystep import dispatch_copy
from ._errors import BuildStepError, CommandFailed
from ._gofmt import go_quote_list, go_value_list
from ._ports import exposed_ports
from ._runconfig import copy_config, describe_healthcheck, nop_comment_string, resolve_cmd_line
from ._state import DispatchState

__all__ = ["dispatch"]

_BUILDKIT_ONLY = (
    "the --{} option requires BuildKit. "
    "Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled"
)


def normalize_workdir(current: str, requested: str) -> str:
    """WORKDIR's new directory: relative to the current one, cleaned."""
    if not requested:
        raise BuildStepError("cannot normalize nothing")
    if requested.startswith("/"):
        return posixpath.normpath(requested) if requested != "/" else "/"
    joined = posixpath.normpath(posixpath.join("/", current, requested))
    return "/" + joined.lstrip("/")


async def _env(run: BuildRun, state: DispatchState, command: EnvCommand) -> None:
    env = list(state.run_config.env or [])
    message = "ENV"
    for pair in command.env:
        message += " " + str(pair)
        for index, item in enumerate(env):
            if item.partition("=")[0] == pair.key:
                env[index] = str(pair)
                break
        else:
            env.append(str(pair))
    state.run_config.env = env
    await run.commit(state, message)


async def _label(run: BuildRun, state: DispatchState, command: LabelCommand) -> None:
    labels = dict(state.run_config.labels or {})
    message = "LABEL"
    for pair in command.labels:
        labels[pair.key] = pair.value
        message += " " + str(pair)
    state.run_config.labels = labels
    await run.commit(state, message)


async def _workdir(run: BuildRun, state: DispatchState, command: WorkdirCommand) -> None:
    config = state.run_config
    config.working_dir = normalize_workdir(config.working_dir, command.path)
    record = nop_comment_string(config, "WORKDIR " + config.working_dir)
    if await run.probe(state, record):
        return
    new_config = copy_config(config)
    parent, author, workdir = state.image_id, state.maintainer, config.working_dir
    image_id = await run.blocking(
        lambda: run.writer.make_workdir(parent, workdir, config=new_config, container_config=record, author=author)
    )
    run.made(state, parent, image_id)


def _prepend_env(state: DispatchState, build_env: list[str], cmd: list[str]) -> list[str]:
    kept = sorted(e for e in build_env if state.build_args.is_referenced_or_not_builtin(e.partition("=")[0]))
    return [f"|{len(kept)}", *kept, *cmd]


async def _run(run: BuildRun, state: DispatchState, command: RunCommand) -> None:
    if command.flags_used:
        raise BuildStepError(_BUILDKIT_ONLY.format(command.flags_used[0]))
    config = state.run_config
    cmd = resolve_cmd_line(command.cmd_line, command.prepend_shell, config) or []
    build_env = state.build_args.filter_allowed(list(config.env or []))
    save_cmd = _prepend_env(state, build_env, cmd) if build_env else cmd
    record = copy_config(config, cmd=save_cmd, args_escaped=False)
    if save_cmd:
        record.entrypoint = None
    if await run.probe(state, record):
        return
    run_config = copy_config(
        config,
        cmd=cmd,
        args_escaped=False,
        env=[*(config.env or []), *build_env],
        healthcheck=HealthConfig(test=["NONE"]),
    )
    if save_cmd:
        run_config.entrypoint = [""]
    container_id = await run.create_container(run_config)
    code, error = await run.containers.run(container_id, run.output)
    if code != 0:
        message = f"The command '{' '.join(cmd)}' returned a non-zero code: {code}"
        if error:
            message += f": {error}"
        raise CommandFailed(message, code)
    await run.commit_container(state, container_id, record)


async def _cmd(run: BuildRun, state: DispatchState, command: CmdCommand) -> None:
    cmd = resolve_cmd_line(command.cmd_line, command.prepend_shell, state.run_config)
    state.run_config.cmd = cmd
    state.run_config.args_escaped = False
    await run.commit(state, f"CMD {go_quote_list(cmd)}")
    if command.cmd_line:
        state.cmd_set = True


async def _entrypoint(run: BuildRun, state: DispatchState, command: EntrypointCommand) -> None:
    config = state.run_config
    config.entrypoint = resolve_cmd_line(command.cmd_line, command.prepend_shell, config)
    config.args_escaped = False
    if not state.cmd_set:
        config.cmd = None
    await run.commit(state, f"ENTRYPOINT {go_quote_list(config.entrypoint)}")


async def _healthcheck(run: BuildRun, state: DispatchState, command: HealthcheckCommand) -> None:
    old = state.run_config.healthcheck
    if old is not None and old.test and old.test[0] != "NONE":
        await run.output.stream(f"Note: overriding previous HEALTHCHECK: {go_value_list(old.test)}\n")
    state.run_config.healthcheck = copy_config(state.run_config, healthcheck=command.health).healthcheck
    await run.commit(state, f"HEALTHCHECK {describe_healthcheck(state.run_config.healthcheck)}")


async def _expose(run: BuildRun, state: DispatchState, command: ExposeCommand) -> None:
    envs = run.envs(state)
    ports: list[str] = []
    for word in command.ports:
        ports += run.lex.process_words(word, envs)
    exposed = dict(state.run_config.exposed_ports or {})
    for key in exposed_ports(ports):
        exposed.setdefault(key, {})
    state.run_config.exposed_ports = exposed
    await run.commit(state, "EXPOSE " + " ".join(ports))


async def _volume(run: BuildRun, state: DispatchState, command: VolumeCommand) -> None:
    volumes = dict(state.run_config.volumes or {})
    for volume in command.volumes:
        if not volume:
            raise BuildStepError("VOLUME specified can not be an empty string")
        volumes[volume] = {}
    state.run_config.volumes = volumes
    await run.commit(state, f"VOLUME {go_value_list(list(command.volumes))}")


async def _stop_signal(run: BuildRun, state: DispatchState, command: StopSignalCommand) -> None:
    try:
        parse_signal(command.signal)
    except errdefs.InvalidParameter as exc:
        raise BuildStepError(f"Invalid signal: {command.signal}") from exc
    state.run_config.stop_signal = command.signal
    await run.commit(state, f"STOPSIGNAL {command.signal}")


async def _arg(run: BuildRun, state: DispatchState, command: ArgCommand) -> None:
    parts = []
    for arg in command.args:
        parts.append(arg.key if arg.value is None else f"{arg.key}={arg.value}")
        state.build_args.add_arg(arg.key, arg.value)
    await run.commit(state, "ARG " + " ".join(parts))


async def dispatch(run: BuildRun, state: DispatchState, command: Command) -> None:
    """Expand ``command``'s variables and carry it out, then remove its containers as ``rm``/``forcerm`` say.

    Raises the builder's errors; a failed RUN's container stays unless ``forcerm``.
    """
    envs = run.envs(state)
    command = expand_command(command, lambda word: run.lex.process_word(word, envs))
    try:
        await _dispatch(run, state, command)
    except Exception:
        if run.options.force_remove:
            await run.containers.remove_all(run.output)
        raise
    # A cancelled build skips this: the builder removes its containers, shielded, whatever rm says.
    if run.options.force_remove or run.options.remove:
        await run.containers.remove_all(run.output)


async def _dispatch(run: BuildRun, state: DispatchState, command: Command) -> None:
    config = state.run_config
    if isinstance(command, EnvCommand):
        await _env(run, state, command)
    elif isinstance(command, MaintainerCommand):
        state.maintainer = command.maintainer
        await run.commit(state, "MAINTAINER " + command.maintainer)
    elif isinstance(command, LabelCommand):
        await _label(run, state, command)
    elif isinstance(command, AddCommand | CopyCommand):
        await dispatch_copy(run, state, command)
    elif isinstance(command, OnbuildCommand):
        config.on_build = [*(config.on_build or []), command.expression]
        await run.commit(state, "ONBUILD " + command.expression)
    elif isinstance(command, WorkdirCommand):
        await _workdir(run, state, command)
    elif isinstance(command, RunCommand):
        await _run(run, state, command)
    elif isinstance(command, CmdCommand):
        await _cmd(run, state, command)
    elif isinstance(command, HealthcheckCommand):
        await _healthcheck(run, state, command)
    elif isinstance(command, EntrypointCommand):
        await _entrypoint(run, state, command)
    elif isinstance(command, ExposeCommand):
        await _expose(run, state, command)
    elif isinstance(command, UserCommand):
        config.user = command.user
        await run.commit(state, f"USER {command.user}")
    elif isinstance(command, VolumeCommand):
        await _volume(run, state, command)
    elif isinstance(command, StopSignalCommand):
        await _stop_signal(run, state, command)
    elif isinstance(command, ArgCommand):
        await _arg(run, state, command)
    elif isinstance(command, ShellCommand):
        config.shell = list(command.shell)
        await run.commit(state, f"SHELL {go_value_list(list(command.shell))}")
    else:
        raise BuildStepError(f"unsupported command type: {type(command).__name__}")
