"""Turning parsed nodes into typed instructions and build stages, with Docker's checks and messages.

Errors in one instruction are reported as ``dockerfile parse error line N:
<what>`` (dockerd's wording); :func:`parse_command` alone (used for ONBUILD
triggers) gives the bare message.
"""

from __future__ import annotations

import re

from pymoby.image import HealthConfig

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
    KeyValue,
    LabelCommand,
    MaintainerCommand,
    OnbuildCommand,
    OptionalKeyValue,
    RunCommand,
    ShellCommand,
    Stage,
    StopSignalCommand,
    UserCommand,
    VolumeCommand,
    WorkdirCommand,
)
from ._errors import InstructionError
from ._gofmt import go_quote, parse_duration
from ._parser import Node, _trim

__all__ = ["parse_command", "parse_stages"]

#: Shortest health check interval Docker accepts (``container.MinimumDuration``), in nanoseconds.
MIN_HEALTH_DURATION = 1_000_000
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9-_\.]*$")
_ONBUILD_PREFIX = re.compile(r"(?i)^\s*ONBUILD\s*")
#: RUN flags BuildKit knows: accepted here, refused when the step runs (as dockerd does).
_BUILDKIT_RUN_FLAGS = ("mount", "network", "security")


class _Problem(Exception):
    """An instruction-level error before the line prefix is added."""


class _Flags:
    """The ``--name=value`` flags of one instruction (buildkit's ``BFlags``)."""

    def __init__(self, words: list[str], strings: tuple[str, ...] = (), multi: tuple[str, ...] = ()) -> None:
        self.values: dict[str, str] = {}
        self.many: dict[str, list[str]] = {}
        known = set(strings) | set(multi)
        for arg in words:
            if not arg.startswith("--"):
                raise _Problem(f"Arg should start with -- : {arg}")
            if arg == "--":
                return
            name, eq, value = arg[2:].partition("=")
            if name not in known:
                raise _Problem(f"Unknown flag: {name}")
            if name in self.values:
                raise _Problem(f"Duplicate flag specified: {name}")
            if not eq:
                raise _Problem(f"Missing a value on flag: {name}")
            if name in multi:
                self.many.setdefault(name, []).append(value)
            else:
                self.values[name] = value

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def used(self) -> tuple[str, ...]:
        return tuple(sorted({*self.values, *self.many}))


def _code(node: Node) -> str:
    return _trim(node.original)


def _at_least_one(name: str) -> _Problem:
    return _Problem(f"{name} requires at least one argument")


def _exactly_one(name: str) -> _Problem:
    return _Problem(f"{name} requires exactly one argument")


def _no_destination(name: str) -> _Problem:
    return _Problem(
        f"{name} requires at least two arguments, but only one was provided. Destination could not be determined"
    )


def _key_values(args: list[str], name: str) -> tuple[KeyValue, ...]:
    if not args:
        raise _at_least_one(name)
    if len(args) % 2:
        raise _Problem(f"Bad input to {name}, too many arguments")
    pairs = []
    for index in range(0, len(args), 2):
        if not args[index]:
            raise _Problem(f"{name} names can not be blank")
        pairs.append(KeyValue(args[index], args[index + 1]))
    return tuple(pairs)


def _cmd_line(node: Node, empty_as_none: bool) -> tuple[tuple[str, ...] | None, bool]:
    if not node.args:
        words: tuple[str, ...] = ()
    elif node.json:
        words = tuple(node.args)
    else:
        words = (" ".join(node.args),)
    if empty_as_none and not words:
        return None, not node.json
    return words, not node.json


def _interval(flags: _Flags, name: str) -> int:
    text = flags.get(name)
    if not text:
        return 0
    try:
        value = parse_duration(text)
    except ValueError as exc:
        raise _Problem(str(exc)) from None
    if value < MIN_HEALTH_DURATION:
        raise _Problem(f"Interval {go_quote(name)} cannot be less than 1ms")
    return value


