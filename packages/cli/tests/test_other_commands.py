"""Images, registries, volumes, networks, system commands and the global flags, over the fake Engine API."""

from __future__ import annotations

import base64
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest


def test_images_table_quiet_digests_and_format(cli: Any, engine: Any) -> None:
    engine.images["sha256:" + "a" * 64]["RepoTags"].append("busybox:1.36")
    table = cli("images")
    assert table.stdout.splitlines() == [
        "REPOSITORY   TAG       IMAGE ID       CREATED      SIZE",
        "busybox      latest    aaaaaaaaaaaa   3 days ago   1.99MB",
        "busybox      1.36      aaaaaaaaaaaa   3 days ago   1.99MB",
    ]
    assert cli("images", "-q").stdout == "aaaaaaaaaaaa\naaaaaaaaaaaa\n"
    assert cli("images", "--format", "{{.Repository}}:{{.Tag}}").stdout == "busybox:latest\nbusybox:1.36\n"
    assert cli("images", "--digests").stdout.splitlines()[0].split() == [
        "REPOSITORY", "TAG", "DIGEST", "IMAGE", "ID", "CREATED", "SIZE"]  # fmt: skip
    cli("images", "busybox")
    assert json.loads(engine.seen("GET", "/images/json")[-1].q("filters")) == {"reference": {"busybox": True}}
    hint = cli("images", "pull")
    assert hint.stderr == '\nNo images found matching "pull": did you mean "pymoby image pull"?\n'


def test_pull_prints_plain_progress_and_the_reference(cli: Any, engine: Any) -> None:
    result = cli("pull", "alpine")
    assert result.exit_code == 0
    assert result.stdout == (
        "Using default tag: latest\nlatest: Pulling from library/alpine\na1b2c3d4e5f6: Pulling fs layer\n"
        "a1b2c3d4e5f6: Download complete\na1b2c3d4e5f6: Pull complete\nDigest: sha256:" + "9" * 64 + "\n"
        "Status: Downloaded newer image for alpine:latest\ndocker.io/library/alpine:latest\n"
    )
    quiet = cli("pull", "-q", "alpine:3")
    assert quiet.stdout == "docker.io/library/alpine:3\n"
    assert engine.pulled[-1].startswith("docker.io/library/alpine:3|")
    assert cli("pull", "-a", "alpine:3").stderr == "tag can't be used with --all-tags/-a\n"
    assert cli("pull", "UPPER").exit_code == 1
    engine.pull_error = "pull access denied for nope, repository does not exist"
    denied = cli("pull", "nope")
    assert denied.stderr == "Error response from daemon: pull access denied for nope, repository does not exist\n"


def test_pull_and_push_send_stored_credentials(cli: Any, engine: Any, config_dir: Path) -> None:
    auth = base64.b64encode(b"me:pw").decode()
    (config_dir / "config.json").write_text(json.dumps({"auths": {"registry.example:5000": {"auth": auth}}}))
    assert cli("pull", "registry.example:5000/team/app:1").exit_code == 0
    name, _, header = engine.pulled[-1].partition("|")
    assert name == "registry.example:5000/team/app:1"
    assert json.loads(base64.urlsafe_b64decode(header)) == {"username": "me", "password": "pw",
                                                            "serveraddress": "registry.example:5000"}  # fmt: skip
    result = cli("push", "registry.example:5000/team/app")
    assert result.stdout.startswith("Using default tag: latest\nThe push refers to repository [")
    assert "a1b2c3d4e5f6: Pushed\nlatest: digest: sha256:" in result.stdout
    assert engine.pulled[-1].startswith("push registry.example:5000/team/app:latest|")
    denied = cli("push", "denied/app:1")
    assert (denied.exit_code, denied.stderr) == (1, "denied: requested access to the resource is denied\n")
    assert cli("push", "-q", "me/app:2").stdout == "docker.io/me/app:2\n"


