"""build_spec: the fragments each HostConfig field and daemon setting produces."""

from __future__ import annotations

from typing import Any

import pytest

from pymoby import errdefs
from pymoby.api import HostConfig, Ulimit
from pymoby.daemon.oci import (
    DEFAULT_MASKED_PATHS,
    DEFAULT_READONLY_PATHS,
    InvalidCapability,
    InvalidSeccompProfile,
    JoinNamespaces,
    ProcessSettings,
    ProcessUser,
    SpecSettings,
    bind_mount,
    build_spec,
    merge_env,
)

SETTINGS = SpecSettings(kernel_version=(6, 1, 0))


def spec(hc: HostConfig | None = None, settings: SpecSettings = SETTINGS, **kwargs: Any) -> dict[str, Any]:
    process = kwargs.pop("process", ProcessSettings(["app", "--flag"]))
    return build_spec("c1", process=process, host_config=hc or HostConfig(), settings=settings, **kwargs)


def namespaces(s: dict[str, Any]) -> list[dict[str, str]]:
    return list(s["linux"]["namespaces"])


def mount_at(s: dict[str, Any], destination: str) -> dict[str, Any] | None:
    return next((m for m in s["mounts"] if m["destination"] == destination), None)


def test_defaults() -> None:
    s = spec(hostname="c1host")
    assert s["ociVersion"] == "1.0.2-dev"
    assert s["root"] == {"path": "rootfs"}
    assert s["hostname"] == "c1host"
    assert s["process"]["args"] == ["app", "--flag"]
    assert s["process"]["cwd"] == "/"
    assert s["process"]["user"] == {"uid": 0, "gid": 0, "additionalGids": [0]}
    assert "terminal" not in s["process"]
    assert "noNewPrivileges" not in s["process"]
    assert s["linux"]["cgroupsPath"] == "/pymoby/c1"
    assert s["linux"]["maskedPaths"] == list(DEFAULT_MASKED_PATHS)
    assert s["linux"]["readonlyPaths"] == list(DEFAULT_READONLY_PATHS)
    assert [n["type"] for n in namespaces(s)] == ["mount", "network", "uts", "pid", "ipc"]
    assert s["linux"]["seccomp"]["defaultAction"] == "SCMP_ACT_ERRNO"
    assert mount_at(s, "/dev/shm")["options"][-1] == "size=67108864"  # type: ignore[index]


@pytest.mark.parametrize(
    ("hc", "join", "expected"),
    [
        (HostConfig(network_mode="host"), JoinNamespaces(), ["mount", "uts", "pid", "ipc"]),
        (
            HostConfig(network_mode="container:web", pid_mode="container:web", ipc_mode="container:web"),
            JoinNamespaces(network="/proc/7/ns/net", pid="/proc/7/ns/pid", ipc="/proc/7/ns/ipc"),
            ["mount", "network=/proc/7/ns/net", "uts", "pid=/proc/7/ns/pid", "ipc=/proc/7/ns/ipc"],
        ),
        (HostConfig(), JoinNamespaces(network="/run/netns/x"), ["mount", "network=/run/netns/x", "uts", "pid", "ipc"]),
        (
            HostConfig(ipc_mode="shareable", cgroupns_mode="private"),
            JoinNamespaces(),
            ["mount", "network", "uts", "pid", "ipc", "cgroup"],
        ),
        (HostConfig(ipc_mode="host", pid_mode="host", uts_mode="host"), JoinNamespaces(), ["mount", "network"]),
    ],
)  # fmt: skip
def test_namespaces(hc: HostConfig, join: JoinNamespaces, expected: list[str]) -> None:
    got = [n["type"] + ("=" + n["path"] if "path" in n else "") for n in namespaces(spec(hc, namespaces=join))]
    assert got == expected


def test_container_mode_without_a_resolved_path_is_refused() -> None:
    with pytest.raises(errdefs.InvalidParameter, match="invalid PID mode: container:web"):
        spec(HostConfig(pid_mode="container:web"))


def test_network_sysctls_only_for_a_private_network_namespace() -> None:
    assert spec()["linux"]["sysctl"] == {
        "net.ipv4.ping_group_range": "0 2147483647",
        "net.ipv4.ip_unprivileged_port_start": "0",
    }
    assert "sysctl" not in spec(HostConfig(network_mode="host"))["linux"]
    overridden = spec(HostConfig(sysctls={"net.ipv4.ip_unprivileged_port_start": "1024"}), domainname="example.org")
    assert overridden["linux"]["sysctl"]["net.ipv4.ip_unprivileged_port_start"] == "1024"
    assert overridden["linux"]["sysctl"]["kernel.domainname"] == "example.org"


