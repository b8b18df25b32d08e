"""The changes of a layer against its parent, as ``docker diff`` lists them.

Two ways of finding them: walking an overlay upper directory (what it holds
changed; a 0:0 character device is a deletion; an opaque directory hides
what the lower layers had), and comparing two full trees (the vfs driver).
Directories holding a change are reported as modified, as Docker does.
"""

from __future__ import annotations

import enum
import os
import stat
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Change", "ChangeKind", "compare_trees", "is_whiteout", "overlay_changes"]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
OPAQUE_XATTR = "trusted.overlay.opaque"


class ChangeKind(enum.IntEnum):
    """The kind of a change, with Docker's numbers (the Engine API's ``Kind``)."""

    MODIFY = 0
    ADD = 1
    DELETE = 2

    @property
    def letter(self) -> str:
        """``C``, ``A`` or ``D``, as ``docker diff`` prints them."""
        return "CAD"[self.value]


@dataclass(frozen=True, slots=True, order=True)
class Change:
    """One changed path (absolute inside the container, e.g. ``/etc/hosts``)."""

    path: str
    kind: ChangeKind

    def __str__(self) -> str:
        return f"{self.kind.letter} {self.path}"


def is_whiteout(st: os.stat_result) -> bool:
    """Whether ``st`` is an overlayfs whiteout (a 0:0 character device)."""
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def _is_opaque(path: str) -> bool:
    try:
        return os.getxattr(path, OPAQUE_XATTR, follow_symlinks=False) == b"y"
    except OSError:
        return False


def _lower_lookup(lowers: list[str], rel: str) -> os.stat_result | None:
    """What the merged lower layers show at ``rel``, or None if it is absent there."""
    parts = rel.split("/")
    for lower in lowers:
        try:
            st = os.stat(f"{lower}/{rel}", follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            st = None
        if st is not None:
            return None if is_whiteout(st) else st
        # Absent here: a whiteout or an opaque directory above it hides the layers below.
        for depth in range(len(parts) - 1, 0, -1):
            ancestor = f"{lower}/{'/'.join(parts[:depth])}"
            try:
                ast = os.stat(ancestor, follow_symlinks=False)
            except (FileNotFoundError, NotADirectoryError):
                continue
            if is_whiteout(ast) or not stat.S_ISDIR(ast.st_mode) or _is_opaque(ancestor):
                return None
    return None


def _lower_names(lowers: list[str], rel: str) -> set[str]:
    """Names the merged lower layers show in directory ``rel``."""
    names: set[str] = set()
    hidden: set[str] = set()
    for lower in lowers:
        path = f"{lower}/{rel}"
        try:
            entries = list(os.scandir(path))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if entry.name in hidden or entry.name in names:
                continue
            if is_whiteout(entry.stat(follow_symlinks=False)):
                hidden.add(entry.name)
            else:
                names.add(entry.name)
        if _is_opaque(path):
            break
    return names


def _with_parents(changes: list[Change]) -> list[Change]:
    seen = {c.path for c in changes}
    extra = []
    for change in changes:
        parent = change.path.rpartition("/")[0]
        while parent and parent not in seen:
            seen.add(parent)
            extra.append(Change(parent, ChangeKind.MODIFY))
            parent = parent.rpartition("/")[0]
    return sorted(changes + extra)


def overlay_changes(upper: Path, lowers: list[Path]) -> list[Change]:
    """The changes recorded in an overlay upper directory over ``lowers`` (top-most first)."""
    lower_paths = [os.fspath(p) for p in lowers]
    changes: list[Change] = []

    def walk(rel: str) -> None:
        directory = f"{upper}/{rel}" if rel else os.fspath(upper)
        for name in sorted(os.listdir(directory)):
            child = f"{rel}/{name}" if rel else name
            path = f"{upper}/{child}"
            st = os.stat(path, follow_symlinks=False)
            if is_whiteout(st):
                changes.append(Change("/" + child, ChangeKind.DELETE))
                continue
            below = _lower_lookup(lower_paths, child)
            changes.append(Change("/" + child, ChangeKind.ADD if below is None else ChangeKind.MODIFY))
            if stat.S_ISDIR(st.st_mode):
                if below is not None and stat.S_ISDIR(below.st_mode) and _is_opaque(path):
                    present = set(os.listdir(path))
                    for gone in sorted(_lower_names(lower_paths, child) - present):
                        changes.append(Change(f"/{child}/{gone}", ChangeKind.DELETE))
                if below is not None and not stat.S_ISDIR(below.st_mode):
                    walk_added(child)
                else:
                    walk(child)

    def walk_added(rel: str) -> None:
        for name in sorted(os.listdir(f"{upper}/{rel}")):
            child = f"{rel}/{name}"
            changes.append(Change("/" + child, ChangeKind.ADD))
            if stat.S_ISDIR(os.stat(f"{upper}/{child}", follow_symlinks=False).st_mode):
                walk_added(child)

    walk("")
    return _with_parents(changes)


def _capability(path: str) -> bytes | None:
    try:
        return os.getxattr(path, "security.capability", follow_symlinks=False)
    except OSError:
        return None


def _differs(new: os.stat_result, old: os.stat_result, new_path: str, old_path: str) -> bool:
    if new.st_mode != old.st_mode or new.st_uid != old.st_uid or new.st_gid != old.st_gid or new.st_rdev != old.st_rdev:
        return True
    if not stat.S_ISDIR(new.st_mode) and (new.st_size != old.st_size or new.st_mtime_ns != old.st_mtime_ns):
        return True
    if stat.S_ISLNK(new.st_mode):
        return os.readlink(new_path) != os.readlink(old_path)
    return _capability(new_path) != _capability(old_path)


def compare_trees(new: Path, old: Path | None) -> list[Change]:
    """The changes that turn the tree ``old`` (None: empty) into the tree ``new``."""
    changes: list[Change] = []

    def walk(rel: str, has_old: bool) -> None:
        new_dir = f"{new}/{rel}" if rel else os.fspath(new)
        new_names = set(os.listdir(new_dir))
        old_names: set[str] = set()
        if has_old and old is not None:
            old_dir = f"{old}/{rel}" if rel else os.fspath(old)
            old_names = set(os.listdir(old_dir))
        for name in sorted(new_names | old_names):
            child = f"{rel}/{name}" if rel else name
            if name not in new_names:
                changes.append(Change("/" + child, ChangeKind.DELETE))
                continue
            new_path = f"{new}/{child}"
            new_st = os.stat(new_path, follow_symlinks=False)
            if name not in old_names:
                changes.append(Change("/" + child, ChangeKind.ADD))
                if stat.S_ISDIR(new_st.st_mode):
                    walk(child, False)
                continue
            old_path = f"{old}/{child}"
            old_st = os.stat(old_path, follow_symlinks=False)
            if _differs(new_st, old_st, new_path, old_path):
                changes.append(Change("/" + child, ChangeKind.MODIFY))
            if stat.S_ISDIR(new_st.st_mode):
                walk(child, stat.S_ISDIR(old_st.st_mode))

    walk("", old is not None)
    return _with_parents(changes)
