"""Reading a Dockerfile into instruction nodes, as Docker's parser does (buildkit ``frontend/dockerfile/parser``).

The rules, in the order they apply:

- a UTF-8 byte-order mark on the first line is dropped; lines end at ``\\n``
  (a ``\\r`` before it is dropped too);
- parser directives (``# escape=`` and ``# syntax=``, the latter read and
  ignored) are only recognised in the comment lines that open the file,
  before anything else, blank lines included; each may appear once;
- leading whitespace is dropped; a line starting with ``#`` is a comment;
  empty lines are skipped;
- a line ending with the escape character (``\\`` or the backtick chosen by
  ``# escape=``), optionally followed by blanks, continues on the next
  line; comment lines inside a continued instruction are skipped and empty
  ones give a warning;
- the first word is the instruction (case-insensitive), then ``--flags``,
  then the arguments, parsed per instruction: a JSON array of strings for
  the exec forms (``RUN ["a", "b"]``), words with quotes kept for ``ENV``,
  ``LABEL`` and ``ARG``, the rest of the line for ``USER`` and the like.

An unknown instruction is kept with no arguments: it is reported by
:mod:`._instructions`, with its line. Heredocs are not supported.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field

from ._errors import DockerfileSyntaxError

__all__ = ["DEFAULT_ESCAPE", "Node", "ParseResult", "is_space", "parse_dockerfile", "parse_line", "split_words"]

DEFAULT_ESCAPE = "\\"

_WHITESPACE = re.compile(r"[\t\v\f\r ]+")
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_DIRECTIVES = frozenset({"escape", "syntax"})
_NOT_STRINGS = "when using JSON array syntax, arrays must be comprised of strings only"
_BOM = "\ufeff"


def is_space(ch: str) -> bool:
    """Go's ``unicode.IsSpace``: ASCII blanks, U+0085, U+00A0 and the Unicode space separators."""
    if ch in "\t\n\v\f\r \x85\xa0":
        return True
    return ord(ch) > 0xFF and unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def _trim_left(text: str) -> str:
    index = 0
    while index < len(text) and is_space(text[index]):
        index += 1
    return text[index:]


def _trim(text: str) -> str:
    end = len(text)
    while end > 0 and is_space(text[end - 1]):
        end -= 1
    return _trim_left(text[:end])


@dataclass(slots=True)
class Node:
    """One instruction as written.

    ``value`` is the instruction in lower case (``run``); ``args`` its
    arguments as the per-instruction rules split them (for ``ENV`` and
    ``LABEL``: key, value, key, value...); ``json`` tells the exec (JSON
    array) form; ``flags`` the ``--flag=value`` words before the arguments;
    ``original`` the whole instruction text, continuation lines joined;
    ``child`` the instruction an ``ONBUILD`` wraps. Lines are 1-based.
    """

    value: str
    args: list[str] = field(default_factory=list)
    json: bool = False
    flags: list[str] = field(default_factory=list)
    original: str = ""
    start_line: int = 0
    end_line: int = 0
    child: Node | None = None


@dataclass(slots=True)
class ParseResult:
    """The instructions of a Dockerfile, its escape character and the parser's warnings."""

    nodes: list[Node]
    escape: str = DEFAULT_ESCAPE
    warnings: list[str] = field(default_factory=list)


class _Directives:
    def __init__(self) -> None:
        self.escape = DEFAULT_ESCAPE
        self.done = False
        self.seen: set[str] = set()
        self.continuation = self._continuation_regex(DEFAULT_ESCAPE)

    @staticmethod
    def _continuation_regex(token: str) -> re.Pattern[str]:
        t = re.escape(token)
        # The escape token ends a line when last (blanks may follow), unless escaped itself.
        return re.compile(rf"([^{t}]){t}[ \t]*$|^{t}[ \t]*$")

    def check(self, line: str) -> None:
        if self.done:
            return
        match = _DIRECTIVE.match(line)
        if match is None:
            self.done = True
            return
        key = match.group(1).lower()
        if key not in _DIRECTIVES:
            self.done = True
            return
        if key in self.seen:
            raise DockerfileSyntaxError(f"only one {key} parser directive can be used")
        self.seen.add(key)
        if key == "escape":
            value = match.group(2)
            if value not in ("`", "\\"):
                raise DockerfileSyntaxError(f"invalid escape token '{value}' does not match ` or \\")
            self.escape = value
            self.continuation = self._continuation_regex(value)

    def trim_continuation(self, line: str) -> tuple[str, bool]:
        """``(line without its continuation mark, whether the instruction ends here)``."""
        match = self.continuation.search(line)
        if match is None:
            return line, True
        return line[: match.start()] + (match.group(1) or ""), False


