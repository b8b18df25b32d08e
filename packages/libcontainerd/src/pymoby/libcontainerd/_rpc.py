"""The gRPC boundary: one channel per containerd, typed calls, status translation.

Everything that touches ``grpc`` lives here, so that the rest of the package
works with generated messages and :mod:`pymoby.errdefs` kinds only. Method
callables are built once per channel (no per-call lookup), and every call
carries containerd's namespace header.
"""

# mypy: disable-error-code="import-untyped"
# grpcio ships no type information; grpc-stubs types it where it is installed.

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

import grpc
from grpc import aio

from pymoby import errdefs

from ._errors import from_status

__all__ = ["NAMESPACE_HEADER", "Channel", "ServerStream", "Unary", "open_channel", "rpc_error"]

NAMESPACE_HEADER = "containerd-namespace"

#: containerd allows 16 MiB messages both ways; the gRPC default is 4 MiB.
_MAX_MESSAGE = 16 << 20

Channel = aio.Channel
#: What a stream's ``read()`` returns at its end (absent from grpc-stubs, hence the lookup).
_EOF: Any = vars(aio)["EOF"]
Req = TypeVar("Req")
Resp = TypeVar("Resp")


def open_channel(address: str, *, max_reconnect_backoff: float = 1.0) -> Any:
    """Open a gRPC channel to containerd's unix socket at ``address``.

    Reconnection back-off is kept short (containerd restarts in well under a
    second; gRPC's default waits up to two minutes between attempts).
    """
    backoff_ms = int(max_reconnect_backoff * 1000)
    options = [
        ("grpc.max_receive_message_length", _MAX_MESSAGE),
        ("grpc.max_send_message_length", _MAX_MESSAGE),
        ("grpc.initial_reconnect_backoff_ms", 100),
        ("grpc.min_reconnect_backoff_ms", 100),
        ("grpc.max_reconnect_backoff_ms", backoff_ms),
        ("grpc.enable_retries", 0),
        ("grpc.default_authority", "localhost"),
    ]
    return aio.insecure_channel(f"unix://{address}", options=options)


def rpc_error(exc: BaseException, action: str = "") -> errdefs.PymobyError:
    """Translate an ``AioRpcError`` (or any gRPC error) into an errdefs kind."""
    if isinstance(exc, aio.AioRpcError):
        code: grpc.StatusCode = exc.code()
        return from_status(code.name, exc.details() or "", action)
    return from_status("UNKNOWN", str(exc), action)


async def _settled(future: Any, cancel: Callable[[], object]) -> None:
    """Wait until ``future`` (a gRPC call or task) is done, cancelling it if we are cancelled.

    grpc.aio re-raises a cancellation as a new ``CancelledError`` that anyio's
    cancel scopes do not recognise as theirs (so ``move_on_after`` around a
    call would let it escape). Waiting on a future of our own keeps anyio's
    cancellation intact.
    """
    waiter = asyncio.get_running_loop().create_future()

    def wake(_: object) -> None:
        if not waiter.done():
            waiter.set_result(None)

    future.add_done_callback(wake)
    try:
        await waiter
    except asyncio.CancelledError:
        cancel()
        raise


def _serialize(message: Any) -> bytes:
    return cast(bytes, message.SerializeToString())


class Unary(Generic[Req, Resp]):
    """A unary containerd method, called with a request and the namespace."""

    __slots__ = ("_callable", "_path")

    def __init__(self, channel: Any, path: str, response: Callable[[bytes], Resp]) -> None:
        self._path = path
        self._callable = channel.unary_unary(path, request_serializer=_serialize, response_deserializer=response)

    async def __call__(
        self,
        request: Req,
        namespace: str = "",
        *,
        deadline: float | None = None,
        wait_for_ready: bool | None = None,
        action: str = "",
    ) -> Resp:
        """Call the method (``deadline`` in seconds); raise the errdefs kind of a failed status."""
        metadata = ((NAMESPACE_HEADER, namespace),) if namespace else None
        call = self._callable(request, metadata=metadata, timeout=deadline, wait_for_ready=wait_for_ready)
        await _settled(call, call.cancel)
        try:
            response = await call
        except aio.AioRpcError as exc:
            raise rpc_error(exc, action) from exc
        return cast(Resp, response)


class ServerStream(Generic[Req, Resp]):
    """A server-streaming containerd method (the event subscription)."""

    __slots__ = ("_callable",)

    def __init__(self, channel: Any, path: str, response: Callable[[bytes], Resp]) -> None:
        self._callable = channel.unary_stream(path, request_serializer=_serialize, response_deserializer=response)

    def open(self, request: Req, namespace: str = "") -> OpenStream[Resp]:
        """Start the call; the caller iterates it and must :meth:`OpenStream.cancel` it."""
        metadata = ((NAMESPACE_HEADER, namespace),) if namespace else None
        return OpenStream(self._callable(request, metadata=metadata))


class OpenStream(Generic[Resp]):
    """One running server-streaming call."""

    __slots__ = ("_call",)

    def __init__(self, call: Any) -> None:
        self._call = call

    async def read(self) -> Resp | None:
        """The next response, or ``None`` when the server ended the stream.

        A failed status raises its errdefs kind.
        """
        reading = asyncio.ensure_future(self._call.read())
        await _settled(reading, self._cancel_read(reading))
        try:
            message = reading.result()
        except aio.AioRpcError as exc:
            raise rpc_error(exc, "receive events") from exc
        if message is _EOF:
            return None
        return cast(Resp, message)

    def _cancel_read(self, reading: Any) -> Callable[[], None]:
        def cancel() -> None:
            self._call.cancel()
            reading.cancel()

        return cancel

    def cancel(self) -> None:
        """Cancel the call (idempotent)."""
        self._call.cancel()
