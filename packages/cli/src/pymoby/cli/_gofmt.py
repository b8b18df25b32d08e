"""Go's ``fmt`` renderings of template values (``encoding/json`` ones are in :mod:`._gojson`).

Template values are Python data decoded from the Engine API's JSON plus the
formatter contexts of ``_formatter``: ``str``, ``bool``, ``int``, ``float``,
``None`` (Go's nil), ``list`` (a slice), :class:`GoMap` (a Go map: printed
``map[k:v]`` with sorted keys), a plain ``dict`` (a Go struct: printed
``{v1 v2}`` in field order), :data:`MISSING` (Go's invalid value, printed
``<no value>``) and :class:`TemplateObject` (a formatter context whose
fields are methods).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, ClassVar

__all__ = [
    "MISSING",
    "NIL_POINTER",
    "GoMap",
    "JSON_TO_GO",
    "TemplateObject",
    "as_go_maps",
    "go_float",
    "go_quote",
    "go_sprint",
    "go_sprintf",
    "go_type_name",
    "print_value",
    "struct_field_key",
]


class _Missing:
    """Go's invalid ``reflect.Value``: a missing map key, or what follows one."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


class _NilPointer:
    """A typed nil pointer (``*formatter.Platform(nil)``): printed ``<nil>``, JSON ``null``, false."""

    def __repr__(self) -> str:
        return "NIL_POINTER"

    def __bool__(self) -> bool:
        return False


NIL_POINTER: Any = _NilPointer()


class GoMap(dict[str, Any]):
    """A JSON object that is a Go map (labels, options): missing keys are ``<no value>``."""


#: JSON keys of the Engine API whose Go struct field has another name (``Id`` is ``ID``):
#: Docker runs templates on its Go types, so ``{{.ID}}`` is the field and ``{{.Id}}`` is not.
JSON_TO_GO: dict[str, str] = {
    "Id": "ID", "ApiVersion": "APIVersion", "CpuShares": "CPUShares", "CpuPeriod": "CPUPeriod",
    "CpuQuota": "CPUQuota", "CpuRealtimePeriod": "CPURealtimePeriod", "CpuRealtimeRuntime": "CPURealtimeRuntime",
    "CpuCount": "CPUCount", "CpuPercent": "CPUPercent", "NanoCpus": "NanoCPUs", "Dns": "DNS",
    "DnsOptions": "DNSOptions", "DnsSearch": "DNSSearch", "HttpProxy": "HTTPProxy", "HttpsProxy": "HTTPSProxy",
    "status": "Status", "id": "ID", "from": "From", "scope": "Scope", "time": "Time", "timeNano": "TimeNano",
}  # fmt: skip


def struct_field_key(struct: dict[str, Any], name: str) -> str | None:
    """The key of Go field ``name`` in a JSON object standing for a Go struct, or ``None``."""
    if name in struct and JSON_TO_GO.get(name, name) == name:
        return name
    for key, go_name in JSON_TO_GO.items():
        if go_name == name and key in struct:
            return key
    return None


def as_go_maps(value: Any) -> Any:
    """Every JSON object as a Go map: how Docker's inspect reads raw JSON when its typed template fails."""
    if isinstance(value, dict):
        return GoMap({k: as_go_maps(v) for k, v in value.items()})
    if isinstance(value, list):
        return [as_go_maps(v) for v in value]
    return value


class TemplateObject:
    """A value whose template fields are methods (Docker's formatter contexts).

    Subclasses list their Go field names in ``fields`` and implement each as
    a method of the same name; ``go_type`` names the type in error messages
    (``*formatter.ContainerContext``).
    """

    go_type: ClassVar[str] = "*formatter.Context"
    fields: ClassVar[frozenset[str]] = frozenset()
    #: Fields left out of ``{{json .}}`` (methods that take arguments are always left out).
    json_skip: ClassVar[frozenset[str]] = frozenset({"Label"})

    def has_field(self, name: str) -> bool:
        """Whether ``{{.name}}`` is a field of this value."""
        return name in self.fields

    def template_field(self, name: str, args: Sequence[Any]) -> Any:
        """Evaluate field ``name`` with ``args``; ``KeyError`` when there is no such field."""
        if name not in self.fields:
            raise KeyError(name)
        method: Callable[..., Any] = getattr(self, name)
        return method(*args)

    def marshal(self) -> dict[str, Any]:
        """What ``{{json .}}`` shows: every argument-less field, as Docker's ``MarshalJSON``."""
        return {name: getattr(self, name)() for name in sorted(self.fields - self.json_skip)}


