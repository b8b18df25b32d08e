"""Record the mounts Debian's dockerd gives runc, and inspect's ``Mounts``, for volume flags: unit-test data.

Run as root from the checkout (``tools/hatch run test:python
integration/volumes/record_dockerd_mounts.py``): a private dockerd
(integration/support/dockerd.py) loads the busybox test image, and for each
case below creates and starts a container, keeps the user mounts of the
``config.json`` it handed runc (the default ones and /etc/hosts & co.
dropped) and the ``Mounts`` of ``docker inspect``, with dockerd's paths
replaced by placeholders, into packages/daemon/tests/volume/dockerd_mounts.json.
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

OUT = HERE.parent.parent / "packages" / "daemon" / "tests" / "volume" / "dockerd_mounts.json"
DEFAULTS = {"/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm"}
NETWORK_FILES = {"/etc/resolv.conf", "/etc/hostname", "/etc/hosts"}

CASES: dict[str, list[str]] = {
    "named": ["-v", "named:/data"],
    "named_ro_nocopy": ["-v", "named2:/data:ro,nocopy"],
    "anonymous": ["-v", "/anon"],
    "bind": ["-v", "<host>:/host"],
    "bind_ro_z": ["-v", "<host>:/host:ro,z"],
    "mount_bind": ["--mount", "type=bind,source=<host>,target=/mb,readonly,bind-propagation=rprivate"],
    "mount_volume": ["--mount", "type=volume,source=mv,target=/mv,volume-nocopy"],
    "mount_tmpfs": ["--mount", "type=tmpfs,target=/mt,tmpfs-size=2097152,tmpfs-mode=1700"],
    "tmpfs": ["--tmpfs", "/run:size=64k,exec"],
}


def _replace(value: Any, base: str, host: str) -> Any:
    text = json.dumps(value).replace(host, "<host>").replace(base, "<base>")
    return json.loads(text)


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="pmrec-", dir="/tmp"))
    host = base / "hostdir"
    host.mkdir()
    recorded: dict[str, Any] = {}
    try:
        with start_dockerd(base / "d") as dockerd:
            archive = base / "busybox.tar"
            busybox_image_archive(archive, base / "work")
            dockerd.docker("load", "-i", str(archive))
            bundles = base / "d" / "exec" / "containerd" / "daemon" / "io.containerd.runtime.v2.task" / "moby"
            for name, flags in CASES.items():
                flags = [f.replace("<host>", str(host)) for f in flags]
                cid = dockerd.docker("create", "--network", "none", *flags, "busybox", "sleep", "1000").stdout
                container_id = cid.decode().strip()
                try:
                    dockerd.docker("start", container_id)
                    spec = json.loads((bundles / container_id / "config.json").read_text())
                    mounts = [m for m in spec["mounts"] if m["destination"] not in DEFAULTS | NETWORK_FILES]
                    inspect = json.loads(dockerd.docker("inspect", container_id).stdout)[0]["Mounts"]
                    recorded[name] = _replace(
                        {"flags": CASES[name], "mounts": mounts, "inspect": inspect}, str(base / "d"), str(host)
                    )
                    print(f"{name}: recorded")
                finally:
                    dockerd.docker("rm", "-f", "-v", container_id, check=False)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    OUT.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