def test_uts_host_drops_the_hostname() -> None:
    assert "hostname" not in spec(HostConfig(uts_mode="host"), hostname="x")


@pytest.mark.parametrize(
    ("hc", "settings", "with_init"),
    [
        (HostConfig(init=True), SETTINGS, True),
        (HostConfig(), SpecSettings(init=True), True),  # the daemon's --init
        (HostConfig(init=False), SpecSettings(init=True), False),  # the container's false wins
        (HostConfig(init=True, pid_mode="host"), SETTINGS, False),  # the host already has an init
    ],
)
def test_init(hc: HostConfig, settings: SpecSettings, with_init: bool) -> None:
    s = spec(hc, settings)
    if with_init:
        assert s["process"]["args"] == ["/sbin/docker-init", "--", "app", "--flag"]
        assert mount_at(s, "/sbin/docker-init") == {
            "destination": "/sbin/docker-init",
            "type": "bind",
            "source": settings.init_path,
            "options": ["bind", "ro"],
        }
    else:
        assert s["process"]["args"] == ["app", "--flag"]
        assert mount_at(s, "/sbin/docker-init") is None


def test_env_merging() -> None:
    assert merge_env(["PATH=/bin", "HOSTNAME=h", "TERM=xterm"], ["PATH=/usr/bin", "A=1", "TERM", "A=2"]) == [
        "PATH=/usr/bin",
        "HOSTNAME=h",
        "A=1",
        "A=2",
    ]
    s = spec(process=ProcessSettings(["sh"], env=["X=1"], tty=True, linked_env=["DB_PORT=tcp://1"]), hostname="h")
    assert s["process"]["env"] == [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOSTNAME=h",
        "TERM=xterm",
        "DB_PORT=tcp://1",
        "X=1",
    ]
    assert s["process"]["terminal"] is True


def test_console_size_only_with_a_tty() -> None:
    hc = HostConfig(console_size=[40, 120])
    assert spec(hc, process=ProcessSettings(["sh"], tty=True))["process"]["consoleSize"] == {"height": 40, "width": 120}
    assert "consoleSize" not in spec(hc)["process"]


def test_user_and_workdir() -> None:
    s = spec(user=ProcessUser(1, 2, (2, 3)), process=ProcessSettings(["sh"], cwd="/srv"))
    assert s["process"]["user"] == {"uid": 1, "gid": 2, "additionalGids": [2, 3]}
    assert s["process"]["cwd"] == "/srv"


def test_seccomp_choice() -> None:
    assert "seccomp" not in spec(HostConfig(security_opt=["seccomp=unconfined"]))["linux"]
    assert "seccomp" not in spec(HostConfig(privileged=True))["linux"]
    assert "seccomp" not in spec(settings=SpecSettings(seccomp_profile="unconfined"))["linux"]
    daemon_profile = SpecSettings(seccomp_profile='{"defaultAction": "SCMP_ACT_LOG"}')
    assert spec(settings=daemon_profile)["linux"]["seccomp"] == {"defaultAction": "SCMP_ACT_LOG", "syscalls": []}
    # builtin overrides the daemon's profile; a container's JSON overrides both.
    builtin = spec(HostConfig(security_opt=["seccomp=builtin"]), settings=daemon_profile)
    assert builtin["linux"]["seccomp"]["defaultAction"] == "SCMP_ACT_ERRNO"
    own = spec(HostConfig(security_opt=['seccomp={"defaultAction": "SCMP_ACT_TRAP"}']), settings=daemon_profile)
    assert own["linux"]["seccomp"]["defaultAction"] == "SCMP_ACT_TRAP"


def test_custom_seccomp_without_kernel_seccomp_is_refused() -> None:
    no_seccomp = SpecSettings(seccomp_enabled=False)
    assert "seccomp" not in spec(settings=no_seccomp)["linux"]
    with pytest.raises(InvalidSeccompProfile, match="seccomp is not enabled in your kernel"):
        spec(HostConfig(security_opt=['seccomp={"defaultAction": "SCMP_ACT_LOG"}']), settings=no_seccomp)


def test_seccomp_follows_added_capabilities() -> None:
    names = {n for r in spec(HostConfig(cap_add=["SYS_ADMIN"]))["linux"]["seccomp"]["syscalls"] for n in r["names"]}
    assert {"mount", "unshare"} <= names