# -- printing (fmt %v) ---------------------------------------------------------------


def go_float(value: float, fmt: str = "g", prec: int = -1) -> str:
    """A float as Go's ``strconv.FormatFloat`` writes it (``fmt`` a verb, ``prec`` -1 for the shortest)."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if fmt == "g" and prec < 0:
        if value == 0:
            return "-0" if math.copysign(1, value) < 0 else "0"
        sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
        assert isinstance(exponent, int)
        text = "".join(map(str, digits)) or "0"
        exp = len(text) + exponent - 1
        neg = "-" if sign else ""
        # Go's %v uses %e when the exponent is < -4 or >= 6 for the shortest form.
        if exp < -4 or exp >= 6:
            mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
            return f"{neg}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
        return neg + format(Decimal(repr(abs(value))).normalize(), "f")
    if fmt == "e":
        text = f"{value:.{6 if prec < 0 else prec}e}"
        mantissa, _, exp_text = text.partition("e")
        exp_value = int(exp_text)
        return f"{mantissa}e{'-' if exp_value < 0 else '+'}{abs(exp_value):02d}"
    return f"{value:.{6 if prec < 0 else prec}f}"


def go_type_name(value: Any) -> str:
    """The Go type Docker's decoders would have given ``value`` (for error messages and ``%T``)."""
    if value is None or value is MISSING:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, GoMap):
        return "map[string]interface {}"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list | tuple):
        return "[]string" if value and all(isinstance(v, str) for v in value) else "[]interface {}"
    if isinstance(value, TemplateObject):
        return value.go_type
    return type(value).__name__


def _print_nested(value: Any) -> str:
    if value is None or value is MISSING or value is NIL_POINTER:
        return "<nil>"
    return print_value(value)


