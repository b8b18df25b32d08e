"""Answers given before the request body was read reach the client (no broken pipe, no reset).

An unknown route or an error found before the handler reads the body
(``PUT /containers/nosuch/archive``) is answered at once; the client is
still sending the body. As Go's server, pymobyd reads and drops the rest,
so the client reads the answer (the docker CLI otherwise says "error during
connect") and its keep-alive connection serves the next request.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from docker.errors import NotFound
from support.pymobyd import Pymobyd

pytestmark = pytest.mark.root

BODY = os.urandom(8 << 20)  # well over any socket buffer: the client still writes when the answer comes


@pytest.fixture(scope="module")
def big_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An 8 MiB tar of random bytes (an import's body)."""
    work = tmp_path_factory.mktemp("early")
    (work / "big.bin").write_bytes(BODY)
    with tarfile.open(work / "big.tar", "w") as tar:
        tar.add(work / "big.bin", arcname="big.bin")
    return work / "big.tar"


@pytest.mark.parametrize("transport", ["unix", "tcp"])
def test_docker_import_refused_before_the_body_prints_the_daemons_error(
    daemon: Pymobyd, big_tar: Path, transport: str
) -> None:
    env = daemon.env()
    if transport == "tcp":
        env["DOCKER_HOST"] = daemon.tcp_url.replace("http://", "tcp://")
    for _ in range(10):  # the failure was ~1 in 5: "error during connect: ... write: broken pipe"
        result = subprocess.run(
            ["docker", "import", "--change", "BOGUS x", str(big_tar), "early:1"],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert (result.returncode, result.stderr) == (
            1,
            "Error response from daemon: bogus is not a valid change command\n",
        )


@pytest.fixture(params=["unix", "tcp"])
def client(request: pytest.FixtureRequest, daemon: Pymobyd) -> Iterator[docker.APIClient]:
    """docker-py's low-level client over the unix socket, then over TCP."""
    base_url = daemon.host if request.param == "unix" else daemon.tcp_url.replace("http://", "tcp://")
    with docker.APIClient(base_url=base_url, version="1.45") as api:
        yield api


def test_a_large_body_to_an_unknown_route_gets_its_404(client: docker.APIClient) -> None:
    for _ in range(10):  # the failure was ~1 in 5
        response = client._post(client._url("/no/such/route"), data=BODY)
        assert (response.status_code, response.json()) == (404, {"message": "page not found"})
    assert client.version()["ApiVersion"] == "1.45"  # the same keep-alive connection still works


def test_a_large_upload_to_a_missing_container_gets_its_404(client: docker.APIClient) -> None:
    for _ in range(10):
        with pytest.raises(NotFound, match="No such container: nosuch"):
            client.put_archive("nosuch", "/tmp", BODY)
    assert client.ping()