def test_no_new_privileges_daemon_default_and_container_override() -> None:
    daemon = SpecSettings(no_new_privileges=True)
    assert spec(settings=daemon)["process"]["noNewPrivileges"] is True
    assert (
        "noNewPrivileges" not in spec(HostConfig(security_opt=["no-new-privileges=false"]), settings=daemon)["process"]
    )


def test_masked_and_readonly_paths() -> None:
    unconfined = spec(HostConfig(security_opt=["systempaths=unconfined"]))["linux"]
    assert "maskedPaths" not in unconfined
    assert "readonlyPaths" not in unconfined
    custom = spec(HostConfig(masked_paths=["/proc/x"], readonly_paths=[]))["linux"]
    assert custom["maskedPaths"] == ["/proc/x"]
    assert "readonlyPaths" not in custom
    privileged = spec(HostConfig(privileged=True))["linux"]
    assert "maskedPaths" not in privileged
    assert "readonlyPaths" not in privileged
    assert privileged["resources"]["devices"] == [{"allow": True, "access": "rwm"}]


def test_tmpfs_and_ipc_host_shm() -> None:
    s = spec(HostConfig(tmpfs={"/run": "size=1m,exec"}, ipc_mode="host"))
    assert mount_at(s, "/run") == {
        "destination": "/run",
        "type": "tmpfs",
        "source": "tmpfs",
        "options": ["nosuid", "nodev", "rprivate", "size=1m", "exec"],
    }
    assert mount_at(s, "/dev/shm") == bind_mount("/dev/shm", "/dev/shm")
    # A mount the caller gives for a destination wins over the builder's.
    given = bind_mount("/var/lib/pymoby/shm/c1", "/dev/shm")
    assert mount_at(spec(HostConfig(ipc_mode="shareable"), mounts=[given]), "/dev/shm") == given


def test_rootfs_propagation_follows_shared_and_slave_binds() -> None:
    shared = spec(mounts=[bind_mount("/a", "/a", propagation="rshared"), bind_mount("/b", "/b", propagation="rslave")])
    assert shared["linux"]["rootfsPropagation"] == "shared"
    assert spec(mounts=[bind_mount("/b", "/b", propagation="slave")])["linux"]["rootfsPropagation"] == "rslave"
    assert "rootfsPropagation" not in spec(mounts=[bind_mount("/c", "/c")])["linux"]


def test_cgroup_parent_rlimits_oom_score_annotations_and_hooks() -> None:
    s = spec(
        HostConfig(
            cgroup_parent="/custom", ulimits=[Ulimit("nproc", 10, 5)], oom_score_adj=300, annotations={"a": "b"}
        ),
        settings=SpecSettings(default_ulimits={"nofile": Ulimit("nofile", 2048, 1024)}),
        hooks={"prestart": [{"path": "/bin/hook", "args": ["hook"]}]},
        root_path="/var/lib/x/merged",
    )
    assert s["linux"]["cgroupsPath"] == "/custom/c1"
    assert s["process"]["rlimits"] == [
        {"type": "RLIMIT_NPROC", "hard": 10, "soft": 5},
        {"type": "RLIMIT_NOFILE", "hard": 2048, "soft": 1024},
    ]
    assert s["process"]["oomScoreAdj"] == 300
    assert s["annotations"] == {"a": "b"}
    assert s["hooks"] == {"prestart": [{"path": "/bin/hook", "args": ["hook"]}]}
    assert s["root"] == {"path": "/var/lib/x/merged"}


def test_read_only_root() -> None:
    s = spec(HostConfig(readonly_rootfs=True))
    assert s["root"] == {"path": "rootfs", "readonly": True}


def test_devices_and_cgroup_rules() -> None:
    s = spec(HostConfig(device_cgroup_rules=["c 13:* rwm"]))
    assert s["linux"]["resources"]["devices"][-1] == {
        "allow": True,
        "type": "c",
        "major": 13,
        "minor": -1,
        "access": "rwm",
    }
    assert "devices" not in s["linux"]


def test_unknown_capability_fails_the_build() -> None:
    with pytest.raises(InvalidCapability, match='unknown capability: "CAP_FOO"'):
        spec(HostConfig(cap_add=["foo"]))


def test_apparmor_profile_only_where_apparmor_is() -> None:
    assert "apparmorProfile" not in spec(HostConfig(security_opt=["apparmor=unconfined"]))["process"]
    with_aa = spec(HostConfig(security_opt=["apparmor=custom"]), settings=SpecSettings(apparmor_enabled=True))
    assert with_aa["process"]["apparmorProfile"] == "custom"
