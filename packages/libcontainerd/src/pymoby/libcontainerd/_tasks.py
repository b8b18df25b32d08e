"""Tasks and processes: create, start, signal, wait, exec, pause, metrics, delete."""

from __future__ import annotations

import signal as signals
from collections.abc import Mapping, Sequence
from typing import Any

from ._containers import runc_options_message
from ._errors import ContainerdError, from_status
from ._metrics import Metrics, decode_metrics
from ._proto import task_pb2, types_pb2
from ._proto import tasks_pb2 as tpb
from ._stubs import Stubs
from ._types import NO_STDIO, ExitStatus, Mount, ProcessState, RuncOptions, StdioPaths, TaskStatus
from ._wire import PROCESS_TYPE_URL, RESOURCES_TYPE_URL, pack_json, pack_message, to_datetime

__all__ = ["TaskCalls", "process_state"]

_STATUS = {
    task_pb2.UNKNOWN: TaskStatus.UNKNOWN,
    task_pb2.CREATED: TaskStatus.CREATED,
    task_pb2.RUNNING: TaskStatus.RUNNING,
    task_pb2.STOPPED: TaskStatus.STOPPED,
    task_pb2.PAUSED: TaskStatus.PAUSED,
    task_pb2.PAUSING: TaskStatus.PAUSING,
}


def process_state(process: task_pb2.Process, container_id: str = "") -> ProcessState:
    """A :class:`ProcessState` for containerd's ``Process`` message.

    containerd leaves ``container_id`` empty in the answers of ``Tasks.Get``
    and ``Tasks.List`` (only ``id`` is set: the container's ID for an init
    process, the exec ID otherwise), so the caller says whose process it is.
    """
    return ProcessState(
        container_id=process.container_id or container_id,
        process_id=process.id,
        pid=process.pid,
        status=_STATUS.get(process.status, TaskStatus.UNKNOWN),
        exit_status=process.exit_status,
        exited_at=to_datetime(process.exited_at),
        stdio=StdioPaths(process.stdin, process.stdout, process.stderr, process.terminal),
    )


def _exit(response: Any) -> ExitStatus:
    return ExitStatus(code=response.exit_status, exited_at=to_datetime(response.exited_at), pid=response.pid)


