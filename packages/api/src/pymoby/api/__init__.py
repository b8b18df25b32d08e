"""pymoby.api: the Docker Engine API's request and response types.

Shared by the daemon and the client. Structs are ``msgspec.Struct`` with
Docker's JSON names; :func:`decode` validates as it decodes and raises
``errdefs.InvalidParameter`` naming the bad field.
"""

from ._codec import InvalidJSON, decode, encode
from ._events import EventActor, EventMessage
from ._filters import Filters, InvalidFilter
from ._stdcopy import FrameDecoder, FrameError, StdStream, encode_frame
from ._system import (
    AuthConfig,
    AuthResponse,
    Commit,
    ComponentVersion,
    DiskUsage,
    ErrorResponse,
    IndexInfo,
    NetworkAddressPool,
    PluginsInfo,
    RegistryServiceConfig,
    Runtime,
    SwarmInfo,
    SystemInfo,
    SystemVersion,
    VersionPlatform,
)
from ._versions import (
    API_VERSION,
    MIN_API_VERSION,
    InvalidAPIVersion,
    check_api_version,
    version_tuple,
    versions_compare,
)

__all__ = [
    "API_VERSION",
    "MIN_API_VERSION",
    "AuthConfig",
    "AuthResponse",
    "Commit",
    "ComponentVersion",
    "DiskUsage",
    "ErrorResponse",
    "EventActor",
    "EventMessage",
    "Filters",
    "FrameDecoder",
    "FrameError",
    "IndexInfo",
    "InvalidAPIVersion",
    "InvalidFilter",
    "InvalidJSON",
    "NetworkAddressPool",
    "PluginsInfo",
    "RegistryServiceConfig",
    "Runtime",
    "StdStream",
    "SwarmInfo",
    "SystemInfo",
    "SystemVersion",
    "VersionPlatform",
    "check_api_version",
    "decode",
    "encode",
    "encode_frame",
    "version_tuple",
    "versions_compare",
]
