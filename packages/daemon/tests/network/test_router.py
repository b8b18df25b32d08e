"""The network router against a fake backend: routes, status codes, bodies, API-version behaviour."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pymoby import api, errdefs
from pymoby.daemon.network import NetworkConflict, NoSuchNetwork, PoolOverlap
from pymoby.daemon.server.router.network import NetworkRouter

pytestmark = pytest.mark.anyio


class FakeBackend:
    """Implements the network backend Protocols over a dict."""

    def __init__(self) -> None:
        self.networks = {"0123abc": api.Network(name="web", id="0123abc", driver="bridge")}
        self.calls: list[tuple[object, ...]] = []

    def list_networks(self, filters: api.Filters, *, detailed: bool = False) -> list[api.Network]:
        filters.validate(["name"])
        self.calls.append(("list", detailed))
        return [n for n in self.networks.values() if filters.matches("name", n.name)]

    def inspect_network(self, term: str, *, scope: str = "") -> api.Network:
        for network in self.networks.values():
            if term in (network.id, network.name):
                return network
        raise NoSuchNetwork(term)

    async def create_network(self, request: api.NetworkCreateRequest) -> api.NetworkCreateResponse:
        if request.ipam and request.ipam.config:
            raise PoolOverlap()
        self.networks["fff"] = api.Network(name=request.name, id="fff", driver=request.driver or "bridge")
        return api.NetworkCreateResponse(id="fff")

    async def remove_network(self, term: str) -> None:
        if term == "bridge":
            raise errdefs.Forbidden("bridge is a pre-defined network and cannot be removed")
        self.inspect_network(term)
        self.calls.append(("remove", term))

    async def prune_networks(self, filters: api.Filters) -> api.NetworkPruneResponse:
        return api.NetworkPruneResponse(networks_deleted=["old"])

    async def connect(self, network_term: str, container: str, settings: api.EndpointSettings | None) -> None:
        self.inspect_network(network_term)
        if container == "hosty":
            raise NetworkConflict("container cannot be disconnected from host network or connected to host network")
        self.calls.append(("connect", network_term, container, settings.aliases if settings else None))

    async def disconnect(self, network_term: str, container: str, force: bool = False) -> None:
        self.calls.append(("disconnect", network_term, container, force))


def split(raw: bytes) -> tuple[int, Any]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"Transfer-Encoding: chunked" in head:
        decoded, rest = b"", body
        while rest:
            size_text, _, rest = rest.partition(b"\r\n")
            size = int(size_text, 16)
            if size == 0:
                break
            decoded, rest = decoded + rest[:size], rest[size + 2 :]
        body = decoded
    return status, json.loads(body) if body.strip() else None


async def call(raw: Any, path: Any, method: str, target: str, body: object = None) -> tuple[int, Any]:
    data = b"" if body is None else json.dumps(body).encode()
    request = (
        f"{method} {target} HTTP/1.1\r\nHost: d\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    ).encode() + data
    return split(await raw(path, request))


async def test_list_inspect_and_filters(serve: Any, raw: Any) -> None:
    backend = FakeBackend()
    async with serve([NetworkRouter(backend)]) as path:
        assert (await call(raw, path, "GET", "/v1.45/networks"))[1][0]["Name"] == "web"
        assert (await call(raw, path, "GET", "/networks/"))[0] == 200
        status, body = await call(raw, path, "GET", '/networks?filters={"name":{"nope":true}}')
        assert (status, body) == (200, [])
        status, body = await call(raw, path, "GET", '/networks?filters={"driver":{"x":true}}')
        assert (status, body) == (400, {"message": "invalid filter 'driver'"})
        status, body = await call(raw, path, "GET", "/networks/0123abc?verbose=false")
        assert status == 200
        assert body["Id"] == "0123abc"
        assert body["IPAM"]["Driver"] == "default"
        status, body = await call(raw, path, "GET", "/networks/nothere")
        assert (status, body) == (404, {"message": "network nothere not found"})
        status, body = await call(raw, path, "GET", "/networks/web?verbose=maybe")
        assert status == 400
    # From API 1.28 on, the list does not carry the containers.
    assert ("list", False) in backend.calls


async def test_old_api_versions_get_detailed_lists(serve: Any, raw: Any) -> None:
    backend = FakeBackend()
    async with serve([NetworkRouter(backend)]) as path:
        assert (await call(raw, path, "GET", "/v1.27/networks"))[0] == 200
    assert backend.calls == [("list", True)]


async def test_create_answers_201_and_errors_keep_their_kinds(serve: Any, raw: Any) -> None:
    async with serve([NetworkRouter(FakeBackend())]) as path:
        status, body = await call(raw, path, "POST", "/networks/create", {"Name": "db", "Driver": "bridge"})
        assert (status, body) == (201, {"Id": "fff", "Warning": ""})
        status, body = await call(
            raw, path, "POST", "/networks/create", {"Name": "db2", "IPAM": {"Config": [{"Subnet": "10.0.0.0/8"}]}}
        )
        assert (status, body) == (403, {"message": "Pool overlaps with other one on this address space"})
        status, body = await call(raw, path, "POST", "/networks/create", {"Name": 7})
        assert status == 400
        assert "Name" in body["message"]


async def test_connect_disconnect_remove_prune(serve: Any, raw: Any) -> None:
    backend = FakeBackend()
    async with serve([NetworkRouter(backend)]) as path:
        body = {"Container": "c1", "EndpointConfig": {"Aliases": ["db"]}}
        assert (await call(raw, path, "POST", "/networks/web/connect", body))[0] == 200
        status, answer = await call(raw, path, "POST", "/networks/web/connect", {"Container": "hosty"})
        assert status == 403
        assert "host network" in answer["message"]
        assert (await call(raw, path, "POST", "/networks/nope/connect", {"Container": "c1"}))[0] == 404
        assert (await call(raw, path, "POST", "/networks/web/disconnect", {"Container": "c1", "Force": True}))[0] == 200
        assert (await call(raw, path, "DELETE", "/networks/web"))[0] == 204
        status, answer = await call(raw, path, "DELETE", "/networks/bridge")
        assert (status, answer["message"]) == (403, "bridge is a pre-defined network and cannot be removed")
        assert await call(raw, path, "POST", "/networks/prune") == (200, {"NetworksDeleted": ["old"]})
    assert ("connect", "web", "c1", ["db"]) in backend.calls
    assert ("disconnect", "web", "c1", True) in backend.calls
    assert ("remove", "web") in backend.calls
