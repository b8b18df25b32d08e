"""The containerd client: one gRPC channel, one namespace, every call pymoby needs."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import anyio

from ._containers import ContainerCalls
from ._errors import DeadlineError, UnavailableError, from_status
from ._events import EventCalls
from ._rpc import open_channel
from ._stubs import Stubs
from ._tasks import TaskCalls
from ._types import Version
from ._wire import empty

__all__ = ["DEFAULT_NAMESPACE", "Client"]

#: pymoby's own containerd namespace, so that other containerd users do not see our containers.
DEFAULT_NAMESPACE = "pymoby"


class Client(ContainerCalls, TaskCalls, EventCalls):
    """An async containerd client bound to one namespace, over one reused gRPC channel.

    Get one with :meth:`connect` and close it with ``async with`` or
    :meth:`aclose`. Calls raise :mod:`pymoby.errdefs` kinds (see
    :mod:`pymoby.libcontainerd`'s errors); a call made while containerd is
    down raises :class:`UnavailableError`. The channel reconnects by itself
    when containerd comes back.
    """

    def __init__(self, address: str, channel: Any, namespace: str) -> None:
        self.address = address
        self.namespace = namespace
        self._channel = channel
        self._stubs = Stubs(channel)

    @classmethod
    async def connect(
        cls,
        address: str,
        namespace: str = DEFAULT_NAMESPACE,
        *,
        timeout: float = 20.0,  # noqa: ASYNC109 - also the gRPC deadline of the first call
    ) -> Client:
        """Connect to containerd's socket at ``address`` and wait until it answers.

        Raises :class:`UnavailableError` when it does not answer within ``timeout`` seconds.
        """
        if not namespace:
            raise from_status("INVALID_ARGUMENT", "a containerd namespace is required")
        client = cls(str(address), open_channel(str(address), max_reconnect_backoff=1.0), namespace)
        answered = False
        try:
            with anyio.fail_after(timeout):
                await client.version(timeout=timeout, wait_for_ready=True)
            answered = True
        except (TimeoutError, UnavailableError, DeadlineError) as exc:
            raise from_status("UNAVAILABLE", f"containerd at {address} did not answer in {timeout:g}s") from exc
        finally:
            if not answered:
                with anyio.CancelScope(shield=True):
                    await client.aclose()
        return client

    async def version(
        self,
        *,
        timeout: float | None = 10.0,  # noqa: ASYNC109 - the gRPC deadline of the call
        wait_for_ready: bool | None = None,
    ) -> Version:
        """containerd's version and revision (``wait_for_ready`` waits for a restarting containerd)."""
        response = await self._stubs.version(
            empty(), deadline=timeout, wait_for_ready=wait_for_ready, action="containerd version"
        )
        return Version(version=response.version, revision=response.revision)

    def with_namespace(self, namespace: str) -> Client:
        """A client for another namespace sharing this one's channel (close only the original)."""
        return Client(self.address, self._channel, namespace)

    async def aclose(self) -> None:
        """Close the channel; calls still running fail with ``Cancelled``."""
        await self._channel.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with anyio.CancelScope(shield=True):
            await self.aclose()
