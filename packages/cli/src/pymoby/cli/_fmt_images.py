"""Formatter contexts of images: ``images`` rows and ``history`` rows.

An image with several tags gives one ``images`` row per repository and tag
(and per digest with ``--digests``), as Docker's ``imageFormat`` expands it;
a dangling image is one ``<none>`` row.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pymoby import errdefs

from ._familiar import official_name_tag
from ._fmt_containers import ellipsis, truncate_id
from ._gofmt import TemplateObject
from ._units import go_time_string, human_duration, human_size

__all__ = [
    "HISTORY_HEADERS",
    "IMAGE_HEADERS",
    "HistoryContext",
    "ImageContext",
    "expand_images",
    "history_format",
    "images_format",
]

IMAGE_HEADERS = {
    "ID": "IMAGE ID",
    "Repository": "REPOSITORY",
    "Tag": "TAG",
    "Digest": "DIGEST",
    "CreatedSince": "CREATED",
    "CreatedAt": "CREATED AT",
    "Size": "SIZE",
    "Containers": "CONTAINERS",
    "VirtualSize": "SIZE",
    "SharedSize": "SHARED SIZE",
    "UniqueSize": "UNIQUE SIZE",
}

_DEFAULT = (
    "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}"
)
_DEFAULT_DIGEST = ("table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t"
                   "{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}")  # fmt: skip


def images_format(source: str, quiet: bool, digests: bool) -> str:
    """Docker's ``NewImageFormat``."""
    if source == "table":
        if quiet:
            return "{{.ID}}"
        return _DEFAULT_DIGEST if digests else _DEFAULT
    if source == "raw":
        if quiet:
            return "image_id: {{.ID}}"
        digest = "digest: {{.Digest}}\n" if digests else ""
        return (f"repository: {{{{ .Repository }}}}\ntag: {{{{.Tag}}}}\n{digest}image_id: {{{{.ID}}}}\n"
                "created_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n")  # fmt: skip
    if source.startswith("table") and digests and "{{.Digest}}" not in source:
        return source + "\t{{.Digest}}"
    return source


def _dangling(image: Mapping[str, Any]) -> bool:
    tags = image.get("RepoTags") or []
    digests = image.get("RepoDigests") or []
    if not tags and not digests:
        return True
    return tags == ["<none>:<none>"] and digests == ["<none>@<none>"]


class ImageContext(TemplateObject):
    """One ``images`` row."""

    go_type: ClassVar[str] = "*formatter.imageContext"
    fields: ClassVar[frozenset[str]] = frozenset(IMAGE_HEADERS)

    def __init__(self, image: Mapping[str, Any] | None = None, repo: str = "", tag: str = "", digest: str = "",
                 trunc: bool = True) -> None:  # fmt: skip
        self.i: Mapping[str, Any] = image or {}
        self.repo, self.tag, self.digest, self.trunc = repo, tag, digest, trunc

    def ID(self) -> str:
        value = str(self.i.get("Id") or "")
        return truncate_id(value) if self.trunc else value

    def Repository(self) -> str:
        return self.repo

    def Tag(self) -> str:
        return self.tag

    def Digest(self) -> str:
        return self.digest

    def CreatedSince(self) -> str:
        created = int(self.i.get("Created") or 0)
        return human_duration(max(0.0, time.time() - created)) + " ago"

    def CreatedAt(self) -> str:
        return go_time_string(int(self.i.get("Created") or 0))

    def Size(self) -> str:
        return human_size(int(self.i.get("Size") or 0), 3)

    def Containers(self) -> str:
        count = int(self.i.get("Containers", -1) if self.i.get("Containers") is not None else -1)
        return "N/A" if count == -1 else str(count)

    def VirtualSize(self) -> str:
        return human_size(int(self.i.get("Size") or 0))

    def SharedSize(self) -> str:
        shared = int(self.i.get("SharedSize", -1) if self.i.get("SharedSize") is not None else -1)
        return "N/A" if shared == -1 else human_size(shared)

    def UniqueSize(self) -> str:
        size = int(self.i.get("Size") or 0)
        shared = int(self.i.get("SharedSize", -1) if self.i.get("SharedSize") is not None else -1)
        return "N/A" if size == -1 or shared == -1 else human_size(size - shared)


