"""The build router: ``POST /build`` (the classic builder's JSON stream) and ``POST /build/prune``.

The query is read as dockerd reads it (``newImageBuildOptions``): ``t``
(several), ``dockerfile``, ``buildargs``, ``labels`` and ``ulimits`` as
JSON, ``target``, ``nocache``, ``pull``, ``rm`` (on unless ``rm=0``),
``forcerm``, ``q``, ``platform``, ``networkmode``, ``extrahosts``,
``shmsize`` and the cpu and memory limits of RUN containers. Registry
credentials for FROM's pulls come in ``X-Registry-Config``. A failure
before the build writes anything is the answer's status (a 400 for a bad
Dockerfile); after that it is the stream's last line.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence

import msgspec

from pymoby import api, errdefs

from ....builder import BuildOptions
from ..._request import QueryArgs, Request
from ..._response import Response, StreamingResponse, json_response
from ..._routing import Route, post
from ._backend import BuildBackend

__all__ = ["BuildRouter", "build_options"]

_ISOLATIONS = frozenset({"", "default"})
_BuildArgs = dict[str, str | None]


def _int_or_zero(query: QueryArgs, name: str) -> int:
    """Docker's ``Int64ValueOrZero``: a malformed value counts as 0."""
    try:
        return int(query.get(name, "") or 0)
    except ValueError:
        return 0


def _json_arg(query: QueryArgs, name: str, kind: type, what: str) -> object:
    text = query.get(name, "")
    if not text:
        return None
    try:
        return msgspec.json.decode(text.encode(), type=kind)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise errdefs.InvalidParameter(f"error reading {what}: {exc}") from exc


def auth_configs(header: str) -> dict[str, api.AuthConfig]:
    """``X-Registry-Config``: base64url JSON of registry -> credentials; unreadable counts as none, as in dockerd."""
    if not header:
        return {}
    try:
        raw = base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))
        data = json.loads(raw)
        return msgspec.convert(data, dict[str, api.AuthConfig])
    except (binascii.Error, ValueError, msgspec.ValidationError):
        return {}


def build_options(request: Request) -> BuildOptions:
    """The build's options from the query and headers of ``POST /build``. Raises ``InvalidParameter``."""
    query = request.query
    if "securityopt" in query:
        raise errdefs.InvalidParameter("security options are not supported on linux")
    version = query.get("version", "")
    if version not in ("", "1", "2"):
        raise errdefs.InvalidParameter(f'invalid version "{version}"')
    if version == "2":
        raise errdefs.NotImplemented("BuildKit is not supported by pymobyd: use the classic builder (version=1)")
    if query.get("remote", "") == "client-session":
        raise errdefs.InvalidParameter(
            "experimental session with v1 builder is no longer supported, use builder version v2 (BuildKit) instead"
        )
    if query.get_bool("squash"):
        raise errdefs.NotImplemented("squash is not supported by pymobyd")
    isolation = query.get("isolation", "")
    if isolation not in _ISOLATIONS:
        raise errdefs.InvalidParameter(f'unsupported isolation: "{isolation}"')
    shm_text = query.get("shmsize", "")
    try:
        shm_size = int(shm_text) if shm_text else 0
    except ValueError:
        raise errdefs.InvalidParameter(f'strconv.ParseInt: parsing "{shm_text}": invalid syntax') from None
    force_remove = query.get_bool("forcerm")
    remove = True if force_remove or query.get("rm", "") == "" else query.get_bool("rm")
    ulimits = _json_arg(query, "ulimits", list[api.Ulimit], "ulimit settings") or []
    build_args = _json_arg(query, "buildargs", _BuildArgs, "build args") or {}
    labels = _json_arg(query, "labels", dict[str, str], "labels") or {}
    _json_arg(query, "cachefrom", list[str], "cache-from")
    platform = query.get("platform", "") if request.api_version and _at_least(request.api_version, (1, 32)) else ""
    return BuildOptions(
        dockerfile=query.get("dockerfile", "") or "Dockerfile",
        tags=tuple(query.get_all("t")),
        build_args=build_args,  # type: ignore[arg-type]
        labels=labels,  # type: ignore[arg-type]
        target=query.get("target", ""),
        no_cache=query.get_bool("nocache"),
        pull=query.get_bool("pull"),
        remove=remove,
        force_remove=force_remove,
        quiet=query.get_bool("q"),
        platform=platform,
        network_mode=query.get("networkmode", ""),
        extra_hosts=tuple(query.get_all("extrahosts")),
        shm_size=shm_size,
        memory=_int_or_zero(query, "memory"),
        memory_swap=_int_or_zero(query, "memswap"),
        cpu_shares=_int_or_zero(query, "cpushares"),
        cpu_period=_int_or_zero(query, "cpuperiod"),
        cpu_quota=_int_or_zero(query, "cpuquota"),
        cpuset_cpus=query.get("cpusetcpus", ""),
        cpuset_mems=query.get("cpusetmems", ""),
        cgroup_parent=query.get("cgroupparent", ""),
        ulimits=tuple(ulimits),  # type: ignore[arg-type]
        remote=query.get("remote", ""),
        auth_configs=auth_configs(request.headers.get("x-registry-config", "")),
    )


def _at_least(version: str, wanted: tuple[int, int]) -> bool:
    try:
        major, minor = (int(part) for part in version.split(".")[:2])
    except ValueError:
        return True
    return (major, minor) >= wanted


class BuildRouter:
    """Routes of the build endpoints over a :class:`BuildBackend`."""

    def __init__(self, backend: BuildBackend) -> None:
        self.backend = backend

    def routes(self) -> Sequence[Route]:
        """The table."""
        return (
            post("/build", self.post_build),
            post("/build/prune", self.post_build_prune),
        )

    async def post_build(self, request: Request) -> StreamingResponse:
        """Build an image from the context tar in the body; the build's JSON stream."""
        options = build_options(request)
        job = self.backend.build(request.body.receive, options)
        await job.first()
        return StreamingResponse(job.output())

    async def post_build_prune(self, request: Request) -> Response:
        """Delete the build cache (``filters``, ``all``; ``keep-storage`` is checked and has no effect)."""
        query = request.query
        keep = query.get("keep-storage", "")
        if keep:
            try:
                int(keep)
            except ValueError:
                raise errdefs.InvalidParameter(f"keep-storage is in bytes and expects an integer, got {keep}") from None
        report = await self.backend.prune(query.get_filters(), all_cache=query.get_bool("all"))
        return json_response(report)
