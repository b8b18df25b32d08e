"""API version ordering and the range the daemon accepts."""

from __future__ import annotations

import pytest

from pymoby import api, errdefs


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("1.9", "1.24", -1), ("1.24", "1.24", 0), ("1.45", "1.24", 1), ("1.4", "1.40", -1), ("2", "1.45", 1)],
)
def test_versions_compare_numerically_not_as_strings(a: str, b: str, expected: int) -> None:
    assert api.versions_compare(a, b) == expected


def test_too_old_version_has_dockers_message() -> None:
    with pytest.raises(api.InvalidAPIVersion) as info:
        api.check_api_version("1.12")
    assert str(info.value) == (
        "client version 1.12 is too old. Minimum supported API version is 1.24, "
        "please upgrade your client to a newer version"
    )
    assert errdefs.is_invalid_parameter(info.value)


def test_too_new_version_has_dockers_message() -> None:
    with pytest.raises(api.InvalidAPIVersion, match=r"client version 1\.99 is too new\. Maximum supported API"):
        api.check_api_version("1.99")


@pytest.mark.parametrize("version", ["1.24", "1.41", "1.45"])
def test_versions_in_range_pass(version: str) -> None:
    api.check_api_version(version)


@pytest.mark.parametrize("version", ["", "abc", "1.x", "1..2"])
def test_malformed_versions_are_invalid(version: str) -> None:
    with pytest.raises(api.InvalidAPIVersion):
        api.version_tuple(version)
