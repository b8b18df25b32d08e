"""A volume plugin (a separate process on a unix socket in the plugins directory) used by real containers."""

from __future__ import annotations

import json

import docker as docker_py
import pytest
from support.pymobyd import Pymobyd, StartDaemon

from .conftest import PLUGIN_SPECS, StartPlugin, docker, inspect_volume

pytestmark = pytest.mark.root


def test_plugin_volumes_through_the_cli_and_a_container(d: Pymobyd, plugin: StartPlugin) -> None:
    testvol = plugin()
    docker(d, "volume", "create", "-d", testvol.name, "-o", "speed=fast", "--label", "via=plugin", "pv")
    assert (testvol.data / "pv").is_dir()
    assert json.loads((testvol.data / "pv" / ".opts.json").read_text()) == {"speed": "fast"}
    info = inspect_volume(d, "pv")
    assert info["Driver"] == testvol.name
    assert info["Status"] == {"fake": "yes"}
    assert info["Labels"] == {"via": "plugin"}
    listed = docker(d, "volume", "ls", "--format", "{{.Driver}} {{.Name}}").stdout.split("\n")
    assert f"{testvol.name} pv" in listed
    (testvol.data / "made-by-plugin").mkdir()
    assert "made-by-plugin" in docker(d, "volume", "ls", "-q", "--filter", f"driver={testvol.name}").stdout.split()

    docker(d, "run", "-d", "--name", "web", "-v", "pv:/pv", "busybox", "sleep", "300")
    docker(d, "exec", "web", "sh", "-c", "echo through the plugin > /pv/hello")
    assert (testvol.data / "pv" / "hello").read_text() == "through the plugin\n"
    web = docker(d, "inspect", "-f", "{{.Id}}", "web").stdout.strip()
    result = docker(d, "volume", "rm", "pv", check=False)
    assert f"volume is in use - [{web}]" in result.stderr
    docker(d, "rm", "-f", "web")
    out = docker(d, "run", "--rm", "-v", "pv:/pv", "busybox", "cat", "/pv/hello").stdout
    assert out == "through the plugin\n"
    docker(d, "volume", "rm", "pv", "made-by-plugin")
    assert not (testvol.data / "pv").exists()


def test_plugin_errors_and_absence(d: Pymobyd, plugin: StartPlugin) -> None:
    testvol = plugin()
    result = docker(d, "volume", "create", "-d", testvol.name, "-o", "fail=quota exceeded", "nope", check=False)
    assert result.returncode == 1
    assert "VolumeDriver.Create: refusing to create nope: quota exceeded" in result.stderr
    result = docker(d, "volume", "create", "-d", "notinstalled", "v2", check=False)
    assert 'error looking up volume plugin notinstalled: plugin "notinstalled" not found' in result.stderr
    client = docker_py.APIClient(base_url=d.host, version="1.45")
    try:  # (the CLI takes any 404 from create for a missing image and tries to pull it, as with dockerd)
        mounts = [docker_py.types.Mount("/v", "v3", driver_config=docker_py.types.DriverConfig("notinstalled"))]
        config = client.create_host_config(mounts=mounts)
        with pytest.raises(docker_py.errors.NotFound) as caught:
            client.start(client.create_container("busybox", ["true"], host_config=config))
        assert 'error looking up volume plugin notinstalled: plugin "notinstalled" not found' in str(caught.value)
    finally:
        client.close()


def test_plugin_volumes_survive_a_restart_and_a_dead_plugin_is_a_warning(
    start_daemon: StartDaemon, plugin: StartPlugin
) -> None:
    testvol = plugin()
    first = start_daemon()
    docker(first, "volume", "create", "-d", testvol.name, "kept")
    docker(first, "volume", "create", "localone")
    docker(first, "run", "--rm", "-v", "kept:/k", "busybox", "sh", "-c", "echo kept > /k/f")
    assert first.stop() == 0
    second = start_daemon(base=first.base, load=False)
    assert inspect_volume(second, "kept")["Driver"] == testvol.name
    out = docker(second, "run", "--rm", "-v", "kept:/k", "busybox", "cat", "/k/f").stdout
    assert out == "kept\n"
    testvol.stop()
    gone = PLUGIN_SPECS / f"{testvol.name}gone.spec"
    PLUGIN_SPECS.mkdir(parents=True, exist_ok=True)
    gone.write_text(f"unix://{testvol.socket.parent / (testvol.name + 'gone.sock')}\n")
    try:
        result = docker(second, "volume", "ls", "-q")
        assert "localone" in result.stdout.split()
    finally:
        gone.unlink()
    docker(second, "volume", "rm", "localone")
