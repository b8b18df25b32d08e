"""``HostConfig.SecurityOpt``: Docker's ``--security-opt`` values, parsed once at create.

Accepted, as Docker accepts them (``key=value``; ``key:value`` is the old
spelling): ``seccomp=unconfined|builtin|<profile JSON>``,
``no-new-privileges[=true|false]``, ``apparmor=<profile>``,
``label=...`` / ``disable`` (SELinux labels; without SELinux they are
accepted and have no effect, as in Docker), and ``systempaths=unconfined``
(the CLI turns it into empty ``MaskedPaths``/``ReadonlyPaths``; API clients
may send it as is).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pymoby import errdefs

__all__ = [
    "SECCOMP_BUILTIN",
    "SECCOMP_UNCONFINED",
    "InvalidSecurityOpt",
    "SecurityOptions",
    "parse_security_opts",
]

SECCOMP_UNCONFINED = "unconfined"
SECCOMP_BUILTIN = "builtin"
APPARMOR_UNCONFINED = "unconfined"


class InvalidSecurityOpt(errdefs.InvalidParameter):
    """A ``SecurityOpt`` entry Docker would refuse, or one this host cannot honour."""


@dataclass(frozen=True, slots=True)
class SecurityOptions:
    """What a container's ``SecurityOpt`` asks for.

    ``no_new_privileges`` is ``None`` when unset (the daemon default
    applies); ``seccomp`` is ``""`` (daemon default), ``unconfined``,
    ``builtin`` or a profile's JSON text; ``apparmor`` is ``""`` or a
    profile name; ``unconfined_system_paths`` is ``systempaths=unconfined``.
    """

    no_new_privileges: bool | None = None
    seccomp: str = ""
    apparmor: str = ""
    labels: tuple[str, ...] = ()
    unconfined_system_paths: bool = False


def _parse_bool(value: str) -> bool | None:
    # Go's strconv.ParseBool.
    if value in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if value in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None


def parse_security_opts(options: Sequence[str] | None, *, apparmor_enabled: bool = False) -> SecurityOptions:
    """Parse ``SecurityOpt`` into :class:`SecurityOptions`.

    Raises :class:`InvalidSecurityOpt` with Docker's messages
    (``invalid --security-opt 1: "x"`` for an entry without ``=``,
    ``invalid --security-opt 2: "k=v"`` for an unknown key or a bad boolean),
    and, on a host without AppArmor, for any ``apparmor=`` profile other than
    ``unconfined`` (Docker would silently ignore it; we say so instead).
    """
    no_new_privileges: bool | None = None
    seccomp = apparmor = ""
    labels: list[str] = []
    unconfined_paths = False
    for opt in options or ():
        if opt == "no-new-privileges":
            no_new_privileges = True
            continue
        if opt == "disable":
            labels.append("disable")
            continue
        if "=" in opt:
            key, _, value = opt.partition("=")
        elif ":" in opt:
            key, _, value = opt.partition(":")
        else:
            raise InvalidSecurityOpt(f'invalid --security-opt 1: "{opt}"')
        if key == "label":
            labels.append(value)
        elif key == "apparmor":
            if not apparmor_enabled and value != APPARMOR_UNCONFINED:
                raise InvalidSecurityOpt(
                    f'AppArmor is not enabled on this host: cannot apply AppArmor profile "{value}" '
                    '(only "apparmor=unconfined" is accepted)'
                )
            apparmor = value
        elif key == "seccomp":
            seccomp = value
        elif key == "no-new-privileges":
            parsed = _parse_bool(value)
            if parsed is None:
                raise InvalidSecurityOpt(f'invalid --security-opt 2: "{opt}"')
            no_new_privileges = parsed
        elif key == "systempaths" and value == "unconfined":
            unconfined_paths = True
        else:
            raise InvalidSecurityOpt(f'invalid --security-opt 2: "{opt}"')
    return SecurityOptions(
        no_new_privileges=no_new_privileges,
        seccomp=seccomp,
        apparmor=apparmor,
        labels=tuple(labels),
        unconfined_system_paths=unconfined_paths,
    )
