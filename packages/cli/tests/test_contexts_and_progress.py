"""Formatter contexts (ps, images, stats, df), progress streams, detach keys, config.json."""

from __future__ import annotations

import base64
import json
import os
import stat
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from pymoby.cli._dockerconfig import INDEX_SERVER, AuthEntry, ConfigFile, encode_auth_header
from pymoby.cli._errors import CLIError
from pymoby.cli._fmt_containers import ContainerContext, display_ports, ellipsis
from pymoby.cli._fmt_images import expand_images
from pymoby.cli._fmt_resources import StatsContext, disk_usage_text, stats_entry
from pymoby.cli._formatter import Formatter
from pymoby.cli._progress import JSONMessageError, display_json_messages, progress_bar
from pymoby.cli._terminal import EscapeProxy, parse_detach_keys


def test_container_context_fields() -> None:
    now = int(time.time())
    row = ContainerContext({
        "Id": "3f947c840924e793f276dcd09c4271151e48fb66a4cb08d053dd881def418ad1", "Names": ["/web", "/other/link"],
        "Image": "docker.io/library/busybox:latest", "ImageID": "sha256:" + "a" * 64,
        "Command": "sh -c 'while true; do sleep 1; done'", "Created": now - 300, "State": "running",
        "Status": "Up 5 minutes", "Labels": {"b": "2", "a": "1"}, "SizeRw": 12, "SizeRootFs": 1_990_012,
        "Mounts": [{"Name": "averyveryverylongvolumename", "Driver": "local"}, {"Source": "/host/dir"}],
        "NetworkSettings": {"Networks": {"none": {}, "bridge": {}}},
    })  # fmt: skip
    assert row.ID() == "3f947c840924"
    assert row.Names() == "web"
    assert row.Image() == "busybox:latest"
    assert row.Command() == '"sh -c \'while true; …"'
    assert row.RunningFor() == "5 minutes ago"
    assert row.Labels() == "a=1,b=2"
    assert row.Label("b") == "2"
    assert row.Size() == "12B (virtual 1.99MB)"
    assert row.Mounts() == "averyveryveryl…,/host/dir"
    assert row.LocalVolumes() == "1"
    assert row.Networks() == "bridge,none"
    untrunc = ContainerContext(row.c, trunc=False)
    assert untrunc.Names() == "web,other/link"
    assert untrunc.Image() == "docker.io/library/busybox:latest"
    assert ContainerContext({"Image": "sha256:" + "a" * 64, "ImageID": "sha256:" + "a" * 64}).Image() == "a" * 12


def test_ports_are_grouped_as_docker_shows_them() -> None:
    ports = [
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"PrivatePort": 53, "Type": "udp"},
        {"PrivatePort": 7000, "Type": "tcp"},
        {"PrivatePort": 7001, "Type": "tcp"},
        {"IP": "0.0.0.0", "PrivatePort": 9000, "PublicPort": 9000, "Type": "tcp"},
        {"IP": "0.0.0.0", "PrivatePort": 9001, "PublicPort": 9001, "Type": "tcp"},
    ]
    assert display_ports(ports) == (
        "53/udp, 7000-7001/tcp, 0.0.0.0:9000-9001->9000-9001/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"
    )
    assert ellipsis("abcdef", 4) == "abc…"
    assert ellipsis("abc", 4) == "abc"


def test_images_expand_per_repository_tag_and_digest() -> None:
    image = {"Id": "sha256:" + "c" * 64, "RepoTags": ["busybox:latest", "busybox:1", "me/app:v2"],
             "RepoDigests": ["busybox@sha256:" + "d" * 64], "Created": 0, "Size": 1_990_000}  # fmt: skip
    dangling = {"Id": "sha256:" + "e" * 64, "RepoTags": [], "RepoDigests": [], "Created": 0, "Size": 5}
    rows = expand_images([image, dangling], trunc=True, digests=False, need_digest=False)
    assert [(r.Repository(), r.Tag(), r.Digest()) for r in rows] == [
        ("busybox", "latest", "<none>"), ("busybox", "1", "<none>"), ("me/app", "v2", "<none>"),
        ("<none>", "<none>", "<none>")]  # fmt: skip
    with_digests = expand_images([image], trunc=False, digests=True, need_digest=True)
    assert with_digests[0].Digest() == "sha256:" + "d" * 64
    assert with_digests[0].ID() == image["Id"]
    table = Formatter("table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}").render(rows[:1], {
        "Repository": "REPOSITORY", "Tag": "TAG", "ID": "IMAGE ID", "Size": "SIZE"})  # fmt: skip
    assert table == "REPOSITORY   TAG       IMAGE ID       SIZE\nbusybox      latest    cccccccccccc   1.99MB\n"


