"""Pull, push, mount, resume, corruption, 404s and pagination against a real registry."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from support.registry import ChaosProxy, RegistryServer

from pymoby import errdefs
from pymoby.registry import (
    BlobUnknown,
    Descriptor,
    DigestMismatch,
    ManifestUnknown,
    NameUnknown,
    NoMatchingPlatform,
    Platform,
    RegistryClient,
    RegistryOptions,
    copy_image,
    pull_to_layout,
    push_from_layout,
)

pytestmark = pytest.mark.anyio


def _blob(layout: Path, digest: str) -> bytes:
    return (layout / "blobs" / "sha256" / digest.removeprefix("sha256:")).read_bytes()


def _descriptor(data: dict[str, Any]) -> Descriptor:
    return Descriptor(data["mediaType"], data["digest"], data["size"])


async def test_push_then_pull_a_multi_layer_image_round_trips(
    open_registry: RegistryServer, images: dict[str, Any], options: RegistryOptions, tmp_path: Path
) -> None:
    ref = f"{open_registry.host}/round/trip:v1"
    log: list[tuple[str, str]] = []
    async with RegistryClient(options) as client:
        pushed = await push_from_layout(
            client, images["layout"], ref, name="v1", on_blob=lambda d, how: log.append((d.digest, how))
        )
        assert pushed == images["v1"]["digest"]
        assert sorted(how for _, how in log) == ["uploaded"] * 4
        recorded = await pull_to_layout(client, ref, tmp_path / "out")
    assert recorded.digest == pushed
    manifest = json.loads(_blob(tmp_path / "out", pushed))
    for blob in [manifest["config"], *manifest["layers"]]:
        assert _blob(tmp_path / "out", blob["digest"]) == _blob(images["layout"], blob["digest"])
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == "v1"
    # a reference tool reads what we pushed and what we wrote
    inspected = await anyio.run_process(["skopeo", "inspect", "--tls-verify=false", "--raw", f"docker://{ref}"])
    assert "sha256:" + hashlib.sha256(inspected.stdout).hexdigest() == pushed
    await anyio.run_process(["skopeo", "inspect", f"oci:{tmp_path / 'out'}:v1"])


async def test_pushing_again_skips_every_blob(
    open_registry: RegistryServer, images: dict[str, Any], options: RegistryOptions
) -> None:
    ref = f"{open_registry.host}/again/app:v1"
    async with RegistryClient(options) as client:
        await push_from_layout(client, images["layout"], ref, name="v1")
        log: list[str] = []
        await push_from_layout(client, images["layout"], ref, name="v1", on_blob=lambda d, how: log.append(how))
    assert log == ["exists"] * 4


async def test_multi_platform_index_selects_the_platform_docker_would(
    open_registry: RegistryServer, images: dict[str, Any], options: RegistryOptions, tmp_path: Path
) -> None:
    ref = f"{open_registry.host}/multi/app:multi"
    amd64, arm64, arm = images["platforms"]
    async with RegistryClient(options) as client:
        assert await push_from_layout(client, images["layout"], ref, name="multi") == images["multi"]["digest"]
        index = await client.get_manifest(ref)
        assert index.is_index
        assert [d.digest for d in index.manifests] == [amd64["digest"], arm64["digest"], arm["digest"]]
        assert (await client.get_manifest(ref, platform="linux/arm64")).digest == arm64["digest"]
        assert (await client.get_manifest(ref, platform="linux/aarch64")).digest == arm64["digest"]
        assert (await client.get_manifest(ref, platform="linux/amd64")).digest == amd64["digest"]
        with pytest.raises(NoMatchingPlatform):  # an armv6 machine cannot run the v7 image
            await client.get_manifest(ref, platform="linux/arm/v6")
        assert (await client.get_manifest(ref, platform="linux/arm")).digest == arm["digest"]
        with pytest.raises(NoMatchingPlatform, match="no matching manifest for windows/amd64") as info:
            await client.get_manifest(ref, platform="windows/amd64")
        assert errdefs.is_not_found(info.value)
        config = json.loads(await client.get_config(ref, platform=Platform("linux", "arm64")))
        assert config["architecture"] == "arm64"
        everything = await pull_to_layout(client, ref, tmp_path / "all", all_platforms=True)
        one = await pull_to_layout(client, ref, tmp_path / "one", platform=Platform("linux", "arm", "v7"))
    assert everything.digest == images["multi"]["digest"]
    assert one.digest == arm["digest"]
    for platform in images["platforms"]:
        assert (tmp_path / "all" / "blobs" / "sha256" / platform["digest"].removeprefix("sha256:")).exists()


async def test_copy_within_a_registry_mounts_the_blobs(
    open_registry: RegistryServer, images: dict[str, Any], options: RegistryOptions
) -> None:
    source = f"{open_registry.host}/mount/source:v1"
    log: list[str] = []
    async with RegistryClient(options) as client:
        await push_from_layout(client, images["layout"], source, name="v1")
        digest = await copy_image(
            client, source, f"{open_registry.host}/mount/target:copied", on_blob=lambda d, how: log.append(how)
        )
        assert digest == images["v1"]["digest"]
        assert log == ["mounted"] * 4
        assert (await client.resolve(f"{open_registry.host}/mount/target:copied")).digest == digest


async def test_copy_between_registries_streams_the_blobs(
    open_registry: RegistryServer, images: dict[str, Any], options: RegistryOptions, tmp_path: Path
) -> None:
    from support.registry import start_registry

    source = f"{open_registry.host}/cross/source:multi"
    with start_registry(tmp_path / "second") as second:
        async with RegistryClient(options) as client:
            await push_from_layout(client, images["layout"], source, name="multi")
            log: list[str] = []
            digest = await copy_image(
                client, source, f"{second.host}/cross/copy:multi", on_blob=lambda d, how: log.append(how)
            )
            assert digest == images["multi"]["digest"]
            assert set(log) == {"uploaded"}
            arm64 = await client.get_manifest(f"{second.host}/cross/copy:multi", platform="linux/arm64")
            assert arm64.digest == images["platforms"][1]["digest"]


async def test_chunked_upload_of_a_stream_of_unknown_size(open_registry: RegistryServer, tmp_path: Path) -> None:
    data = bytes(range(256)) * 20_000  # 5 MB in 2 MB chunks
    ref = f"{open_registry.host}/chunked/blob"

    async def produce() -> AsyncIterator[bytes]:
        for i in range(0, len(data), 100_000):
            yield data[i : i + 100_000]

    options = RegistryOptions(certs_dir=None, chunk_size=2_000_000)
    async with RegistryClient(options) as client:
        pushed = await client.push_blob(ref, produce())
        assert pushed.how == "uploaded"
        assert pushed.descriptor.digest == "sha256:" + hashlib.sha256(data).hexdigest()
        assert pushed.descriptor.size == len(data)
        assert await client.blob_exists(ref, pushed.descriptor.digest)
        await client.fetch_blob(ref, pushed.descriptor, tmp_path / "blob")
    assert (tmp_path / "blob").read_bytes() == data


async def test_a_dropped_connection_is_resumed_with_range(
    open_registry: RegistryServer, options: RegistryOptions, tmp_path: Path
) -> None:
    data = hashlib.sha256(b"seed").digest() * 100_000  # 3.2 MB
    async with RegistryClient(options) as client:
        pushed = await client.push_blob(f"{open_registry.host}/resume/blob", data)
    with ChaosProxy(open_registry.port, cut_after=1_000_000).start() as proxy:
        done: list[int] = []
        async with RegistryClient(options) as client:
            await client.fetch_blob(
                f"{proxy.host}/resume/blob",
                pushed.descriptor,
                tmp_path / "blob",
                progress=lambda d, n, t: done.append(n),
            )
        assert proxy.cuts == 1
        assert b"Range: bytes=" in bytes(proxy.upstream) or b"range: bytes=" in bytes(proxy.upstream)
    assert (tmp_path / "blob").read_bytes() == data
    assert done[-1] == len(data)


async def test_a_corrupted_byte_is_a_digest_mismatch_and_leaves_nothing(
    open_registry: RegistryServer, options: RegistryOptions, tmp_path: Path
) -> None:
    data = hashlib.sha256(b"other").digest() * 50_000
    async with RegistryClient(options) as client:
        pushed = await client.push_blob(f"{open_registry.host}/corrupt/blob", data)
    target = tmp_path / "blobs" / "blob"
    target.parent.mkdir()
    with ChaosProxy(open_registry.port, corrupt_at=800_000).start() as proxy:
        async with RegistryClient(options) as client:
            with pytest.raises(DigestMismatch) as info:
                await client.fetch_blob(f"{proxy.host}/corrupt/blob", pushed.descriptor, target)
        assert proxy.corruptions == 1
    assert errdefs.is_data_loss(info.value)
    assert pushed.descriptor.digest in str(info.value)
    assert list(target.parent.iterdir()) == []


async def test_missing_things_are_typed_not_found_errors(
    open_registry: RegistryServer, images: dict[str, Any], options: RegistryOptions
) -> None:
    ref = f"{open_registry.host}/notfound/app"
    async with RegistryClient(options) as client:
        await push_from_layout(client, images["layout"], f"{ref}:v1", name="v1")
        with pytest.raises(ManifestUnknown) as info:
            await client.get_manifest(f"{ref}:nope")
        assert info.value.status == 404
        assert info.value.code == "MANIFEST_UNKNOWN"
        assert str(info.value) == f"manifest for {ref}:nope not found: manifest unknown: manifest unknown"
        missing = Descriptor("application/octet-stream", "sha256:" + "0" * 64, 10)
        with pytest.raises(BlobUnknown) as blob_info:
            await client.get_blob(f"{ref}:v1", missing)
        assert blob_info.value.status == 404
        with pytest.raises(NameUnknown) as name_info:
            [tag async for tag in client.tags(f"{open_registry.host}/no/such/repo")]
        assert errdefs.is_not_found(name_info.value)


async def test_tags_and_catalog_follow_pagination(
    open_registry: RegistryServer, images: dict[str, Any], options: RegistryOptions
) -> None:
    names = ["a1", "b2", "c3", "d4", "e5"]
    repos = ["paged/one", "paged/two", "paged/three"]
    async with RegistryClient(options) as client:
        first = await push_from_layout(client, images["layout"], f"{open_registry.host}/{repos[0]}:a1", name="v1")
        manifest = await client.get_manifest(f"{open_registry.host}/{repos[0]}@{first}")
        for repo in repos[1:]:
            await copy_image(client, f"{open_registry.host}/{repos[0]}:a1", f"{open_registry.host}/{repo}:a1")
        for repo in repos:
            for tag in names[1:]:
                await client.put_manifest(f"{open_registry.host}/{repo}:{tag}", manifest)
        # registry 2.8 ignores the page size of tag lists (3.0 pages them): all come in one answer
        assert sorted([t async for t in client.tags(f"{open_registry.host}/{repos[0]}", page_size=2)]) == names
        # the catalog is paged: one repository per answer, linked by Link headers
        catalog = [r async for r in client.catalog(open_registry.host, page_size=1)]
    assert set(repos) <= set(catalog)
    assert len(catalog) == len(set(catalog))


async def test_delete_by_tag_removes_the_manifest(
    open_registry: RegistryServer, images: dict[str, Any], options: RegistryOptions
) -> None:
    ref = f"{open_registry.host}/deleted/app:v1"
    async with RegistryClient(options) as client:
        digest = await push_from_layout(client, images["layout"], ref, name="v1")
        assert await client.delete_manifest(ref) == digest
        with pytest.raises(ManifestUnknown):
            await client.get_manifest(ref)


async def test_docker_hub_mirror_serves_docker_io_pulls(
    open_registry: RegistryServer, images: dict[str, Any], options: RegistryOptions, tmp_path: Path
) -> None:
    async with RegistryClient(options) as client:
        await push_from_layout(client, images["layout"], f"{open_registry.host}/library/mirrored:v1", name="v1")
    mirrored = RegistryOptions(certs_dir=None, mirrors=(open_registry.url,), retries=0)
    async with RegistryClient(mirrored) as client:
        descriptor = await pull_to_layout(client, "mirrored:v1", tmp_path / "out")
        assert descriptor.digest == images["v1"]["digest"]
        # not on the mirror: falls back to registry-1.docker.io, which this machine cannot reach
        with pytest.raises(errdefs.PymobyError) as info:
            await client.get_manifest("not-on-the-mirror:v1")
        assert errdefs.is_unavailable(info.value)
        assert "registry-1.docker.io" in str(info.value)
