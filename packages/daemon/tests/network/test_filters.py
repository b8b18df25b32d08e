"""The filters of GET /networks and POST /networks/prune (pure)."""

from __future__ import annotations

import time

import pytest

from pymoby import api, errdefs
from pymoby.daemon.network._filters import created_ns, list_matcher, prune_matcher
from pymoby.daemon.network._model import NetworkRecord

OLD = "2020-01-02T03:04:05.000000001Z"
NETWORKS = [
    NetworkRecord(id="aa11" + "0" * 60, name="bridge", driver="bridge", created=OLD, default=True),
    NetworkRecord(id="bb22" + "0" * 60, name="host", driver="host", created=OLD),
    NetworkRecord(id="cc33" + "0" * 60, name="front-end", driver="bridge", created=OLD, labels={"tier": "web"}),
    NetworkRecord(id="dd44" + "0" * 60, name="back-end", driver="bridge", created="2999-01-01T00:00:00Z",
                  labels={"tier": "db", "keep": ""}),
]  # fmt: skip
USED = {"cc33" + "0" * 60}


def names(filters: dict[str, list[str]]) -> list[str]:
    matches = list_matcher(api.Filters(filters), lambda n: n.id in USED)
    return [n.name for n in NETWORKS if matches(n)]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["bridge", "host", "front-end", "back-end"]),
        ({"name": ["end"]}, ["front-end", "back-end"]),
        ({"name": ["^back"]}, ["back-end"]),
        ({"name": ["bridge"]}, ["bridge"]),
        ({"id": ["cc3"]}, ["front-end"]),
        ({"driver": ["host"]}, ["host"]),
        ({"driver": ["bridge"], "label": ["tier"]}, ["front-end", "back-end"]),
        ({"label": ["tier=db"]}, ["back-end"]),
        ({"type": ["builtin"]}, ["bridge", "host"]),
        ({"type": ["custom"]}, ["front-end", "back-end"]),
        ({"scope": ["local"]}, ["bridge", "host", "front-end", "back-end"]),
        ({"scope": ["swarm"]}, []),
        ({"dangling": ["true"]}, ["back-end"]),
        ({"dangling": ["0"]}, ["bridge", "host", "front-end"]),
    ],
)
def test_list_filters(filters: dict[str, list[str]], expected: list[str]) -> None:
    assert names(filters) == expected


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"bogus": ["x"]}, "invalid filter 'bogus'"),
        ({"type": ["other"]}, "invalid filter: 'type'='other'"),
        ({"dangling": ["maybe"]}, "invalid value for filter 'dangling'"),
        ({"dangling": ["true", "false"]}, 'got more than one value for filter key "dangling"'),
    ],
)
def test_bad_list_filters_are_invalid_parameters(filters: dict[str, list[str]], message: str) -> None:
    with pytest.raises(errdefs.InvalidParameter, match=message):
        names(filters)


def prunable(filters: dict[str, list[str]]) -> list[str]:
    matches = prune_matcher(api.Filters(filters))
    return [n.name for n in NETWORKS[2:] if matches(n)]


def test_prune_filters_by_labels_and_age() -> None:
    assert prunable({}) == ["front-end", "back-end"]
    assert prunable({"label": ["tier=web"]}) == ["front-end"]
    assert prunable({"label!": ["keep"]}) == ["front-end"]
    assert prunable({"until": ["2021-01-01T00:00:00Z"]}) == ["front-end"]
    assert prunable({"until": [str(int(time.time()))]}) == ["front-end"]
    with pytest.raises(errdefs.InvalidParameter, match="invalid filter 'dangling'"):
        prunable({"dangling": ["true"]})


def test_created_times_keep_their_nanoseconds() -> None:
    assert created_ns(NETWORKS[0]) == 1577934245 * 10**9 + 1
