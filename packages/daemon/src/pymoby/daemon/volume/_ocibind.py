"""The OCI bind mount of a volume or bind, with Docker's options and propagation checks.

Options are ``rbind`` (``bind`` with ``NonRecursive``), then ``rro`` or
``ro`` for a read-only mount (recursively read-only where the kernel and
runtime can, as Docker 25+), then the propagation. A shared bind needs its
source on a shared mount and makes the root ``shared``; a slave one needs a
shared or slave mount and makes the root ``rslave`` (binds from the daemon
root that got ``rslave`` implicitly fall back to private instead).
"""

from __future__ import annotations

import logging
import os
import posixpath
import subprocess
from typing import Any

import msgspec

from pymoby import errdefs

from ..oci import bind_mount
from ._mountpoint import MountPoint
from ._sysmount import mount_containing

__all__ = ["detect_rro", "oci_bind", "within"]

log = logging.getLogger("pymoby.daemon.volume")

_SHARED = frozenset({"shared", "rshared"})
_SLAVE = frozenset({"slave", "rslave"})


def detect_rro(runtime: str = "runc") -> bool:
    """Whether read-only binds can be made recursively read-only (``rro``): kernel 5.12+ and the runtime lists it."""
    release = os.uname().release.split("-")[0].split(".")
    try:
        if tuple(int(x) for x in release[:2]) < (5, 12):
            return False
    except ValueError:
        return False
    try:
        out = subprocess.run([runtime, "features"], capture_output=True, check=True, timeout=10).stdout
        features = msgspec.json.decode(out)
    except (OSError, subprocess.SubprocessError, msgspec.DecodeError):
        return False
    return isinstance(features, dict) and "rro" in (features.get("mountOptions") or [])


def within(path: str, base: str) -> bool:
    """Whether ``path`` is ``base`` or under it (Docker compares string prefixes; we compare components)."""
    path, base = posixpath.normpath(path), posixpath.normpath(base)
    return path == base or path.startswith(base.rstrip("/") + "/")


def oci_bind(point: MountPoint, source: str, rro: bool, daemon_root: str) -> tuple[dict[str, Any], str]:
    """The OCI mount of ``point`` from ``source``, and the root propagation it needs (``""``: none).

    Raises errdefs.System when a shared or slave bind's source is not on a
    mount that propagates, errdefs.InvalidParameter for ``ReadOnlyForceRecursive``
    without ``rro`` support. Blocking (reads /proc/self/mountinfo).
    """
    propagation = point.propagation
    root_propagation = ""
    if propagation in _SHARED or propagation in _SLAVE:
        info = mount_containing(source)
        if propagation in _SHARED:
            if not info.shared:
                raise errdefs.System(f"path {source} is mounted on {info.mountpoint} but it is not a shared mount")
            root_propagation = "shared"
        elif info.shared or info.slave:
            root_propagation = "rslave"
        else:
            explicit = point.spec.bind_options is not None and bool(point.spec.bind_options.propagation)
            if explicit or not (within(source, daemon_root) or within(daemon_root, source)):
                raise errdefs.System(
                    f"path {source} is mounted on {info.mountpoint} but it is not a shared or slave mount"
                )
            log.warning("Falling back to default propagation for bind source in daemon root: %s", source)
    mount = bind_mount(source, point.destination, read_only=False, propagation="", recursive=True)
    bind = point.spec.bind_options if point.type == "bind" else None
    if bind is not None and bind.non_recursive:
        mount["options"] = ["bind"]
    if not point.rw:
        if bind is not None and bind.read_only_force_recursive and not rro:
            raise errdefs.InvalidParameter("rro is not supported by this kernel or runtime")
        recursive = rro and not (bind is not None and bind.read_only_non_recursive)
        mount["options"].append("rro" if recursive else "ro")
    if propagation:
        mount["options"].append(propagation)
    return mount, root_propagation
