"""Memory: each daemon with its containerd, idle and with 100 running containers, pymobyd against dockerd.

- idle: right after start-up and loading one busybox image, before any
  other benchmark has run (the side-by-side session takes it);
- with a fleet of 100 running busybox containers (``sleep``, no network;
  5 in quick mode), a few seconds after the last one started.

Resident memory (RSS) of the daemon process and its descendants, which are
its containerd (and, for dockerd, any docker-proxy). The runc v2 shims are
not counted: containerd starts one per container, the same binary for both
daemons, and they detach from it; their total is given in the note.
Samples alternate between the two daemons.
"""

from __future__ import annotations

import dataclasses
import time

from harness import Comparison, alternate
from sidebyside import Session, process_tree_rss_mb, shim_rss_mb, using

#: Leaves containers running: run.py runs it after the modules that do not.
RUN_LAST = True


def run(quick: bool, session: Session | None = None) -> list[Comparison]:
    """Both figures (idle from the session, loaded with the shared fleet)."""
    count = 5 if quick else 100
    samples = 2 if quick else 7
    with using(session, quick) as s:
        idle = dataclasses.replace(s.idle_memory, ours=list(s.idle_memory.ours), theirs=list(s.idle_memory.theirs))
        loaded = Comparison(f"memory (RSS) with {count} running containers, daemon + its containerd", "MB", "dockerd")
        s.fleet(count)
        time.sleep(3)  # the last starts' buffers and caches settle

        def sample(pid: int) -> float:
            time.sleep(0.2)
            return process_tree_rss_mb(pid)

        alternate(
            loaded, lambda: sample(s.pymobyd.process.pid), lambda: sample(s.dockerd.process.pid), samples, warmup=0
        )
        ours_shims = shim_rss_mb(s.pymobyd.exec_root / "containerd" / "containerd.sock")
        theirs_shims = shim_rss_mb(s.dockerd.base / "exec" / "containerd" / "containerd.sock")
        loaded.note = (
            f"{s.fleet_size()} busybox sleep containers each; not counted: the runc shims, "
            f"{ours_shims[0]} using {ours_shims[1]:.0f} MB (pymobyd), "
            f"{theirs_shims[0]} using {theirs_shims[1]:.0f} MB (dockerd)"
        )
        return [idle, loaded]
