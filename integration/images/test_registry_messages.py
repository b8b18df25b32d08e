"""What ``docker pull`` and ``docker push`` print through pymobyd, beside dockerd on the same registries.

The per-layer progress lines and the registry's refusals are what users
read; both daemons talk to the same registries, so the lines must match.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.dockerd import Dockerd, start_dockerd
from support.pymobyd import Pymobyd
from support.registry import RegistryServer

pytestmark = pytest.mark.root

Tools = Any
Publish = Any


@pytest.fixture(scope="module")
def both_dockerd(registry: RegistryServer, token_registry: RegistryServer) -> Iterator[Dockerd]:
    """A dockerd that may use the open and the token registry over HTTP."""
    base = Path(tempfile.mkdtemp(prefix="pid-", dir="/tmp"))
    instance = start_dockerd(base, f"--insecure-registry={registry.host}", f"--insecure-registry={token_registry.host}")
    try:
        yield instance
    finally:
        instance.stop()


def _layer_lines(lines: list[str]) -> list[str]:
    """The per-layer lines (``<12 hex>: <status>``) with the layer ID replaced by ``L``."""
    return [re.sub(r"^[0-9a-f]{12}: ", "L: ", line) for line in lines if re.match(r"^[0-9a-f]{12}: ", line)]


def test_pull_says_already_exists_for_the_layers_the_daemon_has(
    daemon: Pymobyd, both_dockerd: Dockerd, registry: RegistryServer, publish: Publish, tools: Tools
) -> None:
    publish(registry, "shared/base:v1", [200_000], seed=51)
    publish(registry, "shared/app:v1", [200_000, 60_000], seed=51)  # same first layer
    base, app = f"{registry.host}/shared/base:v1", f"{registry.host}/shared/app:v1"
    seen = {}
    for target in (daemon, both_dockerd):
        tools.docker(target, "pull", base)
        lines = tools.messages(tools.docker(target, "pull", app).stdout)
        seen[type(target).__name__] = _layer_lines(lines)
        assert sum(line.endswith(": Already exists") for line in lines) == 1, lines
        assert sum(line.endswith(": Pull complete") for line in lines) == 1, lines
        tools.docker(target, "rmi", base, app)
    # Progress in between ("Verifying Checksum", ...) depends on timing; the outcome per layer does not.
    outcomes = {name: [line for line in lines if line.endswith(("exists", "complete"))] for name, lines in seen.items()}
    assert outcomes["Pymobyd"][0] == outcomes["Dockerd"][0] == "L: Already exists"
    assert outcomes["Pymobyd"][-1] == outcomes["Dockerd"][-1] == "L: Pull complete"


def test_push_to_a_token_registry_without_login_is_denied(
    daemon: Pymobyd, both_dockerd: Dockerd, token_registry: RegistryServer, busybox_archive: Any, tools: Tools
) -> None:
    archive, _ = busybox_archive
    name = f"{token_registry.host}/private/nologin:1"
    outcomes = []
    for target in (daemon, both_dockerd):
        tools.docker(target, "load", "-i", str(archive))
        tools.docker(target, "tag", "busybox", name)
        pushed = tools.docker(target, "push", name, check=False)
        outcomes.append((pushed.returncode, pushed.stderr.strip()))
        tools.docker(target, "rmi", name)
    assert outcomes[0] == outcomes[1]
    assert outcomes[1] == (1, "denied: requested access to the resource is denied")
