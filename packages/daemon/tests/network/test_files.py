"""A container's /etc/hosts and /etc/resolv.conf, as Docker writes them (pure)."""

from __future__ import annotations

from pymoby.daemon.network._files import hosts_content, parse_resolv_conf, resolv_conf_content

HOST = parse_resolv_conf(
    "# comment\n"
    "nameserver 127.0.0.53\n"
    "nameserver 10.0.0.2  # trailing\n"
    "nameserver fd00::53\n"
    "search corp.example\n"
    "options edns0 timeout:2\n"
)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_the_hosts_resolv_conf_is_read() -> None:
    assert HOST.nameservers == ("127.0.0.53", "10.0.0.2", "fd00::53")
    assert HOST.search == ("corp.example",)
    assert HOST.options == ("edns0", "timeout:2")


def test_default_bridge_containers_get_the_hosts_servers_minus_loopback() -> None:
    assert lines(resolv_conf_content(HOST)) == ["nameserver 10.0.0.2", "search corp.example", "options edns0 timeout:2"]


def test_ipv6_servers_stay_only_for_ipv6_containers() -> None:
    assert "nameserver fd00::53" in lines(resolv_conf_content(HOST, ipv6=True))


def test_with_only_loopback_servers_google_dns_is_the_fallback() -> None:
    host = parse_resolv_conf("nameserver 127.0.0.53\n")
    assert lines(resolv_conf_content(host)) == ["nameserver 8.8.8.8", "nameserver 8.8.4.4"]


def test_dns_flags_replace_the_hosts_settings() -> None:
    text = resolv_conf_content(HOST, dns=["1.1.1.1"], search=["a.example", "b.example"], options=["ndots:3"])
    assert lines(text) == ["nameserver 1.1.1.1", "search a.example b.example", "options ndots:3"]


def test_user_defined_networks_use_the_embedded_server() -> None:
    text = resolv_conf_content(HOST, embedded=True)
    assert lines(text) == ["nameserver 127.0.0.11", "search corp.example", "options edns0 timeout:2 ndots:0"]
    # The embedded server forwards from the host's namespace, so loopback servers stay usable there.
    assert "# ExtServers: [127.0.0.53 10.0.0.2]" in text


def test_hosts_has_loopback_extra_hosts_links_and_the_containers_addresses() -> None:
    text = hosts_content(
        hostname="web",
        domainname="example.com",
        addresses=["10.1.0.2", "fd00::2"],
        extra_hosts=[("db.local", "10.9.9.9")],
        links=[("db db1 db", "172.17.0.3")],
    )
    assert text.splitlines()[0] == "127.0.0.1\tlocalhost"
    assert "10.9.9.9\tdb.local" in text.splitlines()
    assert "172.17.0.3\tdb db1 db" in text.splitlines()
    assert text.splitlines()[-2:] == ["10.1.0.2\tweb.example.com web", "fd00::2\tweb.example.com web"]
