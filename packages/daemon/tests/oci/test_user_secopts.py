"""User resolution through passwd/group (runc's rules) and SecurityOpt parsing (Docker's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pymoby import errdefs
from pymoby.daemon.oci import (
    InvalidSecurityOpt,
    ProcessUser,
    SecurityOptions,
    UnknownUser,
    parse_security_opts,
    parse_user,
    resolve_user,
    scoped_path,
)

PASSWD = """\
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
# a comment
web:x:1000:1000:web:/home/web:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
"""
GROUP = """\
root:x:0:
daemon:x:1:
web:x:1000:
audio:x:29:web,other
video:x:44:web
nogroup:x:65534:
"""


@pytest.mark.parametrize(
    ("user", "group_add", "expected"),
    [
        ("", None, ProcessUser(0, 0, (0,), "/root")),
        ("root", None, ProcessUser(0, 0, (0,), "/root")),
        ("daemon", None, ProcessUser(1, 1, (1,), "/usr/sbin")),
        ("1", None, ProcessUser(1, 1, (1,), "/usr/sbin")),
        ("1:1", ["65534"], ProcessUser(1, 1, (1, 65534), "/usr/sbin")),
        ("web", None, ProcessUser(1000, 1000, (1000, 29, 44), "/home/web")),  # member of audio and video
        ("web:audio", None, ProcessUser(1000, 29, (29,), "/home/web")),  # explicit group: no supplementary ones
        ("4242", None, ProcessUser(4242, 0, (0,), "/")),  # numeric users need no passwd entry
        ("4242:4343", ["video", "44", "7"], ProcessUser(4242, 4343, (4343, 44, 7), "/")),
        ("nobody:nogroup", None, ProcessUser(65534, 65534, (65534,), "/nonexistent")),
    ],
)
def test_user_resolution(user: str, group_add: list[str] | None, expected: ProcessUser) -> None:
    assert parse_user(user, group_add, PASSWD, GROUP) == expected


@pytest.mark.parametrize(
    ("user", "group_add", "message"),
    [
        ("ghost", None, "unable to find user ghost: no matching entries in passwd file"),
        ("web:ghosts", None, "unable to find group ghosts: no matching entries in group file"),
        ("web", ["ghosts"], "Unable to find group ghosts: no matching entries in group file"),
        ("-1", None, "uids and gids must be in range 0-2147483647"),
        ("1:99999999999", None, "uids and gids must be in range 0-2147483647"),
    ],
)
def test_unknown_users_and_groups_are_runcs_errors(user: str, group_add: list[str] | None, message: str) -> None:
    with pytest.raises(UnknownUser) as info:
        parse_user(user, group_add, PASSWD, GROUP)
    assert str(info.value) == message
    assert errdefs.is_invalid_parameter(info.value)


def test_image_without_passwd_accepts_numeric_users_only() -> None:
    assert parse_user("1:2", None, None, None) == ProcessUser(1, 2, (2,), "/")
    with pytest.raises(UnknownUser, match=r"^unable to find user app: no matching entries in passwd file$"):
        parse_user("app", None, None, None)


def test_process_user_spec() -> None:
    assert ProcessUser(1, 2, (2, 3)).to_spec() == {"uid": 1, "gid": 2, "additionalGids": [2, 3]}


def test_resolve_user_reads_the_rootfs(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text(PASSWD)
    (tmp_path / "etc" / "group").write_text(GROUP)
    assert resolve_user(tmp_path, "web", ["nogroup"]).additional_gids == (1000, 29, 44, 65534)


def test_symlinked_passwd_cannot_escape_the_rootfs(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "etc").mkdir(parents=True)
    (outside / "etc" / "passwd").write_text("evil:x:0:0::/:/bin/sh\n")
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "data" / "passwd").write_text("app:x:7:7::/:/bin/sh\n")
    # An absolute link is resolved inside the root, as the container would see it.
    (root / "etc" / "passwd").symlink_to("/../../outside/etc/passwd")
    assert scoped_path(root, "/etc/passwd") == root / "outside" / "etc" / "passwd"
    with pytest.raises(UnknownUser):
        resolve_user(root, "evil")
    (root / "etc" / "passwd").unlink()
    (root / "etc" / "passwd").symlink_to("../data/passwd")
    assert resolve_user(root, "app") == ProcessUser(7, 7, (7,), "/")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (None, SecurityOptions()),
        (["no-new-privileges"], SecurityOptions(no_new_privileges=True)),
        (["no-new-privileges=false"], SecurityOptions(no_new_privileges=False)),
        (["no-new-privileges:true"], SecurityOptions(no_new_privileges=True)),  # the old separator
        (["seccomp=unconfined"], SecurityOptions(seccomp="unconfined")),
        (['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'], SecurityOptions(seccomp='{"defaultAction":"SCMP_ACT_ALLOW"}')),
        (["apparmor=unconfined"], SecurityOptions(apparmor="unconfined")),
        (
            ["label=disable", "label=type:svirt_t", "disable"],
            SecurityOptions(labels=("disable", "type:svirt_t", "disable")),
        ),
        (["systempaths=unconfined"], SecurityOptions(unconfined_system_paths=True)),
    ],
)
def test_security_opts(options: list[str] | None, expected: SecurityOptions) -> None:
    assert parse_security_opts(options) == expected


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("bogus", 'invalid --security-opt 1: "bogus"'),
        ("foo=bar", 'invalid --security-opt 2: "foo=bar"'),
        ("no-new-privileges=maybe", 'invalid --security-opt 2: "no-new-privileges=maybe"'),
        ("systempaths=confined", 'invalid --security-opt 2: "systempaths=confined"'),
    ],
)
def test_invalid_security_opts_are_dockers_errors(option: str, message: str) -> None:
    with pytest.raises(InvalidSecurityOpt) as info:
        parse_security_opts([option])
    assert str(info.value) == message


def test_apparmor_profile_without_apparmor_is_refused_clearly() -> None:
    with pytest.raises(InvalidSecurityOpt, match=r'AppArmor is not enabled on this host.*"docker-default"'):
        parse_security_opts(["apparmor=docker-default"])
    assert parse_security_opts(["apparmor=docker-default"], apparmor_enabled=True).apparmor == "docker-default"
