"""Login, push and pull through a real registry (docker-registry with htpasswd), and progress on a terminal."""

from __future__ import annotations

import base64
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest
from support.registry import RegistryServer, start_registry

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def registry() -> Iterator[RegistryServer]:
    base = Path(tempfile.mkdtemp(prefix="pcr-", dir="/tmp"))
    try:
        with start_registry(base / "registry", htpasswd={"alice": "s3cret"}) as server:
            yield server
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_login_is_shared_with_the_docker_cli(clis: Any, registry: RegistryServer) -> None:
    host = registry.host
    refused = clis.same("login", "-u", "alice", "--password-stdin", host, input=b"wrong\n")
    assert refused.code == 1
    assert refused.err.startswith("Error response from daemon: ")
    ours = clis.pymoby("login", "-u", "alice", "--password-stdin", host, input=b"s3cret\n")
    assert (ours.code, ours.out) == (0, "Login Succeeded\n")
    assert "Your credentials are stored unencrypted in" in ours.err
    stored = json.loads((clis.config / "config.json").read_text())["auths"][host]
    assert base64.b64decode(stored["auth"]) == b"alice:s3cret"
    # A login made by pymoby is used by the docker CLI, and the other way round.
    assert clis.docker("logout", host).out == f"Removing login credentials for {host}\n"
    theirs = clis.docker("login", "-u", "alice", "--password-stdin", host, input=b"s3cret\n")
    assert theirs.code == 0
    again = clis.pymoby("login", host)
    assert again.code == 0
    assert again.err.startswith("Authenticating with existing credentials... [Username: alice]")


def test_push_and_pull_with_stored_credentials(clis: Any, registry: RegistryServer) -> None:
    host = registry.host
    assert clis.pymoby("login", "-u", "alice", "--password-stdin", host, input=b"s3cret\n").code == 0
    assert clis.pymoby("tag", "busybox", f"{host}/team/box:p").code == 0
    pushed = clis.pymoby("push", f"{host}/team/box:p")
    assert pushed.code == 0, pushed.err
    lines = pushed.out.splitlines()
    assert lines[0] == f"The push refers to repository [{host}/team/box]"
    assert "<SHORTID>: Pushed" in lines or "<SHORTID>: Layer already exists" in lines
    assert lines[-1].startswith("p: digest: <ID> size: ")
    assert clis.pymoby("rmi", f"{host}/team/box:p").code == 0
    pulled = clis.pymoby("pull", f"{host}/team/box:p")
    assert pulled.code == 0, pulled.err
    assert pulled.out.splitlines()[0] == "p: Pulling from team/box"
    assert pulled.out.splitlines()[-1] == f"{host}/team/box:p"
    assert f"Status: Downloaded newer image for {host}/team/box:p" in pulled.out or "Image is up to date" in pulled.out
    docker_pull = clis.docker("pull", f"{host}/team/box:p")
    assert docker_pull.code == 0
    assert docker_pull.out.splitlines()[-1] == f"{host}/team/box:p"
    assert clis.pymoby("logout", host).code == 0
    denied = clis.same("pull", f"{host}/team/box:p")
    assert denied.code == 1


def test_pull_draws_live_bars_on_a_terminal(clis: Any, registry: RegistryServer, python: str) -> None:
    host = registry.host
    assert clis.pymoby("login", "-u", "alice", "--password-stdin", host, input=b"s3cret\n").code == 0
    # A layer this daemon does not have yet, so that the pull downloads it.
    made = clis.pymoby("run", "--name", "layer-src", "--network", "none", "busybox", "sh", "-c",
                       "head -c 3000000 /dev/urandom > /blob")  # fmt: skip
    assert made.code == 0, made.err
    assert clis.pymoby("commit", "layer-src", f"{host}/tty/box:1").code == 0
    assert clis.pymoby("rm", "layer-src").code == 0
    assert clis.pymoby("push", f"{host}/tty/box:1").code == 0
    assert clis.pymoby("rmi", f"{host}/tty/box:1").code == 0
    child = pexpect.spawn(python, ["-m", "pymoby.cli", "pull", f"{host}/tty/box:1"], env=clis.env(), timeout=60,
                          dimensions=(40, 160))  # fmt: skip
    child.expect(pexpect.EOF)
    child.close()
    output = child.before.decode(errors="replace")
    assert child.exitstatus == 0, output
    # One line per layer redrawn in place: cursor up, erase the line, carriage return ... cursor down.
    assert "\x1b[1A\x1b[2K\r" in output, output
    assert "\x1b[1B" in output, output
    assert output.rstrip().endswith(f"{host}/tty/box:1")
    plain = clis.pymoby("pull", f"{host}/tty/box:1")
    assert "\x1b[" not in plain.out
