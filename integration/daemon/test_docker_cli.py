"""The unmodified docker CLI (28.2 at /usr/local/bin/docker) against pymobyd."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from support.pymobyd import Pymobyd, free_port

pytestmark = pytest.mark.root


def _tool_version(binary: str) -> str:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    if binary == "containerd":  # "containerd github.com/containerd/containerd 1.6.20~ds1 <revision>"
        return out.split()[2]
    match = re.search(r"version\s+v?(\S+)", out)
    assert match is not None
    return match.group(1)


def test_docker_version_negotiates_down_and_lists_components(daemon: Pymobyd) -> None:
    result = daemon.docker("version")
    out = result.stdout.decode()
    assert result.stderr == b""
    assert "Server: pymoby Engine" in out
    assert re.search(r"API version:\s+1\.45 \(downgraded from 1\.\d+\)", out)
    assert "API version:      1.45 (minimum version 1.24)" in out
    data = json.loads(daemon.docker("version", "--format", "{{json .Server}}").stdout)
    components = {c["Name"]: c["Version"] for c in data["Components"]}
    assert components["containerd"] == _tool_version("containerd")
    assert components["runc"] == _tool_version("runc")
    assert data["ApiVersion"] == "1.45"
    assert data["MinAPIVersion"] == "1.24"


def test_docker_info_prints_real_figures(daemon: Pymobyd) -> None:
    result = daemon.docker("info")
    out = result.stdout.decode()
    assert "ERROR" not in result.stderr.decode()
    assert f"Docker Root Dir: {daemon.data_root}" in out
    assert f"CPUs: {len(os.sched_getaffinity(0))}" in out
    assert "Cgroup Driver: cgroupfs" in out
    assert "Storage Driver: overlay2" in out
    assert f"Kernel Version: {os.uname().release}" in out
    info = json.loads(daemon.docker("info", "--format", "{{json .}}").stdout)
    assert info["OSType"] == "linux"
    assert info["ContainersRunning"] == 0
    assert info["Images"] == 0
    assert info["Name"] == os.uname().nodename
    assert info["ContainerdCommit"]["ID"]
    assert info["RegistryConfig"]["IndexConfigs"]["docker.io"]["Official"] is True
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kib = int(next(line.split()[1] for line in meminfo if line.startswith("MemTotal:")))
    assert info["MemTotal"] == mem_kib * 1024
    assert info["ID"] == (daemon.data_root / "engine-id").read_text().strip()


def test_docker_system_df_answers(daemon: Pymobyd) -> None:
    out = daemon.docker("system", "df").stdout.decode()
    assert out.splitlines()[0].split()[:2] == ["TYPE", "TOTAL"]


def test_docker_events_shows_a_reload_as_it_happens(start_daemon: object) -> None:
    daemon = start_daemon()  # type: ignore[operator]
    with subprocess.Popen(
        ["docker", "system", "events", "--format", "{{json .}}", "--filter", "type=daemon"],
        env=daemon.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as watcher:
        try:
            time.sleep(1.0)  # let the CLI subscribe
            daemon.write_config({"debug": True, "labels": ["team=core"]})
            daemon.signal(signal.SIGHUP)
            assert watcher.stdout is not None
            line = watcher.stdout.readline()
        finally:
            watcher.terminate()
            watcher.wait(10)
    event = json.loads(line)
    assert (event["Type"], event["Action"]) == ("daemon", "reload")
    assert event["Actor"]["Attributes"]["debug"] == "true"
    assert event["Actor"]["Attributes"]["labels"] == "[team=core]"
    info = json.loads(daemon.docker("info", "--format", "{{json .}}").stdout)
    assert info["Debug"] is True
    assert info["Labels"] == ["team=core"]


def test_docker_events_since_until_replays_past_events(start_daemon: object) -> None:
    daemon = start_daemon()  # type: ignore[operator]
    daemon.signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    out = ""
    while time.monotonic() < deadline and "reload" not in out:
        out = daemon.docker("events", "--since", "1m", "--until", "0s", "--format", "{{.Action}}").stdout.decode()
        time.sleep(0.2)
    assert out.split() == ["reload"]


def test_docker_login_checks_credentials_with_the_registry(start_daemon: object, tmp_path: Path) -> None:
    from support.registry import start_registry

    daemon = start_daemon()  # type: ignore[operator]
    with start_registry(tmp_path / "registry", htpasswd={"alice": "s3cret"}) as registry:
        good = daemon.docker("login", "-u", "alice", "--password-stdin", registry.host, input=b"s3cret\n", check=False)
        assert good.returncode == 0, good.stderr
        assert b"Login Succeeded" in good.stdout
        bad = daemon.docker("login", "-u", "alice", "--password-stdin", registry.host, input=b"wrong\n", check=False)
        assert bad.returncode != 0
        assert b"unauthorized" in bad.stderr.lower()


def test_docker_cli_over_tls_with_client_certificates(start_daemon: object, tmp_path: Path) -> None:
    from support.registry import make_tls

    tls = make_tls(tmp_path / "pki")
    port = free_port()
    daemon = start_daemon(  # type: ignore[operator]
        "--tlsverify", "--tlscacert", str(tls.ca_cert), "--tlscert", str(tls.server_cert),
        "--tlskey", str(tls.server_key),
        "-H", f"tcp://127.0.0.1:{port}",
    )  # fmt: skip
    client = ["docker", "-H", f"tcp://127.0.0.1:{port}", "--tlsverify", "--tlscacert", str(tls.ca_cert)]
    env = daemon.env()
    env.pop("DOCKER_HOST")
    ok = subprocess.run(
        [*client, "--tlscert", str(tls.client_cert), "--tlskey", str(tls.client_key), "version", "--format",
         "{{.Server.APIVersion}}"],
        env=env, capture_output=True, check=False,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == b"1.45"
    refused = subprocess.run([*client, "version"], env=env, capture_output=True, check=False)
    assert refused.returncode != 0


def test_the_cli_pings_then_speaks_the_negotiated_version(start_daemon: object) -> None:
    daemon = start_daemon("--debug")  # type: ignore[operator]
    daemon.docker("info")
    log = daemon.log()
    assert 'msg="Calling HEAD /_ping"' in log
    assert 'msg="Calling GET /v1.45/info"' in log
