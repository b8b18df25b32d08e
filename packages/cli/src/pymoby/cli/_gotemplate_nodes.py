"""The syntax tree of a Go ``text/template`` (what :mod:`._gotemplate_parse` builds), and its error.

Each node records ``pos``, its offset in the source (for Go's
``template: :LINE:COL:`` error positions); ``str(node)`` prints it back as
Go does in its error messages.
"""

from __future__ import annotations

__all__ = [
    "ActionNode",
    "BoolNode",
    "BreakNode",
    "ChainNode",
    "CommandNode",
    "ContinueNode",
    "DotNode",
    "FieldNode",
    "IdentifierNode",
    "IfNode",
    "ListNode",
    "NilNode",
    "Node",
    "NumberNode",
    "PipeNode",
    "RangeNode",
    "StringNode",
    "TemplateError",
    "TextNode",
    "VariableNode",
    "WithNode",
]


class TemplateError(Exception):
    """A template that cannot be parsed or executed; the message is Go's."""


class Node:
    """A node of the tree; ``pos`` is its offset in the source."""

    __slots__ = ("pos",)

    def __init__(self, pos: int) -> None:
        self.pos = pos

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _slots(type(self)))
        return f"{type(self).__name__}({fields})"


def _slots(cls: type) -> list[str]:
    return [name for klass in reversed(cls.__mro__) for name in getattr(klass, "__slots__", ())]


# Plain classes with __slots__ rather than dataclasses: the tree's twenty classes are created at every
# start of the command line, and dataclasses make that several times slower.


class TextNode(Node):
    """Text outside actions."""

    __slots__ = ("text",)

    def __init__(self, pos: int, text: str) -> None:
        super().__init__(pos)
        self.text = text


class FieldNode(Node):
    """``.A.B``."""

    __slots__ = ("idents",)

    def __init__(self, pos: int, idents: list[str]) -> None:
        super().__init__(pos)
        self.idents = idents

    def __str__(self) -> str:
        return "".join("." + i for i in self.idents)


class VariableNode(Node):
    """``$x.A``: ``idents[0]`` is the variable name with its ``$``."""

    __slots__ = ("idents",)

    def __init__(self, pos: int, idents: list[str]) -> None:
        super().__init__(pos)
        self.idents = idents

    def __str__(self) -> str:
        return ".".join(self.idents)


class IdentifierNode(Node):
    """A function name."""

    __slots__ = ("name",)

    def __init__(self, pos: int, name: str) -> None:
        super().__init__(pos)
        self.name = name

    def __str__(self) -> str:
        return self.name


class DotNode(Node):
    """``.``."""

    __slots__ = ()

    def __str__(self) -> str:
        return "."


class NilNode(Node):
    """``nil``."""

    __slots__ = ()

    def __str__(self) -> str:
        return "nil"


class BoolNode(Node):
    """``true``/``false``."""

    __slots__ = ("value",)

    def __init__(self, pos: int, value: bool) -> None:
        super().__init__(pos)
        self.value = value

    def __str__(self) -> str:
        return "true" if self.value else "false"


class NumberNode(Node):
    """A number (or a character constant) and its source text."""

    __slots__ = ("text", "value")

    def __init__(self, pos: int, value: int | float, text: str) -> None:
        super().__init__(pos)
        self.value = value
        self.text = text

    def __str__(self) -> str:
        return self.text


class StringNode(Node):
    """A string and its quoted source text."""

    __slots__ = ("quoted", "value")

    def __init__(self, pos: int, value: str, quoted: str) -> None:
        super().__init__(pos)
        self.value = value
        self.quoted = quoted

    def __str__(self) -> str:
        return self.quoted


class CommandNode(Node):
    """One command of a pipeline: its operands."""

    __slots__ = ("args",)

    def __init__(self, pos: int, args: list[Node] | None = None) -> None:
        super().__init__(pos)
        self.args: list[Node] = [] if args is None else args

    def __str__(self) -> str:
        return " ".join(f"({a})" if isinstance(a, PipeNode) else str(a) for a in self.args)


class PipeNode(Node):
    """A pipeline, with its variable declarations (``$x :=``) or assignments (``$x =``)."""

    __slots__ = ("cmds", "decl", "is_assign")

    def __init__(
        self, pos: int, decl: list[str] | None = None, is_assign: bool = False, cmds: list[CommandNode] | None = None
    ) -> None:
        super().__init__(pos)
        self.decl: list[str] = [] if decl is None else decl
        self.is_assign = is_assign
        self.cmds: list[CommandNode] = [] if cmds is None else cmds

    def __str__(self) -> str:
        text = " | ".join(str(c) for c in self.cmds)
        if self.decl:
            text = ", ".join(self.decl) + (" = " if self.is_assign else " := ") + text
        return text


class ChainNode(Node):
    """Fields of a parenthesised pipeline or other operand: ``(...).A.B``."""

    __slots__ = ("fields", "node")

    def __init__(self, pos: int, node: Node, fields: list[str]) -> None:
        super().__init__(pos)
        self.node = node
        self.fields = fields

    def __str__(self) -> str:
        inner = f"({self.node})" if isinstance(self.node, PipeNode) else str(self.node)
        return inner + "".join("." + f for f in self.fields)


class ListNode(Node):
    """A sequence of nodes (a template's or a block's body)."""

    __slots__ = ("nodes",)

    def __init__(self, pos: int, nodes: list[Node] | None = None) -> None:
        super().__init__(pos)
        self.nodes: list[Node] = [] if nodes is None else nodes


class ActionNode(Node):
    """``{{pipeline}}``."""

    __slots__ = ("line", "pipe")

    def __init__(self, pos: int, line: int, pipe: PipeNode) -> None:
        super().__init__(pos)
        self.line = line
        self.pipe = pipe


class _BranchNode(Node):
    __slots__ = ("body", "else_body", "line", "pipe")

    def __init__(self, pos: int, line: int, pipe: PipeNode, body: ListNode, else_body: ListNode | None) -> None:
        super().__init__(pos)
        self.line = line
        self.pipe = pipe
        self.body = body
        self.else_body = else_body


class IfNode(_BranchNode):
    """``{{if}}`` ... ``{{else}}`` ... ``{{end}}``."""

    __slots__ = ()


class RangeNode(_BranchNode):
    """``{{range}}`` ... ``{{else}}`` ... ``{{end}}``."""

    __slots__ = ()


class WithNode(_BranchNode):
    """``{{with}}`` ... ``{{else}}`` ... ``{{end}}``."""

    __slots__ = ()


class BreakNode(Node):
    """``{{break}}``."""

    __slots__ = ()


class ContinueNode(Node):
    """``{{continue}}``."""

    __slots__ = ()
