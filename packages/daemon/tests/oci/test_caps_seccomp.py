"""Capability arithmetic and the seccomp profile conversion."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pymoby import errdefs
from pymoby.daemon.oci import (
    DEFAULT_CAPABILITIES,
    KNOWN_CAPABILITIES,
    InvalidCapability,
    InvalidSeccompProfile,
    default_seccomp_profile,
    load_seccomp_profile,
    normalize_capabilities,
    seccomp_for,
    tweak_capabilities,
)

WITHOUT_SYS_RESOURCE = tuple(c for c in KNOWN_CAPABILITIES if c != "CAP_SYS_RESOURCE")


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["net_admin"], ["CAP_NET_ADMIN"]),
        (["CAP_SYS_TIME", "Sys_Nice"], ["CAP_SYS_TIME", "CAP_SYS_NICE"]),
        (["all"], ["ALL"]),
    ],
)
def test_names_are_normalized(names: list[str], expected: list[str]) -> None:
    assert normalize_capabilities(names) == expected


def test_unknown_capability_is_dockers_error() -> None:
    with pytest.raises(InvalidCapability, match=r'^unknown capability: "CAP_FOO"$') as info:
        normalize_capabilities(["foo"])
    assert errdefs.is_invalid_parameter(info.value)


def test_capability_the_daemon_lacks_is_refused_by_name() -> None:
    with pytest.raises(InvalidCapability, match='not available in the current environment: "CAP_SYS_RESOURCE"'):
        normalize_capabilities(["SYS_RESOURCE"], WITHOUT_SYS_RESOURCE)


@pytest.mark.parametrize(
    ("add", "drop", "expected"),
    [
        (None, None, list(DEFAULT_CAPABILITIES)),
        (["NET_ADMIN"], ["chown"], [*[c for c in DEFAULT_CAPABILITIES if c != "CAP_CHOWN"], "CAP_NET_ADMIN"]),
        (["KILL", "cap_chown"], ["ALL"], ["CAP_KILL", "CAP_CHOWN"]),
        (["CHOWN"], None, list(DEFAULT_CAPABILITIES)),  # already there: not twice
        (["ALL"], ["SYS_ADMIN"], [c for c in KNOWN_CAPABILITIES if c != "CAP_SYS_ADMIN"]),
    ],
)
def test_tweak_capabilities(add: list[str] | None, drop: list[str] | None, expected: list[str]) -> None:
    assert tweak_capabilities(add, drop) == expected


def test_privileged_gets_what_the_daemon_holds_in_number_order() -> None:
    caps = tweak_capabilities(["NET_ADMIN"], ["ALL"], privileged=True, available=WITHOUT_SYS_RESOURCE)
    assert caps == list(WITHOUT_SYS_RESOURCE)


@given(st.lists(st.sampled_from(KNOWN_CAPABILITIES), max_size=6), st.lists(st.sampled_from(KNOWN_CAPABILITIES)))
def test_drops_always_win_over_defaults_and_adds_are_present(add: list[str], drop: list[str]) -> None:
    caps = tweak_capabilities(add, drop)
    assert set(add) <= set(caps)
    assert not (set(drop) - set(add)) & set(caps)
    assert len(caps) == len(set(caps))


def syscalls(seccomp: dict[str, Any]) -> set[str]:
    return {name for rule in seccomp["syscalls"] for name in rule["names"] if rule["action"] == "SCMP_ACT_ALLOW"}


def test_default_profile_for_amd64_default_caps() -> None:
    out = seccomp_for(
        default_seccomp_profile(), capabilities=DEFAULT_CAPABILITIES, go_arch="amd64", kernel_version=(6, 1, 0)
    )
    assert out is not None
    assert out["defaultAction"] == "SCMP_ACT_ERRNO"
    assert out["defaultErrnoRet"] == 1
    assert out["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    allowed = syscalls(out)
    assert {"read", "write", "chroot", "arch_prctl"} <= allowed
    assert not {"mount", "unshare", "setns", "reboot", "s390_runtime_instr"} & allowed
    # clone3 without CAP_SYS_ADMIN answers ENOSYS so libc falls back to clone.
    clone3 = [r for r in out["syscalls"] if r["names"] == ["clone3"]]
    assert clone3 == [{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]
    clone = next(r for r in out["syscalls"] if r["names"] == ["clone"])
    assert clone["args"] == [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}]


def test_capabilities_unlock_their_syscalls() -> None:
    out = seccomp_for(
        default_seccomp_profile(),
        capabilities=[*DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN", "CAP_SYS_BOOT"],
        go_arch="amd64",
        kernel_version=(6, 1, 0),
    )
    assert out is not None
    assert {"mount", "unshare", "setns", "reboot", "clone3"} <= syscalls(out)
    assert all(r["names"] != ["clone"] or "args" not in r for r in out["syscalls"])


def test_min_kernel_rules_follow_the_kernel_version() -> None:
    profile = default_seccomp_profile()
    gated = next(r for r in profile["syscalls"] if r.get("includes", {}).get("minKernel"))
    old = seccomp_for(profile, capabilities=(), go_arch="amd64", kernel_version=(4, 4, 0))
    new = seccomp_for(profile, capabilities=(), go_arch="amd64", kernel_version=(6, 1, 0))
    assert old is not None
    assert new is not None
    assert not set(gated["names"]) & syscalls(old)
    assert set(gated["names"]) <= syscalls(new)


def test_arm64_gets_its_own_architectures_and_syscalls() -> None:
    out = seccomp_for(default_seccomp_profile(), capabilities=(), go_arch="arm64", kernel_version=(6, 1, 0))
    assert out is not None
    assert out["architectures"] == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]
    assert "arch_prctl" not in syscalls(out)


def test_custom_profile_and_empty_profile() -> None:
    text = '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "mkdir", "action": "SCMP_ACT_ERRNO"}]}'
    out = seccomp_for(load_seccomp_profile(text), capabilities=(), go_arch="amd64", kernel_version=(6, 1, 0))
    assert out == {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}
    assert seccomp_for({}, capabilities=(), go_arch="amd64", kernel_version=(6, 1, 0)) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "Decoding seccomp profile failed"),
        ("[1]", "Decoding seccomp profile failed"),
        (
            '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86"], "archMap": [{}]}',
            "both 'architectures' and 'archMap'",
        ),
        (
            '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "a", "names": ["b"], "action": "x"}]}',
            "both 'name' and 'names'",
        ),
    ],
)
def test_invalid_profiles(text: str, message: str) -> None:
    with pytest.raises(InvalidSeccompProfile, match=message):
        seccomp_for(load_seccomp_profile(text), capabilities=(), go_arch="amd64", kernel_version=(6, 1, 0))
