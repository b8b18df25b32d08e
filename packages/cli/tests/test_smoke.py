from typing import Any


def test_version_talks_to_the_fake(cli: Any) -> None:
    result = cli("version", "--format", "{{.Server.Version}}")
    assert (result.exit_code, result.stdout) == (0, "99.0\n")
