"""Seccomp: Docker's profile format converted to the OCI ``linux.seccomp`` of one container.

A Docker profile (``seccomp_default.json`` shipped in this package, or a
user's ``--security-opt seccomp=<json>``) has rules that apply only to some
architectures, to containers holding (or lacking) some capabilities, or to
kernels from some version on. :func:`seccomp_for` keeps the rules that apply
to this container and host, as moby's ``profiles/seccomp`` does, and maps
``archMap`` to the native architecture and its sub-architectures.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Collection, Mapping
from importlib import resources
from typing import Any

from pymoby import errdefs

__all__ = [
    "InvalidSeccompProfile",
    "builtin_seccomp_profile",
    "default_seccomp_profile",
    "load_seccomp_profile",
    "seccomp_for",
]

# Go's GOARCH -> the name profiles use in includes/excludes.arches (libseccomp's native names).
_GO_TO_NATIVE = {
    "386": "x86",
    "amd64": "amd64",
    "arm": "arm",
    "arm64": "arm64",
    "mips64": "mips64",
    "mips64p32": "mips64n32",
    "mips64le": "mipsel64",
    "mips64p32le": "mips3l64n32",
    "mipsle": "mipsel",
    "ppc": "ppc",
    "ppc64": "ppc64",
    "ppc64le": "ppc64le",
    "riscv64": "riscv64",
    "s390": "s390",
    "s390x": "s390x",
    "loong64": "loong64",
}
# native name -> SCMP_ARCH_* as archMap spells the main architecture.
_NATIVE_TO_SCMP = {
    "x86": "SCMP_ARCH_X86",
    "amd64": "SCMP_ARCH_X86_64",
    "arm": "SCMP_ARCH_ARM",
    "arm64": "SCMP_ARCH_AARCH64",
    "mips64": "SCMP_ARCH_MIPS64",
    "mips64n32": "SCMP_ARCH_MIPS64N32",
    "mipsel64": "SCMP_ARCH_MIPSEL64",
    "mips3l64n32": "SCMP_ARCH_MIPSEL64N32",
    "mipsel": "SCMP_ARCH_MIPSEL",
    "ppc": "SCMP_ARCH_PPC",
    "ppc64": "SCMP_ARCH_PPC64",
    "ppc64le": "SCMP_ARCH_PPC64LE",
    "riscv64": "SCMP_ARCH_RISCV64",
    "s390": "SCMP_ARCH_S390",
    "s390x": "SCMP_ARCH_S390X",
    "loong64": "SCMP_ARCH_LOONGARCH64",
}
# Fields of a profile that are the OCI ``LinuxSeccomp`` itself and are copied as they are.
_COMMON = ("defaultAction", "defaultErrnoRet", "architectures", "flags", "listenerPath", "listenerMetadata")


class InvalidSeccompProfile(errdefs.InvalidParameter):
    """A seccomp profile is not JSON, or not a valid Docker profile."""


@functools.cache
def _default_profile_text() -> str:
    return resources.files(__package__).joinpath("seccomp_default.json").read_text()


@functools.cache
def builtin_seccomp_profile() -> Mapping[str, Any]:
    """Docker's default profile, parsed once and shared: read it, do not change it."""
    profile: dict[str, Any] = json.loads(_default_profile_text())
    return profile


def default_seccomp_profile() -> dict[str, Any]:
    """Docker's default profile (a fresh copy the caller may change), as shipped in this package."""
    profile: dict[str, Any] = json.loads(_default_profile_text())
    return profile


def load_seccomp_profile(text: str) -> dict[str, Any]:
    """Parse a Docker seccomp profile from JSON text.

    Raises :class:`InvalidSeccompProfile` (Docker's "Decoding seccomp
    profile failed" wording) when it is not a JSON object.
    """
    try:
        profile = json.loads(text)
    except ValueError as exc:
        raise InvalidSeccompProfile(f"Decoding seccomp profile failed: {exc}") from exc
    if not isinstance(profile, dict):
        raise InvalidSeccompProfile("Decoding seccomp profile failed: the profile is not a JSON object")
    return profile


