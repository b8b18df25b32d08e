"""Wire names, unknown fields and validation errors of the JSON codec."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pymoby import api, errdefs


def test_info_uses_dockers_irregular_field_names() -> None:
    data = msgspec.json.decode(api.encode(api.SystemInfo(id="X", ncpu=2, os_type="linux", cpu_set=True)))
    assert data["ID"] == "X"
    assert data["NCPU"] == 2
    assert data["OSType"] == "linux"
    assert data["CPUSet"] is True
    assert data["IPv4Forwarding"] is False
    assert data["DockerRootDir"] == ""
    assert data["Swarm"]["LocalNodeState"] == "inactive"


def test_version_min_api_version_field_name() -> None:
    data = msgspec.json.decode(api.encode(api.SystemVersion(api_version="1.45", min_api_version="1.24")))
    assert data["ApiVersion"] == "1.45"
    assert data["MinAPIVersion"] == "1.24"


def test_unknown_fields_are_ignored_like_go() -> None:
    info = api.decode(b'{"ID": "a", "SomethingNew": {"x": 1}}', api.SystemInfo)
    assert info.id == "a"


def test_wrong_type_is_invalid_parameter_naming_the_field() -> None:
    with pytest.raises(api.InvalidJSON, match=r"\$\.NCPU") as info:
        api.decode(b'{"NCPU": "two"}', api.SystemInfo)
    assert errdefs.is_invalid_parameter(info.value)


def test_malformed_json_is_invalid_parameter() -> None:
    with pytest.raises(api.InvalidJSON):
        api.decode(b"{not json", api.AuthConfig)


def test_auth_config_uses_lower_case_keys_and_omits_empty() -> None:
    data = msgspec.json.decode(api.encode(api.AuthConfig(username="u", password="p", serveraddress="r:5000")))
    assert data == {"username": "u", "password": "p", "serveraddress": "r:5000"}


def test_event_message_keeps_dockers_mixed_case_and_omits_empty_legacy_fields() -> None:
    event = api.EventMessage(
        type="daemon",
        action="reload",
        actor=api.EventActor(id="D", attributes={"debug": "true"}),
        scope="local",
        time=1,
        time_nano=1_000_000_000,
    )
    data = msgspec.json.decode(api.encode(event))
    assert data == {
        "Type": "daemon",
        "Action": "reload",
        "Actor": {"ID": "D", "Attributes": {"debug": "true"}},
        "scope": "local",
        "time": 1,
        "timeNano": 1_000_000_000,
    }
    assert api.decode(api.encode(event), api.EventMessage) == event


@given(
    st.builds(
        api.SystemVersion,
        version=st.text(max_size=20),
        api_version=st.text(max_size=5),
        components=st.lists(st.builds(api.ComponentVersion, name=st.text(max_size=10), version=st.text(max_size=10))),
    )
)
def test_version_round_trips(version: api.SystemVersion) -> None:
    assert api.decode(api.encode(version), api.SystemVersion) == version
