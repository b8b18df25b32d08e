"""The composition root: what pymobyd is wired with."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pymoby.cmd import RegistryLoginService, components, containerd_for, registry_server
from pymoby.daemon.command import new_daemon_command
from pymoby.daemon.config import DaemonConfig
from pymoby.daemon.images import ImageService


def test_pymobyd_runs_on_libcontainerd_the_registry_client_and_the_image_service() -> None:
    parts = components()
    assert parts.containerd is containerd_for
    assert parts.registry_login is RegistryLoginService
    assert parts.images == ImageService.open


def test_registry_login_takes_the_daemons_registry_settings() -> None:
    service = RegistryLoginService(DaemonConfig(registry_mirrors=["https://m:5000"], insecure_registries=["r:5000"]))
    assert service.options.mirrors == ("https://m:5000",)
    assert service.options.insecure_registries == ("r:5000",)


@pytest.mark.parametrize(
    ("address", "server"),
    [
        ("https://index.docker.io/v1/", "docker.io"),
        ("", "docker.io"),
        ("docker.io", "docker.io"),
        ("localhost:5000", "localhost:5000"),
        ("http://127.0.0.1:5000/v2/", "127.0.0.1:5000"),
    ],
)
def test_server_addresses_as_the_docker_cli_sends_them(address: str, server: str) -> None:
    assert registry_server(address) == server


def test_the_command_validates_a_config(tmp_path: Path) -> None:
    config = tmp_path / "daemon.json"
    config.write_text('{"live-restore": true}')
    result = CliRunner().invoke(new_daemon_command(components()), ["--config-file", str(config), "--validate"])
    assert (result.exit_code, result.output.strip()) == (0, "configuration OK")
