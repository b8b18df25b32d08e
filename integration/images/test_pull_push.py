"""``docker pull``, ``push`` and ``login`` through pymobyd against real registries (docker CLI 28.2)."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from support.pymobyd import Pymobyd, free_port
from support.registry import ChaosProxy, RegistryServer

from pymoby.registry import Credentials

pytestmark = pytest.mark.root

Tools = Any
Publish = Any


@pytest.fixture(scope="module")
def busybox(daemon: Pymobyd, busybox_archive: tuple[Path, str], tools: Tools) -> str:
    """busybox:latest loaded into the module's daemon; its image ID."""
    archive, image_id = busybox_archive
    tools.docker(daemon, "load", "-i", str(archive))
    return image_id


def test_push_then_pull_round_trip(daemon: Pymobyd, registry: RegistryServer, busybox: str, tools: Tools) -> None:
    name = f"{registry.host}/round/busybox:1"
    tools.docker(daemon, "tag", "busybox", name)
    pushed = tools.messages(tools.docker(daemon, "push", name).stdout)
    assert pushed[0] == f"The push refers to repository [{registry.host}/round/busybox]"
    assert re.fullmatch(r"[0-9a-f]{12}: Pushed", pushed[-2])
    match = re.fullmatch(r"1: digest: (sha256:[0-9a-f]{64}) size: (\d+)", pushed[-1])
    assert match is not None
    digest = match.group(1)
    tools.docker(daemon, "rmi", name)
    pulled = tools.messages(tools.docker(daemon, "pull", name).stdout)
    assert pulled[0] == "1: Pulling from round/busybox"
    assert pulled[-3:] == [f"Digest: {digest}", f"Status: Downloaded newer image for {name}", name]
    inspect = tools.docker(daemon, "image", "inspect", "--format", "{{.Id}} {{json .RepoDigests}}", name).stdout
    assert inspect.split()[0] == busybox
    assert f"{registry.host}/round/busybox@{digest}" in inspect
    again = tools.messages(tools.docker(daemon, "pull", name).stdout)
    assert again[-2] == f"Status: Image is up to date for {name}"


def test_pushing_to_another_repository_mounts_or_finds_layers(
    daemon: Pymobyd, registry: RegistryServer, busybox: str, tools: Tools
) -> None:
    first, second = f"{registry.host}/mount/a:1", f"{registry.host}/mount/b:1"
    tools.docker(daemon, "tag", "busybox", first)
    tools.docker(daemon, "push", first)
    tools.docker(daemon, "tag", "busybox", second)
    lines = tools.messages(tools.docker(daemon, "push", second).stdout)
    assert any(re.fullmatch(r"[0-9a-f]{12}: Mounted from mount/a", line) for line in lines), lines
    lines = tools.messages(tools.docker(daemon, "push", second).stdout)
    assert any(re.fullmatch(r"[0-9a-f]{12}: Layer already exists", line) for line in lines), lines


def test_pull_of_a_multi_layer_image_with_progress(
    daemon: Pymobyd, registry: RegistryServer, publish: Publish, tools: Tools
) -> None:
    digest = publish(registry, "multi/app:v1", [300_000, 2_000_000, 50_000], seed=7)
    name = f"{registry.host}/multi/app:v1"
    lines = tools.messages(tools.docker(daemon, "pull", name).stdout)
    assert lines[0] == "v1: Pulling from multi/app"
    assert len([line for line in lines if line.endswith(": Pull complete")]) == 3
    assert lines[-3:] == [f"Digest: {digest}", f"Status: Downloaded newer image for {name}", name]
    out = tools.docker(daemon, "images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}", f"{registry.host}/multi/*")
    assert out.stdout.strip() == f"{registry.host}/multi/app:v1 2.35MB"
    history = tools.docker(daemon, "history", "--format", "{{.CreatedBy}}", name).stdout.splitlines()
    assert history == ["layer 2", "layer 1", "layer 0"]


def test_two_concurrent_pulls_download_each_layer_once(
    daemon: Pymobyd, registry: RegistryServer, publish: Publish, tools: Tools
) -> None:
    publish(registry, "shared/app:v1", [4_000_000, 3_000_000], seed=11)
    proxy = ChaosProxy(registry.port).start()
    try:
        name = f"{proxy.host}/shared/app:v1"
        runs = [
            subprocess.Popen(["docker", "pull", name], env=daemon.env(), stdout=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=120)[0] for run in runs]
        assert all(run.returncode == 0 for run in runs), outputs
        requests = proxy.upstream.decode("latin-1")
    finally:
        proxy.stop()
    blob_gets = re.findall(r"GET /v2/shared/app/blobs/(sha256:[0-9a-f]{64})", requests)
    config_digest = tools.docker(daemon, "image", "inspect", "--format", "{{.Id}}", name).stdout.strip()
    layer_gets = [d for d in blob_gets if d != config_digest]
    assert sorted(layer_gets) == sorted(set(layer_gets))
    assert len(layer_gets) == 2


def test_bad_references_unknown_images_and_tags(daemon: Pymobyd, registry: RegistryServer, tools: Tools) -> None:
    result = tools.docker(daemon, "pull", f"{registry.host}/nothing/here:v9", check=False)
    assert result.returncode == 1
    assert (
        f"Error response from daemon: manifest for {registry.host}/nothing/here:v9 not found: "
        "manifest unknown: manifest unknown" in result.stderr
    )
    result = tools.docker(daemon, "push", f"{registry.host}/not/local:1", check=False)
    assert result.returncode == 1
    assert f"An image does not exist locally with the tag: {registry.host}/not/local" in result.stderr


