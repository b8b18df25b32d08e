"""Whole builds on real image and layer stores (vfs), RUN steps played by the stand-in container side.

What is checked is what ``docker build`` shows and leaves: the stream,
the images (configs, history, files, parents, tags), the cache's reuse,
and what is cleaned up.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pymoby import errdefs
from pymoby.daemon.builder import Builder
from pymoby.daemon.images import ImageService

from .conftest import Build, FakeContainers, Program

pytestmark = pytest.mark.anyio

MULTI_STAGE = b"""\
# syntax=docker/dockerfile:1
ARG BASE=base
FROM ${BASE} AS build
ARG GREETING=hi
ENV APP=/app \\
    MODE="fast mode"
WORKDIR $APP
COPY src/ ./src/
RUN make
FROM base
LABEL org.example.stage=final
COPY --from=build /app/out /usr/bin/app
USER app
EXPOSE 8080/tcp
CMD ["app", "--serve"]
"""


def read_file(service: ImageService, image_id: str, path: str) -> bytes | None:
    """A file of the image's root file system."""
    image = service.images.get(image_id)
    name = "read-" + image_id[7:19]
    layer = service.layers.create_rw_layer(name, image.chain_id)
    try:
        root = layer.mount()
        try:
            target = root / path.lstrip("/")
            return target.read_bytes() if target.exists() else None
        finally:
            layer.unmount()
    finally:
        service.layers.release_rw_layer(name)


def make_out(root: Path) -> tuple[int, bytes, bytes]:
    (root / "app" / "out").write_bytes((root / "app" / "src" / "main.c").read_bytes().upper())
    return 0, b"compiled\n", b"warning: none\n"


async def test_multi_stage_build(build: Build, service: ImageService, containers: FakeContainers) -> None:
    containers.programs["/bin/sh -c make"] = Program(make_out)
    result = await build(
        {"Dockerfile": MULTI_STAGE, "src": None, "src/main.c": b"int main;\n"},
        tags=("app:1", "app:latest", "app:1"),
        build_args={"GREETING": "hello"},
        labels={"built.by": "test"},
    )
    assert result.raised is None
    assert result.error is None, result.text
    text = result.text
    assert text.startswith("Step 1/14 : ARG BASE=base\nStep 2/14 : FROM ${BASE} AS build\n ---> ")
    assert 'Step 4/14 : ENV APP=/app     MODE="fast mode"\n' in text
    assert "Step 14/14 : LABEL built.by=test\n" in text
    assert "compiled\n" in text
    assert "\x1b[91mwarning: none\n\x1b[0m" in text
    assert " ---> Running in " in text
    assert "Removing intermediate container " in text
    assert text.endswith(
        f"Successfully built {result.image_id[7:19]}\nSuccessfully tagged app:1\nSuccessfully tagged app:latest\n"
    )
    image = service.get_image("app:1")
    assert image.id == result.image_id
    config = image.config.config
    assert config is not None
    assert config.cmd == ["app", "--serve"]
    assert config.user == "app"
    assert config.exposed_ports == {"8080/tcp": {}}
    assert config.labels == {"org.example.stage": "final", "built.by": "test"}
    assert read_file(service, image.id, "/usr/bin/app") == b"INT MAIN;\n"
    history = [(h.created_by, h.empty_layer) for h in image.config.history]
    copy_step = history[-5][0]
    assert copy_step.startswith("/bin/sh -c #(nop) COPY file:")
    assert copy_step.endswith(" in /usr/bin/app ")
    assert history[-6:] == [
        ("/bin/sh -c #(nop)  LABEL org.example.stage=final", True),
        (copy_step, False),
        ("/bin/sh -c #(nop)  USER app", True),
        ("/bin/sh -c #(nop)  EXPOSE 8080/tcp", True),
        ('/bin/sh -c #(nop)  CMD ["app" "--serve"]', True),
        ("/bin/sh -c #(nop)  LABEL built.by=test", True),
    ]
    # The first stage: ENV expanded with quotes removed, WORKDIR a layer, RUN's record with its build args.
    build_stage = next(m["aux"]["ID"] for m in result.messages if "aux" in m)
    first = service.images.get(build_stage)
    assert first.config.config is not None
    assert first.config.config.env == ["PATH=/usr/bin:/bin", "APP=/app", "MODE=fast mode"]
    assert first.config.config.working_dir == "/app"
    assert first.config.history[-1].created_by == "|1 GREETING=hello /bin/sh -c make"
    assert not first.config.history[-1].empty_layer
    run_request = containers.requests[0]
    assert run_request.cmd == ["/bin/sh", "-c", "make"]
    assert "GREETING=hello" in (run_request.env or [])
    assert run_request.host_config is not None
    assert run_request.host_config.log_config.type == "none"
    assert containers.containers == {}  # removed after their step (rm)
    assert service.layers.rw_layers() == []


