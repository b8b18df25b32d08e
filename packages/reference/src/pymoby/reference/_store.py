"""The reference store: tags and digests of repositories -> image IDs.

Persisted as Docker's ``repositories.json``::

    {"Repositories": {"busybox": {"busybox:latest": "sha256:...",
                                  "busybox@sha256:...": "sha256:..."}}}

with familiar names as keys, exactly as dockerd writes it, so a data root
can be read by either. Every change is written atomically (temp file, fsync,
rename, fsync of the directory) before the call returns; a failed write
leaves the old file and the in-memory state as they were.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from ._digest import validate_digest
from ._errors import ConflictingTag, CorruptStore, InvalidTag, ReferenceNotFound, StoreWriteError
from ._normalize import familiar_name, familiar_string, parse_normalized_named, tag_name_only
from ._reference import Reference

__all__ = ["Association", "ReferenceStore"]

_Repositories = dict[str, dict[str, str]]


@dataclass(frozen=True, slots=True)
class Association:
    """A reference and the image ID it points at."""

    ref: Reference
    id: str


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old or the new file, never a mix."""
    directory = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=directory)
    renamed = False
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        renamed = True
    finally:
        if not renamed:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _lookup_form(ref: Reference) -> Reference:
    """The form a reference is stored under: digest wins over tag, bare names get ``latest``."""
    if ref.digest is not None:
        return Reference(ref.domain, ref.path, None, ref.digest)
    return tag_name_only(ref)


class ReferenceStore:
    """Tag and digest references to image IDs, persisted in ``repositories.json``.

    ``ReferenceStore(path)`` loads ``path`` (creating it when missing). All
    methods are thread-safe. A file that cannot be decoded raises
    :class:`CorruptStore`; a failed read or write raises :class:`StoreWriteError`
    (an ``errdefs.System``) with the store unchanged.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        self._lock = threading.RLock()
        self._repositories: _Repositories = {}
        self._by_id: dict[str, dict[str, Reference]] = {}
        try:
            raw = self._path.read_bytes()
        except FileNotFoundError:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._save(self._repositories)
        except OSError as exc:
            raise StoreWriteError(f"failed to read {self._path}: {exc}") from exc
        else:
            try:
                self._load(raw)
            except (ValueError, AttributeError, TypeError) as exc:
                raise CorruptStore(f"invalid reference store {self._path}: {exc}") from exc

    @property
    def path(self) -> Path:
        """The ``repositories.json`` file."""
        return self._path

    def _load(self, raw: bytes) -> None:
        data = json.loads(raw) if raw.strip() else {}
        repositories: _Repositories = {}
        for name, refs in (data.get("Repositories") or {}).items():
            repositories[name] = dict(refs or {})
        by_id: dict[str, dict[str, Reference]] = {}
        for refs in repositories.values():
            for ref_str, image_id in refs.items():
                by_id.setdefault(image_id, {})[ref_str] = parse_normalized_named(ref_str)
        self._repositories = repositories
        self._by_id = by_id

    def _save(self, repositories: _Repositories) -> None:
        try:
            _atomic_write(self._path, json.dumps({"Repositories": repositories}, separators=(",", ":")).encode())
        except OSError as exc:
            raise StoreWriteError(f"failed to write {self._path}: {exc}") from exc

    def add_tag(self, ref: Reference, image_id: str, force: bool = False) -> None:
        """Point the tag ``ref`` (``latest`` when it has none) at ``image_id``.

        Raises :class:`InvalidTag` when ``ref`` has a digest,
        :class:`ConflictingTag` when the tag points at another image and
        ``force`` is false.
        """
        if ref.digest is not None:
            raise InvalidTag("refusing to create a tag with a digest reference")
        self._add(tag_name_only(ref), image_id, force)

    def add_digest(self, ref: Reference, image_id: str, force: bool = False) -> None:
        """Record the digest reference ``ref`` (``name@sha256:...``) for ``image_id``.

        Raises :class:`InvalidTag` when ``ref`` has no digest and
        :class:`ConflictingTag` when the digest already points at another
        image (a digest reference never moves, ``force`` or not).
        """
        if ref.digest is None:
            raise InvalidTag("refusing to add a digest reference without a digest")
        self._add(Reference(ref.domain, ref.path, None, ref.digest), image_id, force)

    def _add(self, ref: Reference, image_id: str, force: bool) -> None:
        validate_digest(image_id)
        name = familiar_name(ref)
        if name == "sha256":
            raise InvalidTag("refusing to create an ambiguous tag using digest algorithm as name")
        ref_str = familiar_string(ref)
        with self._lock:
            old = self._repositories.get(name, {}).get(ref_str)
            if old == image_id:
                return
            if old is not None:
                if ref.digest is not None:
                    raise ConflictingTag(f"Cannot overwrite digest {ref.digest}")
                if not force:
                    raise ConflictingTag(
                        f"Conflict: Tag {ref_str} is already set to image {old}, "
                        "if you want to replace it, please use the force option"
                    )
            repositories = {n: dict(refs) for n, refs in self._repositories.items()}
            repositories.setdefault(name, {})[ref_str] = image_id
            self._save(repositories)
            self._repositories = repositories
            if old is not None:
                self._unindex(old, ref_str)
            self._by_id.setdefault(image_id, {})[ref_str] = ref

    def _unindex(self, image_id: str, ref_str: str) -> None:
        refs = self._by_id.get(image_id)
        if refs is not None:
            refs.pop(ref_str, None)
            if not refs:
                del self._by_id[image_id]

    def get(self, ref: Reference) -> str:
        """The image ID ``ref`` points at; a bare name means ``:latest``, a digest wins over a tag.

        Raises :class:`ReferenceNotFound`.
        """
        ref = _lookup_form(ref)
        with self._lock:
            image_id = self._repositories.get(familiar_name(ref), {}).get(familiar_string(ref))
        if image_id is None:
            raise ReferenceNotFound()
        return image_id

    def delete(self, ref: Reference) -> None:
        """Remove the reference ``ref`` (``latest`` when it has no tag or digest).

        Raises :class:`ReferenceNotFound`.
        """
        ref = tag_name_only(ref)
        name, ref_str = familiar_name(ref), familiar_string(ref)
        with self._lock:
            image_id = self._repositories.get(name, {}).get(ref_str)
            if image_id is None:
                raise ReferenceNotFound()
            repositories = {n: dict(refs) for n, refs in self._repositories.items()}
            del repositories[name][ref_str]
            if not repositories[name]:
                del repositories[name]
            self._save(repositories)
            self._repositories = repositories
            self._unindex(image_id, ref_str)

    def references(self, image_id: str) -> list[Reference]:
        """Every reference to ``image_id``, sorted by familiar string."""
        with self._lock:
            refs = list(self._by_id.get(image_id, {}).values())
        return sorted(refs, key=familiar_string)

    def references_by_name(self, ref: Reference) -> list[Association]:
        """Every tag and digest of the repository of ``ref``, sorted by familiar string."""
        with self._lock:
            entries = list(self._repositories.get(familiar_name(ref), {}).items())
        associations = [Association(parse_normalized_named(ref_str), image_id) for ref_str, image_id in entries]
        return sorted(associations, key=lambda a: familiar_string(a.ref))