def _healthcheck(node: Node) -> HealthcheckCommand:
    if not node.args:
        raise _at_least_one("HEALTHCHECK")
    kind = node.args[0].upper()
    rest = node.args[1:]
    if kind == "NONE":
        if rest:
            raise _Problem("HEALTHCHECK NONE takes no arguments")
        return HealthcheckCommand(name=node.value, code=_code(node), health=HealthConfig(test=["NONE"]))
    flags = _Flags(node.flags, ("interval", "timeout", "start-period", "start-interval", "retries"))
    if kind != "CMD":
        raise _Problem(f"Unknown type {go_quote(kind)} in HEALTHCHECK (try CMD)")
    words = rest if node.json else ([" ".join(rest)] if rest else [])
    if not words:
        raise _Problem("Missing command after HEALTHCHECK CMD")
    health = HealthConfig(test=[kind if node.json else "CMD-SHELL", *words])
    health.interval = _interval(flags, "interval")
    health.timeout = _interval(flags, "timeout")
    health.start_period = _interval(flags, "start-period")
    health.start_interval = _interval(flags, "start-interval")
    if flags.get("retries"):
        text = flags.get("retries")
        try:
            retries = int(text, 10)
        except ValueError:
            raise _Problem(f"strconv.ParseInt: parsing {go_quote(text)}: invalid syntax") from None
        if retries < 1:
            raise _Problem(f"--retries must be at least 1 (not {retries})")
        health.retries = retries
    return HealthcheckCommand(name=node.value, code=_code(node), health=health)


def _stage(node: Node) -> Stage:
    args = node.args
    name = ""
    if len(args) == 3 and args[1].lower() == "as":
        name = args[2].lower()
        if not _STAGE_NAME.match(name):
            raise _Problem(
                f"invalid name for build stage: {go_quote(args[2])}, name can't start with a number or contain symbols"
            )
    elif len(args) != 1:
        raise _Problem("FROM requires either one or three arguments")
    flags = _Flags(node.flags, ("platform",))
    return Stage(args[0], name, _code(node), flags.get("platform"), node.start_line)


def _copy_like(node: Node) -> Command:
    name = node.value.upper()
    if len(node.args) < 2:
        raise _no_destination(name)
    sources, dest = tuple(node.args[:-1]), node.args[-1]
    if node.value == "copy":
        flags = _Flags(node.flags, ("chown", "from", "chmod"))
        return CopyCommand(
            name=node.value,
            code=_code(node),
            line=node.start_line,
            sources=sources,
            dest=dest,
            source_from=flags.get("from"),
            chown=flags.get("chown"),
            chmod=flags.get("chmod"),
        )
    flags = _Flags(node.flags, ("chown", "chmod"))
    return AddCommand(
        name=node.value,
        code=_code(node),
        line=node.start_line,
        sources=sources,
        dest=dest,
        chown=flags.get("chown"),
        chmod=flags.get("chmod"),
    )


def _single(node: Node, label: str) -> str:
    if len(node.args) != 1:
        raise _exactly_one(label)
    _Flags(node.flags)
    return node.args[0]


