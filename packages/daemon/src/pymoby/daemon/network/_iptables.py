"""NAT, forwarding and isolation rules through iptables (Debian ``iptables``, nf_tables backend).

Every rule lives in chains of this daemon's own, named after its default
bridge (:attr:`NetworkConfig.chain_suffix`): ``PYMOBY`` (nat: DNAT of
published ports; filter: accepting them), ``PYMOBY-POST`` (nat: outbound
MASQUERADE and hairpin), ``PYMOBY-FWD`` (filter: forwarding of our bridges),
``PYMOBY-ISO1``/``PYMOBY-ISO2`` (filter: isolation between our bridges).
The built-in chains only get one jump each into them, so a Docker on the
same host is never touched, and as ``PYMOBY-FWD`` accepts our traffic before
FORWARD's policy applies, Docker setting that policy to DROP does not cut us
off.

The chains are always rewritten whole from the daemon's state with one
``iptables-restore --noflush`` (atomic, a few milliseconds): there is no rule
bookkeeping to get wrong, and after a crash the first rewrite leaves exactly
the rules of the networks and containers that still exist.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import anyio

from ._errors import NetworkSetupError

__all__ = ["BridgeRules", "Chains", "Iptables", "PortRule", "render_rules"]

log = logging.getLogger("pymoby.daemon.network")


@dataclass(frozen=True, slots=True)
class Chains:
    """The chain names of one daemon."""

    suffix: str = ""

    @property
    def ports(self) -> str:
        """nat: DNAT of published ports; filter: their ACCEPT rules."""
        return f"PYMOBY{self.suffix}"

    @property
    def post(self) -> str:
        """nat: MASQUERADE."""
        return f"PYMOBY{self.suffix}-POST"

    @property
    def forward(self) -> str:
        """filter: forwarding of our bridges."""
        return f"PYMOBY{self.suffix}-FWD"

    @property
    def isolation1(self) -> str:
        """filter: traffic leaving one of our bridges for another interface."""
        return f"PYMOBY{self.suffix}-ISO1"

    @property
    def isolation2(self) -> str:
        """filter: ... dropped when that interface is another of our bridges."""
        return f"PYMOBY{self.suffix}-ISO2"

    def jumps(self) -> list[tuple[str, str, list[str]]]:
        """(table, built-in chain, rule) of the jumps into our chains."""
        return [
            ("filter", "FORWARD", ["-j", self.forward]),
            ("nat", "PREROUTING", ["-m", "addrtype", "--dst-type", "LOCAL", "-j", self.ports]),
            ("nat", "OUTPUT", ["!", "-d", "127.0.0.0/8", "-m", "addrtype", "--dst-type", "LOCAL", "-j", self.ports]),
            ("nat", "POSTROUTING", ["-j", self.post]),
        ]


@dataclass(frozen=True, slots=True)
class BridgeRules:
    """What the rules need to know of one bridge network."""

    device: str
    subnets: tuple[str, ...]
    internal: bool = False
    icc: bool = True
    masquerade: bool = True


@dataclass(frozen=True, slots=True)
class PortRule:
    """One published IPv4 port: host address and port -> container address and port."""

    device: str
    proto: str
    host_ip: str
    host_port: int
    container_ip: str
    container_port: int


def render_rules(chains: Chains, bridges: Iterable[BridgeRules], ports: Iterable[PortRule]) -> str:
    """The ``iptables-restore --noflush`` input that makes our chains hold exactly these rules."""
    bridges, ports = list(bridges), list(ports)
    fwd, iso1, iso2, pub, post = chains.forward, chains.isolation1, chains.isolation2, chains.ports, chains.post
    f: list[str] = ["*filter"]
    f += [f":{c} - [0:0]" for c in (fwd, pub, iso1, iso2)]
    f += [f"-F {c}" for c in (fwd, pub, iso1, iso2)]
    f.append(f"-A {fwd} -j {iso1}")
    for b in bridges:
        dev = b.device
        if b.internal:
            f.append(f"-A {fwd} -i {dev} -o {dev} -j {'ACCEPT' if b.icc else 'DROP'}")
            for subnet in b.subnets:
                f.append(f"-A {iso1} ! -s {subnet} -o {dev} -j DROP")
                f.append(f"-A {iso1} ! -d {subnet} -i {dev} -j DROP")
            continue
        f.append(f"-A {fwd} -o {dev} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
        f.append(f"-A {fwd} -o {dev} -j {pub}")
        f.append(f"-A {fwd} -i {dev} ! -o {dev} -j ACCEPT")
        f.append(f"-A {fwd} -i {dev} -o {dev} -j {'ACCEPT' if b.icc else 'DROP'}")
        f.append(f"-A {iso1} -i {dev} ! -o {dev} -j {iso2}")
        f.append(f"-A {iso2} -o {dev} -j DROP")
    f.append(f"-A {iso1} -j RETURN")
    f.append(f"-A {iso2} -j RETURN")
    for p in ports:
        f.append(
            f"-A {pub} -d {p.container_ip}/32 ! -i {p.device} -o {p.device} -p {p.proto} -m {p.proto}"
            f" --dport {p.container_port} -j ACCEPT"
        )
    f.append("COMMIT")

    n: list[str] = ["*nat", f":{pub} - [0:0]", f":{post} - [0:0]", f"-F {pub}", f"-F {post}"]
    for b in bridges:
        if not b.internal:
            n.append(f"-A {pub} -i {b.device} -j RETURN")
    for p in ports:
        dest = "" if p.host_ip in ("", "0.0.0.0") else f"-d {p.host_ip}/32 "
        n.append(
            f"-A {pub} {dest}! -i {p.device} -p {p.proto} -m {p.proto} --dport {p.host_port}"
            f" -j DNAT --to-destination {p.container_ip}:{p.container_port}"
        )
    for b in bridges:
        if not b.internal and b.masquerade:
            for subnet in b.subnets:
                n.append(f"-A {post} -s {subnet} ! -o {b.device} -j MASQUERADE")
    for p in ports:
        n.append(
            f"-A {post} -s {p.container_ip}/32 -d {p.container_ip}/32 -p {p.proto} -m {p.proto}"
            f" --dport {p.container_port} -j MASQUERADE"
        )
    n.append("COMMIT")
    return "\n".join(f + n) + "\n"


def _binary(name: str) -> str:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin:/bin") or name


class Iptables:
    """Runs iptables for one daemon's chains."""

    def __init__(self, chains: Chains) -> None:
        self.chains = chains
        self._iptables = _binary("iptables")
        self._restore = _binary("iptables-restore")

    async def _run(self, args: Sequence[str], stdin: bytes | None = None) -> tuple[int, str]:
        try:
            result = await anyio.run_process(list(args), input=stdin, check=False)
        except OSError as exc:
            raise NetworkSetupError(f"failed to run {args[0]}: {exc}") from exc
        return result.returncode, (result.stderr or b"").decode(errors="replace").strip()

    async def restore(self, text: str) -> None:
        """Apply ``iptables-restore --noflush`` input atomically (retried while others write too)."""
        message = ""
        for attempt in range(5):
            code, message = await self._run([self._restore, "-w", "--noflush"], text.encode())
            if code == 0:
                return
            # nf_tables refuses a transaction when another writer got in between: try again.
            log.debug("iptables-restore failed (attempt %d): %s", attempt + 1, message)
            await anyio.sleep(0.05 * (attempt + 1))
        raise NetworkSetupError(f"iptables failed: {message}")

    async def _has(self, table: str, chain: str, rule: list[str]) -> bool:
        code, _ = await self._run([self._iptables, "-w", "-t", table, "-C", chain, *rule])
        return code == 0

    async def setup(self, bridges: Iterable[BridgeRules], ports: Iterable[PortRule]) -> str:
        """Create our chains with these rules and make sure the built-in chains jump into them; the rules."""
        text = render_rules(self.chains, bridges, ports)
        await self.restore(text)
        for table, chain, rule in self.chains.jumps():
            if not await self._has(table, chain, rule):
                code, message = await self._run([self._iptables, "-w", "-t", table, "-I", chain, "1", *rule])
                if code != 0:
                    raise NetworkSetupError(f"failed to add the jump to {rule[-1]} in {table}/{chain}: {message}")
        return text

    async def remove(self) -> None:
        """Delete the jumps and our chains (the daemon's iptables footprint), whatever is left of them."""
        for table, chain, rule in self.chains.jumps():
            for _ in range(10):
                code, _message = await self._run([self._iptables, "-w", "-t", table, "-D", chain, *rule])
                if code != 0:
                    break
        c = self.chains
        for table, names in (("filter", [c.forward, c.ports, c.isolation1, c.isolation2]), ("nat", [c.ports, c.post])):
            for name in names:
                await self._run([self._iptables, "-w", "-t", table, "-F", name])
            for name in names:
                await self._run([self._iptables, "-w", "-t", table, "-X", name])