def test_registry_down_fails_cleanly(daemon: Pymobyd, tools: Tools) -> None:
    before = tools.layer_counts(daemon)
    result = tools.docker(daemon, "pull", f"127.0.0.1:{free_port()}/down/app:1", check=False)
    assert result.returncode == 1
    assert "Error response from daemon" in result.stderr
    assert "connect" in result.stderr.lower() or "refused" in result.stderr.lower()
    assert tools.layer_counts(daemon) == before


def test_corrupt_blob_leaves_nothing_and_next_pull_works(
    daemon: Pymobyd, registry: RegistryServer, publish: Publish, tools: Tools
) -> None:
    publish(registry, "corrupt/app:v1", [1_500_000], seed=21)
    before = tools.layer_counts(daemon)
    # Only the layer's response is over 1 MB long: flip a byte of it, once.
    proxy = ChaosProxy(registry.port, corrupt_at=1_000_000).start()
    try:
        result = tools.docker(daemon, "pull", f"{proxy.host}/corrupt/app:v1", check=False)
    finally:
        proxy.stop()
    name = f"{proxy.host}/corrupt/app:v1"
    assert result.returncode == 1
    assert "verification failed" in result.stderr or "digest" in result.stderr, result.stderr
    assert tools.docker(daemon, "images", "-q", name).stdout.strip() == ""
    assert tools.layer_counts(daemon) == before
    pulled = tools.messages(tools.docker(daemon, "pull", f"{registry.host}/corrupt/app:v1").stdout)
    assert pulled[-2] == f"Status: Downloaded newer image for {registry.host}/corrupt/app:v1"


def test_a_pull_cut_short_by_the_client_leaves_nothing_and_resumes(
    daemon: Pymobyd, registry: RegistryServer, publish: Publish, tools: Tools
) -> None:
    publish(registry, "cut/app:v1", [60_000_000, 60_000_000], seed=31)
    before = tools.layer_counts(daemon)
    name = f"{registry.host}/cut/app:v1"
    pull = subprocess.Popen(["docker", "pull", name], env=daemon.env(), stdout=subprocess.PIPE, text=True)
    assert pull.stdout is not None
    assert "Pulling from" in pull.stdout.readline()
    scratch = daemon.data_root / "tmp" / "downloads"
    deadline = time.monotonic() + 30
    while not any(scratch.iterdir()) and time.monotonic() < deadline:  # a layer is being downloaded
        time.sleep(0.005)
    pull.send_signal(signal.SIGKILL)
    pull.wait()
    pull.stdout.close()
    deadline = time.monotonic() + 30
    while tools.layer_counts(daemon) != before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert tools.layer_counts(daemon) == before
    assert tools.docker(daemon, "images", "-q", name).stdout.strip() == ""
    lines = tools.messages(tools.docker(daemon, "pull", name).stdout)
    assert lines[-2] == f"Status: Downloaded newer image for {name}"


def test_login_and_token_auth(
    daemon: Pymobyd, token_registry: RegistryServer, publish: Publish, busybox: str, tools: Tools
) -> None:
    host = token_registry.host
    bad = tools.docker(daemon, "login", "-u", "alice", "--password-stdin", host, input="wrong", check=False)
    assert bad.returncode == 1
    assert "incorrect username or password" in bad.stderr
    publish(token_registry, "private/app:v1", [100_000], seed=41, credentials=Credentials("alice", "wonderland"))
    denied = tools.docker(daemon, "pull", f"{host}/private/app:v1", check=False)
    assert denied.returncode == 1
    assert "Error response from daemon" in denied.stderr
    good = tools.docker(daemon, "login", "-u", "alice", "--password-stdin", host, input="wonderland")
    assert "Login Succeeded" in good.stdout
    lines = tools.messages(tools.docker(daemon, "pull", f"{host}/private/app:v1").stdout)
    assert lines[-2] == f"Status: Downloaded newer image for {host}/private/app:v1"
    tools.docker(daemon, "tag", "busybox", f"{host}/private/busybox:1")
    pushed = tools.messages(tools.docker(daemon, "push", f"{host}/private/busybox:1").stdout)
    assert pushed[-1].startswith("1: digest: sha256:")
    tools.docker(daemon, "logout", host)


def test_images_move_between_registries_and_dockerd_with_the_same_ids(
    daemon: Pymobyd,
    dockerd: Any,
    registry: RegistryServer,
    other_registry: RegistryServer,
    publish: Publish,
    tools: Tools,
) -> None:
    publish(registry, "interop/app:v1", [500_000, 200_000, 100_000], seed=91)
    source = f"{registry.host}/interop/app:v1"
    tools.docker(daemon, "pull", source)
    image_id = tools.docker(daemon, "image", "inspect", "--format", "{{.Id}}", source).stdout.strip()
    # pymobyd pushes what it pulled to another registry; dockerd pulls it from there: the same image.
    copy = f"{other_registry.host}/interop/app:copy"
    tools.docker(daemon, "tag", source, copy)
    tools.docker(daemon, "push", copy)
    tools.docker(dockerd, "pull", copy)
    assert tools.docker(dockerd, "image", "inspect", "--format", "{{.Id}}", copy).stdout.strip() == image_id
    # dockerd pushes it back under a new name; pymobyd pulls dockerd's manifest and layers.
    back = f"{registry.host}/interop/app:from-dockerd"
    tools.docker(dockerd, "tag", copy, back)
    tools.docker(dockerd, "push", back)
    tools.docker(daemon, "pull", back)
    assert tools.docker(daemon, "image", "inspect", "--format", "{{.Id}}", back).stdout.strip() == image_id
