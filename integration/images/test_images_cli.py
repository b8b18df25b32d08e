"""Local image management with the docker CLI through pymobyd: list, tag, rmi, history, save/load with dockerd,
import, commit."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support.dockerd import Dockerd
from support.pymobyd import Pymobyd

pytestmark = pytest.mark.root

Tools = Any


@pytest.fixture(scope="module")
def busybox(daemon: Pymobyd, busybox_archive: tuple[Path, str], tools: Tools) -> str:
    """busybox:latest loaded into the module's daemon; its image ID."""
    archive, image_id = busybox_archive
    assert tools.docker(daemon, "load", "-i", str(archive)).stdout.strip() == "Loaded image: busybox:latest"
    return image_id


def test_images_with_filters_and_format(daemon: Pymobyd, busybox: str, tools: Tools) -> None:
    tools.docker(daemon, "tag", "busybox", "example.com/team/tool:1.0")
    tools.docker(daemon, "tag", "busybox", "example.com/team/tool:2.0")
    out = tools.docker(daemon, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}", "example.com/team/tool")
    assert sorted(out.stdout.splitlines()) == [
        f"example.com/team/tool:1.0 {busybox[7:19]}",
        f"example.com/team/tool:2.0 {busybox[7:19]}",
    ]
    only = tools.docker(daemon, "images", "--filter", "reference=*/*/tool:2.*", "--format", "{{.Tag}}").stdout
    assert only.split() == ["2.0"]
    quiet = tools.docker(daemon, "images", "-q", "--no-trunc", "busybox").stdout.split()
    assert quiet == [busybox]
    table = tools.docker(daemon, "images", "busybox").stdout.splitlines()
    assert table[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    assert table[1].split()[:3] == ["busybox", "latest", busybox[7:19]]
    assert tools.docker(daemon, "images", "--filter", "dangling=true", "-q").stdout.strip() == ""
    bad = tools.docker(daemon, "images", "--filter", "colour=red", check=False)
    assert bad.returncode == 1
    assert "invalid filter 'colour'" in bad.stderr.lower()
    tools.docker(daemon, "rmi", "example.com/team/tool:1.0", "example.com/team/tool:2.0")


def test_rmi_untags_then_deletes_and_refuses_an_image_in_use(daemon: Pymobyd, busybox: str, tools: Tools) -> None:
    tools.docker(daemon, "tag", "busybox", "second:1")
    assert tools.docker(daemon, "rmi", "second:1").stdout.strip() == "Untagged: second:1"
    created = tools.docker(daemon, "create", "--network", "none", "busybox", "true").stdout.strip()
    try:
        refused = tools.docker(daemon, "rmi", "busybox", check=False)
        assert refused.returncode == 1
        assert (
            f'conflict: unable to remove repository reference "busybox" (must force) - container {created[:12]} '
            f"is using its referenced image {busybox[7:19]}" in refused.stderr
        )
        by_id = tools.docker(daemon, "rmi", busybox[7:19], check=False)
        assert by_id.returncode == 1
        assert f"image is being used by stopped container {created[:12]}" in by_id.stderr
    finally:
        tools.docker(daemon, "rm", created)
    missing = tools.docker(daemon, "rmi", "ghost", check=False)
    assert missing.returncode == 1
    assert "No such image: ghost:latest" in missing.stderr


def test_history_and_inspect(daemon: Pymobyd, busybox: str, tools: Tools) -> None:
    history = tools.docker(daemon, "history", "--no-trunc", "--format", "{{.ID}} {{.CreatedBy}}", "busybox")
    assert history.stdout.splitlines() == [f"{busybox} layer 0"]
    (inspect,) = json.loads(tools.docker(daemon, "image", "inspect", "busybox").stdout)
    assert inspect["Id"] == busybox
    assert inspect["RepoTags"] == ["busybox:latest"]
    assert inspect["Os"] == "linux"
    assert inspect["RootFS"]["Type"] == "layers"
    assert len(inspect["RootFS"]["Layers"]) == 1
    assert inspect["GraphDriver"]["Name"] == "overlay2"
    assert inspect["Config"]["Cmd"] == ["sh"]


def test_save_load_round_trips_with_dockerd_both_ways(
    daemon: Pymobyd, dockerd: Dockerd, busybox: str, tools: Tools, tmp_path: Path
) -> None:
    ours = tmp_path / "ours.tar"
    tools.docker(daemon, "tag", "busybox", "roundtrip:ours")
    tools.docker(daemon, "save", "-o", str(ours), "roundtrip:ours")
    loaded = tools.docker(dockerd, "load", "-i", str(ours)).stdout.strip()
    assert loaded == "Loaded image: roundtrip:ours"
    assert tools.docker(dockerd, "image", "inspect", "--format", "{{.Id}}", "roundtrip:ours").stdout.strip() == busybox
    tools.docker(dockerd, "tag", "roundtrip:ours", "roundtrip:theirs")
    saved = subprocess.run(["docker", "save", "roundtrip:theirs"], env=dockerd.env(), capture_output=True, check=True)
    loaded = subprocess.run(
        ["docker", "load"], env=daemon.env(), input=saved.stdout, capture_output=True, check=True, text=False
    )
    assert loaded.stdout.decode().strip() == "Loaded image: roundtrip:theirs"
    assert tools.docker(daemon, "image", "inspect", "--format", "{{.Id}}", "roundtrip:theirs").stdout.strip() == busybox
    tools.docker(daemon, "rmi", "roundtrip:ours", "roundtrip:theirs")
    tools.docker(dockerd, "rmi", "roundtrip:ours", "roundtrip:theirs")


def test_load_of_a_broken_archive_reports_the_error(daemon: Pymobyd, tools: Tools, tmp_path: Path) -> None:
    broken = tmp_path / "broken.tar"
    broken.write_bytes(b"this is not a tar archive" * 100)
    result = tools.docker(daemon, "load", "-i", str(broken), check=False)
    assert result.returncode == 1
    assert result.stderr.strip()


def test_import_with_changes(daemon: Pymobyd, busybox_rootfs: Path, tools: Tools, tmp_path: Path) -> None:
    rootfs = tmp_path / "rootfs.tar"
    subprocess.run(["tar", "-cf", str(rootfs), "-C", str(busybox_rootfs), "."], check=True)
    image_id = tools.docker(
        daemon, "import", "--change", "ENV GREETING=hello", "--change", 'CMD ["sh"]', "-m", "imported", str(rootfs),
        "imported:1",
    ).stdout.strip()  # fmt: skip
    assert image_id.startswith("sha256:")
    (inspect,) = json.loads(tools.docker(daemon, "image", "inspect", "imported:1").stdout)
    assert inspect["Id"] == image_id
    assert inspect["Config"]["Env"] == ["GREETING=hello"]
    assert inspect["Config"]["Cmd"] == ["sh"]
    assert inspect["Comment"] == "imported"
    tools.docker(daemon, "rmi", "imported:1")


def test_commit_then_run_the_new_image(daemon: Pymobyd, busybox: str, tools: Tools) -> None:
    name = "to-commit"
    tools.docker(daemon, "run", "--name", name, "--network", "none", "busybox", "sh", "-c", "echo hi > /greeting")
    try:
        image_id = tools.docker(
            daemon, "commit", "--change", "CMD cat /greeting", "-a", "Ann", "-m", "greeting", name, "greeted:1"
        ).stdout.strip()
    finally:
        tools.docker(daemon, "rm", name)
    assert image_id.startswith("sha256:")
    run = tools.docker(daemon, "run", "--rm", "--network", "none", "greeted:1")
    assert run.stdout == "hi\n"
    (inspect,) = json.loads(tools.docker(daemon, "image", "inspect", "greeted:1").stdout)
    assert inspect["Author"] == "Ann"
    assert inspect["Comment"] == "greeting"
    assert inspect["Parent"] == busybox
    assert inspect["Config"]["Cmd"] == ["/bin/sh", "-c", "cat /greeting"]
    assert len(inspect["RootFS"]["Layers"]) == 2
    history = tools.docker(daemon, "history", "--format", "{{.Comment}}", "greeted:1").stdout.splitlines()
    assert history[0] == "greeting"
    tools.docker(daemon, "rmi", "greeted:1")
