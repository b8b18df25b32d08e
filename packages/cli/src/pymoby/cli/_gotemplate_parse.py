"""Parsing of Go ``text/template`` source into a small syntax tree (:mod:`._gotemplate_nodes`).

The grammar is Go's (https://pkg.go.dev/text/template): text and ``{{ }}``
actions with ``{{-``/``-}}`` trimming and ``/* */`` comments; pipelines of
commands joined by ``|``; fields (``.A.B``), variables (``$x``, ``$``),
functions, literals and parenthesised pipelines; ``if``/``else if``,
``range`` (with ``$i, $v :=``), ``with``, ``break``, ``continue``.
``define``, ``template`` and ``block`` are refused with a clear error:
nobody puts them in a ``--format``. Errors are :class:`TemplateError` with
Go's wording (``template: :1: unclosed action``).
"""

from __future__ import annotations

from ._gotemplate_lex import Lexer, Token
from ._gotemplate_nodes import (
    ActionNode,
    BoolNode,
    BreakNode,
    ChainNode,
    CommandNode,
    ContinueNode,
    DotNode,
    FieldNode,
    IdentifierNode,
    IfNode,
    ListNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    RangeNode,
    StringNode,
    TemplateError,
    TextNode,
    VariableNode,
    WithNode,
)

__all__ = ["error_position", "parse"]


def _unquote(token: Token, lexer: Lexer) -> str:
    text = token.value
    if token.kind == "raw":
        return text[1:-1]
    body = text[1:-1]
    out: list[str] = []
    i = 0
    simple = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a", "b": "\b", "f": "\f"}
    simple["v"] = "\v"
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        esc = body[i + 1 : i + 2]
        if esc in simple:
            out.append(simple[esc])
            i += 2
        elif esc == "x":
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
        elif esc == "u":
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        elif esc == "U":
            out.append(chr(int(body[i + 2 : i + 10], 16)))
            i += 10
        elif esc.isdigit():
            out.append(chr(int(body[i + 1 : i + 4], 8)))
            i += 4
        else:
            raise lexer.error(f"invalid syntax: {text}", token.pos)
    return "".join(out)


def _number(text: str) -> int | float:
    clean = text.replace("_", "")
    lower = clean.lower().lstrip("+-")
    sign = -1 if clean.startswith("-") else 1
    if lower.startswith("0x"):
        return sign * int(lower[2:], 16)
    if lower.startswith("0b"):
        return sign * int(lower[2:], 2)
    if lower.startswith("0o"):
        return sign * int(lower[2:], 8)
    if any(ch in lower for ch in ".e"):
        return float(clean)
    if len(lower) > 1 and lower.startswith("0"):
        return sign * int(lower, 8)
    return int(clean)


