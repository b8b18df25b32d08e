"""Layer store metadata on disk, as Docker's layerdb keeps it, written so that a crash leaves no half state.

::

    layerdb/sha256/<chain hex>/   diff, size, cache-id, parent, tar-size, tar-split
    layerdb/mounts/<name>/        mount-id, init-id, parent
    layerdb/tmp/                  directories being written; renamed into place when complete

A layer or mount becomes visible only by the rename of its complete
directory; what is left in ``tmp/`` after a crash is removed at open, and a
visible directory whose files are incomplete (possible after a power loss,
since nothing is fsync'd) is ignored at load. Like Docker, and like GNU tar for
the layer files themselves, the store does not fsync: an fsync here forces
the file system to commit the metadata of every file just unpacked, which
costs more than the unpacking itself.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["read_value", "write_values"]


def write_values(directory: Path, values: dict[str, str]) -> None:
    """Write one small file per key into ``directory``."""
    for key, value in values.items():
        fd = os.open(directory / key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, value.encode())
        finally:
            os.close(fd)


def read_value(directory: Path, key: str) -> str | None:
    """The content of ``directory/key``, stripped, or None if it does not exist or is empty."""
    try:
        return (directory / key).read_text().strip() or None
    except (FileNotFoundError, UnicodeDecodeError):
        return None
