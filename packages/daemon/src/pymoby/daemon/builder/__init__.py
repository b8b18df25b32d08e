"""pymoby.daemon.builder: the classic Dockerfile builder behind ``POST /build`` (Docker's ``builder/dockerfile``).

- :func:`parse_dockerfile`, :func:`parse_stages`: a Dockerfile read as Docker
  reads it (directives, continuations, JSON and shell forms, stages);
- :class:`ShellLex`: ``$VAR`` expansion with Docker's rules;
- :class:`PatternMatcher`, :func:`read_ignore_file`: ``.dockerignore``;
- :class:`Builder`: the build itself, one image per step through the image
  and container services (:class:`BuildImages`, :class:`BuildContainers`),
  the classic cache, ``docker build``'s JSON stream; and the cache prune.
"""

from ._backend import BuildContainers, BuildImages, EventLog
from ._buildargs import BUILTIN_ARGS, BuildArgs
from ._builder import Builder, sanitize_tags
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
    expand_command,
)
from ._context import BuildContext, FileSource, extract_context
from ._copy import CopyInfo, contains_wildcards, copy_sources, go_match, normalize_dest, source_hash, sources_for
from ._dockerignore import InvalidPattern, PatternMatcher, read_ignore_file
from ._errors import (
    BuildStepError,
    CommandFailed,
    DockerfileSyntaxError,
    ExpansionError,
    InstructionError,
    InvalidContext,
    SourceNotFound,
)
from ._instructions import parse_command, parse_stages
from ._parser import Node, ParseResult, parse_dockerfile
from ._prune import PRUNE_FILTERS
from ._runconfig import same_config
from ._shell import ShellLex
from ._state import BuildOptions

__all__ = [
    "BUILTIN_ARGS",
    "PRUNE_FILTERS",
    "AddCommand",
    "ArgCommand",
    "BuildArgs",
    "BuildContainers",
    "BuildContext",
    "BuildImages",
    "BuildOptions",
    "BuildStepError",
    "Builder",
    "CmdCommand",
    "Command",
    "CommandFailed",
    "CopyCommand",
    "CopyInfo",
    "DockerfileSyntaxError",
    "EntrypointCommand",
    "EnvCommand",
    "EventLog",
    "ExpansionError",
    "ExposeCommand",
    "FileSource",
    "HealthcheckCommand",
    "InstructionError",
    "InvalidContext",
    "InvalidPattern",
    "KeyValue",
    "LabelCommand",
    "MaintainerCommand",
    "Node",
    "OnbuildCommand",
    "OptionalKeyValue",
    "ParseResult",
    "PatternMatcher",
    "RunCommand",
    "ShellCommand",
    "ShellLex",
    "SourceNotFound",
    "Stage",
    "StopSignalCommand",
    "UserCommand",
    "VolumeCommand",
    "WorkdirCommand",
    "contains_wildcards",
    "copy_sources",
    "expand_command",
    "extract_context",
    "go_match",
    "normalize_dest",
    "parse_command",
    "parse_dockerfile",
    "parse_stages",
    "read_ignore_file",
    "same_config",
    "sanitize_tags",
    "source_hash",
    "sources_for",
]