class TaskCalls:
    """The task and process methods of :class:`Client`."""

    _stubs: Stubs
    namespace: str

    async def create_task(
        self,
        container_id: str,
        *,
        rootfs: Sequence[Mount] = (),
        stdio: StdioPaths = NO_STDIO,
        runtime_options: RuncOptions | None = None,
    ) -> int:
        """Create the container's task (runc create) and return its init pid.

        ``rootfs`` are the mounts of the root file system (e.g. the overlay
        from the layer store), mounted by the shim at the bundle's rootfs;
        leave it empty when the spec's ``root.path`` is an absolute
        directory. ``stdio`` names the FIFOs (see :class:`FifoSet`) or asks
        for a terminal. Raises :class:`NotFoundError` for an unknown
        container, :class:`AlreadyExistsError` when it has a task.
        """
        request = tpb.CreateTaskRequest(
            container_id=container_id,
            rootfs=[
                types_pb2.Mount(type=m.type, source=m.source, target=m.target, options=list(m.options)) for m in rootfs
            ],
            stdin=stdio.stdin,
            stdout=stdio.stdout,
            stderr=stdio.stderr,
            terminal=stdio.terminal,
        )
        if runtime_options is not None:
            request.options.CopyFrom(pack_message(runc_options_message(runtime_options)))
        response = await self._stubs.task_create(request, self.namespace, action=f"create task {container_id}")
        return int(response.pid)

    async def start_task(self, container_id: str, exec_id: str = "") -> int:
        """Start the task's init process (or the exec process ``exec_id``); return its pid."""
        what = f"start {'exec ' + exec_id + ' in ' if exec_id else 'task '}{container_id}"
        response = await self._stubs.task_start(
            tpb.StartRequest(container_id=container_id, exec_id=exec_id), self.namespace, action=what
        )
        return int(response.pid)

    async def kill(
        self,
        container_id: str,
        signal: int = signals.SIGTERM,
        *,
        exec_id: str = "",
        all: bool = False,  # noqa: A002 - containerd's name
    ) -> None:
        """Send ``signal`` to the init process, to ``exec_id``, or (``all``) to every process of the task.

        Raises :class:`NotFoundError` when the task or process does not exist.
        """
        await self._stubs.task_kill(
            tpb.KillRequest(container_id=container_id, exec_id=exec_id, signal=int(signal), all=all),
            self.namespace,
            action=f"kill {container_id}",
        )

    async def wait(self, container_id: str, exec_id: str = "") -> ExitStatus:
        """Wait until the init process (or ``exec_id``) exits and return how it ended."""
        response = await self._stubs.task_wait(
            tpb.WaitRequest(container_id=container_id, exec_id=exec_id), self.namespace, action=f"wait {container_id}"
        )
        return ExitStatus(code=response.exit_status, exited_at=to_datetime(response.exited_at))

    async def delete_task(self, container_id: str) -> ExitStatus:
        """Delete the stopped task (runc delete, shim exit); return its exit status and time.

        Raises :class:`FailedPreconditionError` while it runs, :class:`NotFoundError` when there is none.
        """
        action = f"delete task {container_id}"
        try:
            response = await self._stubs.task_delete(
                tpb.DeleteTaskRequest(container_id=container_id), self.namespace, action=action
            )
        except ContainerdError as exc:
            # containerd 1.6 answers UNKNOWN here; it is a state conflict.
            if "running" not in exc.details:
                raise
            raise from_status("FAILED_PRECONDITION", exc.details, action) from exc
        return _exit(response)

    async def delete_process(self, container_id: str, exec_id: str) -> ExitStatus:
        """Delete an exited exec process; return its exit status and time."""
        response = await self._stubs.task_delete_process(
            tpb.DeleteProcessRequest(container_id=container_id, exec_id=exec_id),
            self.namespace,
            action=f"delete exec {exec_id} in {container_id}",
        )
        return _exit(response)

    async def get_task(self, container_id: str, exec_id: str = "") -> ProcessState:
        """The state of the init process (or ``exec_id``); raises :class:`NotFoundError`."""
        response = await self._stubs.task_get(
            tpb.GetRequest(container_id=container_id, exec_id=exec_id),
            self.namespace,
            action=f"get task {container_id}",
        )
        return process_state(response.process, container_id)

    async def list_tasks(self) -> list[ProcessState]:
        """The init process of every task in the namespace (``container_id`` is the task's container)."""
        response = await self._stubs.task_list(tpb.ListTasksRequest(), self.namespace, action="list tasks")
        return [process_state(p, p.id) for p in response.tasks]

    async def exec(
        self, container_id: str, exec_id: str, process: Mapping[str, Any], *, stdio: StdioPaths = NO_STDIO
    ) -> None:
        """Add the process ``exec_id`` to a running task (OCI ``process`` spec as a dict).

        Start it with :meth:`start_task` (``exec_id=...``). Raises
        :class:`AlreadyExistsError` when the exec ID is taken.
        """
        await self._stubs.task_exec(
            tpb.ExecProcessRequest(
                container_id=container_id,
                exec_id=exec_id,
                spec=pack_json(PROCESS_TYPE_URL, process),
                stdin=stdio.stdin,
                stdout=stdio.stdout,
                stderr=stdio.stderr,
                terminal=stdio.terminal,
            ),
            self.namespace,
            action=f"exec {exec_id} in {container_id}",
        )

    async def resize_pty(self, container_id: str, width: int, height: int, *, exec_id: str = "") -> None:
        """Resize the terminal of the init process (or ``exec_id``) to ``width`` x ``height``."""
        await self._stubs.task_resize_pty(
            tpb.ResizePtyRequest(container_id=container_id, exec_id=exec_id, width=width, height=height),
            self.namespace,
            action=f"resize tty of {container_id}",
        )

    async def close_stdin(self, container_id: str, exec_id: str = "") -> None:
        """Close the process's stdin in the shim (the process reads end of file)."""
        await self._stubs.task_close_io(
            tpb.CloseIORequest(container_id=container_id, exec_id=exec_id, stdin=True),
            self.namespace,
            action=f"close stdin of {container_id}",
        )

    async def pause(self, container_id: str) -> None:
        """Freeze every process of the task (cgroup freezer)."""
        await self._stubs.task_pause(
            tpb.PauseTaskRequest(container_id=container_id), self.namespace, action=f"pause {container_id}"
        )

    async def resume(self, container_id: str) -> None:
        """Thaw a paused task."""
        await self._stubs.task_resume(
            tpb.ResumeTaskRequest(container_id=container_id), self.namespace, action=f"resume {container_id}"
        )

    async def list_pids(self, container_id: str) -> list[int]:
        """The host pids of every process in the task."""
        response = await self._stubs.task_list_pids(
            tpb.ListPidsRequest(container_id=container_id), self.namespace, action=f"list pids of {container_id}"
        )
        return [int(p.pid) for p in response.processes]

    async def update_task(self, container_id: str, resources: Mapping[str, Any]) -> None:
        """Change the cgroup limits of a running task (OCI ``LinuxResources`` as a dict)."""
        await self._stubs.task_update(
            tpb.UpdateTaskRequest(container_id=container_id, resources=pack_json(RESOURCES_TYPE_URL, resources)),
            self.namespace,
            action=f"update resources of {container_id}",
        )

    async def metrics(self, container_id: str) -> Metrics:
        """The cgroup statistics of a task, decoded (cgroup v1 or v2).

        Raises :class:`NotFoundError` when the task does not exist.
        """
        found = await self.metrics_of([container_id])
        if container_id not in found:
            raise from_status("NOT_FOUND", f"no metrics for task {container_id}", f"metrics of {container_id}")
        return found[container_id]

    async def metrics_of(self, container_ids: Sequence[str]) -> dict[str, Metrics]:
        """The statistics of several tasks in one call, by container ID (missing tasks are left out)."""
        if not container_ids:
            return {}
        response = await self._stubs.task_metrics(
            tpb.MetricsRequest(filters=[f"id=={cid}" for cid in container_ids]), self.namespace, action="task metrics"
        )
        result: dict[str, Metrics] = {}
        for metric in response.metrics:
            decoded = decode_metrics(metric.data, to_datetime(metric.timestamp))
            if decoded is not None:
                result[metric.id] = decoded
        return result