def print_value(value: Any) -> str:
    """``fmt.Sprint`` of one value, as a template action prints it (JSON null is Go's nil interface)."""
    if value is MISSING or value is None:
        return "<no value>"
    if value is NIL_POINTER:
        return "<nil>"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, GoMap):
        return "map[" + " ".join(f"{k}:{_print_nested(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, dict):
        return "{" + " ".join(_print_nested(v) for v in value.values()) + "}"
    if isinstance(value, list | tuple):
        return "[" + " ".join(_print_nested(v) for v in value) + "]"
    if isinstance(value, TemplateObject):
        return "&{" + " ".join(print_value(v) for v in value.marshal().values()) + "}"
    return str(value)


def go_sprint(args: Sequence[Any]) -> str:
    """``fmt.Sprint``: a space between operands when neither is a string."""
    out: list[str] = []
    for i, arg in enumerate(args):
        if i > 0 and not isinstance(arg, str) and not isinstance(args[i - 1], str):
            out.append(" ")
        out.append(_print_nested(arg) if arg is None or arg is MISSING else print_value(arg))
    return "".join(out)


def go_quote(text: str) -> str:
    """``strconv.Quote``: a double-quoted Go string literal."""
    out = ['"']
    short = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r"}
    short |= {"\t": "\\t", "\v": "\\v"}
    for ch in text:
        if ch in short:
            out.append(short[ch])
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def _pad(text: str, width: int | None, minus: bool, zero: bool) -> str:
    if width is None or len(text) >= width:
        return text
    if minus:
        return text + " " * (width - len(text))
    if zero and text[:1] in "+-" and text[1:].replace(".", "").isdigit():
        return text[0] + "0" * (width - len(text)) + text[1:]
    return ("0" if zero else " ") * (width - len(text)) + text


def _format_one(verb: str, arg: Any, flags: str, width: int | None, prec: int | None) -> str:
    minus, plus, sharp, space, zero = ("-" in flags, "+" in flags, "#" in flags, " " in flags, "0" in flags)
    if arg is MISSING:
        arg = None
    bad = f"%!{verb}({go_type_name(arg)}={print_value(arg)})"
    text: str
    if verb == "v":
        if plus and isinstance(arg, dict) and not isinstance(arg, GoMap):
            text = "{" + " ".join(f"{k}:{_print_nested(v)}" for k, v in arg.items()) + "}"
        else:
            text = _print_nested(arg)
        if isinstance(arg, float) and prec is not None:
            text = f"{arg:.{prec}g}"
    elif verb == "T":
        text = go_type_name(arg)
    elif verb == "s":
        if isinstance(arg, str):
            text = arg if prec is None else arg[:prec]
        elif arg is None:
            text = "%!s(<nil>)"
        elif isinstance(arg, bool | int | float):
            text = bad
        else:
            text = print_value(arg)
    elif verb == "q":
        if isinstance(arg, str):
            text = "`" + arg + "`" if sharp and "`" not in arg else go_quote(arg)
        elif isinstance(arg, int) and not isinstance(arg, bool):
            text = "'" + go_quote(chr(arg))[1:-1].replace("'", "\\'") + "'"
        elif isinstance(arg, list):
            text = "[" + " ".join(go_quote(v) if isinstance(v, str) else print_value(v) for v in arg) + "]"
        else:
            text = bad
    elif verb in "dboxXc":
        if isinstance(arg, bool) or not isinstance(arg, int | str | float):
            text = bad
        elif isinstance(arg, float):
            text = go_float(arg) if verb not in "xX" else bad
            if verb in "dboc":
                text = bad
        elif isinstance(arg, str):
            if verb in "xX":
                text = arg.encode().hex()
                text = text.upper() if verb == "X" else text
            else:
                text = bad
        else:
            base = {"d": "d", "b": "b", "o": "o", "x": "x", "X": "X"}.get(verb)
            if verb == "c":
                text = chr(arg)
            else:
                assert base is not None
                text = format(abs(arg), base)
                if sharp and verb in "xX":
                    text = ("0x" if verb == "x" else "0X") + text
                elif sharp and verb == "o":
                    text = "0" + text
                if prec is not None:
                    text = text.rjust(prec, "0")
                sign = "-" if arg < 0 else "+" if plus else " " if space else ""
                text = sign + text
    elif verb in "feEgG":
        if isinstance(arg, bool) or not isinstance(arg, int | float):
            text = bad
        else:
            value = float(arg)
            if verb == "f":
                text = go_float(value, "f", 6 if prec is None else prec)
            elif verb in "eE":
                text = go_float(value, "e", 6 if prec is None else prec)
                text = text.upper() if verb == "E" else text
            else:
                text = go_float(value) if prec is None else f"{value:.{prec}g}"
                text = text.upper() if verb == "G" else text
            if plus and value >= 0:
                text = "+" + text
            elif space and value >= 0:
                text = " " + text
    elif verb == "t":
        text = ("true" if arg else "false") if isinstance(arg, bool) else bad
    else:
        text = f"%!{verb}({go_type_name(arg)}={print_value(arg)})"
    return _pad(text, width, minus, zero and verb not in "sqvt")


def go_sprintf(fmt: str, args: Sequence[Any]) -> str:
    """``fmt.Sprintf`` for the verbs people use (``%s %v %d %q %x %f %t %T %%``, flags, width, precision)."""
    out: list[str] = []
    i, n, argi = 0, len(fmt), 0
    while i < n:
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        i += 1
        flags = ""
        while i < n and fmt[i] in "-+# 0":
            flags += fmt[i]
            i += 1
        width: int | None = None
        prec: int | None = None
        if i < n and fmt[i] == "*":
            width = int(args[argi]) if argi < len(args) and isinstance(args[argi], int) else None
            argi += 1
            i += 1
        else:
            start = i
            while i < n and fmt[i].isdigit():
                i += 1
            width = int(fmt[start:i]) if i > start else None
        if i < n and fmt[i] == ".":
            i += 1
            if i < n and fmt[i] == "*":
                prec = int(args[argi]) if argi < len(args) and isinstance(args[argi], int) else 0
                argi += 1
                i += 1
            else:
                start = i
                while i < n and fmt[i].isdigit():
                    i += 1
                prec = int(fmt[start:i]) if i > start else 0
        if i >= n:
            out.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "%":
            out.append("%")
            continue
        if argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        out.append(_format_one(verb, args[argi], flags, width, prec))
        argi += 1
    if argi < len(args):
        extra = ", ".join(f"{go_type_name(a)}={print_value(a)}" for a in args[argi:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)