async def test_second_build_uses_the_cache_and_a_changed_file_breaks_it(
    build: Build, containers: FakeContainers
) -> None:
    containers.programs["/bin/sh -c make"] = Program(make_out)
    files = {"Dockerfile": MULTI_STAGE, "src": None, "src/main.c": b"int main;\n"}
    first = await build(files)
    again = await build(files)
    assert again.error is None
    assert again.text.count(" ---> Using cache\n") == 10  # every step but the meta ARG and the FROMs
    assert again.image_id == first.image_id
    assert len(containers.requests) == 1
    changed = await build({**files, "src/main.c": b"int other;\n"})
    assert changed.text.count(" ---> Using cache\n") == 4  # ARG, ENV, WORKDIR; then LABEL in stage 2
    assert changed.image_id != first.image_id
    uncached = await build(files, no_cache=True)
    assert " ---> Using cache" not in uncached.text
    assert uncached.image_id != first.image_id


async def test_target_stops_at_a_stage(build: Build, containers: FakeContainers) -> None:
    containers.programs["/bin/sh -c make"] = Program(make_out)
    files = {"Dockerfile": MULTI_STAGE, "src": None, "src/main.c": b"x"}
    result = await build(files, target="build")
    assert "Step 7/7 : RUN make" in result.text
    missing = await build(files, target="nope")
    assert isinstance(missing.raised, errdefs.InvalidParameter)
    assert str(missing.raised) == "failed to reach build target nope in Dockerfile"


async def test_dockerignore_and_scratch(build: Build, service: ImageService) -> None:
    files = {
        "Dockerfile": b"FROM scratch\nCOPY . /ctx/\n",
        ".dockerignore": b"*.log\nsecret\n",
        "a.txt": b"a",
        "debug.log": b"no",
        "secret": None,
        "secret/key": b"no",
    }
    result = await build(files)
    assert result.error is None, result.text
    assert "Step 1/2 : FROM scratch\n ---> \n" in result.text
    assert read_file(service, result.image_id, "/ctx/a.txt") == b"a"
    assert read_file(service, result.image_id, "/ctx/debug.log") is None
    assert read_file(service, result.image_id, "/ctx/secret/key") is None
    # As with dockerd, .dockerignore itself is in the context unless it excludes itself.
    assert read_file(service, result.image_id, "/ctx/.dockerignore") == b"*.log\nsecret\n"
    image = service.images.get(result.image_id)
    assert image.config.config is not None
    assert image.config.config.env == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    assert len(image.config.rootfs.diff_ids) == 1


async def test_onbuild_triggers_run_in_the_child_build(build: Build, service: ImageService) -> None:
    parent = await build({"Dockerfile": b"FROM base\nONBUILD COPY marker /marker\n"}, tags=("parent",))
    assert parent.error is None
    child = await build({"Dockerfile": b"FROM parent\nENV X=1\n", "marker": b"triggered"})
    assert "# Executing 1 build trigger\n" in child.text
    assert read_file(service, child.image_id, "/marker") == b"triggered"
    image = service.images.get(child.image_id)
    assert image.config.config is not None
    assert not image.config.config.on_build


async def test_errors_before_any_output_are_the_answers_status(build: Build, builder: Builder) -> None:
    cases = [
        ({"Dockerfile": b"FROM base\nFOO bar\n"}, "dockerfile parse error line 2: unknown instruction: FOO"),
        ({"Dockerfile": b""}, "the Dockerfile (Dockerfile) cannot be empty"),
        ({"other": b""}, "Cannot locate specified Dockerfile: Dockerfile"),
        ({"Dockerfile": b"FROM base\nENV X\n"}, "failed to parse Dockerfile: ENV must have two arguments"),
    ]
    for files, message in cases:
        result = await build(files)
        assert isinstance(result.raised, errdefs.InvalidParameter), files
        assert str(result.raised) == message
    bad_tag = await build({"Dockerfile": b"FROM base\n"}, tags=("Bad:Tag",))
    assert isinstance(bad_tag.raised, errdefs.InvalidParameter)
    assert list(builder.scratch_dir.iterdir()) == []


async def test_a_missing_copy_source_ends_the_stream_and_tags_nothing(
    build: Build, service: ImageService, builder: Builder
) -> None:
    result = await build({"Dockerfile": b"FROM base\nCOPY missing.txt /\n"}, tags=("never",))
    assert result.error == {
        "errorDetail": {
            "message": "COPY failed: file not found in build context or excluded by .dockerignore: "
            "stat missing.txt: file does not exist"
        },
        "error": "COPY failed: file not found in build context or excluded by .dockerignore: "
        "stat missing.txt: file does not exist",
    }
    assert service.find_image("never") is None
    assert service.layers.rw_layers() == []
    assert list(builder.scratch_dir.iterdir()) == []


