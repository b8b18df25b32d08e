"""``GET /distribution/{name}/json``: what the registry has for a reference, without pulling it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pymoby import api
from pymoby.reference import Reference, tag_name_only
from pymoby.registry import Credentials, Platform, RegistryClient, RegistryError

from ._registry import client_options, translate_pull_error

if TYPE_CHECKING:
    from ._service import Distribution

__all__ = ["inspect"]


def _platform(platform: Platform) -> api.OCIPlatform:
    return api.OCIPlatform(
        architecture=platform.architecture,
        os=platform.os,
        os_version=platform.os_version,
        os_features=list(platform.os_features) or None,
        variant=platform.variant,
    )


async def inspect(service: Distribution, ref: Reference, *, credentials: Credentials | None) -> api.DistributionInspect:
    """The manifest's descriptor and its platforms: every entry of an index, or the image config's platform.

    Raises the registry's errors, in dockerd's words.
    """
    ref = tag_name_only(ref)
    anonymous = credentials is None or credentials.empty
    async with RegistryClient(client_options(service.options, ref, credentials)) as client:
        try:
            manifest = await client.get_manifest(ref)
            platforms: list[api.OCIPlatform] = []
            if manifest.is_index:
                platforms = [_platform(m.platform) for m in manifest.manifests if m.platform is not None]
            elif manifest.config is not None:
                config = json.loads(await client.get_blob(ref, manifest.config))
                if isinstance(config, dict) and (config.get("os") or config.get("architecture")):
                    platforms = [_platform(Platform.from_json(config))]
        except RegistryError as exc:
            raise translate_pull_error(exc, ref, anonymous=anonymous) from exc
    descriptor = api.OCIDescriptor(media_type=manifest.media_type, digest=manifest.digest, size=len(manifest.raw))
    return api.DistributionInspect(descriptor=descriptor, platforms=platforms or None)
