"""The pymoby-registry command line, run as a user runs it, against real registries."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from support.registry import ChaosProxy, RegistryServer, free_port

from .conftest import USERS


def cli(*args: str, stdin: str | None = None, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    base = [sys.executable, "-m", "pymoby.registry", "--certs-dir", "/nonexistent"]
    if config is not None:
        base += ["--config", str(config)]
    return subprocess.run([*base, *args], capture_output=True, text=True, input=stdin, timeout=120, check=False)


def test_push_inspect_copy_pull_delete(open_registry: RegistryServer, images: dict[str, Any], tmp_path: Path) -> None:
    host = open_registry.host
    pushed = cli("push", "--name", "multi", str(images["layout"]), f"{host}/cli/app:multi")
    assert pushed.returncode == 0, pushed.stderr
    assert pushed.stdout.strip() == images["multi"]["digest"]
    assert pushed.stderr == ""  # no progress bars when stderr is not a terminal

    assert cli("digest", f"{host}/cli/app:multi").stdout.strip() == images["multi"]["digest"]
    shown = json.loads(cli("--json", "manifest", f"{host}/cli/app:multi").stdout)
    assert shown["digest"] == images["multi"]["digest"]
    assert shown["mediaType"] == "application/vnd.oci.image.index.v1+json"
    raw = cli("manifest", f"{host}/cli/app:multi").stdout.strip().encode()
    assert "sha256:" + hashlib.sha256(raw).hexdigest() == images["multi"]["digest"]
    config = json.loads(cli("--platform", "linux/arm64", "config", f"{host}/cli/app:multi").stdout)
    assert config["architecture"] == "arm64"

    copied = json.loads(cli("--json", "copy", f"{host}/cli/app:multi", f"{host}/cli/copy:v2").stdout)
    assert copied["digest"] == images["multi"]["digest"]
    assert {b["result"] for b in copied["blobs"]} == {"mounted"}
    assert cli("tags", f"{host}/cli/copy").stdout.split() == ["v2"]
    assert "cli/copy" in json.loads(cli("--json", "catalog", host).stdout)

    pulled = cli("--platform", "linux/arm/v7", "pull", f"{host}/cli/copy:v2", str(tmp_path / "out"))
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stdout.strip() == images["platforms"][2]["digest"]
    assert (tmp_path / "out" / "oci-layout").exists()

    deleted = cli("delete", f"{host}/cli/copy:v2")
    assert deleted.stdout.strip() == f"Deleted: {images['multi']['digest']}"
    gone = cli("manifest", f"{host}/cli/copy:v2")
    assert gone.returncode == 3
    assert "manifest unknown" in gone.stderr


def test_exit_codes_tell_not_found_from_auth_from_network(
    open_registry: RegistryServer, basic_registry: RegistryServer
) -> None:
    missing = cli("manifest", f"{open_registry.host}/no/such:tag")
    assert missing.returncode == 3
    assert missing.stderr.startswith("pymoby-registry: error: manifest for")
    refused = cli("--json", "tags", f"{basic_registry.host}/any/repo")
    assert refused.returncode == 4
    assert json.loads(refused.stderr) == {
        "error": json.loads(refused.stderr)["error"],
        "kind": "Unauthorized",
        "exit_code": 4,
    }
    unreachable = cli("tags", f"127.0.0.1:{free_port()}/any/repo")
    assert unreachable.returncode == 5
    invalid = cli("tags", "bad//name")
    assert invalid.returncode == 2


def test_a_corrupted_download_exits_6(open_registry: RegistryServer, images: dict[str, Any], tmp_path: Path) -> None:
    assert cli("push", "--name", "v1", str(images["layout"]), f"{open_registry.host}/cli/corrupt:v1").returncode == 0
    with ChaosProxy(open_registry.port, corrupt_at=1_000_000).start() as proxy:
        result = cli("pull", f"{proxy.host}/cli/corrupt:v1", str(tmp_path / "out"))
    assert result.returncode == 6, result.stderr
    assert "digest mismatch" in result.stderr


def test_login_stores_credentials_and_logout_removes_them(basic_registry: RegistryServer, tmp_path: Path) -> None:
    config = tmp_path / "docker" / "config.json"
    host = basic_registry.host
    wrong = cli("login", "-u", "alice", "--password-stdin", host, stdin="nope\n", config=config)
    assert wrong.returncode == 4
    assert not config.exists()
    right = cli("login", "-u", "alice", "--password-stdin", host, stdin=USERS["alice"] + "\n", config=config)
    assert right.returncode == 0, right.stderr
    assert right.stdout.strip() == "Login Succeeded"
    stored = json.loads(config.read_text())["auths"][host]["auth"]
    assert base64.b64decode(stored).decode() == f"alice:{USERS['alice']}"
    assert config.stat().st_mode & 0o777 == 0o600
    # the stored credentials are used by later commands
    listed = cli("tags", f"{host}/nothing/here", config=config)
    assert listed.returncode == 3  # authenticated now: the repository just does not exist
    out = cli("logout", host, config=config)
    assert out.stdout.strip() == f"Removing login credentials for {host}"
    assert json.loads(config.read_text())["auths"] == {}
    assert cli("tags", f"{host}/nothing/here", config=config).returncode == 4