class _Parser:
    def __init__(self, source: str) -> None:
        self.lexer = Lexer(source)
        self.tokens = self.lexer.run()
        self.i = 0
        self.vars: list[str] = ["$"]
        self.range_depth = 0

    # token helpers
    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def peek_non_space(self) -> Token:
        j = self.i
        while self.tokens[j].kind == "space":
            j += 1
        return self.tokens[j]

    def next_non_space(self) -> Token:
        token = self.next()
        while token.kind == "space":
            token = self.next()
        return token

    def error(self, message: str, token: Token) -> TemplateError:
        return self.lexer.error(message, token.pos)

    def unexpected(self, token: Token, context: str) -> TemplateError:
        if token.kind == "eof":
            return self.error("unexpected EOF", token)
        shown = "}}" if token.kind == "right" else token.value
        return self.error(f"unexpected {shown!r} in {context}".replace("'", '"'), token)

    # grammar
    def parse(self) -> ListNode:
        root = ListNode(0)
        while self.peek().kind != "eof":
            node, end = self.text_or_action()
            if end is not None:
                raise self.error(f"unexpected {{{{{end}}}}}", self.tokens[self.i - 1])
            if node is not None:
                root.nodes.append(node)
        return root

    def item_list(self) -> tuple[ListNode, str]:
        """Parse until {{end}} or {{else}}; return the list and which one ended it."""
        body = ListNode(self.peek().pos)
        while True:
            if self.peek().kind == "eof":
                raise self.error("unexpected EOF", self.peek())
            node, end = self.text_or_action()
            if end is not None:
                return body, end
            if node is not None:
                body.nodes.append(node)

    def text_or_action(self) -> tuple[Node | None, str | None]:
        token = self.next()
        if token.kind == "text":
            return TextNode(token.pos, token.value), None
        if token.kind != "left":
            raise self.unexpected(token, "input")
        return self.action(token)

    def action(self, left: Token) -> tuple[Node | None, str | None]:
        token = self.peek_non_space()
        line = self.lexer.line_of(token.pos)
        if token.kind == "keyword":
            word = token.value
            if word == "end":
                self.next_non_space()
                self.expect_right("end")
                return None, "end"
            if word == "else":
                self.next_non_space()
                return None, "else"
            if word in ("if", "range", "with"):
                self.next_non_space()
                return self.control(word, token, line), None
            if word in ("break", "continue"):
                self.next_non_space()
                if self.range_depth == 0:
                    raise self.error(f"{{{{{word}}}}} outside {{{{range}}}}", token)
                self.expect_right(word)
                return (BreakNode(token.pos) if word == "break" else ContinueNode(token.pos)), None
            if word in ("define", "template", "block"):
                raise self.error(f"{{{{{word}}}}} is not supported in a --format template", token)
        pipe = self.pipeline("command", allow_decl=True)
        return ActionNode(token.pos, line, pipe), None

    def expect_right(self, context: str) -> None:
        token = self.next_non_space()
        if token.kind != "right":
            raise self.unexpected(token, context)

    def control(self, word: str, token: Token, line: int) -> Node:
        saved_vars = len(self.vars)
        if word == "range":
            self.range_depth += 1
        pipe = self.pipeline(word, allow_decl=True, in_range=word == "range")
        body, end = self.item_list()
        if word == "range":
            self.range_depth -= 1
        else_body: ListNode | None = None
        if end == "else":
            following = self.peek_non_space()
            if following.kind == "keyword" and following.value in ("if", "with") and following.value == word:
                # {{else if ...}} / {{else with ...}}: a nested control that shares our {{end}}.
                self.next_non_space()
                nested_line = self.lexer.line_of(following.pos)
                nested = self.control(word, following, nested_line)
                else_body = ListNode(following.pos, [nested])
            else:
                self.expect_right("else")
                else_body, end = self.item_list()
                if end != "end":
                    raise self.error("expected end; found {{else}}", self.tokens[self.i - 1])
        del self.vars[saved_vars:]
        cls = {"if": IfNode, "range": RangeNode, "with": WithNode}[word]
        return cls(token.pos, line, pipe, body, else_body)

    def pipeline(self, context: str, allow_decl: bool = False, in_range: bool = False) -> PipeNode:
        start = self.peek_non_space()
        pipe = PipeNode(start.pos)
        if allow_decl and start.kind == "var":
            save = self.i
            self.next_non_space()
            following = self.peek_non_space()
            names = [start.value]
            if following.kind == "comma" and in_range:
                self.next_non_space()
                second = self.next_non_space()
                if second.kind != "var":
                    raise self.error("range can only initialize variables", second)
                names.append(second.value)
                following = self.peek_non_space()
            if following.kind in ("declare", "assign"):
                self.next_non_space()
                pipe.decl = names
                pipe.is_assign = following.kind == "assign"
                if pipe.is_assign:
                    for name in names:
                        if name not in self.vars:
                            raise self.error(f"undefined variable {name!r}".replace("'", '"'), start)
                else:
                    self.vars.extend(names)
            else:
                self.i = save
        while True:
            token = self.peek_non_space()
            if token.kind in ("right", "rparen"):
                if token.kind == "right":
                    self.next_non_space()
                if not pipe.cmds:
                    raise self.error(f"missing value for {context}", token)
                return pipe
            if token.kind == "eof":
                raise self.error("unclosed action", token)
            pipe.cmds.append(self.command(context))

    def command(self, context: str) -> CommandNode:
        cmd = CommandNode(self.peek_non_space().pos)
        while True:
            token = self.peek_non_space()
            operand = self.operand()
            if operand is None:
                raise self.unexpected(token, "operand")
            cmd.args.append(operand)
            following = self.peek()
            if following.kind == "space":
                self.next()
                following = self.peek_non_space()
                if following.kind in ("right", "rparen", "pipe"):
                    pass
                else:
                    continue
            if following.kind in ("right", "rparen"):
                break
            if following.kind == "pipe":
                self.next()
                break
            raise self.unexpected(following, "operand")
        if not cmd.args:
            raise self.error("empty command", self.peek())
        return cmd

    def operand(self) -> Node | None:
        node = self.term()
        if node is None:
            return None
        if self.peek().kind == "field":
            chain_pos = self.peek().pos
            fields = []
            while self.peek().kind == "field":
                fields.append(self.next().value)
            if isinstance(node, FieldNode | VariableNode):
                # As Go's parser: the merged node takes the position of the chain.
                node.idents.extend(fields)
                node.pos = chain_pos
            elif isinstance(node, BoolNode | StringNode | NumberNode | NilNode | DotNode):
                raise self.error(f"unexpected . after term {str(node)!r}".replace("'", '"'), self.peek())
            else:
                node = ChainNode(node.pos, node, fields)
        return node

    def term(self) -> Node | None:
        token = self.next_non_space()
        kind = token.kind
        if kind == "ident":
            return IdentifierNode(token.pos, token.value)
        if kind == "dot":
            return DotNode(token.pos)
        if kind == "keyword" and token.value == "nil":
            return NilNode(token.pos)
        if kind == "var":
            if token.value not in self.vars:
                raise self.error(f"undefined variable {token.value!r}".replace("'", '"'), token)
            return VariableNode(token.pos, [token.value])
        if kind == "field":
            return FieldNode(token.pos, [token.value])
        if kind == "bool":
            return BoolNode(token.pos, token.value == "true")
        if kind == "number":
            try:
                return NumberNode(token.pos, _number(token.value), token.value)
            except ValueError as exc:
                raise self.error(f"bad number syntax: {token.value!r}".replace("'", '"'), token) from exc
        if kind == "char":
            value = _unquote(Token("string", '"' + token.value[1:-1] + '"', token.pos), self.lexer)
            if len(value) != 1:
                raise self.error(f"malformed character constant: {token.value}", token)
            return NumberNode(token.pos, ord(value), token.value)
        if kind in ("string", "raw"):
            return StringNode(token.pos, _unquote(token, self.lexer), token.value)
        if kind == "lparen":
            pipe = self.pipeline("parenthesized pipeline")
            closing = self.next_non_space()
            if closing.kind != "rparen":
                raise self.unexpected(closing, "parenthesized pipeline")
            return pipe
        self.i -= 1
        return None


def parse(source: str) -> ListNode:
    """Parse template ``source``; raises :class:`TemplateError` with Go's message."""
    return _Parser(source).parse()


def error_position(source: str, pos: int) -> str:
    """``line:col`` of byte ``pos`` as Go's ``ErrorContext`` prints it."""
    line = source.count("\n", 0, pos) + 1
    last = source.rfind("\n", 0, pos)
    col = pos if last < 0 else pos - last - 1
    return f"{line}:{col}"
