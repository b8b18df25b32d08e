"""The committed protocol modules are what tools/gen_protos.py generates, and match containerd's wire names."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from pymoby.libcontainerd._proto import containers_pb2, events_pb2, runc_pb2, tasks_pb2

ROOT = Path(__file__).resolve().parents[3]


def load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_protos", ROOT / "tools" / "gen_protos.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_protos"] = module
    spec.loader.exec_module(module)
    return module


def test_regenerating_gives_the_committed_files(tmp_path: Path) -> None:
    generator = load_generator()
    for path in generator.generate(tmp_path):
        committed = generator.SOURCE_ROOT / path.relative_to(tmp_path)
        assert committed.read_text() == path.read_text(), f"{committed} is stale: run python tools/gen_protos.py"


@pytest.mark.parametrize(
    ("descriptor", "full_name"),
    [
        (tasks_pb2.DESCRIPTOR.services_by_name["Tasks"], "containerd.services.tasks.v1.Tasks"),
        (containers_pb2.DESCRIPTOR.services_by_name["Containers"], "containerd.services.containers.v1.Containers"),
        (events_pb2.TaskExit.DESCRIPTOR, "containerd.events.TaskExit"),
        (runc_pb2.Options.DESCRIPTOR, "containerd.runc.v1.Options"),
    ],
)
def test_names_match_containerd(descriptor: object, full_name: str) -> None:
    assert descriptor.full_name == full_name  # type: ignore[attr-defined]


def test_field_numbers_match_containerd() -> None:
    fields = {f.name: f.number for f in tasks_pb2.CreateTaskRequest.DESCRIPTOR.fields}
    assert fields == {
        "container_id": 1,
        "rootfs": 3,
        "stdin": 4,
        "stdout": 5,
        "stderr": 6,
        "terminal": 7,
        "options": 9,
        "runtime_path": 10,
    }
    assert {f.name: f.number for f in events_pb2.TaskExit.DESCRIPTOR.fields} == {
        "container_id": 1,
        "id": 2,
        "pid": 3,
        "exit_status": 4,
        "exited_at": 5,
    }
