"""The containerd methods pymoby calls, bound once to a channel."""

from __future__ import annotations

from typing import Any

from ._proto import containers_pb2 as cpb
from ._proto import events_service_pb2 as epb
from ._proto import tasks_pb2 as tpb
from ._proto import version_pb2 as vpb
from ._rpc import ServerStream, Unary
from ._wire import ignore_response

__all__ = ["Stubs"]

_CONTAINERS = "/containerd.services.containers.v1.Containers/"
_TASKS = "/containerd.services.tasks.v1.Tasks/"
_EVENTS = "/containerd.services.events.v1.Events/"
_VERSION = "/containerd.services.version.v1.Version/"


class Stubs:
    """One typed callable per containerd method, sharing one channel."""

    def __init__(self, channel: Any) -> None:
        self.version: Unary[Any, vpb.VersionResponse] = Unary(
            channel, _VERSION + "Version", vpb.VersionResponse.FromString
        )
        # containers
        self.container_get: Unary[cpb.GetContainerRequest, cpb.GetContainerResponse] = Unary(
            channel, _CONTAINERS + "Get", cpb.GetContainerResponse.FromString
        )
        self.container_list: Unary[cpb.ListContainersRequest, cpb.ListContainersResponse] = Unary(
            channel, _CONTAINERS + "List", cpb.ListContainersResponse.FromString
        )
        self.container_create: Unary[cpb.CreateContainerRequest, cpb.CreateContainerResponse] = Unary(
            channel, _CONTAINERS + "Create", cpb.CreateContainerResponse.FromString
        )
        self.container_update: Unary[cpb.UpdateContainerRequest, cpb.UpdateContainerResponse] = Unary(
            channel, _CONTAINERS + "Update", cpb.UpdateContainerResponse.FromString
        )
        self.container_delete: Unary[cpb.DeleteContainerRequest, None] = Unary(
            channel, _CONTAINERS + "Delete", ignore_response
        )
        # tasks
        self.task_create: Unary[tpb.CreateTaskRequest, tpb.CreateTaskResponse] = Unary(
            channel, _TASKS + "Create", tpb.CreateTaskResponse.FromString
        )
        self.task_start: Unary[tpb.StartRequest, tpb.StartResponse] = Unary(
            channel, _TASKS + "Start", tpb.StartResponse.FromString
        )
        self.task_delete: Unary[tpb.DeleteTaskRequest, tpb.DeleteResponse] = Unary(
            channel, _TASKS + "Delete", tpb.DeleteResponse.FromString
        )
        self.task_delete_process: Unary[tpb.DeleteProcessRequest, tpb.DeleteResponse] = Unary(
            channel, _TASKS + "DeleteProcess", tpb.DeleteResponse.FromString
        )
        self.task_get: Unary[tpb.GetRequest, tpb.GetResponse] = Unary(
            channel, _TASKS + "Get", tpb.GetResponse.FromString
        )
        self.task_list: Unary[tpb.ListTasksRequest, tpb.ListTasksResponse] = Unary(
            channel, _TASKS + "List", tpb.ListTasksResponse.FromString
        )
        self.task_kill: Unary[tpb.KillRequest, None] = Unary(channel, _TASKS + "Kill", ignore_response)
        self.task_exec: Unary[tpb.ExecProcessRequest, None] = Unary(channel, _TASKS + "Exec", ignore_response)
        self.task_resize_pty: Unary[tpb.ResizePtyRequest, None] = Unary(channel, _TASKS + "ResizePty", ignore_response)
        self.task_close_io: Unary[tpb.CloseIORequest, None] = Unary(channel, _TASKS + "CloseIO", ignore_response)
        self.task_pause: Unary[tpb.PauseTaskRequest, None] = Unary(channel, _TASKS + "Pause", ignore_response)
        self.task_resume: Unary[tpb.ResumeTaskRequest, None] = Unary(channel, _TASKS + "Resume", ignore_response)
        self.task_list_pids: Unary[tpb.ListPidsRequest, tpb.ListPidsResponse] = Unary(
            channel, _TASKS + "ListPids", tpb.ListPidsResponse.FromString
        )
        self.task_update: Unary[tpb.UpdateTaskRequest, None] = Unary(channel, _TASKS + "Update", ignore_response)
        self.task_metrics: Unary[tpb.MetricsRequest, tpb.MetricsResponse] = Unary(
            channel, _TASKS + "Metrics", tpb.MetricsResponse.FromString
        )
        self.task_wait: Unary[tpb.WaitRequest, tpb.WaitResponse] = Unary(
            channel, _TASKS + "Wait", tpb.WaitResponse.FromString
        )
        # events
        self.events_publish: Unary[epb.PublishRequest, None] = Unary(channel, _EVENTS + "Publish", ignore_response)
        self.events_subscribe: ServerStream[epb.SubscribeRequest, epb.Envelope] = ServerStream(
            channel, _EVENTS + "Subscribe", epb.Envelope.FromString
        )
