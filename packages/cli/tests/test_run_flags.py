"""Flag values of run/create parsed as the docker CLI parses them, and the create body it sends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest

from pymoby.cli._mountspecs import parse_mount, parse_volume
from pymoby.cli._portspecs import parse_port_specs
from pymoby.cli._runconfig import build_create_body
from pymoby.cli._runflags import container_flags
from pymoby.cli._specs import (
    SpecError,
    parse_device,
    parse_env_file,
    parse_extra_host,
    parse_filters,
    parse_network,
    parse_restart_policy,
    parse_throttle_bps,
    parse_ulimit,
)


@pytest.mark.parametrize(
    ("specs", "exposed", "bindings"),
    [
        (["80"], {"80/tcp"}, {"80/tcp": [{"HostIp": "", "HostPort": ""}]}),
        (["8080:80"], {"80/tcp"}, {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}),
        (["127.0.0.1::53/udp"], {"53/udp"}, {"53/udp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}),
        (["[::1]:8080:80"], {"80/tcp"}, {"80/tcp": [{"HostIp": "::1", "HostPort": "8080"}]}),
        (["8000-8001:80-81"], {"80/tcp", "81/tcp"},
         {"80/tcp": [{"HostIp": "", "HostPort": "8000"}], "81/tcp": [{"HostIp": "", "HostPort": "8001"}]}),
        (["8000-8010:80"], {"80/tcp"}, {"80/tcp": [{"HostIp": "", "HostPort": "8000-8010"}]}),
        (["target=80,published=8080,protocol=udp"], {"80/udp"}, {"80/udp": [{"HostIp": "", "HostPort": "8080"}]}),
    ],
)  # fmt: skip
def test_port_specs(specs: list[str], exposed: set[str], bindings: dict[str, Any]) -> None:
    got_exposed, got_bindings = parse_port_specs(specs)
    assert set(got_exposed) == exposed
    assert got_bindings == bindings


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("8080:", "no port specified: 8080:<empty>"),
        ("abc", "invalid containerPort: abc"),
        ("x:80", "invalid hostPort: x"),
        ("1.2.3:80:80", "invalid IP address: 1.2.3"),
        ("80/bogus", "invalid proto: bogus"),
        ("8000-8001:80-82", "invalid ranges specified for container and host Ports: 80-82 and 8000-8001"),
    ],
)
def test_bad_port_specs(spec: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_port_specs([spec])


def test_volumes_mounts_and_devices() -> None:
    assert parse_volume("/data") == (None, "/data")
    assert parse_volume("/tmp:/data:ro") == ("/tmp:/data:ro", "")
    assert parse_volume("named:/data") == ("named:/data", "")
    assert parse_volume("./rel:/x")[0] == f"{Path('./rel').absolute()}:/x"
    assert parse_mount("type=bind,source=/a,target=/b,readonly") == {
        "Type": "bind", "Source": "/a", "Target": "/b", "ReadOnly": True}  # fmt: skip
    assert parse_mount("type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770") == {
        "Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 1 << 20, "Mode": 0o1770}}  # fmt: skip
    assert parse_mount("src=vol,dst=/v,volume-label=a=b,volume-nocopy")["VolumeOptions"] == {
        "Labels": {"a": "b"}, "DriverConfig": {}, "NoCopy": True}  # fmt: skip
    with pytest.raises(SpecError, match="target is required"):
        parse_mount("type=bind,source=/a")
    with pytest.raises(SpecError, match="cannot mix 'bind-\\*' options with mount type 'volume'"):
        parse_mount("target=/a,bind-propagation=rshared")
    with pytest.raises(SpecError, match="unexpected key 'bogus' in 'bogus=1'"):
        parse_mount("target=/a,bogus=1")
    assert parse_device("/dev/sda:/dev/xvda:r") == {"PathOnHost": "/dev/sda", "PathInContainer": "/dev/xvda",
                                                     "CgroupPermissions": "r"}  # fmt: skip
    assert parse_device("/dev/null")["CgroupPermissions"] == "rwm"
    assert parse_throttle_bps("/dev/sda:1mb") == {"Path": "/dev/sda", "Rate": 1 << 20}


def test_policies_limits_hosts_networks_and_filters() -> None:
    assert parse_restart_policy("on-failure:3") == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert parse_restart_policy("always") == {"Name": "always", "MaximumRetryCount": 0}
    with pytest.raises(SpecError, match="maximum retry count must be an integer"):
        parse_restart_policy("on-failure:x")
    with pytest.raises(SpecError, match="no policy provided before colon"):
        parse_restart_policy(":3")
    assert parse_ulimit("nofile=10:20") == {"Name": "nofile", "Hard": 20, "Soft": 10}
    with pytest.raises(SpecError, match="invalid ulimit type: bogus"):
        parse_ulimit("bogus=1")
    assert parse_extra_host("h=1.2.3.4") == "h:1.2.3.4"
    assert parse_extra_host("gw:host-gateway") == "gw:host-gateway"
    with pytest.raises(SpecError, match='invalid IP address in add-host: "nope"'):
        parse_extra_host("h:nope")
    attachment = parse_network("name=net1,alias=a,alias=b,ip=10.0.0.5,driver-opt=x=y")
    assert (attachment.target, attachment.aliases, attachment.ipv4, attachment.driver_opts) == (
        "net1", ["a", "b"], "10.0.0.5", {"x": "y"})  # fmt: skip
    assert parse_network("host").target == "host"
    assert parse_filters(["status=exited", "label=a=b", "status=created"]) == {
        "status": ["exited", "created"], "label": ["a=b"]}  # fmt: skip
    with pytest.raises(SpecError, match="bad format of filter"):
        parse_filters(["nope"])


def test_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FROM_HOST", "yes")
    monkeypatch.delenv("NOT_SET", raising=False)
    path = tmp_path / "env"
    path.write_text("# comment\nA=1\n\n  B=two words\nFROM_HOST\nNOT_SET\n")
    assert parse_env_file(str(path)) == ["A=1", "B=two words", "FROM_HOST=yes"]
    path.write_text("BAD KEY=1\n")
    with pytest.raises(SpecError, match="variable 'BAD KEY' contains whitespaces"):
        parse_env_file(str(path))


def _opts(*args: str) -> dict[str, Any]:
    captured: dict[str, Any] = {}

    @click.command()
    @container_flags
    def command(**params: Any) -> None:
        captured.update(params)

    command.main(list(args), standalone_mode=False)
    return captured


def test_create_body_matches_what_the_docker_cli_sends() -> None:
    opts = _opts("-p", "8080:80", "-p", "127.0.0.1::53/udp", "-v", "/tmp:/data:ro", "-v", "anon", "-e", "A=1",
                 "-l", "k=v", "--restart", "on-failure:3", "-m", "512m", "--cpus", "1.5", "--ulimit", "nofile=10:20",
                 "--tmpfs", "/run:size=1m", "--add-host", "h:1.2.3.4", "--network", "none", "--health-cmd", "true",
                 "--health-interval", "5s", "--stop-timeout", "7", "--entrypoint", "sh")  # fmt: skip
    body = build_create_body(opts, "busybox", ["-c", "echo"], changed={"stop_timeout", "entrypoint"})
    assert body["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}}
    assert (body["AttachStdin"], body["AttachStdout"], body["AttachStderr"]) == (False, True, True)
    assert body["Env"] == ["A=1"]
    assert body["Cmd"] == ["-c", "echo"]
    assert body["Entrypoint"] == ["sh"]
    assert body["Volumes"] == {"anon": {}}
    assert body["Labels"] == {"k": "v"}
    assert body["StopTimeout"] == 7
    assert body["Healthcheck"] == {"Test": ["CMD-SHELL", "true"], "Interval": 5_000_000_000}
    host = body["HostConfig"]
    assert host["Binds"] == ["/tmp:/data:ro"]
    assert host["NetworkMode"] == "none"
    assert host["PortBindings"] == {"80/tcp": [{"HostIp": "", "HostPort": "8080"}],
                                    "53/udp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}  # fmt: skip
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert (host["Memory"], host["NanoCpus"], host["MemorySwappiness"]) == (536870912, 1500000000, -1)
    assert host["Ulimits"] == [{"Name": "nofile", "Hard": 20, "Soft": 10}]
    assert host["Tmpfs"] == {"/run": "size=1m"}
    assert host["ExtraHosts"] == ["h:1.2.3.4"]
    assert body["NetworkingConfig"] == {"EndpointsConfig": {}}


def test_defaults_and_interactive_flags() -> None:
    body = build_create_body(_opts("-it"), "busybox", [], changed=set())
    assert (body["AttachStdin"], body["OpenStdin"], body["StdinOnce"], body["Tty"]) == (True, True, True, True)
    assert body["Cmd"] is None
    assert body["Entrypoint"] is None
    host = body["HostConfig"]
    assert host["NetworkMode"] == "default"
    assert host["RestartPolicy"] == {"Name": "no", "MaximumRetryCount": 0}
    assert list(body["NetworkingConfig"]["EndpointsConfig"]) == ["default"]
    assert build_create_body(_opts("--entrypoint", ""), "x", [], changed={"entrypoint"})["Entrypoint"] == [""]
    assert build_create_body(_opts("-a", "stdout"), "x", [], changed=set())["AttachStderr"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--rm", "--restart", "always"), "conflicting options: cannot specify both --restart and --rm"),
        (("--no-healthcheck", "--health-cmd", "x"), "--no-healthcheck conflicts with --health-\\* options"),
        (("--memory-swappiness", "200"), "Valid memory swappiness range is 0-100"),
        (("--pid", "bogus"), "--pid: invalid PID mode"),
        (("--security-opt", "nonsense"), 'Invalid --security-opt: "nonsense"'),
        (("--mac-address", "zz"), "zz is not a valid mac address"),
        (("-a", "stdbogus"), "valid streams are STDIN, STDOUT and STDERR"),
        (("--network", "a", "--network", "host"), "cannot attach both user-defined and non-user-defined"),
    ],
)
def test_invalid_combinations(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        build_create_body(_opts(*args), "busybox", [], changed=set())
