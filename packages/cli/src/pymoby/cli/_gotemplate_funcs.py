"""The functions a ``--format`` template can call: Go's built-ins and those Docker's CLI adds.

Go's: ``and``, ``or`` (evaluated lazily by the executor), ``not``, ``len``,
``index``, ``slice``, ``print``, ``printf``, ``println``, ``eq``, ``ne``,
``lt``, ``le``, ``gt``, ``ge``, ``html``, ``js``, ``urlquery``. Docker's:
``json``, ``split``, ``join``, ``title``, ``lower``, ``upper``, ``pad``,
``truncate``. A function's failure is :class:`CallError`, reported by the
executor as Go's ``error calling NAME: ...``.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from ._gofmt import MISSING, go_sprint, go_sprintf, go_type_name, print_value
from ._gojson import go_json

__all__ = ["FUNCS", "HEADER_FUNCS", "LAZY", "CallError", "truth"]


class CallError(Exception):
    """A function failed; reported as Go's ``error calling NAME: ...``."""


def truth(value: Any) -> bool:
    """Go's ``truth``: false for false, 0, nil, empty strings, slices and maps, and missing values."""
    if value is None or value is MISSING:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str | list | tuple | dict):
        return len(value) > 0
    return True


def _html_escape(text: str) -> str:
    import html  # only templates that call ``html`` need it

    return html.escape(text).replace("&#x27;", "&#39;")


def _want_str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"wrong type for value; expected string; got {go_type_name(value)}")
    return value


def _want_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"wrong type for value; expected int; got {go_type_name(value)}")
    return value


def _title(text: Any) -> str:
    out = []
    previous = " "
    for ch in _want_str(text):
        separator = not (previous.isalnum() or previous == "_")
        out.append(ch.upper() if separator else ch)
        previous = ch
    return "".join(out)


def _pad(text: Any, prefix: Any, suffix: Any) -> str:
    source = _want_str(text)
    if not source:
        return source
    return " " * _want_int(prefix) + source + " " * _want_int(suffix)


def _truncate(text: Any, length: Any) -> str:
    source = _want_str(text)
    limit = _want_int(length)
    return source if len(source.encode()) < limit else source.encode()[:limit].decode(errors="ignore")


def _join(items: Any, sep: Any) -> str:
    if not isinstance(items, list | tuple):
        raise TypeError(f"wrong type for value; expected []string; got {go_type_name(items)}")
    return _want_str(sep).join(print_value(i) for i in items)


def _split(text: Any, sep: Any) -> list[str]:
    source, separator = _want_str(text), _want_str(sep)
    if separator == "":
        return list(source)
    return source.split(separator)


def _len(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, list | tuple | dict):
        return len(value)
    raise CallError(f"len of type {go_type_name(value)}")


def _index(item: Any, *indexes: Any) -> Any:
    for idx in indexes:
        if item is None or item is MISSING:
            raise CallError("index of untyped nil")
        if isinstance(item, Mapping):
            if idx in item:
                item = item[idx]
            elif all(isinstance(v, str) for v in item.values()):
                item = ""  # the zero value of a map[string]string, as Docker's typed labels
            else:
                item = MISSING
        elif isinstance(item, list | tuple | str):
            if isinstance(idx, bool) or not isinstance(idx, int):
                raise CallError(f"cannot index slice/array with type {go_type_name(idx)}")
            if not 0 <= idx < len(item):
                raise CallError(f"index out of range: {idx}")
            item = item[idx] if not isinstance(item, str) else item.encode()[idx]
        else:
            raise CallError(f"can't index item of type {go_type_name(item)}")
    return item


def _slice(item: Any, *indexes: Any) -> Any:
    if not isinstance(item, list | tuple | str):
        raise CallError(f"can't slice item of type {go_type_name(item)}")
    bounds = [_want_int(i) for i in indexes]
    if len(bounds) > 3:
        raise CallError(f"too many slice indexes: {len(bounds)}")
    start = bounds[0] if bounds else 0
    end = bounds[1] if len(bounds) > 1 else len(item)
    if not 0 <= start <= end <= len(item):
        raise CallError(f"index out of range: {end if end > len(item) else start}")
    return item[start:end]


def _kind(value: Any) -> str:
    if value is None or value is MISSING:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "other"


def _basic(value: Any) -> str:
    kind = _kind(value)
    if kind == "other":
        raise CallError("invalid type for comparison")
    return kind


def _eq(first: Any, *others: Any) -> bool:
    if not others:
        raise CallError("missing argument for comparison")
    kind = _kind(first)
    for other in others:
        other_kind = _kind(other)
        if kind == "nil" or other_kind == "nil":
            truth = kind == other_kind
        elif kind != other_kind:
            raise CallError("incompatible types for comparison")
        elif kind == "other":
            raise CallError(f"non-comparable type {go_type_name(first)}")
        else:
            truth = first == other
        if truth:
            return True
    return False


def _ordered(a: Any, b: Any) -> tuple[Any, Any]:
    kind = _basic(a)
    if kind != _basic(b):
        raise CallError("incompatible types for comparison")
    if kind in ("bool", "nil"):
        raise CallError("invalid type for comparison")
    return a, b


def _lt(a: Any, b: Any) -> bool:
    x, y = _ordered(a, b)
    return bool(x < y)


def _le(a: Any, b: Any) -> bool:
    x, y = _ordered(a, b)
    return bool(x <= y)


def _js(*args: Any) -> str:
    text = go_sprint(args)
    out = []
    for ch in text:
        if ch in "\\'\"<>&=":
            out.append({"\\": "\\\\", "'": "\\'", '"': "\\u0022", "<": "\\u003C", ">": "\\u003E"}.get(ch, ch))
            if ch in "&=":
                out[-1] = "\\u0026" if ch == "&" else "\\u003D"
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


#: Function name -> implementation. ``and``/``or`` are evaluated lazily by the executor.
FUNCS: dict[str, Callable[..., Any]] = {
    "json": go_json,
    "split": _split,
    "join": _join,
    "title": _title,
    "lower": lambda s: _want_str(s).lower(),
    "upper": lambda s: _want_str(s).upper(),
    "pad": _pad,
    "truncate": _truncate,
    "not": lambda v: not truth(v),
    "len": _len,
    "index": _index,
    "slice": _slice,
    "print": lambda *a: go_sprint(a),
    "printf": lambda f, *a: go_sprintf(_want_str(f), a),
    "println": lambda *a: " ".join("<nil>" if v is None or v is MISSING else print_value(v) for v in a) + "\n",
    "eq": _eq,
    "ne": lambda a, b: not _eq(a, b),
    "lt": _lt,
    "le": _le,
    "gt": lambda a, b: not _le(a, b),
    "ge": lambda a, b: not _lt(a, b),
    "html": lambda *a: _html_escape(go_sprint(a)),
    "js": _js,
    "urlquery": lambda *a: urllib.parse.quote_plus(go_sprint(a)),
}

#: Docker's replacements while rendering a table header: the header stays intact.
HEADER_FUNCS: dict[str, Callable[..., Any]] = {
    "json": lambda v: v,
    "split": lambda v, _sep: v,
    "join": lambda v, _sep: v,
    "title": lambda v: v,
    "lower": lambda v: v,
    "upper": lambda v: v,
    "truncate": lambda v, _n: v,
}

LAZY = {"and", "or"}
