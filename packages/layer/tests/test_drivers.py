"""The layer store conformance suite, run against every built-in graph driver."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pymoby.layer.testing import LayerStoreSuite, StoreFactory


@pytest.mark.root
class TestOverlay2(LayerStoreSuite):
    @pytest.fixture
    def make_store(self, stores_for: Callable[[str], StoreFactory]) -> StoreFactory:
        return stores_for("overlay2")


@pytest.mark.root
class TestVfs(LayerStoreSuite):
    @pytest.fixture
    def make_store(self, stores_for: Callable[[str], StoreFactory]) -> StoreFactory:
        return stores_for("vfs")
