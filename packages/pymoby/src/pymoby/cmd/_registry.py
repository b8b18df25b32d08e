"""``POST /auth`` for the daemon: pymoby-registry's login behind the daemon's seam."""

from __future__ import annotations

from urllib.parse import urlsplit

from pymoby import api
from pymoby.daemon.config import DaemonConfig
from pymoby.registry import Credentials, RegistryClient, RegistryOptions

__all__ = ["RegistryLoginService", "registry_server"]

_HUB_ALIASES = frozenset({"", "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"})


def registry_server(address: str) -> str:
    """``serveraddress`` as the docker CLI sends it (``https://index.docker.io/v1/``, ``host:5000``) -> host[:port]."""
    text = address.strip()
    if "://" in text:
        text = urlsplit(text).netloc
    text = text.split("/", 1)[0]
    return "docker.io" if text in _HUB_ALIASES else text


class RegistryLoginService:
    """Checks credentials with a registry client configured from the daemon's settings."""

    def __init__(self, config: DaemonConfig) -> None:
        self.options = RegistryOptions(
            mirrors=tuple(config.registry_mirrors), insecure_registries=tuple(config.insecure_registries)
        )

    async def login(self, config: api.AuthConfig) -> api.AuthResponse:
        """``Login Succeeded`` and the identity token, or the registry's ``Unauthorized``."""
        credentials = Credentials(
            username=config.username,
            password=config.password,
            identity_token=config.identitytoken,
            registry_token=config.registrytoken,
        )
        async with RegistryClient(self.options) as client:
            token = await client.login(registry_server(config.serveraddress), credentials)
        return api.AuthResponse(status="Login Succeeded", identity_token=token)
