"""Variable expansion in Dockerfile words, with Docker's quoting, escapes and ``${...}`` forms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pymoby.daemon.builder import ExpansionError, ShellLex

ENV = {"A": "1", "EMPTY": "", "SPACED": "x  y", "PATH": "/bin"}


@pytest.mark.parametrize(
    ("word", "expanded"),
    [
        ("$A", "1"),
        ("${A}", "1"),
        ("pre${A}post", "pre1post"),
        ("$Apost", ""),
        ("$UNSET", ""),
        ("${A:-def}", "1"),
        ("${UNSET:-def}", "def"),
        ("${EMPTY:-def}", "def"),
        ("${EMPTY-def}", ""),
        ("${UNSET-def}", "def"),
        ("${A:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${UNSET:+alt}", ""),
        ("${UNSET:-${A}x}", "1x"),
        ("'$A'", "$A"),
        ('"$A and \\$A"', "1 and $A"),
        ('"a\\b"', "a\\b"),
        ("\\$A", "$A"),
        ("a\\ b", "a b"),
        ("end\\", "end"),
        ("$", "$"),
        ("a$", "a$"),
        ("$1", ""),
        ("${A:?}", "1"),
        ("'it'\"s\"", "its"),
    ],
)
def test_expansion(word: str, expanded: str) -> None:
    assert ShellLex().process_word(word, ENV) == expanded


def test_backtick_escape() -> None:
    lex = ShellLex("`")
    assert lex.process_word("c:\\dir `$A", ENV) == "c:\\dir $A"


@pytest.mark.parametrize(
    ("word", "message"),
    [
        ("${A", "failed to process \"${A\": missing ':' in substitution"),
        ("${", "failed to process \"${\": syntax error: missing '}'"),
        ("${}", 'failed to process "${}": syntax error: bad substitution'),
        ("${:a}", 'failed to process "${:a}": syntax error: bad substitution'),
        ("${A:*x}", 'failed to process "${A:*x}": unsupported modifier (*) in substitution'),
        ("${UNSET:?must be set}", 'failed to process "${UNSET:?must be set}": UNSET: must be set'),
        ("${UNSET?}", 'failed to process "${UNSET?}": UNSET: is not allowed to be unset'),
        ("${EMPTY:?}", 'failed to process "${EMPTY:?}": EMPTY: is not allowed to be empty'),
        ("'open", 'failed to process "\'open": unexpected end of statement while looking for matching single-quote'),
        ('"open', 'failed to process "\\"open": unexpected end of statement while looking for matching double-quote'),
        ("${A:-x", "failed to process \"${A:-x\": syntax error: missing '}'"),
    ],
)
def test_expansion_errors(word: str, message: str) -> None:
    with pytest.raises(ExpansionError) as caught:
        ShellLex().process_word(word, ENV)
    assert str(caught.value) == message


def test_words_split_after_expansion_but_not_inside_quotes() -> None:
    lex = ShellLex()
    assert lex.process_words('80 "443 x" $SPACED', ENV) == ["80", "443 x", "x", "y"]
    assert lex.process_words("  a\\ b  ", ENV) == ["a b"]


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="'")))
def test_single_quotes_keep_anything_but_a_quote(text: str) -> None:
    assert ShellLex().process_word("'" + text + "'", ENV) == text


@given(st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd"), whitelist_characters="_"), min_size=1))
def test_a_defined_variable_always_expands_to_its_value(value: str) -> None:
    assert ShellLex().process_word("${V}", {"V": value}) == value
