"""The errors of reference parsing and of the reference store.

Messages are the ones of Docker's ``distribution/reference`` package and of
moby's ``reference`` store, so a user sees the same text as with Docker::

    errdefs.InvalidParameter
    ├── InvalidReference                 any malformed reference (the base below)
    │   ├── InvalidReferenceFormat     "invalid reference format"
    │   ├── InvalidTagFormat           "invalid tag format"
    │   ├── InvalidDigestFormat        "invalid digest format" (and go-digest's wording)
    │   ├── UnsupportedDigest          "unsupported digest algorithm"
    │   ├── NameContainsUppercase      "repository name must be lowercase"
    │   ├── NameEmpty                  "repository name must have at least one component"
    │   ├── NameTooLong                "repository name must not be more than 255 characters"
    │   ├── NameNotCanonical           "repository name must be canonical"
    │   └── BadPattern                 "syntax error in pattern"
    └── InvalidTag                     the store refuses a tag (digest-like name, digest as tag)
    errdefs.NotFound
    └── ReferenceNotFound              "reference does not exist"
    errdefs.Conflict
    └── ConflictingTag                 tag already set / digest cannot be moved
    errdefs.DataLoss
    └── CorruptStore                   repositories.json cannot be decoded
    errdefs.System
    └── StoreWriteError                repositories.json cannot be read or written
"""

from __future__ import annotations

from pymoby import errdefs

__all__ = [
    "BadPattern",
    "ConflictingTag",
    "CorruptStore",
    "InvalidDigestFormat",
    "InvalidReferenceFormat",
    "InvalidTag",
    "InvalidTagFormat",
    "NameContainsUppercase",
    "NameEmpty",
    "NameNotCanonical",
    "NameTooLong",
    "InvalidReference",
    "ReferenceNotFound",
    "StoreWriteError",
    "UnsupportedDigest",
]


class InvalidReference(errdefs.InvalidParameter):
    """A reference, name, tag, digest or pattern that does not follow the grammar."""


class InvalidReferenceFormat(InvalidReference):
    """The string is not a reference at all: ``invalid reference format``."""

    def __init__(self, message: str = "invalid reference format") -> None:
        super().__init__(message)


class InvalidTagFormat(InvalidReference):
    """The tag does not match ``[\\w][\\w.-]{0,127}``: ``invalid tag format``."""

    def __init__(self, message: str = "invalid tag format") -> None:
        super().__init__(message)


class InvalidDigestFormat(InvalidReference):
    """The digest is malformed: ``invalid digest format`` (or go-digest's more precise wording)."""

    def __init__(self, message: str = "invalid digest format") -> None:
        super().__init__(message)


class UnsupportedDigest(InvalidReference):
    """The digest algorithm is well formed but not one of sha256, sha384, sha512."""

    def __init__(self, message: str = "unsupported digest algorithm") -> None:
        super().__init__(message)


class NameContainsUppercase(InvalidReference):
    """The repository name has upper-case letters: ``repository name must be lowercase``."""

    def __init__(self, message: str = "repository name must be lowercase") -> None:
        super().__init__(message)


class NameEmpty(InvalidReference):
    """The name is empty: ``repository name must have at least one component``."""

    def __init__(self, message: str = "repository name must have at least one component") -> None:
        super().__init__(message)


class NameTooLong(InvalidReference):
    """The name is longer than 255 characters."""

    def __init__(self, message: str = "repository name must not be more than 255 characters") -> None:
        super().__init__(message)


class NameNotCanonical(InvalidReference):
    """The reference is not in its fully qualified form: ``repository name must be canonical``."""

    def __init__(self, message: str = "repository name must be canonical") -> None:
        super().__init__(message)


class BadPattern(InvalidReference):
    """A :func:`familiar_match` pattern is malformed: ``syntax error in pattern``."""

    def __init__(self, message: str = "syntax error in pattern") -> None:
        super().__init__(message)


class InvalidTag(errdefs.InvalidParameter):
    """The reference store refuses to create this tag (moby's ``invalidTagError``)."""


class ReferenceNotFound(errdefs.NotFound):
    """The reference store has no such reference: ``reference does not exist``."""

    def __init__(self, message: str = "reference does not exist") -> None:
        super().__init__(message)


class ConflictingTag(errdefs.Conflict):
    """The tag points at another image (and force was not given), or a digest would move."""


class CorruptStore(errdefs.DataLoss):
    """The reference store's file exists but is not a valid ``repositories.json``."""


class StoreWriteError(errdefs.System):
    """The reference store's file could not be read or written; nothing was changed."""
