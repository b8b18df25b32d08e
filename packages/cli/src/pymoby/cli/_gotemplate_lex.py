"""The lexer of Go ``text/template`` source: text, ``{{ }}`` actions (with ``{{-``/``-}}`` trimming and
``/* */`` comments) and the tokens inside them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._gotemplate_nodes import TemplateError

__all__ = ["KEYWORDS", "Lexer", "Token"]

KEYWORDS = {"if", "else", "end", "range", "with", "define", "template", "block", "break", "continue", "nil"}
_NUMBER = re.compile(
    r"[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d[\d_]*([eE][+-]?\d+)?)(?![\w.])"
)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


@dataclass(slots=True)
class Token:
    kind: str  # text, left, right, space, ident, field, var, number, string, raw, char, pipe, lparen,
    # rparen, declare, assign, comma, bool, keyword, eof
    value: str
    pos: int


class Lexer:
    def __init__(self, source: str) -> None:
        self.src = source
        self.tokens: list[Token] = []

    def line_of(self, pos: int) -> int:
        return self.src.count("\n", 0, pos) + 1

    def error(self, message: str, pos: int) -> TemplateError:
        return TemplateError(f"template: :{self.line_of(pos)}: {message}")

    def run(self) -> list[Token]:
        src, i, n = self.src, 0, len(self.src)
        trim_next_text = False
        while i < n:
            start = src.find("{{", i)
            text_end = n if start < 0 else start
            text = src[i:text_end]
            if trim_next_text:
                text = text.lstrip(" \t\r\n")
            trim_left = start >= 0 and src[start + 2 : start + 4] in ("- ", "-\t", "-\n", "-\r")
            if trim_left:
                text = text.rstrip(" \t\r\n")
            if text:
                self.tokens.append(Token("text", text, i))
            if start < 0:
                break
            i = start + (3 if trim_left else 2)
            # comment
            j = i
            while j < n and src[j] in " \t\r\n" and trim_left:
                j += 1
            if src.startswith("/*", j):
                end = src.find("*/", j + 2)
                if end < 0:
                    raise self.error("unclosed comment", start)
                k = end + 2
                trim_right = False
                if src.startswith(" -}}", k) or src.startswith("\t-}}", k) or src.startswith("\n-}}", k):
                    trim_right, k = True, k + 4
                elif src.startswith("}}", k):
                    k += 2
                else:
                    raise self.error("comment ends before closing delimiter", start)
                trim_next_text = trim_right
                i = k
                continue
            self.tokens.append(Token("left", "{{", start))
            i, trim_next_text = self._inside(i)
        self.tokens.append(Token("eof", "", n))
        return self.tokens

    def _inside(self, i: int) -> tuple[int, bool]:
        src, n = self.src, len(self.src)
        depth = 0
        while True:
            if i >= n:
                raise self.error("unclosed action", i)
            c = src[i]
            if src.startswith("}}", i):
                if depth:
                    raise self.error("unclosed left paren", i)
                self.tokens.append(Token("right", "}}", i))
                return i + 2, False
            if c in " \t\r\n":
                j = i
                while j < n and src[j] in " \t\r\n":
                    j += 1
                if src.startswith("-}}", j):
                    if depth:
                        raise self.error("unclosed left paren", j)
                    self.tokens.append(Token("right", "}}", j))
                    return j + 3, True
                if "\n" in src[i:j]:
                    raise self.error("unclosed action", i)
                self.tokens.append(Token("space", src[i:j], i))
                i = j
                continue
            if c == "|":
                self.tokens.append(Token("pipe", c, i))
                i += 1
            elif c == "(":
                depth += 1
                self.tokens.append(Token("lparen", c, i))
                i += 1
            elif c == ")":
                depth -= 1
                if depth < 0:
                    raise self.error(f"unexpected right paren {c!r}", i)
                self.tokens.append(Token("rparen", c, i))
                i += 1
            elif c == ",":
                self.tokens.append(Token("comma", c, i))
                i += 1
            elif src.startswith(":=", i):
                self.tokens.append(Token("declare", ":=", i))
                i += 2
            elif c == "=":
                self.tokens.append(Token("assign", "=", i))
                i += 1
            elif c == '"':
                j = i + 1
                while j < n and src[j] != '"':
                    if src[j] == "\\":
                        j += 1
                    elif src[j] == "\n":
                        raise self.error("unterminated quoted string", i)
                    j += 1
                if j >= n:
                    raise self.error("unterminated quoted string", i)
                self.tokens.append(Token("string", src[i : j + 1], i))
                i = j + 1
            elif c == "`":
                j = src.find("`", i + 1)
                if j < 0:
                    raise self.error("unterminated raw quoted string", i)
                self.tokens.append(Token("raw", src[i : j + 1], i))
                i = j + 1
            elif c == "'":
                j = i + 1
                while j < n and src[j] != "'":
                    j += 2 if src[j] == "\\" else 1
                if j >= n:
                    raise self.error("unterminated character constant", i)
                self.tokens.append(Token("char", src[i : j + 1], i))
                i = j + 1
            elif c == "$":
                m = _IDENT.match(src, i + 1)
                name = "$" + (m.group(0) if m else "")
                self.tokens.append(Token("var", name, i))
                i += len(name)
            elif c == ".":
                if i + 1 < n and src[i + 1].isdigit():
                    m = _NUMBER.match(src, i)
                    if not m:
                        raise self.error(f"bad number syntax: {src[i : i + 5]!r}", i)
                    self.tokens.append(Token("number", m.group(0), i))
                    i = m.end()
                    continue
                m = _IDENT.match(src, i + 1)
                if m:
                    self.tokens.append(Token("field", m.group(0), i))
                    i = m.end()
                else:
                    self.tokens.append(Token("dot", ".", i))
                    i += 1
            elif c.isdigit() or (c in "+-" and i + 1 < n and src[i + 1].isdigit()):
                m = _NUMBER.match(src, i)
                if not m:
                    raise self.error(f"bad number syntax: {src[i : i + 5]!r}", i)
                self.tokens.append(Token("number", m.group(0), i))
                i = m.end()
            elif c.isalpha() or c == "_":
                m = _IDENT.match(src, i)
                assert m is not None
                word = m.group(0)
                kind = "bool" if word in ("true", "false") else "keyword" if word in KEYWORDS else "ident"
                self.tokens.append(Token(kind, word, i))
                i = m.end()
            else:
                raise self.error(f"unexpected {c!r} in command", i)
