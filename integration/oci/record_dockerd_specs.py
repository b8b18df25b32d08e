"""Record the OCI runtime specs Debian's dockerd hands runc, as unit-test data.

Run as root from the checkout (``tools/hatch run test:python
integration/oci/record_dockerd_specs.py``): it starts a private dockerd
(integration/support/dockerd.py), loads the busybox test image, and for each
set of ``docker run`` flags below creates and starts a container, copies the
``config.json`` from dockerd's exec root, and writes it with the container
ID, the paths under dockerd's roots and the seccomp syscall list replaced by
placeholders into packages/daemon/tests/oci/dockerd_specs/NAME.json.
Flags whose container runc refuses to start use the ``recording`` runtime, a
wrapper that copies the bundle's config.json before running runc.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from support.dockerd import start_dockerd  # noqa: E402
from support.images import busybox_image_archive  # noqa: E402

OUT = HERE.parent.parent / "packages" / "daemon" / "tests" / "oci" / "dockerd_specs"

CASES: dict[str, list[str]] = {
    "default": [],
    "caps": ["--cap-add", "NET_ADMIN", "--cap-drop", "CHOWN", "--cap-add", "cap_sys_time"],
    "caps_drop_all": ["--cap-drop", "ALL", "--cap-add", "CAP_KILL"],
    # Started through a wrapper runtime that keeps a copy of config.json: runc itself
    # refuses it on a host whose root lacks some capabilities (CAP_SYS_RESOURCE here).
    "privileged": ["--privileged", "--runtime", "recording"],
    "resources": [
        "--memory", "64m", "--memory-swap", "128m", "--memory-reservation", "32m", "--cpu-shares", "512",
        "--cpus", "1.5", "--cpuset-cpus", "0", "--pids-limit", "100", "--blkio-weight", "300",
        "--oom-kill-disable", "--memory-swappiness", "10",
    ],
    "cpu_quota": ["--cpu-quota", "50000", "--cpu-period", "100000"],
    "readonly_tmpfs_ulimit_shm": [
        "--read-only", "--tmpfs", "/run:size=1m", "--tmpfs", "/scratch", "--ulimit", "nofile=100:200",
        "--shm-size", "32m",
    ],
    "user_uid_gid": ["--user", "1:1", "--group-add", "65534"],
    "user_name": ["--user", "daemon"],
    "security_opts": ["--security-opt", "seccomp=unconfined", "--security-opt", "no-new-privileges"],
    "sysctl_hostname": ["--sysctl", "net.ipv4.ip_forward=1", "--hostname", "h", "--domainname", "example.com"],
    "init": ["--init"],
    "host_namespaces": ["--ipc", "host", "--pid", "host", "--uts", "host"],
    "device": ["--device", "/dev/null:/dev/xnull:rw"],
    "systempaths_unconfined": ["--security-opt", "systempaths=unconfined"],
    "cgroupns_oom_score": ["--cgroupns", "private", "--oom-score-adj", "100"],
    "tty_env_workdir": ["-t", "-w", "/tmp", "-e", "A=b"],
    "ipc_shareable_none": ["--ipc", "none"],
}  # fmt: skip


def normalise(spec: dict[str, Any], cid: str, base: Path) -> dict[str, Any]:
    """Replace the container ID and dockerd's paths; summarise the seccomp syscalls and the host's devices.

    What changes from run to run (the layer's path, dockerd's pid and network
    controller ID in the libnetwork hook) becomes a placeholder too.
    """
    spec["root"]["path"] = "<rootfs>"
    for hook in spec.get("hooks", {}).get("prestart", []):
        hook["path"] = "/proc/<dockerd>/exe"
        hook["args"][-1] = "<controller>"
    devices = spec.get("linux", {}).get("devices")
    if devices and len(devices) > 10:  # a privileged container's: every node of this host's /dev
        spec["linux"]["devices"] = f"<{len(devices)} host devices>"
    seccomp = spec.get("linux", {}).get("seccomp")
    if seccomp is not None:
        seccomp["syscalls"] = f"<{len(seccomp.get('syscalls') or [])} rules>"
    text = json.dumps(spec, indent=2, sort_keys=True)
    text = text.replace(str(base), "<base>").replace(cid, "<id>").replace(cid[:12], "<shortid>")
    result: dict[str, Any] = json.loads(text)
    return result


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="pmrec-", dir="/tmp"))
    kept = base / "kept"
    kept.mkdir()
    wrapper = base / "recording-runc"
    wrapper.write_text(
        "#!/bin/sh\n"
        'prev=""\n'
        'for arg in "$@"; do\n'
        f'  if [ "$prev" = "--bundle" ]; then cp "$arg/config.json" "{kept}/$(basename "$arg").json"; fi\n'
        '  prev="$arg"\n'
        "done\n"
        'exec runc "$@"\n'
    )
    wrapper.chmod(0o755)
    try:
        record(base, kept, wrapper)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def record(base: Path, kept: Path, wrapper: Path) -> None:
    """Run each case under a private dockerd and write what it handed runc."""
    with start_dockerd(base / "d", "--add-runtime", f"recording={wrapper}") as dockerd:
        archive = base / "busybox.tar"
        busybox_image_archive(archive, base / "work")
        dockerd.docker("load", "-i", str(archive))
        bundles = base / "d" / "exec" / "containerd" / "daemon" / "io.containerd.runtime.v2.task" / "moby"
        for name, flags in CASES.items():
            cid = dockerd.docker("create", "--network", "none", *flags, "busybox", "sleep", "1000").stdout
            container_id = cid.decode().strip()
            started = dockerd.docker("start", container_id, check=False)
            try:
                config = bundles / container_id / "config.json"
                if not config.exists():
                    config = kept / f"{container_id}.json"
                if not config.exists():
                    print(f"{name}: not started: {started.stderr.decode().strip()}", file=sys.stderr)
                    continue
                spec = json.loads(config.read_text())
                (OUT / f"{name}.json").write_text(
                    json.dumps({"flags": flags, "spec": normalise(spec, container_id, base / "d")}, indent=1) + "\n"
                )
                print(f"{name}: recorded")
            finally:
                dockerd.docker("rm", "-f", container_id, check=False)


if __name__ == "__main__":
    main()