def _is_comment(line: str) -> bool:
    return _trim_left(line).startswith("#")


def parse_dockerfile(text: str) -> ParseResult:
    """Split a Dockerfile into instruction nodes.

    Raises :class:`DockerfileSyntaxError` for a bad directive, a malformed
    JSON form or ENV/LABEL, and a file with no instruction.
    """
    directives = _Directives()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    if lines and lines[0].startswith(_BOM):
        lines[0] = lines[0][1:]
    nodes: list[Node] = []
    warnings: list[str] = []
    index = 0
    current = 0
    while index < len(lines):
        raw = _trim_left(lines[index])
        index += 1
        try:
            directives.check(raw)
        except DockerfileSyntaxError as exc:
            raise DockerfileSyntaxError(str(exc), current + 1) from None
        current += 1
        start = current
        line = "" if raw.startswith("#") else raw
        line, ended = directives.trim_continuation(line)
        if ended and line == "":
            continue
        empty_continuation = False
        while not ended and index < len(lines):
            raw_next = lines[index]
            index += 1
            try:
                directives.check(raw_next)
            except DockerfileSyntaxError as exc:
                raise DockerfileSyntaxError(str(exc), current + 1) from None
            current += 1
            if _is_comment(raw_next):
                continue
            piece = "" if raw_next.startswith("#") else raw_next
            if not _trim_left(piece):
                empty_continuation = True
                continue
            piece, ended = directives.trim_continuation(piece)
            line += piece
        if empty_continuation:
            warnings.append("[WARNING]: Empty continuation line found in:\n    " + line)
        try:
            node = parse_line(line, directives.escape)
        except DockerfileSyntaxError as exc:
            raise DockerfileSyntaxError(str(exc), start) from None
        node.start_line, node.end_line = start, current
        nodes.append(node)
    if warnings:
        warnings.append("[WARNING]: Empty continuation lines will become errors in a future release.")
    if not nodes:
        raise DockerfileSyntaxError("file with no instructions", current)
    return ParseResult(nodes, directives.escape, warnings)


# -- one instruction ----------------------------------------------------------------------------
def _extract_flags(line: str) -> tuple[str, list[str]]:
    """Split the leading ``--flag[=value]`` words from the rest (``--`` alone ends the flags)."""
    words: list[str] = []
    pos = 0
    n = len(line)
    while True:
        while pos < n and is_space(line[pos]):
            pos += 1
        if pos == n:
            return "", words
        if not line.startswith("--", pos):
            return line[pos:], words
        word = ""
        quote = ""
        blank_ok = False
        while pos < n:
            ch = line[pos]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == "\\":
                    if pos + 1 == n:
                        pos += 1
                        break
                    pos += 1
                    word += line[pos]
                else:
                    word += ch
                pos += 1
                continue
            if is_space(ch):
                break
            if ch in "'\"":
                quote, blank_ok = ch, True
            elif ch == "\\":
                if pos + 1 < n:
                    pos += 1
                    word += line[pos]
            else:
                word += ch
            pos += 1
        if word == "--":
            return line[pos:], words
        if blank_ok or word:
            words.append(word)


def _split_command(line: str) -> tuple[str, list[str], str]:
    parts = _WHITESPACE.split(_trim(line), maxsplit=1)
    command = parts[0].lower()
    if len(parts) < 2:
        return command, [], ""
    rest, flags = _extract_flags(parts[1])
    return command, flags, _trim(rest)