def _parse_kernel(version: str) -> tuple[int, int, int]:
    parts: list[int] = []
    for piece in version.split("-", 1)[0].split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit()) if piece else ""
        if not digits:
            raise InvalidSeccompProfile(f"Can't parse kernel version {version}")
        parts.append(int(digits))
    while len(parts) < 3:
        parts.append(0)
    return parts[0], parts[1], parts[2]


def _filter(rule: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = rule.get(key)
    return value if isinstance(value, Mapping) else {}


def _applies(rule: Mapping[str, Any], arch: str, capabilities: Collection[str], kernel: tuple[int, int, int]) -> bool:
    excludes, includes = _filter(rule, "excludes"), _filter(rule, "includes")
    if arch in (excludes.get("arches") or ()):
        return False
    if any(c in capabilities for c in excludes.get("caps") or ()):
        return False
    if excludes.get("minKernel") and kernel >= _parse_kernel(excludes["minKernel"]):
        return False
    if includes.get("arches") and arch not in includes["arches"]:
        return False
    if any(c not in capabilities for c in includes.get("caps") or ()):
        return False
    return not (includes.get("minKernel") and kernel < _parse_kernel(includes["minKernel"]))


def _syscall(rule: Mapping[str, Any]) -> dict[str, Any]:
    if rule.get("name") and rule.get("names"):
        raise InvalidSeccompProfile(
            "both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'"
        )
    names = [rule["name"]] if rule.get("name") else list(rule.get("names") or ())
    out: dict[str, Any] = {"names": names, "action": rule.get("action", "")}
    if rule.get("errnoRet") is not None:
        out["errnoRet"] = rule["errnoRet"]
    args = []
    for arg in rule.get("args") or ():
        item = {"index": arg.get("index", 0), "value": arg.get("value", 0), "op": arg.get("op", "")}
        if arg.get("valueTwo"):
            item["valueTwo"] = arg["valueTwo"]
        args.append(item)
    if args:
        out["args"] = args
    return out


def seccomp_for(
    profile: Mapping[str, Any],
    *,
    capabilities: Collection[str],
    go_arch: str,
    kernel_version: tuple[int, int, int],
) -> dict[str, Any] | None:
    """The OCI ``linux.seccomp`` for a container with these bounding ``capabilities``.

    ``go_arch`` is Go's name of the host architecture (``amd64``);
    ``kernel_version`` the host kernel's (major, minor, patch). Returns
    ``None`` for an empty profile (no default action and no rules), which
    means no filter, as Docker does. Raises :class:`InvalidSeccompProfile`
    for a profile with both ``architectures`` and ``archMap``, or a rule with
    both ``name`` and ``names``.
    """
    if not profile.get("defaultAction") and not profile.get("syscalls"):
        return None
    if profile.get("architectures") and profile.get("archMap"):
        raise InvalidSeccompProfile(
            "both 'architectures' and 'archMap' are specified in the seccomp profile, "
            "use either 'architectures' or 'archMap'"
        )
    out: dict[str, Any] = {
        key: copy.deepcopy(profile[key]) for key in _COMMON if profile.get(key) not in (None, "", [], {})
    }
    native = _GO_TO_NATIVE.get(go_arch, go_arch)
    scmp_arch = _NATIVE_TO_SCMP.get(native)
    for entry in profile.get("archMap") or ():
        if scmp_arch is not None and entry.get("architecture") == scmp_arch:
            out["architectures"] = [scmp_arch, *(entry.get("subArchitectures") or ())]
            break
    out["syscalls"] = [
        _syscall(rule) for rule in profile.get("syscalls") or () if _applies(rule, native, capabilities, kernel_version)
    ]
    return out
