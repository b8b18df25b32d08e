"""The :class:`Reference` value and the strict (non-normalising) operations on it."""

from __future__ import annotations

from dataclasses import dataclass

from . import _grammar
from ._digest import validate_digest
from ._errors import (
    InvalidDigestFormat,
    InvalidReferenceFormat,
    InvalidTagFormat,
    NameContainsUppercase,
    NameEmpty,
    NameTooLong,
)

__all__ = [
    "Reference",
    "is_name_only",
    "parse",
    "split_hostname",
    "trim_named",
    "with_digest",
    "with_name",
    "with_tag",
]


@dataclass(frozen=True, slots=True)
class Reference:
    """An image reference: ``domain/path[:tag][@digest]``.

    ``domain`` is empty for a reference parsed without normalisation that has
    none (``parse("busybox")``). A digest-only reference (an image ID from
    :func:`parse_any_reference`) has an empty ``domain`` and ``path``.
    """

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """The repository name: ``domain/path``, or ``path`` when there is no domain."""
        return f"{self.domain}/{self.path}" if self.domain else self.path

    @property
    def is_named(self) -> bool:
        """Whether the reference has a repository name (it is not a bare digest)."""
        return bool(self.path)

    def __str__(self) -> str:
        text = self.name
        if self.tag is not None:
            text = f"{text}:{self.tag}"
        if self.digest is not None:
            text = f"{text}@{self.digest}" if text else self.digest
        return text


def parse(s: str) -> Reference:
    """Parse ``s`` by the strict grammar, without Docker's normalisation.

    ``parse("busybox")`` has no domain; use :func:`parse_normalized_named`
    for what ``docker pull`` accepts. Raises :class:`NameEmpty`,
    :class:`NameContainsUppercase`, :class:`InvalidReferenceFormat`,
    :class:`NameTooLong` or a digest error, in the Go library's order.
    """
    match = _REFERENCE_FULLMATCH(s)
    if match is None:
        if not s:
            raise NameEmpty()
        if _REFERENCE_FULLMATCH(s.lower()) is not None:
            raise NameContainsUppercase()
        raise InvalidReferenceFormat()
    # the name is everything up to the end of the path group
    if match.end(2) > _grammar.NAME_TOTAL_LENGTH_MAX:
        raise NameTooLong()
    domain, path, tag, digest = match.groups()
    # the grammar already checked the hex digits: a sha256 digest only needs its length and case
    if digest is not None and not (len(digest) == 71 and digest.startswith("sha256:") and digest.islower()):
        validate_digest(digest)
    return Reference(domain or "", path, tag, digest)


_REFERENCE_FULLMATCH = _grammar.REFERENCE.fullmatch


def with_name(name: str) -> Reference:
    """A name-only reference for ``name`` (``domain/path``), checked by the grammar.

    Raises :class:`NameTooLong` or :class:`InvalidReferenceFormat`.
    """
    if len(name) > _grammar.NAME_TOTAL_LENGTH_MAX:
        raise NameTooLong()
    match = _grammar.ANCHORED_NAME.fullmatch(name)
    if match is None:
        raise InvalidReferenceFormat()
    return Reference(match.group("domain") or "", match.group("path"))


def with_tag(ref: Reference, tag: str) -> Reference:
    """``ref`` with its tag set to ``tag`` (its digest kept); raises :class:`InvalidTagFormat`."""
    if _grammar.ANCHORED_TAG.fullmatch(tag) is None:
        raise InvalidTagFormat()
    _require_name(ref)
    return Reference(ref.domain, ref.path, tag, ref.digest)


def with_digest(ref: Reference, digest: object) -> Reference:
    """``ref`` with its digest set (its tag kept); raises :class:`InvalidDigestFormat`.

    ``digest`` is a string or a :class:`Digest`.
    """
    text = str(digest)
    if _grammar.ANCHORED_DIGEST.fullmatch(text) is None:
        raise InvalidDigestFormat()
    _require_name(ref)
    return Reference(ref.domain, ref.path, ref.tag, text)


def trim_named(ref: Reference) -> Reference:
    """The repository of ``ref``: its name without tag or digest."""
    _require_name(ref)
    return Reference(ref.domain, ref.path)


def is_name_only(ref: Reference) -> bool:
    """Whether ``ref`` is a name with neither tag nor digest."""
    return ref.is_named and ref.tag is None and ref.digest is None


def split_hostname(ref: Reference) -> tuple[str, str]:
    """The domain and the path of a named reference."""
    _require_name(ref)
    return ref.domain, ref.path


def _require_name(ref: Reference) -> None:
    if not ref.is_named:
        raise NameEmpty()
