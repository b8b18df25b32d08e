"""``docker commit``: the container's changes as a layer, the config merged, pause around it, history."""

from __future__ import annotations

from typing import Any

import pytest

from pymoby import api, errdefs
from pymoby.daemon.images import EMPTY_LAYER_DIFF_ID, CommitSource, ImageService
from pymoby.reference import parse_normalized_named

pytestmark = pytest.mark.anyio

MakeImage = Any


class FakeCommitter:
    """One container, ``c0ffee...``, on the image it is given; records pauses and events."""

    def __init__(self, source: CommitSource) -> None:
        self.source = source
        self.calls: list[str] = []
        self.events: list[dict[str, str]] = []

    async def commit_source(self, name: str) -> CommitSource:
        if name not in (self.source.id, self.source.name):
            raise errdefs.NotFound(f"No such container: {name}")
        return self.source

    async def pause(self, container_id: str) -> None:
        self.calls.append(f"pause {container_id}")

    async def unpause(self, container_id: str) -> None:
        self.calls.append(f"unpause {container_id}")

    def log_commit(self, container_id: str, attributes: dict[str, str]) -> None:
        self.events.append(attributes)


def committer_for(service: ImageService, image_id: str, config: api.ContainerConfig) -> FakeCommitter:
    container_id = "c0ffee" * 10 + "abcd"
    layer = service.create_rw_layer(container_id, service.images.get(image_id))
    root = layer.mount()
    try:
        (root / "etc").mkdir(exist_ok=True)
        (root / "etc" / "greeting").write_text("hello\n")
    finally:
        layer.unmount()
    fake = FakeCommitter(CommitSource(container_id, "web", image_id, "base:1", config))
    service.committer = fake
    return fake


async def test_commit_makes_a_child_image_with_the_changes(service: ImageService, make_image: MakeImage) -> None:
    base = make_image({"bin/sh": b"sh"}, tag="base:1")
    config = api.ContainerConfig(cmd=["sh", "-c", "echo hi"], env=["PATH=/bin", "K=v"], image="base:1")
    fake = committer_for(service, base.id, config)
    image_id = await service.commit(
        "web",
        ref=parse_normalized_named("committed:v1"),
        author="Ann <ann@example.com>",
        comment="saved",
        pause=True,
        changes=['CMD ["cat", "/etc/greeting"]', "ENV STAGE=2"],
        config=None,
    )
    assert fake.calls == [f"pause {fake.source.id}", f"unpause {fake.source.id}"]
    assert fake.events == [{"comment": "saved", "imageID": image_id, "imageRef": "committed:v1"}]
    image = service.get_image("committed:v1")
    assert image.id == image_id
    config_out = image.config
    assert config_out.config is not None
    assert config_out.config.cmd == ["cat", "/etc/greeting"]
    assert config_out.config.env == ["PATH=/bin", "K=v", "STAGE=2"]
    assert config_out.author == "Ann <ann@example.com>"
    assert config_out.comment == "saved"
    assert config_out.container == fake.source.id
    assert config_out.rootfs.diff_ids[:1] == base.config.rootfs.diff_ids
    assert len(config_out.rootfs.diff_ids) == 2
    assert config_out.history[-1].created_by == "sh -c echo hi"
    assert service.images.get_parent(image_id) == base.id
    inspect = await service.inspect_image(image_id)
    assert inspect.parent == base.id
    history = await service.image_history("committed:v1")
    assert history[0].comment == "saved"


async def test_commit_without_changes_adds_an_empty_layer_step(service: ImageService, make_image: MakeImage) -> None:
    base = make_image({"bin/sh": b"sh"}, tag="base:1")
    container_id = "e" * 64
    service.create_rw_layer(container_id, base)
    service.committer = FakeCommitter(CommitSource(container_id, "idle", base.id, "base:1", api.ContainerConfig()))
    image_id = await service.commit("idle", ref=None, author="", comment="", pause=False, changes=[], config=None)
    image = service.images.get(image_id)
    assert image.config.rootfs.diff_ids == base.config.rootfs.diff_ids
    assert image.config.history[-1].empty_layer
    assert EMPTY_LAYER_DIFF_ID not in image.config.rootfs.diff_ids


async def test_commit_errors(service: ImageService, make_image: MakeImage) -> None:
    with pytest.raises(errdefs.NotImplemented):
        await service.commit("x", ref=None, author="", comment="", pause=True, changes=[], config=None)
    base = make_image({"bin/sh": b"sh"}, tag="base:1")
    fake = committer_for(service, base.id, api.ContainerConfig(cmd=["sh"]))
    with pytest.raises(errdefs.NotFound, match="No such container: ghost"):
        await service.commit("ghost", ref=None, author="", comment="", pause=True, changes=[], config=None)
    with pytest.raises(errdefs.InvalidParameter, match="run is not a valid change command"):
        await service.commit("web", ref=None, author="", comment="", pause=True, changes=["RUN x"], config=None)
    assert fake.calls == [f"pause {fake.source.id}", f"unpause {fake.source.id}"]
