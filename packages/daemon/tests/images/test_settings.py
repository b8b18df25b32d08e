"""The daemon's registry settings reach pulls and pushes: mirrors, insecure registries, transfer limits."""

from __future__ import annotations

import pytest

from pymoby.daemon.config import DaemonConfig
from pymoby.daemon.images import ImageService

pytestmark = pytest.mark.anyio


async def test_configure_applies_registry_settings_and_limits(service: ImageService) -> None:
    config = DaemonConfig(
        registry_mirrors=["https://mirror.example:5000"],
        insecure_registries=["10.0.0.0/8", "registry.lan:5000"],
        max_concurrent_downloads=1,
        max_concurrent_uploads=2,
    )
    service.configure(config)
    options = service.distribution.options
    assert options.mirrors == ("https://mirror.example:5000",)
    assert options.insecure_registries == ("10.0.0.0/8", "registry.lan:5000")
    assert service.distribution.downloads.limiter.total_tokens == 1
    assert service.distribution.uploads.limiter.total_tokens == 2
    service.configure(DaemonConfig())
    assert service.distribution.downloads.limiter.total_tokens == 3
    assert service.distribution.options.mirrors == ()