def expand_images(
    images: Sequence[Mapping[str, Any]], *, trunc: bool, digests: bool, need_digest: bool
) -> list[ImageContext]:
    """The rows of ``images``: one per repository:tag (and digest when asked), ``<none>`` for dangling ones."""
    rows: list[ImageContext] = []
    for image in images:
        if _dangling(image):
            rows.append(ImageContext(image, "<none>", "<none>", "<none>", trunc))
            continue
        repo_tags: dict[str, list[str]] = {}
        repo_digests: dict[str, list[str]] = {}
        for text in image.get("RepoTags") or []:
            simple = official_name_tag(text)
            if simple is not None:
                if simple[1] is not None:
                    repo_tags.setdefault(simple[0], []).append(simple[1])
                continue
            from pymoby import reference

            try:
                ref = reference.parse_normalized_named(text)
            except errdefs.InvalidParameter:
                continue
            if ref.tag is not None:
                repo_tags.setdefault(reference.familiar_name(ref), []).append(ref.tag)
        for text in image.get("RepoDigests") or []:
            from pymoby import reference

            try:
                ref = reference.parse_normalized_named(text)
            except errdefs.InvalidParameter:
                continue
            if ref.digest is not None:
                repo_digests.setdefault(reference.familiar_name(ref), []).append(ref.digest)
        for repo, tags in repo_tags.items():
            found = repo_digests.pop(repo, [])
            if not need_digest:
                found = []
            for tag in tags:
                if not found:
                    rows.append(ImageContext(image, repo, tag, "<none>", trunc))
                for digest in found:
                    rows.append(ImageContext(image, repo, tag, digest, trunc))
        for repo, found in repo_digests.items():
            if digests:
                rows.extend(ImageContext(image, repo, "<none>", d, trunc) for d in found)
            else:
                rows.append(ImageContext(image, repo, "<none>", "", trunc))
    return rows


HISTORY_HEADERS = {
    "ID": "IMAGE",
    "CreatedSince": "CREATED",
    "CreatedAt": "CREATED AT",
    "CreatedBy": "CREATED BY",
    "Size": "SIZE",
    "Comment": "COMMENT",
}


def history_format(source: str, quiet: bool, human: bool) -> str:
    """Docker's ``NewHistoryFormat``."""
    if source == "table":
        if quiet:
            return "{{.ID}}"
        if not human:
            return "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
        return "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
    return source


_EPOCH_2000 = 946684800


class HistoryContext(TemplateObject):
    """One ``history`` row."""

    go_type: ClassVar[str] = "*image.historyContext"
    fields: ClassVar[frozenset[str]] = frozenset(HISTORY_HEADERS)

    def __init__(self, item: Mapping[str, Any] | None = None, trunc: bool = True, human: bool = True) -> None:
        self.h: Mapping[str, Any] = item or {}
        self.trunc, self.human = trunc, human

    def ID(self) -> str:
        value = str(self.h.get("Id") or "")
        return truncate_id(value) if self.trunc and value != "<missing>" else value

    def CreatedAt(self) -> str:
        created = int(self.h.get("Created") or 0)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(created)) + _zone(created)

    def CreatedSince(self) -> str:
        if not self.human:
            return self.CreatedAt()
        created = int(self.h.get("Created") or 0)
        if created <= _EPOCH_2000:
            return "N/A"
        return human_duration(max(0.0, time.time() - created)) + " ago"

    def CreatedBy(self) -> str:
        text = str(self.h.get("CreatedBy") or "").replace("\t", " ")
        return ellipsis(text, 45) if self.trunc else text

    def Size(self) -> str:
        size = int(self.h.get("Size") or 0)
        return human_size(size, 3) if self.human else str(size)

    def Comment(self) -> str:
        return str(self.h.get("Comment") or "")


def _zone(seconds: int) -> str:
    offset = time.strftime("%z", time.localtime(seconds))
    return "Z" if offset in ("+0000", "-0000") else f"{offset[:3]}:{offset[3:]}"
