"""The image config model reads Docker's and OCI's JSON and keeps their field names."""

from __future__ import annotations

import datetime
import json

import pytest

from pymoby.image import (
    ContainerConfig,
    History,
    ImageConfig,
    InvalidImageConfig,
    RootFS,
    config_digest,
    encode_config,
    format_time,
    parse_config,
    parse_time,
)

DOCKER_CONFIG = {
    "architecture": "arm64",
    "variant": "v8",
    "os": "linux",
    "os.version": "",
    "created": "2024-01-02T03:04:05.123456789Z",
    "author": "someone",
    "config": {
        "Env": ["PATH=/usr/bin"],
        "Cmd": ["sh"],
        "ExposedPorts": {"80/tcp": {}},
        "WorkingDir": "/srv",
        "Labels": {"a": "b"},
        "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1000000000},
        "StopSignal": "SIGTERM",
    },
    "container_config": {"Cmd": ["/bin/sh", "-c", '#(nop) CMD ["sh"]']},
    "docker_version": "20.10.24",
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "a" * 64, "sha256:" + "b" * 64]},
    "history": [{"created": "2024-01-02T03:04:05Z", "created_by": "ADD file", "empty_layer": True}],
    "unknown_future_field": {"x": 1},
}


def test_docker_fields_are_read() -> None:
    config = parse_config(json.dumps(DOCKER_CONFIG).encode())
    assert (config.architecture, config.variant, config.os, config.author) == ("arm64", "v8", "linux", "someone")
    assert config.config is not None
    assert config.config.env == ["PATH=/usr/bin"]
    assert config.config.exposed_ports == {"80/tcp": {}}
    assert config.config.healthcheck is not None
    assert config.config.healthcheck.interval == 1_000_000_000
    assert config.rootfs.diff_ids[1] == "sha256:" + "b" * 64
    assert config.history[0].empty_layer
    assert config.chain_id() is not None


def test_written_keys_are_dockers() -> None:
    raw = encode_config(
        ImageConfig(
            architecture="amd64",
            os="linux",
            config=ContainerConfig(cmd=["sh"], working_dir="/w", exposed_ports={"53/udp": {}}),
            rootfs=RootFS("layers", ["sha256:" + "c" * 64]),
            history=[History(created="2024-01-01T00:00:00Z", comment="Imported from -")],
        )
    )
    data = json.loads(raw)
    assert data["config"] == {"ExposedPorts": {"53/udp": {}}, "Cmd": ["sh"], "WorkingDir": "/w"}
    assert data["rootfs"] == {"type": "layers", "diff_ids": ["sha256:" + "c" * 64]}
    assert parse_config(raw).config == ContainerConfig(cmd=["sh"], working_dir="/w", exposed_ports={"53/udp": {}})


def test_the_id_is_the_digest_of_the_bytes_as_given() -> None:
    compact = json.dumps(DOCKER_CONFIG, separators=(",", ":")).encode()
    spaced = json.dumps(DOCKER_CONFIG, indent=2).encode()
    assert parse_config(compact) == parse_config(spaced)
    assert config_digest(compact) != config_digest(spaced)


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b'{"rootfs": {"type": "squashfs", "diff_ids": []}}',
        b'{"rootfs": {"type": "layers", "diff_ids": ["md5:abc"]}}',
        b'{"architecture": 5}',
    ],
)
def test_invalid_configs_are_refused(raw: bytes) -> None:
    with pytest.raises(InvalidImageConfig):
        parse_config(raw)


def test_times_round_trip_with_nanoseconds() -> None:
    moment = parse_time("2024-01-02T03:04:05.123456789Z")
    assert moment == datetime.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.UTC)
    assert parse_time(format_time(moment)) == moment
    assert parse_time("2024-01-02T05:04:05+02:00") == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    with pytest.raises(InvalidImageConfig):
        parse_time("yesterday")