def test_stats_entry_uses_dockers_formulas() -> None:
    document = {
        "name": "/web", "id": "f" * 64,
        "cpu_stats": {"cpu_usage": {"total_usage": 3_000_000}, "system_cpu_usage": 20_000_000, "online_cpus": 2},
        "precpu_stats": {"cpu_usage": {"total_usage": 1_000_000}, "system_cpu_usage": 10_000_000},
        "memory_stats": {"usage": 3 * 1024 * 1024, "limit": 1024**3, "stats": {"total_inactive_file": 1024 * 1024}},
        "networks": {"eth0": {"rx_bytes": 1500, "tx_bytes": 500}, "eth1": {"rx_bytes": 500, "tx_bytes": 0}},
        "blkio_stats": {"io_service_bytes_recursive": [{"op": "Read", "value": 4096}, {"op": "Write", "value": 1}]},
        "pids_stats": {"current": 3},
    }  # fmt: skip
    row = StatsContext(stats_entry("web", document))
    assert (row.Name(), row.ID(), row.CPUPerc(), row.MemUsage(), row.MemPerc()) == (
        "web", "f" * 12, "40.00%", "2MiB / 1GiB", "0.20%")  # fmt: skip
    assert (row.NetIO(), row.BlockIO(), row.PIDs()) == ("2kB / 500B", "4.1kB / 1B", "3")
    invalid = StatsContext({"Container": "x", "IsInvalid": True})
    assert (invalid.CPUPerc(), invalid.MemUsage(), invalid.Name()) == ("--", "-- / --", "--")


def test_disk_usage_summary() -> None:
    usage = {"LayersSize": 2_000_000, "Images": [{"Containers": 1, "Size": 1_000_000, "SharedSize": 0}],
             "Containers": [{"State": "running", "SizeRw": 100}, {"State": "exited", "SizeRw": 50}],
             "Volumes": [{"UsageData": {"Size": 10, "RefCount": 0}}], "BuildCache": []}  # fmt: skip
    assert disk_usage_text(usage, "table", False) == (
        "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE\n"
        "Images          1         1         2MB       1MB (50%)\n"
        "Containers      2         1         150B      50B (33%)\n"
        "Local Volumes   1         0         10B       10B (100%)\n"
        "Build Cache     0         0         0B        0B\n"
    )


async def _messages(items: list[dict[str, Any]]) -> AsyncIterator[Any]:
    for item in items:
        yield item


PULL = [
    {"status": "Pulling from library/busybox", "id": "latest"},
    {"status": "Pulling fs layer", "progressDetail": {}, "id": "aaa"},
    {"status": "Pulling fs layer", "progressDetail": {}, "id": "bbb"},
    {"status": "Downloading", "progressDetail": {"current": 500, "total": 1000}, "id": "aaa"},
    {"status": "Pull complete", "progressDetail": {}, "id": "aaa"},
    {"status": "Pull complete", "progressDetail": {}, "id": "bbb"},
    {"status": "Digest: sha256:0123"},
]


def _draw(messages: list[dict[str, Any]], terminal: bool, width: int = 200) -> str:
    out: list[str] = []

    async def main() -> None:
        await display_json_messages(_messages(messages), out.append, terminal=terminal, width=width)

    anyio.run(main)
    return "".join(out)


def test_progress_without_a_terminal_prints_lines_without_bars() -> None:
    assert _draw(PULL, terminal=False) == (
        "latest: Pulling from library/busybox\naaa: Pulling fs layer\nbbb: Pulling fs layer\n"
        "aaa: Pull complete\nbbb: Pull complete\nDigest: sha256:0123\n"
    )


