"""daemon.json keys, flag/file conflicts, validation, reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from pymoby.daemon.config import (
    DaemonConfig,
    InvalidConfig,
    load_config_file,
    merge_config,
    reload_attributes,
    reloaded,
)


def test_defaults_run_beside_docker() -> None:
    config = DaemonConfig()
    assert (config.data_root, config.exec_root, config.pidfile) == ("/var/lib/pymoby", "/run/pymoby", "/run/pymoby.pid")


def test_file_keys_use_dockers_names(tmp_path: Path) -> None:
    path = tmp_path / "daemon.json"
    path.write_text(
        '{"registry-mirrors": ["https://m"], "insecure-registries": ["r:5000"], "log-opts": {"max-size": "1m"}}'
    )
    config = merge_config({}, load_config_file(path, must_exist=True))
    assert config.registry_mirrors == ["https://m"]
    assert config.insecure_registries == ["r:5000"]
    assert config.log_opts == {"max-size": "1m"}


def test_a_key_in_both_flag_and_file_is_refused_with_dockers_message() -> None:
    with pytest.raises(InvalidConfig) as info:
        merge_config({"debug": True}, {"debug": False})
    assert str(info.value) == (
        "the following directives are specified both as a flag and in the configuration file: "
        "debug: (from flag: true, from file: false)"
    )


def test_unknown_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "daemon.json"
    path.write_text('{"debug": true, "colour": "blue"}')
    with pytest.raises(InvalidConfig, match="the following directives don't match any configuration option: colour"):
        load_config_file(path, must_exist=True)


def test_wrong_types_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "daemon.json"
    path.write_text('{"debug": "yes"}')
    with pytest.raises(InvalidConfig, match="debug"):
        load_config_file(path, must_exist=True)


def test_a_missing_default_file_is_fine_but_a_named_one_is_not(tmp_path: Path) -> None:
    assert load_config_file(tmp_path / "absent.json", must_exist=False) == {}
    with pytest.raises(InvalidConfig, match="no such file or directory"):
        load_config_file(tmp_path / "absent.json", must_exist=True)


@pytest.mark.parametrize(
    "values",
    [
        {"log-level": "loud"},
        {"bip": "not-an-ip"},
        {"default-address-pools": [{"base": "10.0.0.0/16", "size": 8}]},
        {"labels": ["novalue"]},
        {"data-root": "relative/path"},
    ],
)
def test_invalid_values_are_refused(values: dict[str, object]) -> None:
    with pytest.raises(InvalidConfig):
        merge_config(values, {})


def test_reload_applies_only_reloadable_keys() -> None:
    current = DaemonConfig(debug=False, data_root="/a")
    new = DaemonConfig(debug=True, data_root="/b", labels=["x=1"])
    result = reloaded(current, new)
    assert (result.debug, result.data_root, result.labels) == (True, "/a", ["x=1"])
    attributes = reload_attributes(result, "host")
    assert attributes["debug"] == "true"
    assert attributes["labels"] == "[x=1]"
    assert attributes["name"] == "host"
