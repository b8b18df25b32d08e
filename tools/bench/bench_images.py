"""Images through the daemon: pymobyd against dockerd (Debian docker.io), side by side in the same run.

- Cold pull of a 3-layer image of incompressible gzip layers (3 x 100 MB;
  quick: 3 x 2 MB) from one local registry (docker-registry 2.8), with the
  docker CLI: ``docker pull`` wall time. Before each sample the image is
  removed from that daemon, so no layer is present.
- ``docker images`` with 200 images (20 in quick mode; loaded from one ``docker save``
  archive into each daemon): the CLI's wall time, and the API call alone
  (``GET /images/json`` over the unix socket), which is the daemon's share.

Both daemons run on this machine with their own containerd, data roots
under /tmp, overlay2; dockerd is told the registry is insecure.
"""

from __future__ import annotations

import http.client
import io
import json
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from harness import Comparison, alternate, timed

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "integration"))

from sidebyside import Session, using  # noqa: E402
from support.dockerd import Dockerd  # noqa: E402
from support.images import image_config  # noqa: E402
from support.pymobyd import Pymobyd  # noqa: E402
from support.registry import LayoutWriter  # noqa: E402

from pymoby.registry import Registry, RegistryOptions  # noqa: E402

Daemon = Pymobyd | Dockerd


def _docker(daemon: Daemon, *args: str) -> str:
    result = subprocess.run(["docker", *args], env=daemon.env(), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result.stdout


def _many_images_archive(path: Path, count: int) -> None:
    """A ``docker save`` archive of ``count`` one-layer images, ``many/imageN:latest``."""
    import hashlib

    manifest = []
    with tarfile.open(path, "w") as archive:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            archive.addfile(info, io.BytesIO(data))

        for i in range(count):
            layer_buffer = io.BytesIO()
            with tarfile.open(fileobj=layer_buffer, mode="w") as layer_tar:
                content = f"image {i}\n".encode() * 100
                info = tarfile.TarInfo(f"data/{i}.txt")
                info.size = len(content)
                info.mtime = 1_700_000_000
                layer_tar.addfile(info, io.BytesIO(content))
            layer = layer_buffer.getvalue()
            diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
            config = json.dumps(image_config([diff_id], labels={"n": str(i)})).encode()
            config_hex = hashlib.sha256(config).hexdigest()
            add(f"{config_hex}.json", config)
            add(f"{diff_id[7:]}/layer.tar", layer)
            manifest.append(
                {
                    "Config": f"{config_hex}.json",
                    "RepoTags": [f"many/image{i}:latest"],
                    "Layers": [f"{diff_id[7:]}/layer.tar"],
                }
            )
        add("manifest.json", json.dumps(manifest).encode())


def _api_get(socket_path: Path, target: str) -> bytes:
    class Connection(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(str(socket_path))

    connection = Connection("localhost", timeout=60)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {target}: {response.status} {body[:200]!r}")
        return body
    finally:
        connection.close()


def run(quick: bool, session: Session | None = None) -> list[Comparison]:
    """Pull and list with both daemons, alternating; return the comparisons."""
    layer = (2 if quick else 100) * 1000 * 1000
    pulls = 1 if quick else 5
    lists = 2 if quick else 20
    count = 20 if quick else 200
    base = Path(tempfile.mkdtemp(prefix="bim-", dir="/tmp"))
    try:
        with using(session, quick) as s:
            registry, ours_daemon, theirs_daemon = s.registry, s.pymobyd, s.dockerd
            pull = Comparison(
                name=f"cold docker pull, 3 x {layer // 1_000_000} MB gzip layers, local registry",
                unit="s",
                baseline="dockerd",
            )
            ref = f"{registry.host}/bench/big:v1"
            writer = LayoutWriter(base / "layout")
            descriptor = writer.image([layer, layer, layer], seed=3, compress=True)
            writer.tag(descriptor, "v1")
            with Registry(RegistryOptions(certs_dir=None)) as client:
                client.push(base / "layout", ref, name="v1")
            shutil.rmtree(base / "layout")

            def cold_pull(daemon: Daemon) -> float:
                if _docker(daemon, "images", "-q", ref).strip():
                    _docker(daemon, "rmi", ref)
                return timed(lambda: _docker(daemon, "pull", ref))

            alternate(pull, lambda: cold_pull(ours_daemon), lambda: cold_pull(theirs_daemon), runs=pulls)
            for daemon in (ours_daemon, theirs_daemon):
                _docker(daemon, "rmi", ref)

            archive = base / "many.tar"
            _many_images_archive(archive, count)
            for daemon in (ours_daemon, theirs_daemon):
                _docker(daemon, "load", "-q", "-i", str(archive))
            listing = Comparison(name=f"docker images with {count + 1} images (CLI)", unit="s", baseline="dockerd")
            alternate(
                listing,
                lambda: timed(lambda: _docker(ours_daemon, "images")),
                lambda: timed(lambda: _docker(theirs_daemon, "images")),
                runs=lists,
            )
            api = Comparison(name=f"GET /images/json with {count + 1} images (API call)", unit="s", baseline="dockerd")
            alternate(
                api,
                lambda: timed(lambda: _api_get(ours_daemon.socket, "/v1.45/images/json")),
                lambda: timed(lambda: _api_get(theirs_daemon.socket, "/v1.41/images/json")),
                runs=lists,
            )
            for daemon in (ours_daemon, theirs_daemon):  # the session goes on without them
                _docker(daemon, "rmi", *(f"many/image{i}:latest" for i in range(count)))
            return [pull, listing, api]
    finally:
        shutil.rmtree(base, ignore_errors=True)
