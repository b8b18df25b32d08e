"""``.dockerignore``: reading the file and deciding which context paths it excludes."""

from __future__ import annotations

import pytest

from pymoby.daemon.builder import InvalidPattern, PatternMatcher, read_ignore_file


def test_reading_normalises_patterns() -> None:
    data = b"\xef\xbb\xbf# comment\n\n  *.log  \n/abs/path\n!  keep.log\nsub/../other\n./x/\n"
    assert read_ignore_file(data) == ["*.log", "abs/path", "!keep.log", "other", "x"]


CASES = [
    # (patterns, path, excluded)
    (["*.log"], "a.log", True),
    (["*.log"], "sub/a.log", False),
    (["**/*.log"], "sub/deep/a.log", True),
    (["**/*.log"], "a.log", True),
    (["build"], "build/out/x", True),
    (["build"], "rebuild", False),
    (["build/"], "build/x", True),
    (["docs/*.md"], "docs/a.md", True),
    (["docs/*.md"], "docs/sub/a.md", False),
    (["a?c"], "abc", True),
    (["a?c"], "a/c", False),
    (["[a-c]*"], "beta", True),
    (["[a-c]*"], "delta", False),
    (["[^a]*"], "beta", True),
    (["dir/**"], "dir/x/y", True),
    (["dir/**"], "dir", False),
    (["a/**/b"], "a/b", True),
    (["a/**/b"], "a/x/y/b", True),
    (["**"], "anything/at/all", True),
    (["*", "!keep"], "keep", False),
    (["*", "!keep"], "other", True),
    (["docs", "!docs/README.md"], "docs/README.md", False),
    (["docs", "!docs/README.md"], "docs/other.md", True),
    (["*.md", "!README.md", "README.md"], "README.md", True),
    (["\\*literal"], "*literal", True),
    (["\\*literal"], "xliteral", False),
    (["a.b"], "axb", False),
    (["*"], ".", False),
]


@pytest.mark.parametrize(("patterns", "path", "excluded"), CASES)
def test_matching(patterns: list[str], path: str, excluded: bool) -> None:
    assert PatternMatcher(patterns).matches(path) is excluded


@pytest.mark.parametrize("pattern", ["!", "[a-", "abc\\", "[]"])
def test_malformed_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(InvalidPattern):
        PatternMatcher([pattern])


def test_exclusions_are_known() -> None:
    assert PatternMatcher(["a", "!a/b"]).exclusions
    assert not PatternMatcher(["a"]).exclusions