def split_words(rest: str, escape: str) -> list[str]:
    """Words separated by blanks, quotes and escapes kept (they are processed at expansion time)."""
    words: list[str] = []
    word = ""
    quote = ""
    in_word = False
    blank_ok = False
    pos = 0
    n = len(rest)
    while pos < n:
        ch = rest[pos]
        if not in_word:
            if is_space(ch):
                pos += 1
                continue
            in_word = True
        if not quote:
            if is_space(ch):
                if blank_ok or word:
                    words.append(word)
                word, in_word, blank_ok = "", False, False
                pos += 1
                continue
            if ch in "'\"":
                quote, blank_ok = ch, True
            if ch == escape:
                if pos + 1 == n:
                    pos += 1
                    continue
                word += ch
                pos += 1
                ch = rest[pos]
            word += ch
            pos += 1
            continue
        if ch == quote:
            quote = ""
        if ch == escape and quote != "'":
            if pos + 1 == n:
                quote = ""
                pos += 1
                continue
            word += ch
            pos += 1
            ch = rest[pos]
        word += ch
        pos += 1
    if in_word and (blank_ok or word):
        words.append(word)
    return words


def _json_list(rest: str) -> list[str] | None:
    """The strings of a JSON array at the start of ``rest`` (what follows it is ignored, as Go's decoder does)."""
    text = _trim_left(rest)
    if not text.startswith("["):
        return None
    try:
        value, _ = json.JSONDecoder(parse_constant=_no_constant).raw_decode(text)
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    if not all(isinstance(item, str) for item in value):
        raise DockerfileSyntaxError(_NOT_STRINGS)
    return value


def _no_constant(name: str) -> object:
    raise ValueError(name)  # NaN and Infinity are not JSON to Go either


def _whitespace_list(rest: str) -> list[str]:
    return _WHITESPACE.split(rest) if rest else []


def _name_value(rest: str, key: str, escape: str) -> list[str]:
    words = split_words(rest, escape)
    if not words:
        return []
    if "=" not in words[0]:
        parts = _WHITESPACE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise DockerfileSyntaxError(f"{key} must have two arguments")
        return [parts[0], parts[1]]
    result: list[str] = []
    for word in words:
        if "=" not in word:
            raise DockerfileSyntaxError(
                f"Syntax error - can't find = in {json.dumps(word)}. Must be of the form: name=value"
            )
        name, _, value = word.partition("=")
        result += [name, value]
    return result


def parse_line(line: str, escape: str = DEFAULT_ESCAPE) -> Node:
    """One instruction line (continuations already joined) as a :class:`Node`.

    Raises :class:`DockerfileSyntaxError` for a JSON array of non-strings and a malformed ENV or LABEL.
    """
    command, flags, rest = _split_command(line)
    node = Node(command, flags=flags, original=line)
    if command in ("add", "copy", "volume"):
        items = _json_list(rest)
        if items is not None:
            node.args, node.json = items, True
        else:
            node.args = _whitespace_list(rest)
    elif command in ("cmd", "entrypoint", "run", "shell"):
        if rest:
            items = _json_list(rest)
            node.args, node.json = (items, True) if items is not None else ([rest], False)
    elif command == "arg":
        node.args = split_words(rest, escape)
    elif command in ("env", "label"):
        node.args = _name_value(rest, command.upper(), escape)
    elif command in ("expose", "from"):
        node.args = _whitespace_list(rest)
    elif command == "healthcheck":
        sep = 0
        while sep < len(rest) and not is_space(rest[sep]):
            sep += 1
        if sep:
            after = _trim_left(rest[sep:])
            node.args = [rest[:sep]]
            if after:
                items = _json_list(after)
                if items is not None:
                    node.args += items
                    node.json = True
                else:
                    node.args.append(after)
    elif command in ("maintainer", "stopsignal", "user", "workdir"):
        node.args = [rest] if rest else []
    elif command == "onbuild" and rest:
        node.child = parse_line(rest, escape)
        node.args = [node.child.value, *node.child.args]
    return node
