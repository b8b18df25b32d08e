"""The run configuration a build carries from step to step, and the pieces of it each step writes.

The configuration is the image config's ``config`` object
(:class:`pymoby.image.ContainerConfig`). A metadata step (ENV, LABEL, ...)
records, as the step's ``container_config``, the configuration with its
command replaced by a no-op shell comment, ``["/bin/sh", "-c", "#(nop) ",
"ENV A=b"]``: that is what ``docker history`` shows, and what the build cache
compares (:func:`same_config`). COPY, ADD and WORKDIR use the older
one-string form, ``["/bin/sh", "-c", "#(nop) WORKDIR /app"]``.
"""

from __future__ import annotations

import msgspec

from pymoby.image import ContainerConfig, HealthConfig

from ._gofmt import format_duration, go_quote, go_quote_list, go_quote_rune

__all__ = [
    "DEFAULT_PATH",
    "DEFAULT_SHELL",
    "copy_config",
    "describe_healthcheck",
    "nop_comment",
    "nop_comment_string",
    "resolve_cmd_line",
    "same_config",
    "shell_of",
    "with_default_path",
]

DEFAULT_SHELL = ("/bin/sh", "-c")
#: The PATH a stage gets when its base image sets none (``oci.DefaultPathEnv`` for Linux).
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_NOT_COMPARED = frozenset({"image", "hostname", "domainname", "mac_address"})
_KEYED = frozenset({"exposed_ports", "volumes"})


def copy_config(config: ContainerConfig, **changes: object) -> ContainerConfig:
    """A copy whose lists and maps are copies too (later steps change them), with ``changes`` applied."""
    fields = {name: getattr(config, name) for name in config.__struct_fields__}
    for name, value in fields.items():
        if isinstance(value, list):
            fields[name] = list(value)
        elif isinstance(value, dict):
            fields[name] = dict(value)
        elif isinstance(value, HealthConfig):
            fields[name] = msgspec.structs.replace(value, test=list(value.test) if value.test is not None else None)
    fields.update(changes)
    return ContainerConfig(**fields)


def with_default_path(config: ContainerConfig) -> None:
    """Add ``PATH`` to the environment when it has none."""
    env = list(config.env or [])
    if not any(item.partition("=")[0] == "PATH" for item in env):
        env.append("PATH=" + DEFAULT_PATH)
    config.env = env


def shell_of(config: ContainerConfig) -> list[str]:
    """The stage's SHELL, or ``/bin/sh -c``."""
    return list(config.shell) if config.shell else list(DEFAULT_SHELL)


def nop_comment(config: ContainerConfig, comment: str) -> ContainerConfig:
    """The record of a metadata step: the command is ``[shell..., "#(nop) ", comment]``."""
    return copy_config(config, cmd=[*shell_of(config), "#(nop) ", comment])


def nop_comment_string(config: ContainerConfig, comment: str) -> ContainerConfig:
    """The record of a COPY, ADD or WORKDIR step: ``[shell..., "#(nop) " + comment]``."""
    return copy_config(config, cmd=[*shell_of(config), "#(nop) " + comment])


def resolve_cmd_line(
    cmd_line: tuple[str, ...] | None, prepend_shell: bool, config: ContainerConfig
) -> list[str] | None:
    """The command of RUN, CMD or ENTRYPOINT: the shell form gets the stage's SHELL in front."""
    if cmd_line is None:
        return None
    if prepend_shell:
        return [*shell_of(config), *cmd_line]
    return list(cmd_line)


def describe_healthcheck(health: HealthConfig | None) -> str:
    """``HealthConfig`` as dockerd's classic builder prints it with ``%q``.

    ``&{["CMD-SHELL" "true"] "5s" "0s" "0s" '\\x00'}``: test, interval, timeout, start period, retries.
    """
    if health is None:
        return "<nil>"
    parts = [
        go_quote_list(health.test),
        go_quote(format_duration(health.interval)),
        go_quote(format_duration(health.timeout)),
        go_quote(format_duration(health.start_period)),
    ]
    if health.start_interval:
        parts.append(go_quote(format_duration(health.start_interval)))
    parts.append(go_quote_rune(health.retries))
    return "&{" + " ".join(parts) + "}"


def _comparable(config: ContainerConfig) -> dict[str, object]:
    values: dict[str, object] = {}
    for name in config.__struct_fields__:
        if name in _NOT_COMPARED:
            continue
        value = getattr(config, name)
        if name in _KEYED:
            values[name] = frozenset(value or ())
        elif name == "labels":
            values[name] = dict(value or {})
        elif name == "healthcheck":
            values[name] = None if value is None else msgspec.structs.astuple(value)
        elif isinstance(value, list) or (value is None and name in ("env", "cmd", "entrypoint", "on_build", "shell")):
            values[name] = tuple(value or ())
        else:
            values[name] = value
    return values


def same_config(a: ContainerConfig | None, b: ContainerConfig | None) -> bool:
    """Whether two step records match for the build cache: all fields but the image, host and domain names
    and MAC address; a missing list or map is the same as an empty one."""
    if a is None or b is None:
        return False
    return _comparable(a) == _comparable(b)