def _instruction(node: Node) -> Command | Stage:
    value, code, line = node.value, _code(node), node.start_line
    if value == "from":
        return _stage(node)
    if value == "env":
        _Flags(node.flags)
        return EnvCommand(name=value, code=code, line=line, env=_key_values(node.args, "ENV"))
    if value == "label":
        _Flags(node.flags)
        return LabelCommand(name=value, code=code, line=line, labels=_key_values(node.args, "LABEL"))
    if value == "maintainer":
        return MaintainerCommand(name=value, code=code, line=line, maintainer=_single(node, "MAINTAINER"))
    if value in ("add", "copy"):
        return _copy_like(node)
    if value == "onbuild":
        if not node.args:
            raise _at_least_one("ONBUILD")
        _Flags(node.flags)
        trigger = _trim(node.args[0]).upper()
        if trigger == "ONBUILD":
            raise _Problem("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
        if trigger in ("MAINTAINER", "FROM"):
            raise _Problem(f"{trigger} isn't allowed as an ONBUILD trigger")
        expression = _ONBUILD_PREFIX.sub("", node.original, count=1)
        return OnbuildCommand(name=value, code=code, line=line, expression=expression)
    if value == "workdir":
        return WorkdirCommand(name=value, code=code, line=line, path=_single(node, "WORKDIR"))
    if value == "run":
        flags = _Flags(node.flags, multi=_BUILDKIT_RUN_FLAGS)
        words, shell = _cmd_line(node, empty_as_none=False)
        return RunCommand(name=value, code=code, line=line, cmd_line=words, prepend_shell=shell, flags_used=flags.used)
    if value in ("cmd", "entrypoint"):
        _Flags(node.flags)
        words, shell = _cmd_line(node, empty_as_none=value == "entrypoint")
        kind = CmdCommand if value == "cmd" else EntrypointCommand
        return kind(name=value, code=code, line=line, cmd_line=words, prepend_shell=shell)
    if value == "healthcheck":
        return _healthcheck(node)
    if value == "expose":
        if not node.args:
            raise _at_least_one("EXPOSE")
        _Flags(node.flags)
        return ExposeCommand(name=value, code=code, line=line, ports=tuple(sorted(node.args)))
    if value == "user":
        return UserCommand(name=value, code=code, line=line, user=_single(node, "USER"))
    if value == "volume":
        if not node.args:
            raise _at_least_one("VOLUME")
        _Flags(node.flags)
        volumes = []
        for item in node.args:
            item = _trim(item)
            if not item:
                raise _Problem("VOLUME specified can not be an empty string")
            volumes.append(item)
        return VolumeCommand(name=value, code=code, line=line, volumes=tuple(volumes))
    if value == "stopsignal":
        if len(node.args) != 1:
            raise _exactly_one("STOPSIGNAL")
        return StopSignalCommand(name=value, code=code, line=line, signal=node.args[0])
    if value == "arg":
        if not node.args:
            raise _at_least_one("ARG")
        pairs = []
        for arg in node.args:
            key, eq, default = arg.partition("=")
            if eq and not key:
                raise _Problem("ARG names can not be blank")
            pairs.append(OptionalKeyValue(key, default if eq else None))
        return ArgCommand(name=value, code=code, line=line, args=tuple(pairs))
    if value == "shell":
        _Flags(node.flags)
        if not node.args:
            raise _at_least_one("SHELL")
        if not node.json:
            raise _Problem("SHELL requires the arguments to be in JSON form")
        return ShellCommand(name=value, code=code, line=line, shell=tuple(node.args))
    raise _Problem(f"unknown instruction: {value.upper()}")


def parse_command(node: Node) -> Command:
    """One node as a command (not ``FROM``): for ONBUILD triggers and ``docker commit --change``.

    Raises :class:`InstructionError` with the bare message.
    """
    try:
        command = _instruction(node)
    except _Problem as exc:
        raise InstructionError(str(exc), node.start_line) from None
    if isinstance(command, Stage):
        raise InstructionError("FROM is not a command type", node.start_line)
    return command


def parse_stages(nodes: list[Node]) -> tuple[list[Stage], list[ArgCommand]]:
    """The build stages of a Dockerfile, and the ``ARG`` instructions before its first ``FROM``.

    Raises :class:`InstructionError` (``dockerfile parse error line N: ...``),
    and for an instruction before any ``FROM``: ``no build stage in current context``.
    """
    stages: list[Stage] = []
    meta_args: list[ArgCommand] = []
    for node in nodes:
        try:
            item = _instruction(node)
        except _Problem as exc:
            raise InstructionError(f"dockerfile parse error line {node.start_line}: {exc}", node.start_line) from None
        if isinstance(item, Stage):
            stages.append(item)
        elif not stages and isinstance(item, ArgCommand):
            meta_args.append(item)
        elif not stages:
            raise InstructionError("no build stage in current context", node.start_line)
        else:
            stages[-1].commands.append(item)
    return stages, meta_args
