"""``docker search``: a registry's ``/v1/search`` index, filters and limits; a clear error without one."""

from __future__ import annotations

import httpx
import pytest

from pymoby import api, errdefs
from pymoby.daemon.distribution import SearchUnsupported, split_search_term
from pymoby.daemon.images import ImageService
from pymoby.registry.testing import FakeRegistry

pytestmark = pytest.mark.anyio

RESULTS = [
    {"name": "app", "description": "the app", "star_count": 40, "is_official": True, "is_automated": False},
    {"name": "team/app", "description": "", "star_count": 3, "is_official": False, "is_automated": True},
]


def test_search_terms_name_their_registry() -> None:
    assert split_search_term("busybox") == ("docker.io", "busybox")
    assert split_search_term("user/app") == ("docker.io", "user/app")
    assert split_search_term("registry.test:5000/app") == ("registry.test:5000", "app")


async def test_search_of_a_registry_with_an_index(service: ImageService, registry: FakeRegistry) -> None:
    def index(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/v1/search":
            assert request.url.params["q"] == "app"
            return httpx.Response(200, json={"num_results": 2, "query": "app", "results": RESULTS})
        return None

    registry.before = index
    found = await service.search("registry.test/app", limit=25, filters=api.Filters(), credentials=None)
    assert [(r.name, r.star_count, r.is_official) for r in found] == [("app", 40, True), ("team/app", 3, False)]
    official = await service.search(
        "registry.test/app", limit=25, filters=api.Filters({"is-official": ["true"]}), credentials=None
    )
    assert [r.name for r in official] == ["app"]
    starred = await service.search(
        "registry.test/app", limit=1, filters=api.Filters({"stars": ["2"]}), credentials=None
    )
    assert [r.name for r in starred] == ["app"]
    with pytest.raises(errdefs.InvalidParameter, match=r"outside the range of \[1, 100\]"):
        await service.search("registry.test/app", limit=500, filters=api.Filters(), credentials=None)
    with pytest.raises(errdefs.InvalidParameter, match="invalid filter 'colour'"):
        await service.search("registry.test/app", limit=5, filters=api.Filters({"colour": ["x"]}), credentials=None)


async def test_a_registry_without_search_is_a_clear_error(service: ImageService) -> None:
    with pytest.raises(SearchUnsupported, match=r"registry\.test does not support search"):
        await service.search("registry.test/app", limit=25, filters=api.Filters(), credentials=None)