def test_tag_rmi_history_and_image_inspect(cli: Any, engine: Any) -> None:
    assert cli("tag", "busybox", "me/box:v1").exit_code == 0
    assert engine.seen("POST", "/images/busybox/tag")[0].query == {"repo": ["docker.io/me/box"], "tag": ["v1"]}
    assert cli("tag", "busybox", "me/box@sha256:" + "1" * 64).stderr == (
        "refusing to create a tag with a digest reference\n"
    )
    assert cli("tag", "nope", "x").stderr == "Error response from daemon: No such image: nope\n"
    assert cli("rmi", "me/box:v1").stdout == "Untagged: me/box:v1\n"
    removed = cli("rmi", "busybox", "ghost")
    assert removed.stdout == "Untagged: busybox:latest\nDeleted: sha256:" + "a" * 64 + "\n"
    assert (removed.exit_code, removed.stderr) == (1, "Error response from daemon: No such image: ghost\n")
    forced = cli("rmi", "-f", "ghost")
    assert (forced.exit_code, forced.stderr) == (0, "Error response from daemon: No such image: ghost\n")
    engine.add_image("busybox:latest", "a" * 64)
    history = cli("history", "busybox").stdout.splitlines()
    assert history[0].split() == ["IMAGE", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"]
    assert history[1].startswith('aaaaaaaaaaaa   3 days ago   /bin/sh -c #(nop) CMD ["sh"]')
    assert history[2].startswith("<missing>      3 days ago   /bin/sh -c #(nop) ADD file:00000000000000000…")
    assert history[2].endswith("1.99MB    imported")
    assert cli("history", "-q", "busybox").stdout == "aaaaaaaaaaaa\n<missing>\n"
    raw = cli("history", "--human=false", "--format", "{{.Size}}", "busybox")
    assert raw.stdout == "0\n1990000\n"
    assert json.loads(cli("image", "inspect", "busybox").stdout)[0]["RepoTags"] == ["busybox:latest"]


def test_save_load_import(cli: Any, engine: Any, tmp_path: Path) -> None:
    assert cli("save", "busybox", "alpine").stdout_bytes == b"SAVED:busybox,alpine"
    archive = tmp_path / "out.tar"
    assert cli("save", "-o", str(archive), "busybox").exit_code == 0
    assert archive.read_bytes() == b"SAVED:busybox"
    loaded = cli("load", "-i", str(archive))
    assert (loaded.exit_code, loaded.stdout) == (0, "Loaded image: loaded:latest\n")
    assert engine.uploads["load"] == b"SAVED:busybox"
    assert engine.seen("POST", "/images/load")[0].q("quiet") == "1"
    assert cli("load", input=b"FROM-STDIN").exit_code == 0
    assert engine.uploads["load"] == b"FROM-STDIN"
    missing = cli("load", "-i", str(tmp_path / "nope.tar"))
    assert missing.stderr == f"open {tmp_path / 'nope.tar'}: no such file or directory\n"
    imported = cli("import", "-m", "note", "-c", "CMD sh", "-", "me/imported:1", input=b"TAR")
    assert imported.stdout == "sha256:" + "f" * 64 + "\n"
    query = engine.seen("POST", "/images/create")[-1].query
    assert (query["fromSrc"], query["repo"], query["message"], query["changes"]) == (
        ["-"], ["me/imported:1"], ["note"], ["CMD sh"])  # fmt: skip


def test_build_sends_the_context_without_ignored_files(cli: Any, engine: Any, tmp_path: Path) -> None:
    context = tmp_path / "ctx"
    (context / "sub").mkdir(parents=True)
    (context / "Dockerfile").write_text("FROM busybox\nRUN ls\n")
    (context / "keep.txt").write_text("x")
    (context / "skip.log").write_text("x")
    (context / "sub" / "deep.log").write_text("x")
    (context / ".dockerignore").write_text("*.log\n**/*.log\n!important.log\n")
    result = cli("build", "-t", "me/built:1", "--build-arg", "A=1", "--label", "l=v", str(context))
    assert result.exit_code == 0, result.stderr
    assert "Step 2/2 : RUN ls (5 files: .dockerignore,Dockerfile,keep.txt,sub)\n" not in result.stdout
    with tarfile.open(fileobj=io.BytesIO(engine.uploads["build"])) as tar:
        names = tar.getnames()
    assert sorted(names) == [".dockerignore", "Dockerfile", "keep.txt", "sub"]
    assert result.stdout.endswith("Successfully built 888888888888\nSuccessfully tagged me/built:1\n")
    query = engine.seen("POST", "/build")[0].query
    assert (query["t"], query["dockerfile"], json.loads(query["buildargs"][0])) == (
        ["me/built:1"], ["Dockerfile"], {"A": "1"})  # fmt: skip
    quiet = cli("build", "-q", str(context))
    assert quiet.stdout == "sha256:" + "8" * 64 + "\n"
    assert cli("build", str(tmp_path / "nope")).stderr.startswith("unable to prepare context: path")


def test_login_and_logout_store_what_docker_stores(cli: Any, engine: Any, config_dir: Path) -> None:
    result = cli("login", "-u", "me", "--password-stdin", "registry.example:5000", input="s3cret\n")
    assert (result.exit_code, result.stdout) == (0, "Login Succeeded\n")
    assert "Your credentials are stored unencrypted" in result.stderr
    assert engine.logins[-1] == {"username": "me", "password": "s3cret", "serveraddress": "registry.example:5000"}
    stored = json.loads((config_dir / "config.json").read_text())["auths"]["registry.example:5000"]
    assert base64.b64decode(stored["auth"]) == b"me:s3cret"
    again = cli("login", "registry.example:5000")
    assert again.stderr.startswith("Authenticating with existing credentials... [Username: me]\n")
    refused = cli("login", "-u", "me", "-p", "wrong", "other.example")
    assert refused.exit_code == 1
    assert refused.stderr == ("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n"
                              "Error response from daemon: Get \"https://registry/v2/\": unauthorized: incorrect "
                              "username or password\n")  # fmt: skip
    assert cli("login", "--password-stdin", input="x").stderr == (
        "the --password-stdin option requires --username to be set\n"
    )
    assert cli("login", "-u", "me").stderr == "Error: Cannot perform an interactive login from a non TTY device\n"
    logout = cli("logout", "registry.example:5000")
    assert logout.stdout == "Removing login credentials for registry.example:5000\n"
    assert json.loads((config_dir / "config.json").read_text())["auths"] == {}


def test_volume_commands(cli: Any, engine: Any) -> None:
    assert cli("volume", "create", "--label", "a=b", "-o", "type=tmpfs", "data").stdout == "data\n"
    expected = {"Name": "data", "Driver": "local", "DriverOpts": {"type": "tmpfs"}, "Labels": {"a": "b"}}
    assert engine.seen("POST", "/volumes/create")[0].json() == expected
    cli("volume", "create", "logs")
    assert cli("volume", "ls").stdout == "DRIVER    VOLUME NAME\nlocal     data\nlocal     logs\n"
    assert cli("volume", "ls", "-q").stdout == "data\nlogs\n"
    assert cli("volume", "ls", "--format", '{{.Name}} {{.Label "a"}}').stdout == "data b\nlogs \n"
    assert json.loads(cli("volume", "inspect", "data").stdout)[0]["Mountpoint"] == "/var/lib/fake/volumes/data/_data"
    removed = cli("volume", "rm", "data", "ghost")
    assert (removed.stdout, removed.stderr) == ("data\n", "Error response from daemon: get ghost: no such volume\n")
    pruned = cli("volume", "prune", "-f")
    assert pruned.stdout == "Deleted Volumes:\nold\n\nTotal reclaimed space: 2.048kB\n".replace("\n\n", "\n")


def test_network_commands(cli: Any, engine: Any) -> None:
    created = cli("network", "create", "--subnet", "10.9.0.0/24", "--gateway", "10.9.0.1", "--label", "a=b", "net1")
    assert created.stdout == "9" * 64 + "\n"
    ipam = engine.seen("POST", "/networks/create")[0].json()["IPAM"]
    assert ipam["Config"] == [{"Subnet": "10.9.0.0/24", "AuxiliaryAddresses": {}, "Gateway": "10.9.0.1"}]
    assert cli("network", "create", "--gateway", "10.0.0.1", "x").stderr == (
        "every ip-range or gateway must have a corresponding subnet\n"
    )
    assert cli("network", "ls").stdout.splitlines() == [
        "NETWORK ID     NAME      DRIVER    SCOPE", "hhhhhhhhhhhh   host      host      local",
        "999999999999   net1      bridge    local", "nnnnnnnnnnnn   none      null      local"]  # fmt: skip
    assert cli("network", "inspect", "-f", "{{.Name}}/{{.Driver}}", "net1").stdout == "net1/bridge\n"
    assert cli("network", "connect", "--alias", "web", "net1", "c").exit_code == 0
    body = engine.seen("POST", "/networks/net1/connect")[0].json()
    assert body["Container"] == "c"
    assert body["EndpointConfig"]["Aliases"] == ["web"]
    removed = cli("network", "rm", "net1", "ghost")
    assert (removed.exit_code, removed.stdout) == (1, "net1\n")
    assert removed.stderr == "Error response from daemon: network ghost not found\nexit status 1\n"
    assert cli("network", "prune", "-f").stdout == "Deleted Networks:\nunused\n\n"  # Println, as Docker


def test_version_info_and_df(cli: Any, engine: Any) -> None:
    version = cli("version").stdout
    assert "Client:\n Version:           0.1.0\n API version:       1.45\n" in version
    assert "Server: Fake Engine\n Engine:\n  Version:          99.0\n" in version
    assert "  API version:      1.45 (minimum version 1.24)\n" in version
    assert " runc:\n  Version:          1.1\n  GitCommit:        r1\n" in version
    assert json.loads(cli("version", "--format", "json").stdout)["Server"]["Version"] == "99.0"
    assert cli("version", "--format", "{{.Nope").exit_code == 64
    info = cli("info")
    assert " Storage Driver: overlay2\n  Backing Filesystem: extfs\n" in info.stdout
    assert " Total Memory: 1GiB\n" in info.stdout
    assert " Security Options:\n  seccomp\n   Profile: builtin\n" in info.stdout
    assert info.stderr == "WARNING: fake warning\n"
    assert cli("info", "--format", "{{.Driver}} {{.NCPU}} {{json .Plugins.Volume}}").stdout == 'overlay2 2 ["local"]\n'
    assert cli("system", "info", "-f", "{{.ClientInfo.Version}}").stdout == "0.1.0\n"
    df = cli("system", "df").stdout.splitlines()
    assert df[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
    assert df[1].split()[:4] == ["Images", "1", "0", "2MB"]


def test_events_pretty_and_formatted(cli: Any, engine: Any) -> None:
    cli("create", "--name", "evt", "busybox")
    pretty = cli("events", "--since", "1h", "--until", "0s").stdout
    assert " container create " in pretty
    assert pretty.rstrip().endswith("(image=busybox, name=evt)")
    formatted = cli("system", "events", "--filter", "type=container", "--format", "{{.Type}}:{{.Action}}")
    assert formatted.stdout == "container:create\n"
    query = engine.seen("GET", "/events")[-1]
    assert json.loads(query.q("filters")) == {"type": {"container": True}}
    assert cli("events", "--format", "{{.Nope}}").exit_code == 64


def test_system_prune_lists_what_it_removes(cli: Any, engine: Any) -> None:
    result = cli("system", "prune", input="y\n")
    assert result.stdout.startswith("WARNING! This will remove:\n  - all stopped containers\n")
    assert "  - all dangling images\n" in result.stdout
    assert result.stdout.endswith("Deleted Networks:\nunused\n\nDeleted Images:\ndeleted: sha256:" + "d" * 64 +
                                  "\n\nTotal reclaimed space: 5kB\n")  # fmt: skip


def test_global_flags_errors_and_completion(cli: Any, engine: Any, tmp_path: Path) -> None:
    assert cli("--version").stdout == "pymoby version 0.1.0\n"
    unknown = cli("bogus")
    assert (unknown.exit_code, unknown.stderr) == (1, "pymoby: unknown command: pymoby bogus\n\n"
                                                      "Run 'pymoby --help' for more information\n")  # fmt: skip
    assert cli("--bogus").exit_code == 125
    assert cli("ps", "extra").stderr.startswith("pymoby: 'pymoby ps' accepts no arguments\n")
    script = cli("completion", "bash").stdout
    assert "_PYMOBY_COMPLETE" in script
    assert "complete " in script


def test_the_daemon_address_comes_from_the_flag_or_pymoby_host(
    engine: Any, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from pymoby.cli import main

    monkeypatch.setenv("PYMOBY_HOST", engine.host)
    ok = CliRunner().invoke(main, ["--config", str(config_dir), "version", "-f", "{{.Server.Version}}"])
    assert (ok.exit_code, ok.stdout) == (0, "99.0\n")
    monkeypatch.setenv("PYMOBY_HOST", "unix:///nonexistent/pymoby.sock")
    down = CliRunner().invoke(main, ["--config", str(config_dir), "ps"])
    assert down.exit_code == 1
    assert down.stderr.startswith("Cannot connect to the Docker daemon at unix:///nonexistent/pymoby.sock.")
    two = CliRunner().invoke(main, ["-H", engine.host, "-H", engine.host, "ps"])
    assert two.stderr == "Specify only one -H\n"


def test_shell_completion_offers_container_and_image_names(engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.shell_completion import ShellComplete

    from pymoby.cli import main

    engine.call(lambda: engine.add_image("alpine:3", "c" * 64))
    monkeypatch.setenv("PYMOBY_HOST", engine.host)
    from click.testing import CliRunner

    assert CliRunner().invoke(main, ["create", "--name", "webapp", "busybox"]).exit_code == 0
    complete = ShellComplete(main, {}, "pymoby", "_PYMOBY_COMPLETE")
    assert [c.value for c in complete.get_completions(["stop"], "web")] == ["webapp"]
    assert [c.value for c in complete.get_completions(["run"], "al")] == ["alpine:3"]
    assert [c.value for c in complete.get_completions(["rmi"], "")] == ["alpine:3", "busybox:latest"]


def test_every_command_is_declared_where_its_module_registers_it() -> None:
    import importlib

    import click

    from pymoby.cli import _tree

    groups = [_tree.root, _tree.container, _tree.image, _tree.volume, _tree.network, _tree.system]
    for group in groups:
        for name, module in group.lazy.items():
            importlib.import_module(f"pymoby.cli.{module}")
            assert name in group.commands, f"{group.name} {name} is not registered by {module}"
    for group in groups:
        declared = set(group.lazy) | {n for n, c in group.commands.items() if isinstance(c, click.Group)}
        assert set(group.commands) == declared, group.name
        for alias, target in group.aliases.items():
            assert target in group.commands, f"{group.name} {alias} -> {target}"
