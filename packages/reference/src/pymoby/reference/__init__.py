"""pymoby.reference: Docker image references and the reference store.

The grammar, normalisation and familiar forms of Docker's
``distribution/reference`` library, digest validation as go-digest does it,
and the ``repositories.json`` tag store of moby's ``reference`` package.
Every parse error subclasses :class:`pymoby.errdefs.InvalidParameter`.
"""

from ._digest import ALGORITHMS, Digest, validate_digest
from ._errors import (
    BadPattern,
    ConflictingTag,
    CorruptStore,
    InvalidDigestFormat,
    InvalidReference,
    InvalidReferenceFormat,
    InvalidTag,
    InvalidTagFormat,
    NameContainsUppercase,
    NameEmpty,
    NameNotCanonical,
    NameTooLong,
    ReferenceNotFound,
    StoreWriteError,
    UnsupportedDigest,
)
from ._grammar import NAME_TOTAL_LENGTH_MAX, REFERENCE_PATTERN
from ._match import familiar_match, path_match
from ._normalize import (
    DEFAULT_DOMAIN,
    DEFAULT_TAG,
    LEGACY_DEFAULT_DOMAIN,
    OFFICIAL_REPO_PREFIX,
    familiar_name,
    familiar_string,
    parse_any_reference,
    parse_docker_ref,
    parse_named,
    parse_normalized_named,
    split_docker_domain,
    tag_name_only,
)
from ._reference import (
    Reference,
    is_name_only,
    parse,
    split_hostname,
    trim_named,
    with_digest,
    with_name,
    with_tag,
)
from ._store import Association, ReferenceStore

__all__ = [
    "ALGORITHMS",
    "DEFAULT_DOMAIN",
    "DEFAULT_TAG",
    "LEGACY_DEFAULT_DOMAIN",
    "NAME_TOTAL_LENGTH_MAX",
    "OFFICIAL_REPO_PREFIX",
    "REFERENCE_PATTERN",
    "Association",
    "BadPattern",
    "ConflictingTag",
    "CorruptStore",
    "Digest",
    "InvalidDigestFormat",
    "InvalidReferenceFormat",
    "InvalidTag",
    "InvalidTagFormat",
    "NameContainsUppercase",
    "NameEmpty",
    "NameNotCanonical",
    "NameTooLong",
    "Reference",
    "InvalidReference",
    "ReferenceNotFound",
    "ReferenceStore",
    "StoreWriteError",
    "UnsupportedDigest",
    "familiar_match",
    "familiar_name",
    "familiar_string",
    "is_name_only",
    "parse",
    "parse_any_reference",
    "parse_docker_ref",
    "parse_named",
    "parse_normalized_named",
    "path_match",
    "split_docker_domain",
    "split_hostname",
    "tag_name_only",
    "trim_named",
    "validate_digest",
    "with_digest",
    "with_name",
    "with_tag",
]
