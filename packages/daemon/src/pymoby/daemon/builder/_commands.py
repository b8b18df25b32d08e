"""The typed instructions of a Dockerfile (buildkit's ``instructions`` package, as the classic builder uses it).

Each command keeps ``code``, the instruction as written (what ``Step 3/7 :
...`` shows), and the ``line`` it starts on. A :class:`Stage` is a ``FROM``
and the commands after it. Values are as written: ``$VAR`` references are
expanded at build time (:func:`expand_command`), with the environment of
the step that runs them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from pymoby.image import HealthConfig

__all__ = [
    "AddCommand",
    "ArgCommand",
    "CmdCommand",
    "Command",
    "CopyCommand",
    "EntrypointCommand",
    "EnvCommand",
    "ExposeCommand",
    "HealthcheckCommand",
    "KeyValue",
    "LabelCommand",
    "MaintainerCommand",
    "OnbuildCommand",
    "OptionalKeyValue",
    "RunCommand",
    "ShellCommand",
    "Stage",
    "StopSignalCommand",
    "UserCommand",
    "VolumeCommand",
    "WorkdirCommand",
    "expand_command",
]


@dataclass(frozen=True, slots=True)
class KeyValue:
    """``KEY=value`` of ENV and LABEL."""

    key: str
    value: str

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


@dataclass(frozen=True, slots=True)
class OptionalKeyValue:
    """``NAME`` or ``NAME=default`` of ARG."""

    key: str
    value: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """An instruction: its name (lower case), its text as written and its first line."""

    name: str
    code: str
    line: int = 0

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvCommand(Command):
    """``ENV k=v ...``"""

    env: tuple[KeyValue, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class MaintainerCommand(Command):
    """``MAINTAINER name``"""

    maintainer: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelCommand(Command):
    """``LABEL k=v ...``; ``expand`` is False for the ``--label`` options of the build."""

    labels: tuple[KeyValue, ...]
    expand: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class AddCommand(Command):
    """``ADD [--chown=u:g] [--chmod=mode] src... dest``"""

    sources: tuple[str, ...]
    dest: str
    chown: str = ""
    chmod: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CopyCommand(Command):
    """``COPY [--from=stage|image] [--chown=u:g] [--chmod=mode] src... dest``"""

    sources: tuple[str, ...]
    dest: str
    source_from: str = ""
    chown: str = ""
    chmod: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class OnbuildCommand(Command):
    """``ONBUILD <instruction>``: ``expression`` is the trigger as written."""

    expression: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkdirCommand(Command):
    """``WORKDIR path``"""

    path: str


@dataclass(frozen=True, slots=True, kw_only=True)
class _ShellDependent(Command):
    #: The command line: the exec form's words, or the shell form's one string (None: none given).
    cmd_line: tuple[str, ...] | None
    #: Shell form: the stage's SHELL goes in front.
    prepend_shell: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RunCommand(_ShellDependent):
    """``RUN cmd`` or ``RUN ["exe", "arg"]``; ``flags_used`` are BuildKit's flags (refused at build time)."""

    flags_used: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CmdCommand(_ShellDependent):
    """``CMD``"""


@dataclass(frozen=True, slots=True, kw_only=True)
class EntrypointCommand(_ShellDependent):
    """``ENTRYPOINT``"""


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthcheckCommand(Command):
    """``HEALTHCHECK [options] CMD ...`` or ``HEALTHCHECK NONE``"""

    health: HealthConfig


@dataclass(frozen=True, slots=True, kw_only=True)
class ExposeCommand(Command):
    """``EXPOSE port[/proto] ...`` (sorted, as buildkit sorts them)"""

    ports: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class UserCommand(Command):
    """``USER user[:group]``"""

    user: str


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumeCommand(Command):
    """``VOLUME path ...``"""

    volumes: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class StopSignalCommand(Command):
    """``STOPSIGNAL signal``"""

    signal: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ArgCommand(Command):
    """``ARG name[=default] ...``"""

    args: tuple[OptionalKeyValue, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ShellCommand(Command):
    """``SHELL ["exe", "arg"]``"""

    shell: tuple[str, ...]


@dataclass(slots=True)
class Stage:
    """``FROM base [AS name]`` and the commands after it."""

    base_name: str
    name: str = ""
    source_code: str = ""
    platform: str = ""
    line: int = 0
    commands: list[Command] = field(default_factory=list)

    def __str__(self) -> str:
        return self.source_code


Expand = Callable[[str], str]


def expand_command(command: Command, expand: Expand) -> Command:
    """``command`` with ``$VAR`` references expanded where Docker expands them (one word in, one out).

    ENV and LABEL keys and values, ADD/COPY sources, destination and
    ``--chown``, WORKDIR, USER, VOLUME, STOPSIGNAL and ARG. RUN, CMD,
    ENTRYPOINT, SHELL and HEALTHCHECK are left to the shell; EXPOSE splits
    words and is expanded by its dispatcher. Raises what ``expand`` raises.
    """
    replace = dataclasses.replace
    if isinstance(command, EnvCommand):
        return replace(command, env=tuple(KeyValue(expand(kv.key), expand(kv.value)) for kv in command.env))
    if isinstance(command, LabelCommand):
        if not command.expand:
            return command
        return replace(command, labels=tuple(KeyValue(expand(kv.key), expand(kv.value)) for kv in command.labels))
    if isinstance(command, AddCommand | CopyCommand):
        chown = expand(command.chown)
        return replace(
            command, chown=chown, sources=tuple(expand(s) for s in command.sources), dest=expand(command.dest)
        )
    if isinstance(command, WorkdirCommand):
        return replace(command, path=expand(command.path))
    if isinstance(command, UserCommand):
        return replace(command, user=expand(command.user))
    if isinstance(command, VolumeCommand):
        return replace(command, volumes=tuple(expand(v) for v in command.volumes))
    if isinstance(command, StopSignalCommand):
        return replace(command, signal=expand(command.signal))
    if isinstance(command, ArgCommand):
        return replace(
            command,
            args=tuple(
                OptionalKeyValue(expand(a.key), expand(a.value) if a.value is not None else None) for a in command.args
            ),
        )
    return command
