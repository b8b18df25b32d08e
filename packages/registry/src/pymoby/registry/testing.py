"""pymoby.registry.testing: an in-process fake registry, for unit tests without a network.

Pass ``FakeRegistry().transport`` as ``RegistryOptions.transport`` (the
client's one-method seam); the daemon's unit tests can use it too.

It keeps blobs and manifests in dicts and speaks enough of the distribution
API for the client: ping, manifests, blobs with Range, uploads, tag lists
with Link pagination, and optional Bearer or Basic auth. Hooks let a test
inject failures (``before``: return a response to short-circuit a request).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

__all__ = ["FakeRegistry", "image_manifest"]


def _error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"errors": [{"code": code, "message": message}]})


@dataclass
class FakeRegistry:
    """State and handler of the fake registry (see the module docstring).

    ``auth`` is ``""``, ``"basic"`` (``users``) or ``"bearer"`` (a token
    service at ``https://auth.test/token``). ``before(request)`` may return a
    response to inject a failure; ``requests`` records what the client sent.
    """

    host: str = "registry.test"
    auth: str = ""  # "", "basic" or "bearer"
    users: dict[str, str] = field(default_factory=lambda: {"user": "pass"})
    blobs: dict[str, bytes] = field(default_factory=dict)
    manifests: dict[str, dict[str, tuple[bytes, str]]] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    uploads: dict[str, bytearray] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    tokens_issued: int = 0
    before: Callable[[httpx.Request], httpx.Response | None] | None = None
    page_size: int = 0

    @property
    def transport(self) -> httpx.MockTransport:
        """The transport to give the client."""
        return httpx.MockTransport(self.handle)

    def put_blob(self, data: bytes) -> str:
        """Store a blob; return its digest."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.blobs[digest] = data
        return digest

    def put_manifest(self, repo: str, tag: str, raw: bytes, media_type: str) -> str:
        """Store a manifest (tagged ``tag`` unless empty); return its digest."""
        digest = "sha256:" + hashlib.sha256(raw).hexdigest()
        self.manifests.setdefault(repo, {})[digest] = (raw, media_type)
        if tag:
            self.tags.setdefault(repo, {})[tag] = digest
        return digest

    def _authorized(self, request: httpx.Request) -> bool:
        header: str = request.headers.get("authorization", "")
        if self.auth == "basic":
            if not header.startswith("Basic "):
                return False
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            return self.users.get(user) == password
        if self.auth == "bearer":
            return header == "Bearer good-token"
        return True

    def _challenge(self) -> httpx.Response:
        if self.auth == "basic":
            value = 'Basic realm="fake"'
        else:
            value = f'Bearer realm="https://auth.test/token",service="{self.host}"'
        response = _error(401, "UNAUTHORIZED", "authentication required")
        response.headers["WWW-Authenticate"] = value
        return response

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as a registry would."""
        self.requests.append(request)
        if self.before is not None:
            early = self.before(request)
            if early is not None:
                return early
        url = request.url
        if url.host == "auth.test":
            self.tokens_issued += 1
            return httpx.Response(200, json={"token": "good-token", "expires_in": 300})
        if url.host != self.host.split(":")[0]:
            return httpx.Response(200, content=b"elsewhere:" + url.path.encode())
        path = url.path
        if not self._authorized(request):
            return self._challenge()
        if path == "/v2/":
            return httpx.Response(200, json={})
        if match := re.fullmatch(r"/v2/(.+)/manifests/([^/]+)", path):
            return self._manifest(request, match.group(1), match.group(2))
        if match := re.fullmatch(r"/v2/(.+)/blobs/uploads/([^/]*)", path):
            return self._upload(request, match.group(1), match.group(2))
        if match := re.fullmatch(r"/v2/(.+)/blobs/(sha256:[0-9a-f]+)", path):
            return self._blob(request, match.group(2))
        if match := re.fullmatch(r"/v2/(.+)/tags/list", path):
            return self._tags(request, match.group(1))
        return httpx.Response(404)

    def _manifest(self, request: httpx.Request, repo: str, what: str) -> httpx.Response:
        repo_manifests = self.manifests.setdefault(repo, {})
        if request.method == "PUT":
            digest = self.put_manifest(
                repo, "" if what.startswith("sha256:") else what, request.content, request.headers["content-type"]
            )
            return httpx.Response(201, headers={"Docker-Content-Digest": digest})
        digest = self.tags.get(repo, {}).get(what, what)
        if digest not in repo_manifests:
            return _error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        if request.method == "DELETE":
            del repo_manifests[digest]
            self.tags[repo] = {t: d for t, d in self.tags.get(repo, {}).items() if d != digest}
            return httpx.Response(202)
        raw, media_type = repo_manifests[digest]
        headers = {"Content-Type": media_type, "Docker-Content-Digest": digest, "Content-Length": str(len(raw))}
        return httpx.Response(200, content=b"" if request.method == "HEAD" else raw, headers=headers)

    def _blob(self, request: httpx.Request, digest: str) -> httpx.Response:
        data = self.blobs.get(digest)
        if data is None:
            return _error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        if request.method == "HEAD":
            return httpx.Response(200, headers={"Content-Length": str(len(data))})
        range_header = request.headers.get("range")
        if range_header:
            start = int(range_header.removeprefix("bytes=").split("-")[0])
            return httpx.Response(
                206, content=data[start:], headers={"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"}
            )
        return httpx.Response(200, content=data)

    def _upload(self, request: httpx.Request, repo: str, upload_id: str) -> httpx.Response:
        if request.method == "POST":
            mount = request.url.params.get("mount")
            if mount and mount in self.blobs:
                return httpx.Response(201, headers={"Location": f"/v2/{repo}/blobs/{mount}"})
            new_id = f"u{len(self.uploads)}"
            self.uploads[new_id] = bytearray()
            return httpx.Response(202, headers={"Location": f"/v2/{repo}/blobs/uploads/{new_id}?_state=x"})
        buffer = self.uploads[upload_id]
        if request.method == "PATCH":
            start = int(request.headers["content-range"].split("-")[0])
            if start != len(buffer):
                return _error(416, "RANGE_INVALID", "invalid content range")
            buffer += request.content
            return httpx.Response(202, headers={"Location": f"/v2/{repo}/blobs/uploads/{upload_id}?_state=y"})
        if request.method == "PUT":
            buffer += request.read()
            digest = request.url.params["digest"]
            if "sha256:" + hashlib.sha256(buffer).hexdigest() != digest:
                return _error(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
            self.blobs[digest] = bytes(buffer)
            return httpx.Response(201, headers={"Docker-Content-Digest": digest})
        if request.method == "DELETE":
            del self.uploads[upload_id]
            return httpx.Response(204)
        return httpx.Response(405)

    def _tags(self, request: httpx.Request, repo: str) -> httpx.Response:
        if repo not in self.tags:
            return _error(404, "NAME_UNKNOWN", "repository name not known to registry")
        names = sorted(self.tags[repo])
        last = request.url.params.get("last")
        if last:
            names = [n for n in names if n > last]
        size = int(request.url.params.get("n") or self.page_size or 0)
        headers = {}
        if size and len(names) > size:
            names = names[:size]
            headers["Link"] = f'</v2/{repo}/tags/list?n={size}&last={names[-1]}>; rel="next"'
        return httpx.Response(200, json={"name": repo, "tags": names}, headers=headers)


def image_manifest(registry: FakeRegistry, layers: list[bytes]) -> bytes:
    """An OCI manifest of ``layers`` (stored in the fake) with a small config."""
    config = json.dumps({"architecture": "amd64", "os": "linux"}).encode()
    data = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": registry.put_blob(config),
            "size": len(config),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": registry.put_blob(layer),
                "size": len(layer),
            }
            for layer in layers
        ],
    }
    return json.dumps(data).encode()
