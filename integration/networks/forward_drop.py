"""Run inside a fresh network namespace (``unshare --net``): does pymoby work with FORWARD's policy at DROP?

A real Docker sets ``iptables -P FORWARD DROP``. Doing that on the host would
disturb everything else running there, so this script does it in a network
namespace of its own (iptables rules are per namespace) that plays the host,
with a second namespace wired to it playing a machine outside. It runs a
network controller there and reports as JSON whether the outside reaches a
published port and a container reaches the outside (both forwarded), with
our chains and then without the jump into them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import anyio
from nshelp import Box, tcp_server

from pymoby import api
from pymoby.daemon.network import ContainerNetworkSpec, NetworkConfig, NetworkController
from pymoby.daemon.network._netns import create_netns, remove_netns

HOST_SIDE, OUTSIDE = "10.178.0.1", "10.178.0.2"


def sh(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=False, timeout=30)


async def main(base: Path) -> dict[str, bool]:
    sh("ip", "link", "set", "lo", "up")
    sh("iptables", "-P", "FORWARD", "DROP")
    outside = base / "outside"
    await create_netns(outside)
    sh("ip", "link", "add", "pmxhost", "type", "veth", "peer", "name", "eth0", "netns", str(outside))
    sh("ip", "addr", "add", f"{HOST_SIDE}/24", "dev", "pmxhost")
    sh("ip", "link", "set", "pmxhost", "up")
    for command in (["ip", "link", "set", "lo", "up"], ["ip", "addr", "add", f"{OUTSIDE}/24", "dev", "eth0"],
                    ["ip", "link", "set", "eth0", "up"]):  # fmt: skip
        sh("nsenter", f"--net={outside}", *command)
    config = NetworkConfig(data_root=base / "root", exec_root=base / "exec", bridge="pmdrop0",
                           default_address_pools=(("10.177.0.0/16", 24),))  # fmt: skip
    results: dict[str, bool] = {}
    async with NetworkController.open(config) as controller:
        await controller.restore_containers(running=())
        await controller.create_network(api.NetworkCreateRequest(name="app"))
        spec = ContainerNetworkSpec(
            id="a" * 64, name="a", network_mode="app", files_dir=base / "a",
            port_bindings={"7000/tcp": [api.PortBinding()]},
        )  # fmt: skip
        await controller.create_container(spec)
        box = Box(await controller.start_container("a" * 64))
        port = (box.info.settings.ports or {})["7000/tcp"][0]["HostPort"]  # type: ignore[index]

        def probe(prefix: str) -> None:
            with tcp_server(box.netns, 7000, b"a:"):
                fetched = sh("nsenter", f"--net={outside}", "sh", "-c", f"echo hi | busybox nc -w 2 {HOST_SIDE} {port}")
                results[f"{prefix}published"] = fetched.stdout == "a:hi\n"
            results[f"{prefix}outbound"] = box.ping(OUTSIDE, as_container=False)

        await anyio.to_thread.run_sync(probe, "")
        chain = "PYMOBY-pmdrop0-FWD"
        sh("iptables", "-D", "FORWARD", "-j", chain)
        await anyio.to_thread.run_sync(probe, "without_")
        sh("iptables", "-I", "FORWARD", "1", "-j", chain)
    await NetworkController.purge(config)
    await remove_netns(outside)
    return results


if __name__ == "__main__":
    print(json.dumps(anyio.run(main, Path(sys.argv[1]))))
