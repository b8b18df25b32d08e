"""The iptables rules rendered from the state (pure): chains per daemon, isolation, NAT, ports."""

from __future__ import annotations

import pytest

from pymoby.daemon.network._iptables import BridgeRules, Chains, PortRule, render_rules

CHAINS = Chains("-pmt-gw0")


def rules(text: str, table: str) -> list[str]:
    section = text.split(f"*{table}\n", 1)[1].split("COMMIT", 1)[0]
    return [line for line in section.splitlines() if line.startswith("-A ")]


def test_chain_names_are_per_daemon_and_fit_iptables_limits() -> None:
    default = Chains("")
    assert (default.ports, default.forward, default.post) == ("PYMOBY", "PYMOBY-FWD", "PYMOBY-POST")
    longest = Chains("-" + "x" * 15)
    for name in (longest.ports, longest.post, longest.forward, longest.isolation1, longest.isolation2):
        assert len(name) <= 28
    jumps = {(table, chain) for table, chain, _ in CHAINS.jumps()}
    assert jumps == {("filter", "FORWARD"), ("nat", "PREROUTING"), ("nat", "OUTPUT"), ("nat", "POSTROUTING")}


def test_render_flushes_only_our_own_chains() -> None:
    text = render_rules(CHAINS, [], [])
    flushed = [line for line in text.splitlines() if line.startswith("-F ")]
    assert flushed
    assert all("PYMOBY-pmt-gw0" in line for line in flushed)
    assert "DOCKER" not in text
    assert "FORWARD" not in text.replace("-FWD", "")


def test_a_bridge_gets_forwarding_isolation_and_masquerade() -> None:
    text = render_rules(CHAINS, [BridgeRules("br1", ("10.1.0.0/24",))], [])
    fwd = rules(text, "filter")
    assert "-A PYMOBY-pmt-gw0-FWD -o br1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" in fwd
    assert "-A PYMOBY-pmt-gw0-FWD -i br1 ! -o br1 -j ACCEPT" in fwd
    assert "-A PYMOBY-pmt-gw0-FWD -i br1 -o br1 -j ACCEPT" in fwd
    assert "-A PYMOBY-pmt-gw0-ISO1 -i br1 ! -o br1 -j PYMOBY-pmt-gw0-ISO2" in fwd
    assert "-A PYMOBY-pmt-gw0-ISO2 -o br1 -j DROP" in fwd
    nat = rules(text, "nat")
    assert "-A PYMOBY-pmt-gw0-POST -s 10.1.0.0/24 ! -o br1 -j MASQUERADE" in nat
    assert "-A PYMOBY-pmt-gw0 -i br1 -j RETURN" in nat


@pytest.mark.parametrize(("icc", "verdict"), [(True, "ACCEPT"), (False, "DROP")])
def test_icc_decides_traffic_inside_a_bridge(icc: bool, verdict: str) -> None:
    text = render_rules(CHAINS, [BridgeRules("br1", ("10.1.0.0/24",), icc=icc)], [])
    assert f"-A PYMOBY-pmt-gw0-FWD -i br1 -o br1 -j {verdict}" in rules(text, "filter")


def test_an_internal_bridge_has_no_way_out() -> None:
    text = render_rules(CHAINS, [BridgeRules("br2", ("10.2.0.0/24",), internal=True)], [])
    filt, nat = rules(text, "filter"), rules(text, "nat")
    assert "-A PYMOBY-pmt-gw0-ISO1 ! -s 10.2.0.0/24 -o br2 -j DROP" in filt
    assert "-A PYMOBY-pmt-gw0-ISO1 ! -d 10.2.0.0/24 -i br2 -j DROP" in filt
    assert not any("-i br2 ! -o br2 -j ACCEPT" in r for r in filt)
    assert not any("br2" in r for r in nat)


def test_masquerade_can_be_turned_off() -> None:
    text = render_rules(CHAINS, [BridgeRules("br1", ("10.1.0.0/24",), masquerade=False)], [])
    assert not any("MASQUERADE" in r for r in rules(text, "nat"))


def test_published_ports_get_dnat_accept_and_hairpin() -> None:
    ports = [
        PortRule("br1", "tcp", "0.0.0.0", 8080, "10.1.0.2", 80),
        PortRule("br1", "udp", "127.0.0.1", 5353, "10.1.0.2", 53),
    ]
    text = render_rules(CHAINS, [BridgeRules("br1", ("10.1.0.0/24",))], ports)
    nat, filt = rules(text, "nat"), rules(text, "filter")
    assert "-A PYMOBY-pmt-gw0 ! -i br1 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.1.0.2:80" in nat
    assert (
        "-A PYMOBY-pmt-gw0 -d 127.0.0.1/32 ! -i br1 -p udp -m udp --dport 5353 -j DNAT --to-destination 10.1.0.2:53"
        in nat
    )
    assert "-A PYMOBY-pmt-gw0-POST -s 10.1.0.2/32 -d 10.1.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE" in nat
    assert "-A PYMOBY-pmt-gw0 -d 10.1.0.2/32 ! -i br1 -o br1 -p tcp -m tcp --dport 80 -j ACCEPT" in filt
    # The bridge's RETURN comes before the DNAT rules: containers reach published ports through the proxy.
    assert nat.index("-A PYMOBY-pmt-gw0 -i br1 -j RETURN") < nat.index(
        "-A PYMOBY-pmt-gw0 ! -i br1 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.1.0.2:80"
    )
