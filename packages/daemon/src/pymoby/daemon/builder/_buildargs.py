"""Build arguments: ``--build-arg`` values, ``ARG`` declarations and their defaults (dockerd's ``BuildArgs``).

A value given with ``--build-arg`` is only seen by steps after an ``ARG``
declaring it (in the current stage; ``ARG`` before the first ``FROM``
declares it for ``FROM`` lines, and gives a default that a stage's bare
``ARG NAME`` picks up). The proxy variables (``HTTP_PROXY`` and friends, in
both cases) are predeclared: usable in RUN without ``ARG``, and left out of
the image's history unless declared. Values given but never declared are
reported at the end of the build.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["BUILTIN_ARGS", "BuildArgs"]

#: The predeclared proxy arguments.
BUILTIN_ARGS = frozenset(
    {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy"}
)


class BuildArgs:
    """The arguments of one build, or of one stage of it (:meth:`for_stage`)."""

    def __init__(self, options: Mapping[str, str | None]) -> None:
        #: What the client gave (``None``: named without a value and not in its environment).
        self.options = dict(options)
        #: Declared in the current stage, with their defaults.
        self.allowed: dict[str, str | None] = {}
        #: Declared before the first FROM.
        self.meta: dict[str, str | None] = {}
        #: Declared anywhere so far.
        self.referenced: set[str] = set()

    def for_stage(self) -> BuildArgs:
        """A copy for a new stage: the meta arguments and what was referenced, nothing allowed yet."""
        other = BuildArgs(self.options)
        other.meta = dict(self.meta)
        other.referenced = set(self.referenced)
        return other

    def merge_referenced(self, other: BuildArgs) -> None:
        """Count what ``other`` (a finished stage) referenced."""
        self.referenced |= other.referenced

    def add_arg(self, key: str, default: str | None) -> None:
        """``ARG key[=default]`` in a stage."""
        self.allowed[key] = default
        self.referenced.add(key)

    def add_meta_arg(self, key: str, default: str | None) -> None:
        """``ARG key[=default]`` before the first FROM."""
        self.meta[key] = default

    def _value(self, key: str, source: Mapping[str, str | None]) -> tuple[str, bool]:
        given = self.options.get(key)
        if key in self.options and given is not None:
            return given, True
        default = source.get(key)
        if default is None:
            meta = self.meta.get(key)
            if meta is not None:
                return meta, True
            return "", False
        return default, key in source

    def _all(self, source: Mapping[str, str | None]) -> dict[str, str]:
        result = {}
        for key in [*source, *sorted(BUILTIN_ARGS)]:
            value, found = self._value(key, source)
            if found:
                result[key] = value
        return result

    def all_allowed(self) -> dict[str, str]:
        """The values of the arguments the current stage may use."""
        return self._all(self.allowed)

    def all_meta(self) -> dict[str, str]:
        """The values of the arguments FROM lines may use."""
        return self._all(self.meta)

    def filter_allowed(self, env: list[str]) -> list[str]:
        """``KEY=value`` of the usable arguments that ``env`` (``KEY=value`` list) does not already set."""
        keys = {item.partition("=")[0] for item in env}
        return [f"{key}={value}" for key, value in self.all_allowed().items() if key not in keys]

    def is_referenced_or_not_builtin(self, key: str) -> bool:
        """Whether ``key`` belongs in the history: declared, or not a predeclared proxy argument."""
        return key in self.allowed or key not in BUILTIN_ARGS

    def unused(self) -> list[str]:
        """The ``--build-arg`` names never declared (proxy arguments aside), sorted."""
        return sorted(key for key in self.options if key not in BUILTIN_ARGS and key not in self.referenced)
