"""The spec's ``mounts``: Docker's defaults, the container's own mounts, tmpfs, shm and init.

The lifecycle code hands in the mounts it computed (binds, volumes,
``--mount``, /etc/hosts, /etc/hostname, /etc/resolv.conf, a daemon-managed
/dev/shm) as OCI mount objects; :func:`bind_mount` and :func:`tmpfs_mount`
build them with Docker's options. :func:`assemble_mounts` merges them with
the defaults the way moby's ``withMounts`` does: a container mount replaces a
default one at the same destination (a ``/dev`` mount replaces everything
under /dev), container mounts are sorted by depth, a read-only root makes
the defaults read-only too, and privileged containers get /sys and the
cgroup file system writable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pymoby import errdefs

from ._defaults import default_mounts

__all__ = ["InvalidMount", "assemble_mounts", "bind_mount", "merge_tmpfs_options", "tmpfs_mount"]

# Mount flags that share one bit (setting one clears the other): the first wins when merging.
_FLAG_KEYS = {
    **dict.fromkeys(("ro", "rw"), "rdonly"),
    **dict.fromkeys(("suid", "nosuid"), "nosuid"),
    **dict.fromkeys(("dev", "nodev"), "nodev"),
    **dict.fromkeys(("exec", "noexec"), "noexec"),
    **dict.fromkeys(("sync", "async"), "sync"),
    **dict.fromkeys(("dirsync",), "dirsync"),
    **dict.fromkeys(("remount",), "remount"),
    **dict.fromkeys(("mand", "nomand"), "mand"),
    **dict.fromkeys(("atime", "noatime"), "noatime"),
    **dict.fromkeys(("diratime", "nodiratime"), "nodiratime"),
    **dict.fromkeys(("bind",), "bind"),
    **dict.fromkeys(("rbind",), "rbind"),
    **dict.fromkeys(("relatime", "norelatime"), "relatime"),
    **dict.fromkeys(("strictatime", "nostrictatime"), "strictatime"),
    **dict.fromkeys(
        ("private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable"), "propagation"
    ),
}
_TMPFS_DATA = {"size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol"}
# Defaults that stay writable under a read-only root (moby's list).
_WRITABLE_UNDER_RO_ROOT = {"/proc", "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev"}


class InvalidMount(errdefs.InvalidParameter):
    """A tmpfs option Docker does not accept."""


def merge_tmpfs_options(options: Sequence[str]) -> list[str]:
    """Merge tmpfs options, later ones winning (``exec`` after ``noexec``, the last ``size=``).

    Raises :class:`InvalidMount` (``invalid tmpfs option ["bad" "1"]``) for an
    option that is neither a mount flag nor a tmpfs ``key=value``.
    """
    seen_flags: set[str] = set()
    seen_data: set[str] = set()
    merged: list[str] = []
    for option in reversed(options):
        if option == "defaults":
            continue
        key = _FLAG_KEYS.get(option)
        if key is not None:
            if key not in seen_flags:
                seen_flags.add(key)
                merged.insert(0, option)
            continue
        name, sep, _value = option.partition("=")
        if not sep or name not in _TMPFS_DATA:
            shown = '" "'.join(option.split("=", 1))
            raise InvalidMount(f'invalid tmpfs option ["{shown}"]')
        if name not in seen_data:
            seen_data.add(name)
            merged.insert(0, option)
    return merged


def tmpfs_mount(destination: str, data: str = "") -> dict[str, Any]:
    """A ``--tmpfs DEST:DATA`` mount: ``noexec,nosuid,nodev,rprivate`` merged with ``data``."""
    options = ["noexec", "nosuid", "nodev", "rprivate"]
    if data:
        options += data.split(",")
    return {"destination": destination, "type": "tmpfs", "source": "tmpfs", "options": merge_tmpfs_options(options)}


def bind_mount(
    source: str,
    destination: str,
    *,
    read_only: bool = False,
    propagation: str = "rprivate",
    recursive: bool = True,
) -> dict[str, Any]:
    """A bind mount as Docker writes it: ``rbind`` (or ``bind``), ``ro`` when read-only, the propagation."""
    options = ["rbind" if recursive else "bind"]
    if read_only:
        options.append("ro")
    if propagation:
        options.append(propagation)
    return {"destination": destination, "type": "bind", "source": source, "options": options}


def _depth(mount: Mapping[str, Any]) -> int:
    return len([p for p in str(mount["destination"]).split("/") if p not in ("", ".")])


def _without_ro(mount: dict[str, Any]) -> dict[str, Any]:
    return {**mount, "options": [o for o in mount.get("options", []) if o != "ro"]}


def assemble_mounts(
    container_mounts: Sequence[Mapping[str, Any]],
    *,
    shm_size: int,
    ipc_none: bool,
    readonly_rootfs: bool,
    privileged: bool,
    init_mount: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The spec's ``mounts``: defaults (minus overridden ones), the init binary, then ``container_mounts``.

    ``container_mounts`` are OCI mount objects (``destination``, ``type``,
    ``source``, ``options``); they are sorted by depth (stable) so a parent
    is mounted before what is mounted inside it.
    """
    user = sorted((dict(m) for m in container_mounts), key=_depth)
    user_destinations = {m["destination"] for m in user}
    user_dev = "/dev" in user_destinations
    mounts: list[dict[str, Any]] = []
    for mount in default_mounts():
        destination = mount["destination"]
        if destination in user_destinations:
            continue
        if user_dev and destination.startswith("/dev/"):
            continue
        if destination == "/dev/shm":
            if ipc_none:
                continue
            mount["options"].append(f"size={shm_size}")
        mounts.append(mount)
    if init_mount is not None:
        mounts.append(dict(init_mount))
    mounts += user
    if readonly_rootfs:
        for mount in mounts:
            destination = mount["destination"]
            if destination in _WRITABLE_UNDER_RO_ROOT or destination in user_destinations:
                continue
            if "ro" not in mount["options"]:
                mount["options"] = [*mount["options"], "ro"]
    if privileged:
        mounts = [_without_ro(m) if m["destination"] == "/sys" or m["type"] == "cgroup" else m for m in mounts]
    return mounts