async def test_a_failing_run_reports_its_exit_code(build: Build, containers: FakeContainers) -> None:
    containers.programs["/bin/sh -c exit 3"] = Program(lambda root: (3, b"", b""))
    result = await build({"Dockerfile": b"FROM base\nRUN exit 3\n"})
    message = "The command '/bin/sh -c exit 3' returned a non-zero code: 3"
    assert result.error == {"errorDetail": {"code": 3, "message": message}, "error": message}
    assert len(containers.containers) == 1  # rm keeps a failed step's container, as dockerd does
    forced = await build({"Dockerfile": b"FROM base\nRUN exit 3\n"}, force_remove=True)
    assert forced.error is not None
    assert forced.error["errorDetail"]["code"] == 3
    assert len(containers.containers) == 1
    kept = await build({"Dockerfile": b'FROM base\nRUN ["true"]\n'}, remove=False)
    assert kept.error is not None
    assert kept.error["errorDetail"]["code"] == 127
    assert len(containers.containers) == 2


async def test_quiet_builds_write_only_the_image_id(build: Build, containers: FakeContainers) -> None:
    result = await build({"Dockerfile": b"FROM base\nENV A=1\n"}, quiet=True)
    assert [m["stream"] for m in result.messages] == [result.text]
    assert result.text.startswith("sha256:")
    assert result.text.endswith("\n")
    failed = await build({"Dockerfile": b"FROM base\nRUN nope\n"}, quiet=True)
    assert "Step 2/2 : RUN nope" in failed.text
    assert failed.error is not None
    assert failed.error["errorDetail"]["code"] == 127


async def test_unused_build_args_are_reported(build: Build) -> None:
    result = await build(
        {"Dockerfile": b"ARG USED\nFROM base\nARG LOCAL\n"}, build_args={"USED": "1", "LOCAL": "2", "EXTRA": "3"}
    )
    assert "[Warning] One or more build-args [EXTRA] were not consumed\n" in result.text


async def test_prune_removes_the_dangling_chain_a_rebuild_left(
    build: Build, service: ImageService, builder: Builder
) -> None:
    first = await build({"Dockerfile": b"FROM base\nENV A=1\nCOPY f /f\n", "f": b"1"}, tags=("app",))
    second = await build({"Dockerfile": b"FROM base\nENV A=1\nCOPY f /f\n", "f": b"2"}, tags=("app",))
    assert first.image_id != second.image_id
    from pymoby import api

    report = await builder.prune(api.Filters())
    assert report.caches_deleted == [first.image_id]
    assert report.space_reclaimed > 0
    assert service.find_image(first.image_id) is None
    assert service.find_image(second.image_id) is not None
    assert service.find_image("base") is not None
    assert (await builder.prune(api.Filters())).caches_deleted == []


async def test_a_new_builder_removes_what_a_crashed_daemon_left(
    service: ImageService, containers: FakeContainers, tmp_path: Path
) -> None:
    scratch = tmp_path / "leftovers"
    (scratch / "build-0123456789abcdef" / "src").mkdir(parents=True)
    (scratch / "other").mkdir()
    service.layers.create_rw_layer("build-deadbeef", None)
    service.layers.create_rw_layer("f" * 64, None)  # a container's: not the builder's to remove
    Builder(service, containers, jobs=service.jobs, scratch_dir=scratch)
    assert sorted(p.name for p in scratch.iterdir()) == ["other"]
    assert [layer.name for layer in service.layers.rw_layers()] == ["f" * 64]


async def test_a_run_that_cannot_start_says_why(build: Build, containers: FakeContainers) -> None:
    async def refuse(name: str) -> None:
        raise errdefs.NotImplemented("network bridge is not supported here")

    containers.start = refuse  # type: ignore[method-assign]
    result = await build({"Dockerfile": b"FROM base\nRUN true\n"})
    assert result.error == {
        "errorDetail": {"message": "network bridge is not supported here"},
        "error": "network bridge is not supported here",
    }


async def test_a_later_stage_reuses_an_identical_step_of_an_earlier_one(build: Build) -> None:
    result = await build({"Dockerfile": b"FROM base AS one\nLABEL same=1\nFROM base\nLABEL same=1\n"})
    assert result.text.count(" ---> Using cache\n") == 1
    stage_ids = [m["aux"]["ID"] for m in result.messages if "aux" in m]
    assert stage_ids[0] == stage_ids[1]
