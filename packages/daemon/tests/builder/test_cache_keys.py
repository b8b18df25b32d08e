"""Step records and the cache keys made of them; the text forms the history shows; build arguments; ports."""

from __future__ import annotations

import pytest

from pymoby.daemon.builder import BUILTIN_ARGS, BuildArgs, BuildStepError, same_config
from pymoby.daemon.builder._cache import ImageCache, find_cached
from pymoby.daemon.builder._gofmt import format_duration, go_quote_list, go_quote_rune, parse_duration
from pymoby.daemon.builder._imagewriter import ImageWriter
from pymoby.daemon.builder._ports import exposed_ports
from pymoby.daemon.builder._runconfig import describe_healthcheck, nop_comment, nop_comment_string
from pymoby.daemon.images import ImageService
from pymoby.image import ContainerConfig, HealthConfig, Image


def test_records_of_metadata_and_copy_steps() -> None:
    config = ContainerConfig(env=["A=1"])
    assert nop_comment(config, "ENV A=1").cmd == ["/bin/sh", "-c", "#(nop) ", "ENV A=1"]
    assert nop_comment_string(config, "WORKDIR /app").cmd == ["/bin/sh", "-c", "#(nop) WORKDIR /app"]
    shelled = ContainerConfig(shell=["/bin/bash", "-eu", "-c"])
    assert nop_comment(shelled, "USER x").cmd == ["/bin/bash", "-eu", "-c", "#(nop) ", "USER x"]
    assert config.cmd is None  # the configuration itself is left alone


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (ContainerConfig(cmd=["x"]), ContainerConfig(cmd=["x"], image="sha256:1", hostname="h"), True),
        (ContainerConfig(env=None), ContainerConfig(env=[]), True),
        (ContainerConfig(env=["A=1"]), ContainerConfig(env=["A=2"]), False),
        (ContainerConfig(cmd=["a", "b"]), ContainerConfig(cmd=["b", "a"]), False),
        (ContainerConfig(labels={"a": "1"}), ContainerConfig(labels={"a": "1"}), True),
        (ContainerConfig(labels={"a": "1"}), ContainerConfig(labels={"a": "2"}), False),
        (ContainerConfig(exposed_ports={"80/tcp": {}}), ContainerConfig(exposed_ports={"80/tcp": {"x": 1}}), True),
        (ContainerConfig(volumes={"/a": {}}), ContainerConfig(volumes={"/b": {}}), False),
        (ContainerConfig(working_dir="/a"), ContainerConfig(working_dir="/b"), False),
        (ContainerConfig(user="a"), ContainerConfig(user="b"), False),
        (ContainerConfig(shell=["sh"]), ContainerConfig(), False),
        (ContainerConfig(healthcheck=HealthConfig(test=["NONE"])), ContainerConfig(), False),
        (ContainerConfig(on_build=["RUN x"]), ContainerConfig(on_build=["RUN y"]), False),
    ],
)
def test_which_records_match(a: ContainerConfig, b: ContainerConfig, same: bool) -> None:
    assert same_config(a, b) is same
    assert same_config(b, a) is same


def test_history_text_of_a_healthcheck_is_dockerds() -> None:
    health = HealthConfig(test=["CMD-SHELL", "true"], interval=5_000_000_000)
    assert describe_healthcheck(health) == """&{["CMD-SHELL" "true"] "5s" "0s" "0s" '\\x00'}"""
    health = HealthConfig(test=["CMD", "a b"], timeout=1_500_000_000, retries=3)
    assert describe_healthcheck(health) == """&{["CMD" "a b"] "0s" "1.5s" "0s" '\\x03'}"""


@pytest.mark.parametrize(
    ("ns", "text"),
    [(0, "0s"), (1_500_000, "1.5ms"), (90_000_000_000, "1m30s"), (7_200_000_000_000, "2h0m0s"), (1_000, "1µs")],
)
def test_durations_print_and_parse_as_go_does(ns: int, text: str) -> None:
    assert format_duration(ns) == text
    assert parse_duration(text) == ns


def test_go_quoting() -> None:
    assert go_quote_list(["/bin/sh", "-c", 'say "hi"\n']) == '["/bin/sh" "-c" "say \\"hi\\"\\n"]'
    assert go_quote_list(None) == "[]"
    assert go_quote_rune(65) == "'A'"


def test_build_args_scope_and_defaults() -> None:
    args = BuildArgs({"GIVEN": "cli", "UNUSED": "x", "HTTP_PROXY": "http://proxy", "NOVALUE": None})
    args.add_meta_arg("META", "m")
    stage = args.for_stage()
    assert stage.all_allowed() == {"HTTP_PROXY": "http://proxy"}  # proxies need no ARG
    stage.add_arg("GIVEN", "default")
    stage.add_arg("META", None)  # a bare ARG takes the meta default
    stage.add_arg("LOCAL", "l")
    stage.add_arg("NOVALUE", None)
    assert stage.all_allowed() == {"GIVEN": "cli", "META": "m", "LOCAL": "l", "HTTP_PROXY": "http://proxy"}
    assert stage.filter_allowed(["LOCAL=from-env"]) == ["GIVEN=cli", "META=m", "HTTP_PROXY=http://proxy"]
    assert not stage.is_referenced_or_not_builtin("HTTP_PROXY")
    assert stage.is_referenced_or_not_builtin("GIVEN")
    args.merge_referenced(stage)
    assert args.unused() == ["UNUSED"]
    assert "https_proxy" in BUILTIN_ARGS


def test_exposed_ports() -> None:
    assert exposed_ports(["80", "53/udp", "8000-8002/tcp", "127.0.0.1:8080:80/TCP"]) == [
        "80/tcp",
        "53/udp",
        "8000/tcp",
        "8001/tcp",
        "8002/tcp",
    ]
    for spec, message in [
        ("80/xyz", "Invalid proto: xyz"),
        ("abc", "Invalid containerPort: abc"),
        ("9-1", "Invalid containerPort: 9-1"),
        ("1.2.3:80:80", "Invalid ip address: 1.2.3"),
    ]:
        with pytest.raises(BuildStepError, match=message):
            exposed_ports([spec])


@pytest.mark.anyio
async def test_the_cache_finds_the_newest_matching_child(service: ImageService, base_image: Image) -> None:
    writer = ImageWriter(service)
    record = nop_comment(ContainerConfig(env=["A=1"]), "ENV A=1")
    other = nop_comment(ContainerConfig(env=["A=2"]), "ENV A=2")
    first = writer.create(base_image.id, config=ContainerConfig(env=["A=1"]), container_config=record, author="")
    writer.create(base_image.id, config=ContainerConfig(), container_config=other, author="")
    second = writer.create(base_image.id, config=ContainerConfig(env=["A=1"]), container_config=record, author="")
    assert find_cached(service.images, base_image.id, record) == second
    assert first != second
    child = service.images.get(second)
    assert child.config.history[-1].created_by == "/bin/sh -c #(nop)  ENV A=1"
    assert child.config.history[-1].empty_layer
    assert child.config.rootfs.diff_ids == base_image.config.rootfs.diff_ids
    assert service.images.get_parent(second) == base_image.id
    # The first miss of a stage stops the lookups until the next stage.
    cache = ImageCache(service.images)
    assert cache.probe(base_image.id, nop_comment(ContainerConfig(), "ENV B=1")) is None
    assert cache.probe(base_image.id, record) is None
    cache.reset()
    assert cache.probe(base_image.id, record) == second
    assert ImageCache(service.images, disabled=True).probe(base_image.id, record) is None
