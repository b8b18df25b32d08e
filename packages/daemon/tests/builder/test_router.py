"""``POST /build`` and ``POST /build/prune`` over HTTP, driven by docker-py against a real server on a unix socket.

The builder behind it has real stores; RUN steps are played by the
stand-in container side. Checked: what docker-py returns and raises, and how
the query is read.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import docker
import docker.errors
import pytest

from pymoby import api
from pymoby.daemon.builder import Builder
from pymoby.daemon.images import ImageService
from pymoby.daemon.server import Request
from pymoby.daemon.server.router.build import BuildRouter, build_options
from pymoby.daemon.server.router.build._router import auth_configs
from pymoby.daemon.server.router.image import ImageRouter

from .conftest import FakeContainers, Program, make_tar

pytestmark = pytest.mark.anyio

Call = Callable[..., Any]


@pytest.fixture
async def client(service: ImageService, builder: Builder, serve: Any) -> AsyncIterator[Call]:
    """``await client(lambda docker_client: ...)``: docker-py's client in a worker thread."""
    async with serve([ImageRouter(service), BuildRouter(builder)]) as path:
        docker_client = docker.DockerClient(base_url=f"unix://{path}", version="1.45", timeout=30)

        async def call(function: Callable[[docker.DockerClient], Any]) -> Any:
            return await anyio.to_thread.run_sync(function, docker_client)

        try:
            yield call
        finally:
            docker_client.close()


async def test_docker_py_builds_from_a_dockerfile_and_a_context(client: Call, containers: FakeContainers) -> None:
    image, logs = await client(
        lambda c: c.images.build(fileobj=io.BytesIO(b"FROM base\nLABEL a=b\n"), tag="from-file:1", rm=True)
    )
    assert "from-file:1" in image.tags
    assert image.labels == {"a": "b"}
    assert any("Successfully built" in entry.get("stream", "") for entry in logs)
    containers.programs["/bin/sh -c echo $GREETING > /g"] = Program(lambda root: (0, b"", b""))
    context = make_tar({"Dockerfile": b"FROM base\nARG GREETING\nRUN echo $GREETING > /g\n"})
    image, _ = await client(
        lambda c: c.images.build(
            fileobj=io.BytesIO(context),
            custom_context=True,
            tag="ctx",
            buildargs={"GREETING": "hi"},
            network_mode="none",
        )
    )
    assert image.tags == ["ctx:latest"]
    request = containers.requests[-1]
    assert request.host_config is not None
    assert request.host_config.network_mode == "none"
    assert "GREETING=hi" in (request.env or [])


async def test_docker_py_sees_dockerds_errors(client: Call, containers: FakeContainers) -> None:
    with pytest.raises(docker.errors.APIError) as caught:
        await client(lambda c: c.images.build(fileobj=io.BytesIO(b"FROM base\nNOPE x\n")))
    assert caught.value.status_code == 400
    assert "dockerfile parse error line 2: unknown instruction: NOPE" in str(caught.value)
    containers.programs["/bin/sh -c exit 3"] = Program(lambda root: (3, b"out\n", b""))
    with pytest.raises(docker.errors.BuildError) as failed:
        await client(lambda c: c.images.build(fileobj=io.BytesIO(b"FROM base\nRUN exit 3\n")))
    assert failed.value.msg == "The command '/bin/sh -c exit 3' returned a non-zero code: 3"
    log = list(failed.value.build_log)  # reading the whole log also ends docker-py's response
    assert {"stream": "out\n"} in log


async def test_docker_py_prunes_the_build_cache(client: Call) -> None:
    for text in (b"FROM base\nENV V=1\n", b"FROM base\nENV V=2\n"):
        await client(lambda c, t=text: c.images.build(fileobj=io.BytesIO(t), tag="moving"))
    report = await client(lambda c: c.api.prune_builds())
    assert len(report["CachesDeleted"]) == 1
    assert report["SpaceReclaimed"] >= 0


def test_the_query_is_read_as_dockerd_reads_it() -> None:
    registry = base64.urlsafe_b64encode(json.dumps({"r.test:5000": {"username": "u", "password": "p"}}).encode())
    request = Request.from_target(
        "POST",
        "/v1.45/build?t=a&t=b:2&dockerfile=ci/Dockerfile&buildargs=%7B%22A%22%3A%221%22%2C%22B%22%3Anull%7D"
        "&labels=%7B%22l%22%3A%22v%22%7D&target=t&nocache=1&pull=true&forcerm=1&rm=0&q=1&platform=linux%2Famd64"
        "&networkmode=host&shmsize=1024&memory=abc&cpushares=512&extrahosts=h%3A1.2.3.4&version=1",
        headers={"x-registry-config": registry.decode()},
    )
    options = build_options(request)
    assert options.tags == ("a", "b:2")
    assert options.dockerfile == "ci/Dockerfile"
    assert options.build_args == {"A": "1", "B": None}
    assert options.labels == {"l": "v"}
    assert (options.target, options.no_cache, options.pull, options.quiet) == ("t", True, True, True)
    assert (options.remove, options.force_remove) == (True, True)  # forcerm implies rm
    assert (options.platform, options.network_mode, options.shm_size) == ("linux/amd64", "host", 1024)
    assert (options.memory, options.cpu_shares) == (0, 512)  # a bad number counts as 0, as in dockerd
    assert options.extra_hosts == ("h:1.2.3.4",)
    assert options.auth_configs == {"r.test:5000": api.AuthConfig(username="u", password="p")}
    defaults = build_options(Request.from_target("POST", "/build"))
    assert (defaults.dockerfile, defaults.remove, defaults.force_remove) == ("Dockerfile", True, False)
    assert not build_options(Request.from_target("POST", "/build?rm=0")).remove
    assert auth_configs("not base64 json") == {}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("buildargs=%7Bbad", "error reading build args"),
        ("version=3", 'invalid version "3"'),
        ("isolation=hyperv", 'unsupported isolation: "hyperv"'),
        ("securityopt=x", "security options are not supported on linux"),
        ("shmsize=big", 'strconv.ParseInt: parsing "big": invalid syntax'),
    ],
)
def test_bad_queries_are_refused(query: str, message: str) -> None:
    with pytest.raises(Exception, match=message):
        build_options(Request.from_target("POST", "/build?" + query))
