"""The reference grammar, as regular expressions compiled once at import.

This is the grammar of Docker's ``distribution/reference`` package::

    reference            := name [ ":" tag ] [ "@" digest ]
    name                 := [domain '/'] remote-name
    domain               := host [':' port-number]
    host                 := domain-name | IPv4address | \\[ IPv6address \\]
    domain-name          := domain-component ['.' domain-component]*
    domain-component     := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
    port-number          := /[0-9]+/
    path-component       := alpha-numeric [separator alpha-numeric]*
    path (remote-name)   := path-component ['/' path-component]*
    alpha-numeric        := /[a-z0-9]+/
    separator            := /[_.]|__|[-]+/
    tag                  := /[\\w][\\w.-]{0,127}/
    digest               := digest-algorithm ":" digest-hex
    digest-algorithm     := component [ separator component ]*   (separator /[+.-_]/)
    digest-hex           := /[0-9a-fA-F]{32,}/
    identifier           := /[a-f0-9]{64}/

Go's ``\\w`` is ASCII only, so the classes are spelled out; every pattern is
used with ``fullmatch`` (Python's ``$`` would accept a trailing newline).
"""

from __future__ import annotations

import re

__all__ = [
    "ANCHORED_DIGEST",
    "ANCHORED_DOMAIN",
    "ANCHORED_IDENTIFIER",
    "ANCHORED_NAME",
    "ANCHORED_REMOTE_NAME",
    "ANCHORED_TAG",
    "DIGEST_PATTERN",
    "DOMAIN_PATTERN",
    "IDENTIFIER_PATTERN",
    "NAME_PATTERN",
    "NAME_TOTAL_LENGTH_MAX",
    "REFERENCE",
    "REFERENCE_PATTERN",
    "TAG_PATTERN",
]

#: The longest name (domain and path) a reference may have.
NAME_TOTAL_LENGTH_MAX = 255

_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_HOST = rf"(?:{_DOMAIN_NAME}|{_IPV6})"
#: domain := host [':' port]
DOMAIN_PATTERN = rf"{_HOST}(?::[0-9]+)?"
_PATH_COMPONENT = rf"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_REMOTE_NAME = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
#: name := [domain '/'] remote-name
NAME_PATTERN = rf"(?:{DOMAIN_PATTERN}/)?{_REMOTE_NAME}"
#: tag := [\w][\w.-]{0,127}
TAG_PATTERN = r"[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}"
#: digest := algorithm ':' hex (at least 128 bits)
DIGEST_PATTERN = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"
#: identifier := an image ID without its algorithm
IDENTIFIER_PATTERN = r"[a-f0-9]{64}"
#: The whole reference, Docker's ReferenceRegexp (no groups: the benchmark's floor).
REFERENCE_PATTERN = rf"{NAME_PATTERN}(?::{TAG_PATTERN})?(?:@{DIGEST_PATTERN})?"

#: The whole reference with groups domain, path, tag, digest. Leftmost-first
#: matching gives the same split as Go's two-step ReferenceRegexp + anchoredNameRegexp.
REFERENCE = re.compile(
    rf"(?:(?P<domain>{DOMAIN_PATTERN})/)?(?P<path>{_REMOTE_NAME})"
    rf"(?::(?P<tag>{TAG_PATTERN}))?(?:@(?P<digest>{DIGEST_PATTERN}))?"
)
ANCHORED_NAME = re.compile(rf"(?:(?P<domain>{DOMAIN_PATTERN})/)?(?P<path>{_REMOTE_NAME})")
ANCHORED_DOMAIN = re.compile(DOMAIN_PATTERN)
ANCHORED_REMOTE_NAME = re.compile(_REMOTE_NAME)
ANCHORED_TAG = re.compile(TAG_PATTERN)
ANCHORED_DIGEST = re.compile(DIGEST_PATTERN)
ANCHORED_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)
