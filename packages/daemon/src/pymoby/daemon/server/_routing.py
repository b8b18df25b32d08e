"""Routes and routers: flat tables of (method, path pattern, handler).

A router is any object with ``routes()``; the server wraps every handler in
the middleware chain once, at start-up, and matches requests against the
table. Path patterns use moby's syntax: ``/containers/{name:.*}/json``
(``{name}`` alone matches one path segment).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from ._request import Handler

__all__ = ["Mux", "Route", "Router", "delete", "get", "head", "options", "post", "put"]

Middleware = Callable[[Handler], Handler]


@dataclass(frozen=True, slots=True)
class Route:
    """One entry of a router's table.

    ``hijack`` marks a route that may take the connection over (attach, exec
    start, websocket attach): the server stops parsing HTTP after its request.
    """

    method: str
    path: str
    handler: Handler
    hijack: bool = False


class Router(Protocol):
    """What the server needs from a router: its table."""

    def routes(self) -> Sequence[Route]:
        """The router's routes."""
        ...


def get(path: str, handler: Handler, *, hijack: bool = False) -> Route:
    """A ``GET`` route (``hijack=True`` for a websocket)."""
    return Route("GET", path, handler, hijack=hijack)


def head(path: str, handler: Handler) -> Route:
    """A ``HEAD`` route."""
    return Route("HEAD", path, handler)


def post(path: str, handler: Handler, *, hijack: bool = False) -> Route:
    """A ``POST`` route (``hijack=True`` for attach and exec start)."""
    return Route("POST", path, handler, hijack=hijack)


def put(path: str, handler: Handler) -> Route:
    """A ``PUT`` route."""
    return Route("PUT", path, handler)


def delete(path: str, handler: Handler) -> Route:
    """A ``DELETE`` route."""
    return Route("DELETE", path, handler)


def options(path: str, handler: Handler) -> Route:
    """An ``OPTIONS`` route."""
    return Route("OPTIONS", path, handler)


_VAR = re.compile(r"\{(\w+)(?::([^{}]*(?:\{[^{}]*\}[^{}]*)*))?\}")


def _compile(pattern: str) -> re.Pattern[str]:
    out, pos = ["^"], 0
    for m in _VAR.finditer(pattern):
        out.append(re.escape(pattern[pos : m.start()]))
        out.append(f"(?P<{m.group(1)}>{m.group(2) or '[^/]+'})")
        pos = m.end()
    out.append(re.escape(pattern[pos:]) + "$")
    return re.compile("".join(out))


class Mux:
    """The matching table built from routers, with every handler already wrapped."""

    def __init__(self, routers: Sequence[Router], middlewares: Sequence[Middleware]) -> None:
        self._exact: dict[tuple[str, str], Route] = {}
        self._patterns: dict[str, list[tuple[re.Pattern[str], Route]]] = {}
        for router in routers:
            for route in router.routes():
                handler = route.handler
                # The first middleware is the outermost.
                for middleware in reversed(middlewares):
                    handler = middleware(handler)
                wrapped = replace(route, handler=handler)
                if "{" in route.path:
                    self._patterns.setdefault(route.method, []).append((_compile(route.path), wrapped))
                else:
                    self._exact.setdefault((route.method, route.path), wrapped)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route for ``method path`` and its path variables, or ``None``."""
        route = self._exact.get((method, path))
        if route is not None:
            return route, {}
        for regex, candidate in self._patterns.get(method, ()):
            m = regex.match(path)
            if m is not None:
                return candidate, m.groupdict()
        return None