def test_progress_on_a_terminal_redraws_one_line_per_layer() -> None:
    drawn = _draw(PULL, terminal=True)
    bar = "[" + "=" * 25 + ">" + " " * 25 + "]     500B/1kB"
    # aaa is the second line from the bottom when its bar is drawn: cursor up 2, redraw, cursor down 2.
    assert f"\x1b[2A\x1b[2K\raaa: Downloading {bar}\r\x1b[2B" in drawn
    assert drawn.startswith("latest: Pulling from library/busybox\n\n\x1b[1A\x1b[2K\raaa: Pulling fs layer \r\x1b[1B")
    assert drawn.endswith("Digest: sha256:0123\n")


def test_progress_bar_forms_and_errors() -> None:
    assert progress_bar({"current": 1000, "total": 1000}, 80) == "     1kB/1kB"
    assert progress_bar({"current": 2048}, 200) == " 2.048kB"
    assert progress_bar({"current": 3, "total": 10, "units": "items"}, 200).endswith("3/10 items")
    with pytest.raises(JSONMessageError, match="denied: requested access"):
        _draw([{"errorDetail": {"message": "denied: requested access"}, "error": "x"}], terminal=False)


def test_detach_keys_and_escape_proxy() -> None:
    assert parse_detach_keys("ctrl-p,ctrl-q") == b"\x10\x11"
    assert parse_detach_keys("ctrl-@,a,ctrl-\\,DEL") == b"\x00a\x1c\x7f"
    with pytest.raises(CLIError, match="Unknown character: 'ctrl-zz'"):
        parse_detach_keys("ctrl-zz")
    proxy = EscapeProxy(b"\x10\x11")
    assert proxy.feed(b"ab\x10") == (b"ab", False)  # a partial match is held back
    assert proxy.feed(b"c") == (b"\x10c", False)  # ... and passed on when not continued
    assert proxy.feed(b"x\x10") == (b"x", False)
    assert proxy.feed(b"\x11rest") == (b"", True)  # completed across two reads
    assert EscapeProxy(b"\x10\x11").feed(b"\x10\x10\x11") == (b"\x10", True)


def test_config_file_credentials_round_trip(tmp_path: Path) -> None:
    config = ConfigFile(tmp_path)
    assert anyio.run(config.get_auth, INDEX_SERVER) == AuthEntry(server_address=INDEX_SERVER)
    plain = anyio.run(config.store_auth, AuthEntry("me", "secret", "registry.example:5000"))
    assert plain is True
    data = json.loads((tmp_path / "config.json").read_text())
    assert base64.b64decode(data["auths"]["registry.example:5000"]["auth"]) == b"me:secret"
    assert stat.S_IMODE(os.stat(tmp_path / "config.json").st_mode) == 0o600
    again = ConfigFile(tmp_path)
    entry = anyio.run(again.get_auth, "https://registry.example:5000/v1/")
    assert (entry.username, entry.password) == ("me", "secret")
    header = json.loads(base64.urlsafe_b64decode(encode_auth_header(entry)))
    assert header == {"username": "me", "password": "secret", "serveraddress": "https://registry.example:5000/v1/"}
    anyio.run(again.erase_auth, "registry.example:5000")
    assert "registry.example:5000" not in json.loads((tmp_path / "config.json").read_text())["auths"]
    with pytest.raises(CLIError, match="credentials not found"):
        anyio.run(again.erase_auth, "registry.example:5000")


def test_credential_helper_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    store = tmp_path / "store.json"
    helper = bin_dir / "docker-credential-fake"
    helper.write_text(f"""#!/bin/sh
case "$1" in
  store) cat > {store} ;;
  get) read key; if [ -f {store} ]; then cat {store}; else echo "credentials not found"; exit 1; fi ;;
  erase) rm -f {store} ;;
esac
""")  # fmt: skip
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    (tmp_path / "config.json").write_text(json.dumps({"credsStore": "fake"}))
    config = ConfigFile(tmp_path)
    assert anyio.run(config.get_auth, INDEX_SERVER).username == ""
    assert anyio.run(config.store_auth, AuthEntry("hubuser", "pw", INDEX_SERVER)) is False
    assert json.loads(store.read_text()) == {"ServerURL": INDEX_SERVER, "Username": "hubuser", "Secret": "pw"}
    entry = anyio.run(ConfigFile(tmp_path).get_auth, INDEX_SERVER)
    assert (entry.username, entry.password) == ("hubuser", "pw")
