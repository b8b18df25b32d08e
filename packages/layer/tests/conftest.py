"""Fixtures for the layer tests: a store per driver, and the root marker's skip."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pymoby.layer import LayerStore
from pymoby.layer.testing import StoreFactory, mounted_under


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="needs root (device nodes, ownership, overlay mounts); CI runs as root")
    for item in items:
        if "root" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def stores_for(tmp_path: Path) -> Iterator[Callable[[str], StoreFactory]]:
    """``stores_for(driver)`` makes store factories on ``tmp_path``; all are closed and checked for mounts after."""
    stores: list[LayerStore] = []

    def factory(driver: str) -> StoreFactory:
        def make() -> LayerStore:
            stores.append(LayerStore(tmp_path / f"root{len(stores)}", driver))
            return stores[-1]

        return make

    yield factory
    for store in stores:
        store.close()
    assert mounted_under(tmp_path) == []
