"""What every command runs with: global options, config.json, the streams, the daemon.

A :class:`Session` is made by the root command from the global flags; each
command body is an ``async def body(session, **params)`` that
:meth:`Session.run` runs in an anyio event loop (asyncio backend) with an
:class:`~pymoby.cli._engine.Engine` connected to the daemon, closed when the
body returns. One-shot commands (plain request/response calls) run with
:meth:`Session.run_blocking` instead: a blocking engine, no event loop, so
that they start fast.

Where the daemon is: ``-H/--host``, else ``PYMOBY_HOST``, else
``unix:///run/pymoby.sock``. TLS: ``--tls`` (encrypt), ``--tlsverify``
(encrypt and verify the daemon against ``--tlscacert``), client
certificate ``--tlscert``/``--tlskey``; defaults ``ca.pem``, ``cert.pem``,
``key.pem`` in ``PYMOBY_CERT_PATH`` (else the config directory);
``PYMOBY_TLS_VERIFY`` set means ``--tlsverify``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ._errors import CLIError

if TYPE_CHECKING:
    from pymoby.client import TLSConfig

    from ._dockerconfig import ConfigFile
    from ._engine import Engine

# The daemon connection (anyio, h11, pymoby.client) and config.json are imported when first used:
# a command starts with only what it needs.

__all__ = ["DEFAULT_HOST", "GlobalOptions", "Session", "Stream", "binary_stream"]

DEFAULT_HOST = "unix:///run/pymoby.sock"


@dataclass(slots=True)
class GlobalOptions:
    """The flags before the command: ``pymoby -H ... --config ... COMMAND``."""

    hosts: tuple[str, ...] = ()
    config_dir: str | None = None
    debug: bool = False
    log_level: str = "info"
    tls: bool = False
    tlsverify: bool = False
    tlscacert: str | None = None
    tlscert: str | None = None
    tlskey: str | None = None


def binary_stream(name: str) -> IO[bytes]:
    """The binary side of ``sys.stdin``/``sys.stdout``/``sys.stderr`` (as replaced by click's test runner too)."""
    stream = getattr(sys, name)
    binary: IO[bytes] = getattr(stream, "buffer", stream)
    return binary


class Stream:
    """A standard stream used as bytes: ``write`` text or bytes, flushed at once."""

    def __init__(self, binary: IO[bytes], name: str) -> None:
        self.binary = binary
        self.name = name

    def write(self, data: str | bytes) -> None:
        """Write and flush."""
        self.binary.write(data.encode() if isinstance(data, str) else data)
        self.binary.flush()

    def isatty(self) -> bool:
        """Whether the stream is a terminal."""
        try:
            return bool(self.binary.isatty())
        except (ValueError, AttributeError):
            return False

    def fileno(self) -> int | None:
        """The file descriptor, or ``None`` (a test's in-memory stream)."""
        try:
            return self.binary.fileno()
        except (OSError, ValueError, AttributeError):
            return None

    def terminal_size(self) -> tuple[int, int]:
        """``(height, width)`` of the terminal; ``(0, 0)`` when not a terminal."""
        fd = self.fileno()
        if fd is None or not self.isatty():
            return 0, 0
        try:
            size = os.get_terminal_size(fd)
        except OSError:
            return 0, 0
        return size.lines, size.columns


@dataclass
class Session:
    """The command line's state for one invocation."""

    options: GlobalOptions = field(default_factory=GlobalOptions)
    changed: set[str] = field(default_factory=set)
    _config: ConfigFile | None = None
    _engine: Engine | None = None
    #: Whether the running command is one-shot (:meth:`run_blocking`): no event loop, blocking calls.
    blocking: bool = False

    # -- streams ---------------------------------------------------------------------
    @property
    def out(self) -> Stream:
        """Standard output."""
        return Stream(binary_stream("stdout"), "stdout")

    @property
    def err(self) -> Stream:
        """Standard error."""
        return Stream(binary_stream("stderr"), "stderr")

    @property
    def stdin(self) -> Stream:
        """Standard input."""
        return Stream(binary_stream("stdin"), "stdin")

    def terminal_width(self) -> int:
        """Columns of the output terminal (200 when not a terminal, as Docker's progress bars assume)."""
        _, width = self.out.terminal_size()
        if width:
            return width
        if not self.out.isatty():
            return 200
        import shutil

        return shutil.get_terminal_size((200, 24)).columns

    # -- configuration ---------------------------------------------------------------
    @property
    def config_dir(self) -> Path:
        """``--config``, else ``$DOCKER_CONFIG``, else ``~/.docker``."""
        from ._dockerconfig import default_config_dir

        return Path(self.options.config_dir) if self.options.config_dir else default_config_dir()

    @property
    def config(self) -> ConfigFile:
        """The client's ``config.json`` (read once)."""
        if self._config is None:
            from ._dockerconfig import ConfigFile

            self._config = ConfigFile(self.config_dir)
        return self._config

    @property
    def host(self) -> str:
        """The daemon's address."""
        if len(self.options.hosts) > 1:
            raise CLIError("Specify only one -H")
        if self.options.hosts:
            return self.options.hosts[0]
        return os.environ.get("PYMOBY_HOST") or DEFAULT_HOST

    def tls_config(self) -> TLSConfig | None:
        """The client TLS configuration the flags ask for, or ``None``."""
        options = self.options
        verify = options.tlsverify or bool(os.environ.get("PYMOBY_TLS_VERIFY"))
        if not (options.tls or verify):
            return None
        from pymoby.client import TLSConfig

        base = Path(os.environ.get("PYMOBY_CERT_PATH") or self.config_dir)

        def pick(given: str | None, default: str) -> str | None:
            if given:
                return given
            candidate = base / default
            return str(candidate) if candidate.exists() else None

        ca = pick(options.tlscacert, "ca.pem")
        cert = pick(options.tlscert, "cert.pem")
        key = pick(options.tlskey, "key.pem")
        return TLSConfig(ca=ca if verify else None, cert=cert, key=key if cert else None, verify=verify)

    def engine(self) -> Engine:
        """The daemon connection of the running command (created on first use)."""
        if self._engine is None:
            from ._engine import Engine

            host = self.host
            if host.startswith("tcp://") and self.tls_config() is not None:
                host = "https://" + host.removeprefix("tcp://")
            version = os.environ.get("PYMOBY_API_VERSION") or None
            tls = self.tls_config()
            self._engine = Engine(host, tls=tls, version=version, timeout=None, blocking=self.blocking)
        return self._engine

    # -- running ---------------------------------------------------------------------
    def run(self, body: Callable[..., Awaitable[Any]], **params: Any) -> Any:
        """Run a command body in an event loop; the daemon connection is closed after it."""
        import anyio

        async def main() -> Any:
            try:
                return await body(self, **params)
            finally:
                if self._engine is not None:
                    with anyio.CancelScope(shield=True):
                        await self._engine.aclose()
                    self._engine = None

        return anyio.run(main, backend="asyncio")

    def run_blocking(self, body: Callable[..., Coroutine[Any, Any, Any]], **params: Any) -> Any:
        """Run a one-shot command body without an event loop: its engine's calls block, so it never suspends.

        The body may use the engine's request/response calls, :meth:`confirm`
        and :func:`~pymoby.cli._cmd_containers.parallel`, nothing that needs an
        event loop; the daemon connection is closed after it.
        """
        from pymoby.client import run_to_completion

        self.blocking = True
        try:
            return run_to_completion(body(self, **params))
        finally:
            if self._engine is not None:
                self._engine.close()
                self._engine = None
            self.blocking = False

    async def confirm(self, message: str) -> bool:
        """Ask ``message [y/N]`` on stdout; whether the answer read from stdin is ``y``."""
        self.out.write(message + " [y/N] ")
        if self.blocking:
            line = self.stdin.binary.readline()
        else:
            import anyio

            line = await anyio.to_thread.run_sync(self.stdin.binary.readline)
        return line.decode(errors="replace").strip().lower() == "y"

    def warn(self, message: str) -> None:
        """A ``WARNING: ...`` line on stderr."""
        self.err.write(f"WARNING: {message}\n")


def stdin_is_terminal() -> bool:
    """Whether the process's stdin is a terminal."""
    try:
        return sys.stdin.isatty()
    except (ValueError, AttributeError):
        return False
