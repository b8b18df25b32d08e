"""The /volumes endpoints over HTTP: bodies, status codes and messages as clients see them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pymoby import api, errdefs
from pymoby.client import AsyncClient
from pymoby.daemon.httpstatus import status_of
from pymoby.daemon.server.router.volume import VolumeRouter
from pymoby.daemon.volume import ANONYMOUS_LABEL, VolumeService

pytestmark = pytest.mark.anyio


async def call(path: Path, method: str, target: str, *, version: str = "1.45", **kwargs: Any) -> tuple[int, Any]:
    async with AsyncClient(f"unix://{path}", version=version) as client:
        try:
            response, content = await client.request(method, target, **kwargs)
        except errdefs.PymobyError as exc:
            return status_of(exc), str(exc)
        return response.status, json.loads(content) if content.strip() else None


async def test_create_inspect_list_remove(serve: Any, service: VolumeService) -> None:
    async with serve([VolumeRouter(service)]) as sock:
        status, created = await call(
            sock,
            "POST",
            "/volumes/create",
            body={"Name": "web", "Driver": "local", "Labels": {"a": "b"}, "DriverOpts": {}},
        )
        assert status == 201
        assert created["Name"] == "web"
        assert created["Labels"] == {"a": "b"}
        assert created["Scope"] == "local"
        status, inspected = await call(sock, "GET", "/volumes/web")
        assert status == 200
        assert inspected["Mountpoint"] == created["Mountpoint"]
        status, listed = await call(sock, "GET", "/volumes", query={"filters": json.dumps({"name": ["we"]})})
        assert status == 200
        assert [v["Name"] for v in listed["Volumes"]] == ["web"]
        assert listed["Warnings"] is None
        status, _ = await call(sock, "DELETE", "/volumes/web")
        assert status == 204
        assert await call(sock, "GET", "/volumes/web") == (404, "get web: no such volume")


async def test_docker_py_style_bodies_with_nulls(serve: Any, service: VolumeService) -> None:
    async with serve([VolumeRouter(service)]) as sock:
        status, created = await call(
            sock, "POST", "/volumes/create", body={"Name": None, "Driver": None, "DriverOpts": None, "Labels": None}
        )
        assert status == 201
        assert created["Labels"] == {ANONYMOUS_LABEL: ""}


async def test_errors_map_to_dockers_status_codes(serve: Any, service: VolumeService) -> None:
    await service.create("used", reference="abc123")
    async with serve([VolumeRouter(service)]) as sock:
        assert await call(sock, "DELETE", "/volumes/used") == (409, "remove used: volume is in use - [abc123]")
        assert await call(sock, "DELETE", "/volumes/used", query={"force": "1"}) == (
            409,
            "remove used: volume is in use - [abc123]",
        )
        assert await call(sock, "DELETE", "/volumes/none") == (404, "get none: no such volume")
        status, _ = await call(sock, "DELETE", "/volumes/none", query={"force": "true"})
        assert status == 204
        status, message = await call(sock, "POST", "/volumes/create", body={"Name": "bad name"})
        assert status == 400
        assert "includes invalid characters for a local volume name" in message
        status, message = await call(sock, "POST", "/volumes/create", body={"Name": "vv", "Driver": "nope"})
        assert (status, message) == (404, 'create vv: error looking up volume plugin nope: plugin "nope" not found')
        assert await call(sock, "GET", "/volumes", query={"filters": '{"colour":["x"]}'}) == (
            400,
            "invalid filter 'colour'",
        )
        assert await call(sock, "PUT", "/volumes/used", query={"version": "1"}, body={}) == (
            503,
            "volume update only valid for cluster volumes, but swarm is unavailable",
        )
        status, message = await call(sock, "POST", "/volumes/create", body=b"")
        assert status == 400


async def test_prune_is_anonymous_only_from_api_1_42(serve: Any, service: VolumeService) -> None:
    await service.create("named")
    anonymous = await service.create()
    async with serve([VolumeRouter(service)]) as sock:
        status, report = await call(sock, "POST", "/volumes/prune")
        assert status == 200
        assert report == {"VolumesDeleted": [anonymous.name], "SpaceReclaimed": 0}
        status, report = await call(sock, "POST", "/volumes/prune", version="1.41")
        assert report["VolumesDeleted"] == ["named"]


async def test_volume_names_with_slashes_reach_the_backend(serve: Any) -> None:
    seen: list[str] = []

    class Backend:
        async def inspect(self, name: str) -> api.Volume:
            seen.append(name)
            return api.Volume(name=name, driver="x", mountpoint="")

    async with serve([VolumeRouter(Backend())]) as sock:  # type: ignore[arg-type]
        status, body = await call(sock, "GET", "/volumes/a/b")
    assert status == 200
    assert seen == ["a/b"]
    assert body["Name"] == "a/b"
