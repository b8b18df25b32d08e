"""Go's ``encoding/json`` renderings of template values: ``json.Marshal`` and ``json.Indent``.

Maps (:class:`~._gofmt.GoMap`) are written with sorted keys, structs (plain
``dict``) in field order, formatter contexts through their ``marshal``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from ._gofmt import MISSING, NIL_POINTER, GoMap, TemplateObject, go_float

__all__ = ["go_indent", "go_json"]


def _json_float(value: float) -> str:
    if math.isinf(value) or math.isnan(value):
        raise ValueError(f"json: unsupported value: {go_float(value)}")
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, _, exp = text.partition("e")
        sign = "-" if exp.startswith("-") else "+"
        text = f"{mantissa}e{sign}{exp.lstrip('+-').lstrip('0') or '0'}"
    return text


def _json_string(text: str, escape_html: bool) -> str:
    encoded = json.dumps(text, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    if escape_html:
        encoded = encoded.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return encoded


def _json(value: Any, out: list[str], escape_html: bool = False) -> None:
    if value is None or value is MISSING or value is NIL_POINTER:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(_json_float(value))
    elif isinstance(value, str):
        out.append(_json_string(value, escape_html))
    elif isinstance(value, TemplateObject):
        # Docker's MarshalJSON of a formatter context goes through json.Marshal, which escapes HTML.
        _json(value.marshal(), out, True)
    elif isinstance(value, Mapping):
        keys = sorted(value) if isinstance(value, GoMap) else list(value)
        out.append("{")
        for i, key in enumerate(keys):
            if i:
                out.append(",")
            out.append(_json_string(str(key), escape_html))
            out.append(":")
            _json(value[key], out, escape_html)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _json(item, out, escape_html)
        out.append("]")
    else:
        out.append(json.dumps(str(value), ensure_ascii=False))


def go_json(value: Any, *, escape_html: bool = False) -> str:
    """Compact JSON as Go's encoder writes it (maps with sorted keys, structs in field order).

    ``escape_html`` escapes ``<``, ``>`` and ``&`` as ``json.Marshal`` does
    (a template's ``json`` function does not).
    """
    out: list[str] = []
    _json(value, out, escape_html)
    return "".join(out)


def go_indent(raw: bytes | str, indent: str = "    ") -> str:
    """Go's ``json.Indent``: re-indent JSON text keeping its scalars byte for byte."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    out: list[str] = []
    depth = 0
    i, n = 0, len(text)
    need_indent = False
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if need_indent:
                out.append("\n" + indent * depth)
                need_indent = False
            out.append(text[i : j + 1])
            i = j + 1
            continue
        if c in " \t\r\n":
            i += 1
            continue
        if c in "{[":
            if need_indent:
                out.append("\n" + indent * depth)
            out.append(c)
            k = i + 1
            while k < n and text[k] in " \t\r\n":
                k += 1
            if k < n and text[k] in "}]":
                out.append(text[k])
                i = k + 1
                need_indent = False
                continue
            depth += 1
            need_indent = True
        elif c in "}]":
            depth -= 1
            out.append("\n" + indent * depth + c)
            need_indent = False
        elif c == ",":
            out.append(",")
            need_indent = True
        elif c == ":":
            out.append(": ")
        else:
            if need_indent:
                out.append("\n" + indent * depth)
                need_indent = False
            j = i
            while j < n and text[j] not in ',:{}[]" \t\r\n':
                j += 1
            out.append(text[i:j])
            i = j
            continue
        i += 1
    return "".join(out)
