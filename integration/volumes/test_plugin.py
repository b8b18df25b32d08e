"""A volume plugin (a separate process on a unix socket in the plugins directory) driven by the docker CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import Volumed

pytestmark = pytest.mark.root


def test_plugin_volumes_through_the_cli(volumed: Volumed, rootfs: Path, tmp_path: Path) -> None:
    data = volumed.start_plugin("testvol")
    volumed.docker("volume", "create", "-d", "testvol", "-o", "speed=fast", "--label", "via=plugin", "pv")
    assert (data / "pv").is_dir()
    assert json.loads((data / "pv" / ".opts.json").read_text()) == {"speed": "fast"}
    (info,) = json.loads(volumed.docker("volume", "inspect", "pv").stdout)
    assert info["Driver"] == "testvol"
    assert info["Status"] == {"fake": "yes"}
    assert info["Labels"] == {"via": "plugin"}
    listed = volumed.docker("volume", "ls", "--format", "{{.Driver}} {{.Name}}").stdout.split("\n")
    assert "testvol pv" in listed
    (data / "made-by-plugin").mkdir()
    assert "made-by-plugin" in volumed.docker("volume", "ls", "-q", "--filter", "driver=testvol").stdout.split()

    volumed.create_container("web", rootfs, HostConfig={"Binds": ["pv:/pv"]})
    (tmp_path / "hello").write_text("through the plugin")
    volumed.docker("cp", str(tmp_path / "hello"), "web:/pv/")
    assert (data / "pv" / "hello").read_text() == "through the plugin"
    result = volumed.docker("volume", "rm", "pv", check=False)
    assert "volume is in use - [web]" in result.stderr
    volumed.control("DELETE", "/_test/containers/web")
    volumed.docker("volume", "rm", "pv")
    assert not (data / "pv").exists()


def test_plugin_errors_and_absence(volumed: Volumed) -> None:
    volumed.start_plugin("testvol")
    result = volumed.docker("volume", "create", "-d", "testvol", "-o", "fail=quota exceeded", "nope", check=False)
    assert result.returncode == 1
    assert "VolumeDriver.Create: refusing to create nope: quota exceeded" in result.stderr
    result = volumed.docker("volume", "create", "-d", "notinstalled", "v2", check=False)
    assert 'error looking up volume plugin notinstalled: plugin "notinstalled" not found' in result.stderr


def test_plugin_volumes_survive_a_restart_and_a_dead_plugin_is_a_warning(volumed: Volumed) -> None:
    volumed.start_plugin("testvol")
    volumed.docker("volume", "create", "-d", "testvol", "kept")
    volumed.docker("volume", "create", "localone")
    volumed.restart()
    assert (json.loads(volumed.docker("volume", "inspect", "kept").stdout))[0]["Driver"] == "testvol"
    for plugin in volumed.plugins:
        plugin.terminate()
        plugin.wait(10)
    (volumed.base / "plugin-specs" / "gone.spec").write_text(f"unix://{volumed.base / 'plugins' / 'gone.sock'}\n")
    result = volumed.docker("volume", "ls", "-q")
    assert "localone" in result.stdout.split()
