"""The container's user: ``Config.User`` and ``GroupAdd`` resolved through the image's files.

:func:`parse_user` is pure (it takes the text of ``/etc/passwd`` and
``/etc/group``); :func:`resolve_user` reads those files from a mounted root
file system, following symlinks *inside* it (an image's ``/etc/passwd ->
/host/etc/passwd`` cannot reach the host's). The rules are runc's
``libcontainer/user`` rules, which Docker uses: ``name``, ``uid``,
``name:group``, ``uid:gid``; a numeric user needs no passwd entry; the
user's groups in ``/etc/group`` become supplementary groups unless a group
is given; the primary gid is always the first supplementary gid.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pymoby import errdefs

__all__ = ["ProcessUser", "UnknownUser", "parse_user", "resolve_user", "scoped_path"]

_MAX_ID = 2**31 - 1
_RANGE = f"uids and gids must be in range 0-{_MAX_ID}"


class UnknownUser(errdefs.InvalidParameter):
    """``User`` or ``GroupAdd`` names a user or group the image does not have, or an id out of range."""


@dataclass(frozen=True, slots=True)
class ProcessUser:
    """The OCI ``process.user``: uid, gid and supplementary gids (primary gid first)."""

    uid: int = 0
    gid: int = 0
    additional_gids: tuple[int, ...] = (0,)
    home: str = "/"

    def to_spec(self) -> dict[str, object]:
        """The ``process.user`` object of the spec."""
        return {"uid": self.uid, "gid": self.gid, "additionalGids": list(self.additional_gids)}


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    id: int
    gid: int = 0
    home: str = ""
    members: tuple[str, ...] = ()


def _atoi(value: str) -> int | None:
    # Go's strconv.Atoi: optional sign, decimal digits only.
    body = value[1:] if value[:1] in "+-" else value
    return int(value) if body.isdigit() and body.isascii() else None


def _passwd(text: str | None) -> list[_Entry]:
    entries = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split(":")
        fields += [""] * (7 - len(fields))
        uid, gid = _atoi(fields[2]) or 0, _atoi(fields[3]) or 0
        entries.append(_Entry(fields[0], uid, gid, fields[5]))
    return entries


def _group(text: str | None) -> list[_Entry]:
    entries = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split(":")
        fields += [""] * (4 - len(fields))
        members = tuple(m for m in fields[3].split(",") if m)
        entries.append(_Entry(fields[0], _atoi(fields[2]) or 0, members=members))
    return entries


def _in_range(value: int) -> int:
    if not 0 <= value <= _MAX_ID:
        raise UnknownUser(_RANGE)
    return value


def parse_user(user: str, group_add: Sequence[str] | None, passwd: str | None, group: str | None) -> ProcessUser:
    """Resolve ``user`` (``""`` means root) and ``group_add`` against passwd/group text.

    ``passwd``/``group`` are ``None`` when the image lacks the file. Raises
    :class:`UnknownUser` with runc's messages, e.g. ``unable to find user
    x: no matching entries in passwd file``.
    """
    user_arg, _, group_arg = user.partition(":")
    uid_arg, gid_arg = _atoi(user_arg), _atoi(group_arg)
    uid, gid, home = 0, 0, "/"
    matched_name = ""
    users = _passwd(passwd)
    if user_arg == "":
        match = next((u for u in users if u.id == 0), None)
    elif uid_arg is not None:
        match = next((u for u in users if u.id == uid_arg), None)
    else:
        match = next((u for u in users if u.name == user_arg), None)
    if match is not None:
        matched_name, uid, gid, home = match.name, match.id, match.gid, match.home
    elif user_arg != "":
        if uid_arg is None:
            raise UnknownUser(f"unable to find user {user_arg}: no matching entries in passwd file")
        uid = _in_range(uid_arg)
    supplementary: list[int] = []
    groups = _group(group)
    if group_arg:
        found = next((g for g in groups if (g.id == gid_arg if gid_arg is not None else g.name == group_arg)), None)
        if found is not None:
            gid = found.id
        elif gid_arg is None:
            raise UnknownUser(f"unable to find group {group_arg}: no matching entries in group file")
        else:
            gid = _in_range(gid_arg)
    elif matched_name:
        supplementary = [g.id for g in groups if matched_name in g.members]
    extra: list[int] = []
    for wanted in group_add or ():
        found = next((g for g in groups if g.name == wanted or str(g.id) == wanted), None)
        if found is not None:
            value = found.id
        else:
            number = _atoi(wanted)
            if number is None:
                raise UnknownUser(f"Unable to find group {wanted}: no matching entries in group file")
            value = _in_range(number)
        if value not in extra:
            extra.append(value)
    return ProcessUser(uid, gid, (gid, *supplementary, *extra), home or "/")


def scoped_path(root: Path, path: str) -> Path:
    """``path`` inside ``root``, with symlinks resolved as if ``root`` were ``/``.

    Absolute links restart at ``root``; ``..`` never climbs above it. The
    result may not exist. (Docker's ``GetResourcePath``, symlink-safe.)
    """
    parts = [p for p in path.split("/") if p not in ("", ".")]
    resolved: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = root.joinpath(*resolved, part)
        if candidate.is_symlink():
            hops += 1
            if hops > 255:
                raise errdefs.InvalidParameter(f"too many levels of symbolic links resolving {path}")
            target = os.readlink(candidate)
            if target.startswith("/"):
                resolved = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        resolved.append(part)
    return root.joinpath(*resolved)


def _read(root: Path, path: str) -> str | None:
    try:
        return scoped_path(root, path).read_text(errors="replace")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def resolve_user(rootfs: Path, user: str, group_add: Sequence[str] | None = None) -> ProcessUser:
    """Resolve ``user`` and ``group_add`` through ``rootfs``'s /etc/passwd and /etc/group.

    Blocking (reads two small files): call it in a worker thread. Raises
    :class:`UnknownUser` (see :func:`parse_user`).
    """
    return parse_user(user, group_add, _read(rootfs, "/etc/passwd"), _read(rootfs, "/etc/group"))
