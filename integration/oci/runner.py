"""The result type of the ``run_container`` fixture, importable by the tests (conftest is not)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

__all__ = ["Result", "RunContainer"]


@dataclass
class Result:
    """How a container's process ended, what it wrote, its spec and the create warnings."""

    code: int
    stdout: str
    stderr: str
    spec: dict[str, Any]
    warnings: list[str]


RunContainer = Callable[..., Coroutine[Any, Any, Result]]
"""``await run_container(script, host_config=..., user=..., ...) -> Result``."""
