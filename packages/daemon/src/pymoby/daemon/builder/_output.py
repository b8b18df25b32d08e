"""The build's output stream: Docker's JSON messages, one per line (``\\r\\n``-terminated), as dockerd writes them.

::

    {"stream":"Step 1/3 : FROM busybox\\n"}
    {"stream":" ---> 830e02809251\\n"}
    {"stream":"hello\\n"}                          a RUN's standard output
    {"stream":"\\u001b[91moops\\n\\u001b[0m"}         its standard error, in red
    {"status":"Pulling from library/busybox","id":"latest"}   progress of a FROM's pull
    {"aux":{"ID":"sha256:..."}}                    the image of each stage
    {"errorDetail":{"code":3,"message":"..."},"error":"..."}  how a failed build ends

With ``q`` (quiet) the output is held back: a successful build writes only
the image ID; a failed one writes what was held, then the error.
"""

from __future__ import annotations

import codecs
from collections.abc import Awaitable, Callable

from pymoby import api

__all__ = ["BuildOutput", "error_line"]

_RED, _RESET = "\x1b[91m", "\x1b[0m"


def _line(message: api.JSONMessage) -> bytes:
    return api.encode(message) + b"\r\n"


def error_line(message: str, code: int = 0) -> bytes:
    """The error that ends a failed build's stream (``code``: the failed RUN's exit code)."""
    return _line(api.JSONMessage(error_detail=api.JSONError(code=code, message=message), error=message))


class BuildOutput:
    """Writes a build's messages through ``send`` (which may wait while the client is slow to read)."""

    def __init__(self, send: Callable[[bytes], Awaitable[None]], *, quiet: bool = False) -> None:
        self._send = send
        self.quiet = quiet
        self._held: list[bytes] = []
        self.written = False
        self._decoders = {
            "out": codecs.getincrementaldecoder("utf-8")("replace"),
            "err": codecs.getincrementaldecoder("utf-8")("replace"),
        }

    async def raw(self, data: bytes) -> None:
        """Bytes that are already JSON lines (a pull's progress)."""
        if not data:
            return
        if self.quiet:
            self._held.append(data)
            return
        self.written = True
        await self._send(data)

    async def message(self, message: api.JSONMessage) -> None:
        """One message."""
        await self.raw(_line(message))

    async def stream(self, text: str) -> None:
        """Text of the build itself (``Step 1/2 : ...``)."""
        if text:
            await self.message(api.JSONMessage(stream=text))

    async def stdout(self, data: bytes, *, final: bool = False) -> None:
        """A RUN's standard output (partial UTF-8 sequences wait for the next chunk)."""
        await self.stream(self._decoders["out"].decode(data, final))

    async def stderr(self, data: bytes, *, final: bool = False) -> None:
        """A RUN's standard error, in red as the docker CLI shows it."""
        text = self._decoders["err"].decode(data, final)
        if text:
            await self.message(api.JSONMessage(stream=_RED + text + _RESET))

    async def warning(self, text: str) -> None:
        """Text for the build's standard error (parser warnings), in red."""
        if text:
            await self.message(api.JSONMessage(stream=_RED + text + _RESET))

    async def aux(self, image_id: str) -> None:
        """The image a stage produced: ``{"aux": {"ID": ...}}``."""
        await self.message(api.JSONMessage(aux=api.BuildResult(id=image_id)))

    async def flush_held(self) -> None:
        """A quiet build failed: write what was held back."""
        held, self._held = self._held, []
        self.quiet = False
        for data in held:
            await self.raw(data)

    async def quiet_result(self, image_id: str) -> None:
        """A quiet build succeeded: only its image ID."""
        self._held = []
        self.written = True
        await self._send(_line(api.JSONMessage(stream=image_id + "\n")))
