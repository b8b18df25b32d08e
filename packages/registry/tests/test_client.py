"""The client against the in-process fake registry: auth, retries, redirects, resume, limits."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import anyio
import httpx
import pytest

from pymoby import errdefs
from pymoby.registry import (
    Credentials,
    Descriptor,
    DigestMismatch,
    ManifestTooLarge,
    ManifestUnknown,
    NameUnknown,
    Registry,
    RegistryClient,
    RegistryOptions,
    RegistryUnavailable,
    TooManyRequests,
    Unauthorized,
)
from pymoby.registry.testing import FakeRegistry, image_manifest

pytestmark = pytest.mark.anyio
OCI = "application/vnd.oci.image.manifest.v1+json"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake() -> FakeRegistry:
    return FakeRegistry()


def options_for(fake: FakeRegistry, **changes: object) -> RegistryOptions:
    base = RegistryOptions(transport=fake.transport, certs_dir=None, retries=2, backoff=0.001, max_backoff=0.002)
    return replace(base, **changes)  # type: ignore[arg-type]


async def test_bearer_tokens_are_fetched_once_and_reused(fake: FakeRegistry) -> None:
    fake.auth = "bearer"
    raw = image_manifest(fake, [b"layer"])
    fake.put_manifest("team/app", "v1", raw, OCI)
    async with RegistryClient(options_for(fake)) as client:
        for _ in range(3):
            assert (await client.get_manifest("registry.test/team/app:v1")).raw == raw
    assert fake.tokens_issued == 1
    token_request = next(r for r in fake.requests if r.url.host == "auth.test")
    assert token_request.url.params["scope"] == "repository:team/app:pull"
    assert token_request.url.params["service"] == "registry.test"


async def test_basic_auth_uses_the_credentials_and_refuses_wrong_ones(fake: FakeRegistry) -> None:
    fake.auth = "basic"
    fake.put_manifest("app", "v1", image_manifest(fake, []), OCI)
    good = options_for(fake, credentials={"registry.test": Credentials("user", "pass")})
    async with RegistryClient(good) as client:
        await client.get_manifest("registry.test/app:v1")
    bad = options_for(fake, credentials={"registry.test": Credentials("user", "wrong")})
    async with RegistryClient(bad) as client:
        with pytest.raises(Unauthorized) as info:
            await client.get_manifest("registry.test/app:v1")
    assert info.value.status == 401
    assert str(info.value) == "fetching manifest for registry.test/app:v1: unauthorized: authentication required"


async def test_credentials_are_not_sent_to_another_host_after_a_redirect(fake: FakeRegistry) -> None:
    fake.auth = "basic"
    data = b"x" * 100
    digest = fake.put_blob(data)

    def redirect(request: httpx.Request) -> httpx.Response | None:
        if request.url.host == "registry.test" and "/blobs/" in request.url.path:
            return httpx.Response(307, headers={"Location": f"https://storage.test/blob?sig=1&d={digest}"})
        if request.url.host == "storage.test":
            return httpx.Response(200, content=data)
        return None

    fake.before = redirect
    creds = {"registry.test": Credentials("user", "pass")}
    async with RegistryClient(options_for(fake, credentials=creds)) as client:
        assert await client.get_blob("registry.test/app", Descriptor("", digest, len(data))) == data
    storage = [r for r in fake.requests if r.url.host == "storage.test"]
    assert storage
    assert all("authorization" not in r.headers for r in storage)
    blob_requests = [r for r in fake.requests if r.url.host == "registry.test" and "/blobs/" in r.url.path]
    assert all(r.headers["authorization"].startswith("Basic ") for r in blob_requests)


async def test_429_and_503_are_retried_with_back_off(fake: FakeRegistry) -> None:
    fake.put_manifest("app", "v1", image_manifest(fake, []), OCI)
    failures = [httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(503)]

    def flaky(request: httpx.Request) -> httpx.Response | None:
        if "/manifests/" in request.url.path and failures:
            return failures.pop(0)
        return None

    fake.before = flaky
    async with RegistryClient(options_for(fake)) as client:
        await client.get_manifest("registry.test/app:v1")
    assert failures == []


async def test_retries_are_bounded(fake: FakeRegistry) -> None:
    def always(request: httpx.Request) -> httpx.Response | None:
        if "/manifests/" in request.url.path:
            return httpx.Response(429, json={"errors": [{"code": "TOOMANYREQUESTS", "message": "slow down"}]})
        return None

    fake.before = always
    async with RegistryClient(options_for(fake, retries=3)) as client:
        with pytest.raises(TooManyRequests, match="toomanyrequests: slow down") as info:
            await client.get_manifest("registry.test/app:v1")
    assert errdefs.is_unavailable(info.value)
    assert len([r for r in fake.requests if "/manifests/" in r.url.path]) == 4


async def test_connection_errors_become_unavailable(fake: FakeRegistry) -> None:
    def refuse(request: httpx.Request) -> httpx.Response | None:
        raise httpx.ConnectError("connection refused", request=request)

    fake.before = refuse
    async with RegistryClient(options_for(fake)) as client:
        with pytest.raises(RegistryUnavailable, match="connection refused"):
            await client.get_manifest("registry.test/app:v1")
    assert len(fake.requests) == 3  # one try and two retries


async def test_a_blob_resumes_with_range_and_verifies(fake: FakeRegistry, tmp_path: Path) -> None:
    data = bytes(range(256)) * 1000
    digest = fake.put_blob(data)
    calls = 0

    class Cut(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            yield data[:1000]
            raise httpx.ReadError("connection reset")

    def cut_first(request: httpx.Request) -> httpx.Response | None:
        nonlocal calls
        if "/blobs/" in request.url.path:
            calls += 1
            if calls == 1:
                return httpx.Response(200, stream=Cut())
        return None

    fake.before = cut_first
    async with RegistryClient(options_for(fake)) as client:
        await client.fetch_blob("registry.test/app", Descriptor("", digest, len(data)), tmp_path / "blob")
    assert (tmp_path / "blob").read_bytes() == data
    ranged = [r for r in fake.requests if "range" in r.headers]
    assert [r.headers["range"] for r in ranged] == ["bytes=1000-"]


async def test_a_registry_ignoring_range_is_handled(fake: FakeRegistry) -> None:
    data = b"abcdefghij" * 1000
    digest = fake.put_blob(data)
    calls = 0

    class Cut(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            yield data[:3000]
            raise httpx.RemoteProtocolError("peer closed connection")

    def without_range(request: httpx.Request) -> httpx.Response | None:
        nonlocal calls
        if "/blobs/" in request.url.path:
            calls += 1
            return httpx.Response(200, stream=Cut()) if calls == 1 else httpx.Response(200, content=data)
        return None

    fake.before = without_range
    async with RegistryClient(options_for(fake)) as client:
        assert await client.get_blob("registry.test/app", Descriptor("", digest, len(data))) == data


async def test_wrong_content_is_a_digest_mismatch_and_no_file_is_left(fake: FakeRegistry, tmp_path: Path) -> None:
    digest = fake.put_blob(b"good content")
    fake.blobs[digest] = b"evil content"
    async with RegistryClient(options_for(fake)) as client:
        with pytest.raises(DigestMismatch) as info:
            await client.fetch_blob("registry.test/app", Descriptor("", digest, 12), tmp_path / "blob")
    assert errdefs.is_data_loss(info.value)
    assert [p async for p in anyio.Path(tmp_path).iterdir()] == []


async def test_a_blob_longer_than_its_descriptor_is_refused(fake: FakeRegistry) -> None:
    digest = fake.put_blob(b"0123456789")
    async with RegistryClient(options_for(fake)) as client:
        with pytest.raises(DigestMismatch, match="larger than its descriptor's size 5"):
            await client.get_blob("registry.test/app", Descriptor("", digest, 5))


async def test_manifests_have_a_size_limit(fake: FakeRegistry) -> None:
    fake.put_manifest("app", "big", image_manifest(fake, [b"a"] * 200), OCI)
    async with RegistryClient(options_for(fake, max_manifest_size=1024)) as client:
        with pytest.raises(ManifestTooLarge) as info:
            await client.get_manifest("registry.test/app:big")
    assert errdefs.is_invalid_parameter(info.value)


async def test_a_manifest_fetched_by_digest_must_match_it(fake: FakeRegistry) -> None:
    raw = image_manifest(fake, [b"x"])
    digest = fake.put_manifest("app", "", raw, OCI)
    fake.manifests["app"][digest] = (raw.replace(b'"schemaVersion": 2', b'"schemaVersion":2'), OCI)
    async with RegistryClient(options_for(fake)) as client:
        with pytest.raises(DigestMismatch):
            await client.get_manifest(f"registry.test/app@{digest}")


async def test_tags_follow_link_pagination(fake: FakeRegistry) -> None:
    raw = image_manifest(fake, [])
    for tag in ["v1", "v2", "v3", "v4", "v5"]:
        fake.put_manifest("app", tag, raw, OCI)
    async with RegistryClient(options_for(fake)) as client:
        assert [t async for t in client.tags("registry.test/app", page_size=2)] == ["v1", "v2", "v3", "v4", "v5"]
        with pytest.raises(NameUnknown):
            [t async for t in client.tags("registry.test/missing")]
    listed = [r.url for r in fake.requests if r.url.path.endswith("/tags/list")]
    assert len(listed) == 4  # three pages for app, one for missing


async def test_docker_hub_mirror_falls_back_to_the_origin(fake: FakeRegistry) -> None:
    raw = image_manifest(fake, [])
    fake.host = "registry-1.docker.io"
    fake.put_manifest("library/busybox", "latest", raw, OCI)

    def mirror_lacks_it(request: httpx.Request) -> httpx.Response | None:
        if request.url.host == "mirror.test":
            if request.url.path == "/v2/":
                return httpx.Response(200)
            return httpx.Response(404, json={"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})
        return None

    fake.before = mirror_lacks_it
    async with RegistryClient(options_for(fake, mirrors=("https://mirror.test",))) as client:
        manifest = await client.get_manifest("busybox")
    assert manifest.raw == raw
    hosts = [r.url.host for r in fake.requests if "/manifests/" in r.url.path]
    assert hosts == ["mirror.test", "registry-1.docker.io"]
    assert all(
        r.url.path == "/v2/library/busybox/manifests/latest" for r in fake.requests if "/manifests/" in r.url.path
    )


async def test_push_skips_existing_mounts_and_uploads_in_chunks(fake: FakeRegistry) -> None:
    existing = fake.put_blob(b"already here")
    async with RegistryClient(options_for(fake, chunk_size=4)) as client:
        assert (await client.push_blob("registry.test/app", b"already here")).how == "exists"
        fake.blobs.pop(existing)
        other = fake.put_blob(b"in the other repo")
        fake.blobs.pop(other)
        mounted_data = b"mountable"
        mount_digest = fake.put_blob(mounted_data)

        async def head_missing(request: httpx.Request) -> None:
            return None

        fake.before = lambda r: httpx.Response(404) if r.method == "HEAD" and mount_digest in r.url.path else None
        pushed = await client.push_blob("registry.test/app", mounted_data, mount_from="registry.test/other")
        assert pushed.how == "mounted"
        fake.before = None

        async def stream():  # type: ignore[no-untyped-def]
            yield b"chunk"
            yield b"ed upl"
            yield b"oad"

        pushed = await client.push_blob("registry.test/app", stream())
    assert pushed.how == "uploaded"
    assert fake.blobs[pushed.descriptor.digest] == b"chunked upload"
    patches = [r for r in fake.requests if r.method == "PATCH"]
    assert [r.headers["content-range"] for r in patches] == ["0-3", "4-7", "8-11", "12-13"]
    mount = next(r for r in fake.requests if r.method == "POST" and "mount" in r.url.params)
    assert mount.url.params["from"] == "other"


async def test_a_stream_that_does_not_match_its_digest_is_not_committed(fake: FakeRegistry) -> None:
    async def stream():  # type: ignore[no-untyped-def]
        yield b"not what you think"

    wrong = "sha256:" + hashlib.sha256(b"something else").hexdigest()
    async with RegistryClient(options_for(fake)) as client:
        with pytest.raises(DigestMismatch):
            await client.push_blob("registry.test/app", stream(), digest=wrong)
    assert wrong not in fake.blobs
    assert not [r for r in fake.requests if r.method == "PUT"]


async def test_put_resolve_and_delete_manifest(fake: FakeRegistry) -> None:
    raw = image_manifest(fake, [b"l"])
    async with RegistryClient(options_for(fake)) as client:
        digest = await client.put_manifest("registry.test/app:v1", raw, OCI)
        assert digest == "sha256:" + hashlib.sha256(raw).hexdigest()
        resolved = await client.resolve("registry.test/app:v1")
        assert (resolved.digest, resolved.size, resolved.media_type) == (digest, len(raw), OCI)
        assert await client.delete_manifest("registry.test/app:v1") == digest
        with pytest.raises(ManifestUnknown):
            await client.get_manifest("registry.test/app:v1")


def test_the_blocking_facade(fake: FakeRegistry, tmp_path: Path) -> None:
    raw = image_manifest(fake, [b"layer one", b"layer two"])
    fake.put_manifest("app", "v1", raw, OCI)
    with Registry(options_for(fake)) as registry:
        assert registry.list_tags("registry.test/app") == ["v1"]
        assert json.loads(registry.get_config("registry.test/app:v1"))["os"] == "linux"
        descriptor = registry.pull("registry.test/app:v1", tmp_path / "layout")
        assert descriptor.digest == "sha256:" + hashlib.sha256(raw).hexdigest()
        assert registry.push(tmp_path / "layout", "registry.test/copy:v2") == descriptor.digest
    assert fake.tags["copy"]["v2"] == descriptor.digest


async def test_referrers_fall_back_to_the_tag_schema(fake: FakeRegistry) -> None:
    subject = fake.put_manifest("app", "v1", image_manifest(fake, [b"x"]), OCI)
    signature = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {"mediaType": OCI, "digest": "sha256:" + "5" * 64, "size": 10, "artifactType": "application/x-sig"},
                {"mediaType": OCI, "digest": "sha256:" + "6" * 64, "size": 10, "artifactType": "application/x-sbom"},
            ],
        }
    ).encode()
    fake.put_manifest("app", subject.replace(":", "-"), signature, "application/vnd.oci.image.index.v1+json")
    async with RegistryClient(options_for(fake)) as client:
        found = await client.referrers("registry.test/app", subject, artifact_type="application/x-sig")
        assert [d.digest for d in found] == ["sha256:" + "5" * 64]
        assert await client.referrers("registry.test/app", "sha256:" + "7" * 64) == []
