"""pymoby.registry: an OCI distribution client, async first, with a blocking facade.

Pull and push images, manifests and blobs; Docker Hub's endpoint and
mirrors; insecure registries and ``certs.d``; token and Basic auth with
credentials from ``config.json`` and credential helpers; typed errors of
:mod:`pymoby.errdefs` kinds. The ``pymoby-registry`` command line is in
this package too.
"""

from ._auth import Challenge, Credentials, Token, parse_challenges
from ._blobs import Progress
from ._certs import CertificateError, tls_context
from ._client import RegistryClient, as_reference
from ._dockerconfig import CredentialHelperError, DockerConfig, default_config_path
from ._endpoints import DOCKER_HUB_HOST, Endpoint, endpoints_for, is_insecure, registry_host
from ._errors import (
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    Denied,
    DigestInvalid,
    DigestMismatch,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestTooLarge,
    ManifestUnknown,
    ManifestUnverified,
    NameInvalid,
    NameUnknown,
    NoMatchingPlatform,
    NotFoundError,
    PaginationNumberInvalid,
    RangeInvalid,
    RegistryError,
    RegistryProtocolError,
    RegistryTimeout,
    RegistryUnavailable,
    SizeInvalid,
    TagInvalid,
    TooManyRequests,
    Unauthorized,
    Unsupported,
    UnsupportedManifest,
    error_from_response,
)
from ._image import copy_image, pull_to_layout, push_from_layout
from ._layout import OCILayout
from ._manifest import (
    ACCEPT_MANIFESTS,
    DOCKER_CONFIG,
    DOCKER_LAYER,
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    OCI_CONFIG,
    OCI_INDEX,
    OCI_LAYER,
    OCI_MANIFEST,
    Descriptor,
    Manifest,
    build_manifest,
    parse_manifest,
)
from ._options import DEFAULT_CERTS_DIR, RegistryOptions
from ._platform import Platform, default_platform, select_manifest
from ._sync import Registry
from ._upload import PushedBlob

__all__ = [
    "ACCEPT_MANIFESTS",
    "DEFAULT_CERTS_DIR",
    "DOCKER_CONFIG",
    "DOCKER_HUB_HOST",
    "DOCKER_LAYER",
    "DOCKER_MANIFEST",
    "DOCKER_MANIFEST_LIST",
    "OCI_CONFIG",
    "OCI_INDEX",
    "OCI_LAYER",
    "OCI_MANIFEST",
    "BlobUnknown",
    "BlobUploadInvalid",
    "BlobUploadUnknown",
    "CertificateError",
    "Challenge",
    "CredentialHelperError",
    "Credentials",
    "Denied",
    "Descriptor",
    "DigestInvalid",
    "DigestMismatch",
    "DockerConfig",
    "Endpoint",
    "Manifest",
    "ManifestBlobUnknown",
    "ManifestInvalid",
    "ManifestTooLarge",
    "ManifestUnknown",
    "ManifestUnverified",
    "NameInvalid",
    "NameUnknown",
    "NoMatchingPlatform",
    "NotFoundError",
    "OCILayout",
    "PaginationNumberInvalid",
    "Platform",
    "Progress",
    "PushedBlob",
    "RangeInvalid",
    "Registry",
    "RegistryClient",
    "RegistryError",
    "RegistryOptions",
    "RegistryProtocolError",
    "RegistryTimeout",
    "RegistryUnavailable",
    "SizeInvalid",
    "TagInvalid",
    "Token",
    "TooManyRequests",
    "Unauthorized",
    "Unsupported",
    "UnsupportedManifest",
    "as_reference",
    "build_manifest",
    "copy_image",
    "default_config_path",
    "default_platform",
    "endpoints_for",
    "error_from_response",
    "is_insecure",
    "parse_challenges",
    "parse_manifest",
    "pull_to_layout",
    "push_from_layout",
    "registry_host",
    "select_manifest",
    "tls_context",
]
