"""Docker's normalisation: ``busybox`` is ``docker.io/library/busybox``.

The familiar form is the short one Docker shows (``busybox:latest``,
``user/app``, ``example.com/app``); the normalised form is fully qualified.
"""

from __future__ import annotations

from . import _grammar
from ._digest import validate_digest
from ._errors import (
    InvalidDigestFormat,
    InvalidReference,
    InvalidReferenceFormat,
    NameContainsUppercase,
    NameNotCanonical,
    UnsupportedDigest,
)
from ._reference import Reference, parse

__all__ = [
    "DEFAULT_DOMAIN",
    "DEFAULT_TAG",
    "LEGACY_DEFAULT_DOMAIN",
    "OFFICIAL_REPO_PREFIX",
    "familiar_name",
    "familiar_string",
    "parse_any_reference",
    "parse_docker_ref",
    "parse_named",
    "parse_normalized_named",
    "split_docker_domain",
    "tag_name_only",
]

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_REPO_PREFIX = "library/"
DEFAULT_TAG = "latest"
_LOCALHOST = "localhost"


def split_docker_domain(name: str) -> tuple[str, str]:
    """Split a familiar name into Docker's domain and remote name.

    The first component is a domain when it contains ``.`` or ``:``, is
    ``localhost``, or has upper-case letters (a path never may); otherwise
    the domain is ``docker.io``. ``index.docker.io`` becomes ``docker.io``,
    and single-component Docker Hub names get the ``library/`` prefix.
    """
    first, slash, rest = name.partition("/")
    if not slash:
        return DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + name
    if first == _LOCALHOST:
        domain, remainder = first, rest
    elif first == LEGACY_DEFAULT_DOMAIN:
        domain, remainder = DEFAULT_DOMAIN, rest
    elif "." in first or ":" in first or first.lower() != first:
        domain, remainder = first, rest
    else:
        domain, remainder = DEFAULT_DOMAIN, name
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_REPO_PREFIX + remainder
    return domain, remainder


_CACHE: dict[str, Reference] = {}
_CACHE_MAX = 4096


def parse_normalized_named(s: str) -> Reference:
    """Parse what a user types (``busybox``, ``user/app:1``) into its normalised form.

    Raises :class:`InvalidReferenceFormat` for a 64-hex name (an image ID is
    not a repository) and a malformed reference, :class:`NameContainsUppercase`
    for upper-case letters in the repository path, and whatever :func:`parse`
    raises. Results are cached (references are immutable).
    """
    cached = _CACHE.get(s)
    if cached is not None:
        return cached
    ref = _parse_normalized_named(s)
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[s] = ref
    return ref


def _parse_normalized_named(s: str) -> Reference:
    if len(s) == 64 and _grammar.ANCHORED_IDENTIFIER.fullmatch(s) is not None:
        raise InvalidReferenceFormat(f"invalid repository name ({s}), cannot specify 64-byte hexadecimal strings")
    domain, remainder = split_docker_domain(s)
    remote = remainder.partition(":")[0]
    if remote.lower() != remote:
        raise NameContainsUppercase(f"invalid reference format: repository name ({remote}) must be lowercase")
    return parse(f"{domain}/{remainder}")


def parse_named(s: str) -> Reference:
    """Parse a reference that must already be in its canonical, fully qualified form.

    Raises :class:`NameNotCanonical` for ``busybox`` (the canonical form is
    ``docker.io/library/busybox``), and what :func:`parse_normalized_named` raises.
    """
    ref = parse_normalized_named(s)
    if str(ref) != s:
        raise NameNotCanonical()
    return ref


def parse_any_reference(s: str) -> Reference:
    """Parse a reference, an image ID (64 hex) or a digest.

    A bare 64-hex string is taken as a sha256 image ID and ``sha256:...`` as
    a digest: both give a digest-only reference (``is_named`` false).
    Otherwise it is :func:`parse_normalized_named`.
    """
    if len(s) == 64 and _grammar.ANCHORED_IDENTIFIER.fullmatch(s) is not None:
        return Reference("", "", None, "sha256:" + s)
    if ":" in s and "/" not in s and "@" not in s:
        try:
            return Reference("", "", None, validate_digest(s))
        except (InvalidDigestFormat, UnsupportedDigest):
            pass
    return parse_normalized_named(s)


def tag_name_only(ref: Reference) -> Reference:
    """``ref`` with the ``latest`` tag added when it has neither tag nor digest."""
    if ref.is_named and ref.tag is None and ref.digest is None:
        return Reference(ref.domain, ref.path, DEFAULT_TAG)
    return ref


def parse_docker_ref(s: str) -> Reference:
    """Parse ``s`` as Docker's ParseDockerRef: normalised, ``:latest`` added, digest preferred.

    A reference with a digest keeps only its digest (``name:tag@digest`` gives
    ``name@digest``); a bare name gets ``:latest``.
    """
    ref = parse_normalized_named(s)
    if ref.digest is not None:
        return Reference(ref.domain, ref.path, None, ref.digest)
    return tag_name_only(ref)


def _familiar_path(ref: Reference) -> tuple[str, str]:
    if ref.domain != DEFAULT_DOMAIN:
        return ref.domain, ref.path
    path = ref.path
    if path.startswith(OFFICIAL_REPO_PREFIX):
        rest = path[len(OFFICIAL_REPO_PREFIX) :]
        if "/" not in rest:
            path = rest
    return "", path


def familiar_name(ref: Reference) -> str:
    """The short name Docker shows: ``busybox``, ``user/app``, ``example.com/app``."""
    if not ref.is_named:
        raise InvalidReference("reference has no name")
    domain, path = _familiar_path(ref)
    return f"{domain}/{path}" if domain else path


def familiar_string(ref: Reference) -> str:
    """The whole reference in familiar form: ``busybox:latest``, ``app@sha256:...``."""
    if not ref.is_named:
        return str(ref)
    domain, path = _familiar_path(ref)
    return str(Reference(domain, path, ref.tag, ref.digest))
