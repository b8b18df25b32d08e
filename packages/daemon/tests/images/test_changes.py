"""``--change`` instructions applied to an image config, as dockerd applies them."""

from __future__ import annotations

import pytest

from pymoby.daemon.images import InvalidChange, apply_changes
from pymoby.image import ContainerConfig

BASE = ContainerConfig(cmd=["sh"], env=["PATH=/bin", "A=1"], working_dir="/srv")


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ('CMD ["echo", "hi"]', "cmd", ["echo", "hi"]),
        ("CMD echo hi", "cmd", ["/bin/sh", "-c", "echo hi"]),
        ('ENTRYPOINT ["/entry"]', "entrypoint", ["/entry"]),
        ("ENV A=2 B=three", "env", ["PATH=/bin", "A=2", "B=three"]),
        ('ENV C "with space"', "env", ["PATH=/bin", "A=1", 'C="with space"']),
        ('ENV D="quoted value"', "env", ["PATH=/bin", "A=1", "D=quoted value"]),
        ("EXPOSE 80 53/udp 8000-8001", "exposed_ports", {"80/tcp": {}, "53/udp": {}, "8000/tcp": {}, "8001/tcp": {}}),
        ('LABEL a=b "c d"=e', "labels", {"a": "b", "c d": "e"}),
        ("USER nobody:nogroup", "user", "nobody:nogroup"),
        ("WORKDIR app", "working_dir", "/srv/app"),
        ("WORKDIR /abs/../x", "working_dir", "/x"),
        ('VOLUME ["/data", "/logs"]', "volumes", {"/data": {}, "/logs": {}}),
        ("VOLUME /one /two", "volumes", {"/one": {}, "/two": {}}),
        ("STOPSIGNAL SIGKILL", "stop_signal", "SIGKILL"),
        ("ONBUILD run make", "on_build", ["RUN make"]),
    ],
)
def test_each_instruction(change: str, field: str, expected: object) -> None:
    assert getattr(apply_changes(BASE, [change]), field) == expected
    assert BASE.env == ["PATH=/bin", "A=1"]


def test_entrypoint_clears_an_inherited_cmd_unless_set_too() -> None:
    assert apply_changes(BASE, ["ENTRYPOINT /e"]).cmd is None
    both = apply_changes(BASE, ['CMD ["x"]', "ENTRYPOINT /e"])
    assert both.cmd == ["x"]
    assert both.entrypoint == ["/bin/sh", "-c", "/e"]


def test_healthcheck() -> None:
    check = apply_changes(BASE, ["HEALTHCHECK --interval=5s --retries=3 CMD curl -f localhost"]).healthcheck
    assert check is not None
    assert check.test == ["CMD-SHELL", "curl -f localhost"]
    assert check.interval == 5_000_000_000
    assert check.retries == 3
    none = apply_changes(BASE, ["HEALTHCHECK NONE"]).healthcheck
    assert none is not None
    assert none.test == ["NONE"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("RUN make", "run is not a valid change command"),
        ("FROM scratch", "from is not a valid change command"),
        ("EXPOSE abc", "Invalid containerPort: abc"),
        ("STOPSIGNAL SIGNOPE", "Invalid signal: SIGNOPE"),
        ("HEALTHCHECK --interval=soon CMD x", "invalid duration"),
        ("ENV", "ENV requires at least one argument"),
    ],
)
def test_bad_changes_are_refused_in_dockers_words(change: str, message: str) -> None:
    with pytest.raises(InvalidChange, match=message):
        apply_changes(BASE, [change])
