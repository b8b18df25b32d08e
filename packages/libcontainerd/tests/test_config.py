"""SupervisorConfig and the containerd configuration it generates."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from pymoby import errdefs
from pymoby.libcontainerd import DEFAULT_DISABLED_PLUGINS, SupervisorConfig, render_containerd_toml


def test_paths_live_under_state_and_root(tmp_path: Path) -> None:
    config = SupervisorConfig(root=tmp_path / "data", state=tmp_path / "exec")
    assert config.address == tmp_path / "exec" / "containerd.sock"
    assert config.pid_file.parent == config.config_file.parent == config.log_file.parent == tmp_path / "exec"


def test_rendered_toml_is_valid_and_complete(tmp_path: Path) -> None:
    config = SupervisorConfig(root=tmp_path / 'da"ta', state=tmp_path / "exec", log_level="debug")
    parsed = tomllib.loads(render_containerd_toml(config))
    assert parsed["version"] == 2
    assert parsed["root"] == str(tmp_path / 'da"ta')
    assert parsed["state"] == str(tmp_path / "exec")
    assert parsed["grpc"]["address"] == str(config.address)
    assert parsed["debug"]["level"] == "debug"
    assert parsed["disabled_plugins"] == list(DEFAULT_DISABLED_PLUGINS)
    assert "io.containerd.grpc.v1.cri" in parsed["disabled_plugins"]


def test_extra_toml_is_appended(tmp_path: Path) -> None:
    extra = '[plugins."io.containerd.internal.v1.restart"]\n  interval = "20s"'
    parsed = tomllib.loads(render_containerd_toml(SupervisorConfig(tmp_path, tmp_path, extra_toml=extra)))
    assert parsed["plugins"]["io.containerd.internal.v1.restart"]["interval"] == "20s"


def test_a_socket_path_too_long_for_unix_sockets_is_refused(tmp_path: Path) -> None:
    with pytest.raises(errdefs.InvalidParameter, match="socket path is too long"):
        SupervisorConfig(root=tmp_path, state=tmp_path / ("x" * 100))


def test_an_unknown_log_level_is_refused(tmp_path: Path) -> None:
    with pytest.raises(errdefs.InvalidParameter, match="log level"):
        SupervisorConfig(root=tmp_path, state=tmp_path, log_level="loud")
