"""docker-py's ``images.build`` (and the low-level streamed ``api.build``) against pymobyd."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator

import docker
import docker.errors
import pytest
from support.pymobyd import Pymobyd

from .conftest import Context

pytestmark = pytest.mark.root


@pytest.fixture
def client(daemon: Pymobyd) -> Iterator[docker.DockerClient]:
    c = docker.DockerClient(base_url=daemon.host, version="1.45", timeout=120)
    try:
        yield c
    finally:
        c.close()


def test_images_build_from_a_directory_then_run(client: docker.DockerClient, context: Context) -> None:
    ctx = context(
        {
            "Dockerfile": 'FROM busybox\nARG WHO=nobody\nCOPY hello.txt /\nRUN echo "hi $WHO" >> /hello.txt\n'
            'CMD ["cat", "/hello.txt"]\n',
            "hello.txt": "hello\n",
            "ignored.txt": "not sent\n",
            ".dockerignore": "ignored.txt\n",
        }
    )
    image, logs = client.images.build(
        path=str(ctx), tag="pybuilt:1", buildargs={"WHO": "docker-py"}, network_mode="none", rm=True
    )
    assert "pybuilt:1" in image.tags
    streamed = "".join(entry.get("stream", "") for entry in logs)
    assert "Step 4/5 : RUN echo" in streamed
    output = client.containers.run("pybuilt:1", network_mode="none", remove=True)
    assert output == b"hello\nhi docker-py\n"
    assert client.containers.list(all=True) == []


def test_low_level_build_streams_json_and_keeps_containers_without_rm(client: docker.DockerClient) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        data = b"FROM busybox\nRUN echo streamed\n"
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    chunks = list(
        client.api.build(
            fileobj=io.BytesIO(buffer.getvalue()), custom_context=True, decode=True, rm=False, network_mode="none"
        )
    )
    assert {"stream": "streamed\n"} in chunks
    assert any("aux" in chunk for chunk in chunks)
    # docker-py sends rm=False by default: the RUN step's container stays, as with dockerd.
    left = client.containers.list(all=True)
    assert len(left) == 1
    left[0].remove()


def test_build_errors_reach_docker_py(client: docker.DockerClient) -> None:
    with pytest.raises(docker.errors.APIError) as parse_error:
        client.images.build(fileobj=io.BytesIO(b"FROM busybox\nBOGUS x\n"))
    assert parse_error.value.status_code == 400
    with pytest.raises(docker.errors.BuildError) as failed:
        client.images.build(fileobj=io.BytesIO(b"FROM busybox\nRUN exit 7\n"), network_mode="none", forcerm=True)
    assert failed.value.msg == "The command '/bin/sh -c exit 7' returned a non-zero code: 7"
    log = list(failed.value.build_log)  # reading the whole log also ends docker-py's response
    assert log[-1]["errorDetail"] == {"code": 7, "message": failed.value.msg}
    assert client.containers.list(all=True) == []
