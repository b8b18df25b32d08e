"""``--change`` of ``docker commit`` and ``docker import``: Dockerfile instructions applied to an image config.

The instructions that only change the config are allowed, as in dockerd:
``CMD``, ``ENTRYPOINT``, ``ENV``, ``EXPOSE``, ``HEALTHCHECK``, ``LABEL``,
``ONBUILD``, ``STOPSIGNAL``, ``USER``, ``VOLUME``, ``WORKDIR``; anything
else is refused (``run is not a valid change command``). ``CMD`` and
``ENTRYPOINT`` take the JSON (exec) form or the shell form
(``["/bin/sh", "-c", ...]``); an ``ENTRYPOINT`` clears an inherited ``CMD``
unless the changes set one too.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
import signal

import msgspec

from pymoby import errdefs
from pymoby.image import ContainerConfig, HealthConfig

__all__ = ["InvalidChange", "apply_changes"]

_ALLOWED = frozenset(
    {"cmd", "entrypoint", "env", "expose", "healthcheck", "label", "onbuild", "stopsignal", "user", "volume", "workdir"}
)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_PORT = re.compile(r"^(\d+)(?:-(\d+))?(?:/(tcp|udp|sctp))?$")


class InvalidChange(errdefs.InvalidParameter):
    """A ``--change`` that is not an allowed, well-formed instruction."""


def _json_list(text: str) -> list[str] | None:
    stripped = text.strip()
    if not stripped.startswith("["):
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _command(text: str, shell: list[str]) -> list[str]:
    exec_form = _json_list(text)
    if exec_form is not None:
        return exec_form
    return [*shell, text.strip()] if text.strip() else []


def _pairs(instruction: str, text: str) -> list[tuple[str, str]]:
    try:
        words = shlex.split(text, posix=True)
    except ValueError as exc:
        raise InvalidChange(f"{instruction} {text}: {exc}") from exc
    if not words:
        raise InvalidChange(f"{instruction.upper()} requires at least one argument")
    if "=" not in words[0]:
        if instruction == "label":
            raise InvalidChange("LABEL requires at least one argument")
        key, _, value = text.strip().partition(" ")
        if not value.strip():
            raise InvalidChange(f"{instruction.upper()} must have two arguments")
        return [(key, value.strip())]
    pairs = []
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise InvalidChange(f"Syntax error - can't find = in {word!r}. Must be of the form: name=value")
        pairs.append((key, value))
    return pairs


def _duration(flag: str, text: str) -> int:
    if text in ("", "0"):
        return 0
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise InvalidChange(f"time: invalid duration {text!r} for --{flag}")
    return int(sum(float(n) * _NS[u] for n, u in parts))


def _healthcheck(text: str) -> HealthConfig:
    rest = text.strip()
    options: dict[str, str] = {}
    while rest.startswith("--"):
        word, _, rest = rest.partition(" ")
        name, sep, value = word[2:].partition("=")
        if not sep:
            raise InvalidChange(f"HEALTHCHECK flag {word} needs a value")
        options[name] = value
        rest = rest.lstrip()
    kind, _, command = rest.partition(" ")
    if kind.upper() == "NONE":
        if command.strip() or options:
            raise InvalidChange("HEALTHCHECK NONE takes no arguments")
        return HealthConfig(test=["NONE"])
    if kind.upper() != "CMD":
        raise InvalidChange(f'Unknown type "{kind.upper()}" in HEALTHCHECK (try CMD)')
    exec_form = _json_list(command)
    test = ["CMD", *exec_form] if exec_form is not None else ["CMD-SHELL", command.strip()]
    unknown = set(options) - {"interval", "timeout", "start-period", "start-interval", "retries"}
    if unknown:
        raise InvalidChange(f"Unknown flag: {sorted(unknown)[0]}")
    retries = 0
    if "retries" in options:
        try:
            retries = int(options["retries"])
        except ValueError:
            raise InvalidChange(f"invalid value for --retries: {options['retries']!r}") from None
    return HealthConfig(
        test=test,
        interval=_duration("interval", options.get("interval", "")),
        timeout=_duration("timeout", options.get("timeout", "")),
        start_period=_duration("start-period", options.get("start-period", "")),
        start_interval=_duration("start-interval", options.get("start-interval", "")),
        retries=retries,
    )


def _check_signal(text: str) -> str:
    value = text.strip()
    if value.isdigit():
        if int(value) <= 0:
            raise InvalidChange(f"Invalid signal: {value}")
        return value
    name = value.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    if name not in signal.Signals.__members__ and not re.fullmatch(r"SIGRTM(IN|AX)([+-]\d+)?", name):
        raise InvalidChange(f"Invalid signal: {value}")
    return value


def apply_changes(config: ContainerConfig, changes: list[str]) -> ContainerConfig:
    """``config`` with the instructions of ``changes`` applied (a new object; ``config`` is unchanged).

    Raises :class:`InvalidChange` in dockerd's words for a disallowed or malformed instruction.
    """
    result = msgspec.structs.replace(config)
    cmd_set = False
    for change in changes:
        for line in change.splitlines():
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            keyword, _, rest = text.partition(" ")
            instruction = keyword.lower()
            rest = rest.strip()
            if instruction not in _ALLOWED:
                raise InvalidChange(f"{instruction} is not a valid change command")
            shell = list(result.shell or ["/bin/sh", "-c"])
            if instruction == "cmd":
                result.cmd = _command(rest, shell)
                cmd_set = True
            elif instruction == "entrypoint":
                result.entrypoint = _command(rest, shell)
                if not cmd_set:
                    result.cmd = None
            elif instruction == "env":
                env = list(result.env or [])
                for key, value in _pairs("env", rest):
                    env = [e for e in env if e.partition("=")[0] != key] + [f"{key}={value}"]
                result.env = env
            elif instruction == "label":
                result.labels = {**(result.labels or {}), **dict(_pairs("label", rest))}
            elif instruction == "expose":
                ports = dict(result.exposed_ports or {})
                for word in rest.split():
                    match = _PORT.match(word)
                    if match is None:
                        raise InvalidChange(f"Invalid containerPort: {word}")
                    start, end, proto = int(match[1]), int(match[2] or match[1]), match[3] or "tcp"
                    if end < start:
                        raise InvalidChange(f"Invalid range specified for the Port: {word}")
                    for port in range(start, end + 1):
                        ports[f"{port}/{proto}"] = {}
                result.exposed_ports = ports
            elif instruction == "user":
                if not rest:
                    raise InvalidChange("USER requires exactly one argument")
                result.user = rest
            elif instruction == "workdir":
                if not rest:
                    raise InvalidChange("WORKDIR requires exactly one argument")
                result.working_dir = posixpath.normpath(posixpath.join(result.working_dir or "/", rest))
            elif instruction == "volume":
                paths = _json_list(rest)
                volumes = dict(result.volumes or {})
                for path in paths if paths is not None else rest.split():
                    if not path.strip():
                        raise InvalidChange("VOLUME specified can not be an empty string")
                    volumes[path] = {}
                if not volumes:
                    raise InvalidChange("VOLUME requires at least one argument")
                result.volumes = volumes
            elif instruction == "stopsignal":
                result.stop_signal = _check_signal(rest)
            elif instruction == "onbuild":
                trigger, _, body = rest.partition(" ")
                if trigger.upper() in ("ONBUILD", "FROM", "MAINTAINER"):
                    raise InvalidChange(f"{trigger.upper()} isn't allowed as an ONBUILD trigger")
                result.on_build = [*(result.on_build or []), f"{trigger.upper()} {body}".strip()]
            else:
                result.healthcheck = _healthcheck(rest)
    return result
