"""Variable expansion and word splitting in Dockerfile instructions (buildkit's ``shell.Lex``).

Like ``sh`` but only this much of it:

- ``'...'`` is taken literally; ``"..."`` literally except ``$`` references
  and the escape character before ``"``, ``$`` or itself;
- outside quotes the escape character (``\\``, or the backtick chosen by
  ``# escape=``) makes the next character literal, and is dropped at the end;
- ``$NAME`` and ``${NAME}``; ``$1`` (digits) and the special parameters
  (``$@ $* $# $? $- $$ $! $0``) expand to their variable, usually unset;
  a ``$`` not followed by a name stays as is;
- ``${NAME:-word}`` (word if unset or empty), ``${NAME-word}`` (if unset),
  ``${NAME:+word}`` (word if set and not empty), ``${NAME+word}`` (if set),
  ``${NAME:?msg}`` and ``${NAME?msg}`` (an error if unset, or empty with
  ``:``); ``word`` is expanded in turn.

An unset variable expands to the empty string. Errors are
:class:`ExpansionError` with Docker's text (``failed to process "${X": syntax
error: missing '}'``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._errors import ExpansionError
from ._gofmt import go_quote
from ._parser import is_space

__all__ = ["ShellLex", "env_map"]

_SPECIAL = frozenset("@*#?-$!0")


class _Error(Exception):
    pass


def env_map(env: Sequence[str]) -> dict[str, str]:
    """``["K=v", ...]`` as a dict (a later key wins; ``K`` alone is ``K=""``)."""
    result: dict[str, str] = {}
    for item in env:
        key, _, value = item.partition("=")
        result[key] = value
    return result


class _Words:
    """The words of a processed string: spaces split, except inside quotes and expansions kept raw."""

    def __init__(self) -> None:
        self.words: list[str] = []
        self.word = ""
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if is_space(ch):
            if self.in_word and self.word:
                self.words.append(self.word)
                self.word = ""
                self.in_word = False
        else:
            self.add_raw_char(ch)

    def add_raw_char(self, ch: str) -> None:
        self.word += ch
        self.in_word = True

    def add_string(self, text: str) -> None:
        for ch in text:
            self.add_char(ch)

    def add_raw_string(self, text: str) -> None:
        self.word += text
        self.in_word = True

    def result(self) -> list[str]:
        if self.word:
            self.words.append(self.word)
            self.word = ""
            self.in_word = False
        return self.words


class _Scan:
    def __init__(self, text: str, env: Mapping[str, str], escape: str) -> None:
        self.text = text
        self.pos = 0
        self.env = env
        self.escape = escape

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def next(self) -> str:
        if self.pos >= len(self.text):
            return ""
        ch = self.text[self.pos]
        self.pos += 1
        return ch

    def process_until(self, stop: str) -> tuple[str, list[str]]:
        """Process up to ``stop`` (consumed; ``""``: the end of the text)."""
        result: list[str] = []
        words = _Words()
        while self.peek():
            ch = self.peek()
            if stop and ch == stop:
                self.next()
                return "".join(result), words.result()
            if ch == "'":
                text = self.single_quoted()
                result.append(text)
                words.add_raw_string(text)
            elif ch == '"':
                text = self.double_quoted()
                result.append(text)
                words.add_raw_string(text)
            elif ch == "$":
                text = self.dollar()
                result.append(text)
                words.add_string(text)
            else:
                ch = self.next()
                if ch == self.escape:
                    ch = self.next()
                    if not ch:
                        break
                    words.add_raw_char(ch)
                else:
                    words.add_char(ch)
                result.append(ch)
        if stop:
            raise _Error(f"unexpected end of statement while looking for matching {stop}")
        return "".join(result), words.result()

    def single_quoted(self) -> str:
        self.next()
        out: list[str] = []
        while True:
            ch = self.next()
            if not ch:
                raise _Error("unexpected end of statement while looking for matching single-quote")
            if ch == "'":
                return "".join(out)
            out.append(ch)

    def double_quoted(self) -> str:
        self.next()
        out: list[str] = []
        while True:
            ch = self.peek()
            if not ch:
                raise _Error("unexpected end of statement while looking for matching double-quote")
            if ch == '"':
                self.next()
                return "".join(out)
            if ch == "$":
                out.append(self.dollar())
                continue
            ch = self.next()
            if ch == self.escape:
                following = self.peek()
                if not following:
                    continue
                if following in ('"', "$", self.escape):
                    ch = self.next()
            out.append(ch)

    def name(self) -> str:
        ch = self.peek()
        if ch.isdigit() and ch.isascii():
            digits = ""
            while self.peek().isdigit() and self.peek().isascii():
                digits += self.next()
            return digits
        if ch and ch in _SPECIAL:
            return self.next()
        name = ""
        while (ch := self.peek()) and (ch.isalnum() or ch == "_"):
            name += self.next()
        return name

    def dollar(self) -> str:
        self.next()
        if self.peek() != "{":
            name = self.name()
            if not name:
                return "$"
            return self.env.get(name, "")
        self.next()
        ch = self.peek()
        if not ch:
            raise _Error("syntax error: missing '}'")
        if ch in "{}:":
            raise _Error("syntax error: bad substitution")
        name = self.name()
        ch = self.next()
        if ch == "}":
            return self.env.get(name, "")
        colon = ch == ":"
        modifier = self.next() if colon else ch
        if modifier not in ("-", "+", "?"):
            if colon:
                raise _Error(f"unsupported modifier ({modifier}) in substitution")
            raise _Error("missing ':' in substitution")
        try:
            word, _ = self.process_until("}")
        except _Error:
            if not self.peek():
                raise _Error("syntax error: missing '}'") from None
            raise
        found = name in self.env
        value = self.env.get(name, "")
        if modifier == "-":
            use_word = (not value) if colon else (not found)
            return word if use_word else value
        if modifier == "+":
            use_word = bool(value) if colon else found
            return word if use_word else ""
        if not found:
            raise _Error(f"{name}: {word or 'is not allowed to be unset'}")
        if colon and not value:
            raise _Error(f"{name}: {word or 'is not allowed to be empty'}")
        return value


class ShellLex:
    """Expands ``$VAR`` references in Dockerfile words, with the escape character of the Dockerfile."""

    def __init__(self, escape: str = "\\") -> None:
        self.escape = escape

    def _run(self, word: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
        try:
            return _Scan(word, env, self.escape).process_until("")
        except _Error as exc:
            raise ExpansionError(f"failed to process {go_quote(word)}: {exc}") from None

    def process_word(self, word: str, env: Mapping[str, str]) -> str:
        """``word`` with quotes removed and variables expanded. Raises :class:`ExpansionError`."""
        return self._run(word, env)[0]

    def process_words(self, word: str, env: Mapping[str, str]) -> list[str]:
        """``word`` expanded, then split into words at blanks outside quotes. Raises :class:`ExpansionError`."""
        return self._run(word, env)[1]
