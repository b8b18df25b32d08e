"""Execution of Go ``text/template`` trees over Engine API data.

:class:`Template` is what the CLI uses: ``Template(source).execute(data)``.
Semantics follow Go's ``text/template`` (field lookup, ``<no value>``,
truth, ``range`` over sorted map keys, variables and their scopes) with the
functions Docker's CLI adds (``json``, ``split``, ``join``, ``title``,
``lower``, ``upper``, ``pad``, ``truncate``) and Go's built-ins (``and``,
``or``, ``not``, ``len``, ``index``, ``slice``, ``print``, ``printf``,
``println``, ``eq``, ``ne``, ``lt``, ``le``, ``gt``, ``ge``, ``html``,
``js``, ``urlquery``). Errors are :class:`TemplateError` worded as Go's:
``template: :1:2: executing "" at <.Foo>: can't evaluate field Foo in type
*formatter.ContainerContext``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._gofmt import (
    MISSING,
    GoMap,
    TemplateObject,
    go_type_name,
    print_value,
    struct_field_key,
)
from ._gotemplate_funcs import FUNCS, HEADER_FUNCS, LAZY, CallError, truth
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
from ._gotemplate_parse import error_position, parse

__all__ = ["HEADER_FUNCS", "Template", "TemplateError", "truth"]


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class Template:
    """A parsed Go template: ``Template("{{.ID}}").execute(data)``.

    Raises :class:`TemplateError` on a parse error; :meth:`execute` raises
    it on an execution error, with Go's message.
    """

    def __init__(self, source: str, funcs: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self.source = source
        self.funcs: dict[str, Callable[..., Any]] = dict(FUNCS)
        if funcs:
            self.funcs.update(funcs)
        self.tree = parse(source)
        self._check_functions(self.tree)

    def _check_functions(self, node: Any) -> None:
        if isinstance(node, IdentifierNode):
            if node.name not in self.funcs and node.name not in LAZY and node.name != "call":
                raise TemplateError(f'template: :{error_position(self.source, node.pos).split(":")[0]}: '
                                    f'function "{node.name}" not defined')  # fmt: skip
            return
        for attr in ("nodes", "cmds", "args"):
            for child in getattr(node, attr, ()) or ():
                self._check_functions(child)
        for attr in ("pipe", "body", "else_body", "node"):
            child = getattr(node, attr, None)
            if child is not None:
                self._check_functions(child)

    def execute(
        self, data: Any, funcs: Mapping[str, Callable[..., Any]] | None = None, *, missing_key_error: bool = False
    ) -> str:
        """Render the template with ``data`` as dot; ``funcs`` override functions for this run.

        JSON objects are Go structs (fields by their Go names) unless they are
        :class:`GoMap`; ``missing_key_error`` makes a missing map key an error
        (Go's ``missingkey=error``).
        """
        state = _State(self, data, {**self.funcs, **funcs} if funcs else self.funcs)
        state.missing_key_error = missing_key_error
        state.walk(self.tree, data)
        return "".join(state.out)


class _State:
    def __init__(self, template: Template, data: Any, funcs: Mapping[str, Callable[..., Any]]) -> None:
        self.template = template
        self.funcs = funcs
        self.out: list[str] = []
        self.vars: list[tuple[str, Any]] = [("$", data)]
        self.missing_key_error = False

    # errors
    def error(self, node: Node, message: str) -> TemplateError:
        context = str(node)
        if len(context) > 20:
            context = context[:20] + "..."
        where = error_position(self.template.source, node.pos)
        return TemplateError(f'template: :{where}: executing "" at <{context}>: {message}')

    # walking
    def walk(self, node: Node, dot: Any) -> None:
        if isinstance(node, ListNode):
            for child in node.nodes:
                self.walk(child, dot)
        elif isinstance(node, TextNode):
            self.out.append(node.text)
        elif isinstance(node, ActionNode):
            value = self.eval_pipeline(dot, node.pipe)
            if not node.pipe.decl:
                self.out.append(print_value(value))
        elif isinstance(node, IfNode | WithNode):
            mark = len(self.vars)
            value = self.eval_pipeline(dot, node.pipe)
            if truth(value):
                self.walk(node.body, value if isinstance(node, WithNode) else dot)
            elif node.else_body is not None:
                self.walk(node.else_body, dot)
            del self.vars[mark:]
        elif isinstance(node, RangeNode):
            self.walk_range(node, dot)
        elif isinstance(node, BreakNode):
            raise _Break
        elif isinstance(node, ContinueNode):
            raise _Continue
        else:
            raise self.error(node, f"unknown node: {node}")

    def walk_range(self, node: RangeNode, dot: Any) -> None:
        mark = len(self.vars)
        value = self.eval_pipeline(dot, node.pipe)
        # The pipeline's declaration pushed the variables; they are set per element.
        items: list[tuple[Any, Any]]
        if value is None or value is MISSING:
            items = []
        elif isinstance(value, Mapping):
            items = [(k, value[k]) for k in sorted(value)]
        elif isinstance(value, list | tuple):
            items = list(enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            items = [(i, i) for i in range(value)]
        else:
            raise self.error(node.pipe, f"range can't iterate over {print_value(value)}")
        decl = node.pipe.decl
        for key, element in items:
            if len(decl) == 1:
                self.set_var(decl[0], element)
            elif len(decl) == 2:
                self.set_var(decl[0], key)
                self.set_var(decl[1], element)
            inner = len(self.vars)
            try:
                self.walk(node.body, element)
            except _Break:
                del self.vars[inner:]
                break
            except _Continue:
                pass
            del self.vars[inner:]
        if not items and node.else_body is not None:
            self.walk(node.else_body, dot)
        del self.vars[mark:]

    def set_var(self, name: str, value: Any) -> None:
        for i in range(len(self.vars) - 1, -1, -1):
            if self.vars[i][0] == name:
                self.vars[i] = (name, value)
                return
        self.vars.append((name, value))

    def get_var(self, node: Node, name: str) -> Any:
        for var, value in reversed(self.vars):
            if var == name:
                return value
        raise self.error(node, f"undefined variable: {name}")

    # evaluation
    def eval_pipeline(self, dot: Any, pipe: PipeNode) -> Any:
        value: Any = MISSING
        final_set = False
        for cmd in pipe.cmds:
            value = self.eval_command(dot, cmd, value if final_set else _NOFINAL)
            final_set = True
        for name in pipe.decl:
            if pipe.is_assign:
                self.set_var(name, value)
            else:
                self.vars.append((name, value))
        return value

    def eval_command(self, dot: Any, cmd: CommandNode, final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, FieldNode):
            return self.eval_field_chain(dot, dot, first, first.idents, cmd.args, final)
        if isinstance(first, ChainNode):
            return self.eval_chain(dot, first, cmd.args, final)
        if isinstance(first, IdentifierNode):
            return self.eval_function(dot, first, cmd, final)
        if isinstance(first, VariableNode):
            value = self.get_var(first, first.idents[0])
            if len(first.idents) == 1:
                self.not_a_function(cmd, final)
                return value
            return self.eval_field_chain(dot, value, first, first.idents[1:], cmd.args, final)
        self.not_a_function(cmd, final)
        if isinstance(first, PipeNode):
            return self.eval_pipeline(dot, first)
        if isinstance(first, DotNode):
            return dot
        if isinstance(first, NilNode):
            raise self.error(first, "nil is not a command")
        if isinstance(first, BoolNode):
            return first.value
        if isinstance(first, NumberNode):
            return first.value
        if isinstance(first, StringNode):
            return first.value
        raise self.error(first, f"can't evaluate command {first}")

    def not_a_function(self, cmd: CommandNode, final: Any) -> None:
        if len(cmd.args) > 1 or final is not _NOFINAL:
            raise self.error(cmd.args[0], f"can't give argument to non-function {cmd.args[0]}")

    def eval_chain(self, dot: Any, chain: ChainNode, args: list[Node], final: Any) -> Any:
        if isinstance(chain.node, PipeNode):
            receiver = self.eval_pipeline(dot, chain.node)
        else:
            receiver = self.eval_arg(dot, chain.node)
        return self.eval_field_chain(dot, receiver, chain, chain.fields, args, final)

    def eval_field_chain(
        self, dot: Any, receiver: Any, node: Node, idents: Sequence[str], args: list[Node], final: Any
    ) -> Any:
        for ident in idents[:-1]:
            receiver = self.eval_field(dot, ident, node, [], _NOFINAL, receiver)
        return self.eval_field(dot, idents[-1], node, args, final, receiver)

    def eval_field(self, dot: Any, name: str, node: Node, args: list[Node], final: Any, receiver: Any) -> Any:
        has_args = len(args) > 1 or final is not _NOFINAL
        if receiver is MISSING:
            return MISSING
        if isinstance(receiver, TemplateObject):
            if not receiver.has_field(name):
                raise self.error(node, f"can't evaluate field {name} in type {receiver.go_type}")
            values = [self.eval_arg(dot, a) for a in args[1:]]
            if final is not _NOFINAL:
                values.append(final)
            try:
                return receiver.template_field(name, values)
            except TypeError as exc:
                raise self.error(node, f"wrong number of args for {name}: {exc}") from exc
        if isinstance(receiver, Mapping):
            if has_args:
                raise self.error(node, f"{name} is not a method but has arguments")
            if isinstance(receiver, GoMap):
                if name in receiver:
                    return receiver[name]
                if self.missing_key_error:
                    raise self.error(node, f'map has no entry for key "{name}"')
                return MISSING
            key = struct_field_key(receiver, name)  # type: ignore[arg-type]
            if key is None:
                raise self.error(node, f"can't evaluate field {name} in type struct")
            return receiver[key]
        if receiver is None:
            raise self.error(node, f"nil pointer evaluating interface {{}}.{name}")
        raise self.error(node, f"can't evaluate field {name} in type {go_type_name(receiver)}")

    def eval_function(self, dot: Any, ident: IdentifierNode, cmd: CommandNode, final: Any) -> Any:
        name = ident.name
        if name in LAZY:
            values = cmd.args[1:]
            if not values and final is _NOFINAL:
                raise self.error(cmd, f"wrong number of args for {name}: want at least 1 got 0")
            result: Any = MISSING
            for arg in values:
                result = self.eval_arg(dot, arg)
                if truth(result) == (name == "or"):
                    return result
            if final is not _NOFINAL:
                result = final
            return result
        function = self.funcs.get(name)
        if function is None:
            raise self.error(ident, f'"{name}" is not a defined function')
        arguments = [self.eval_arg(dot, a) for a in cmd.args[1:]]
        if final is not _NOFINAL:
            arguments.append(final)
        try:
            return function(*arguments)
        except CallError as exc:
            raise self.error(cmd, f"error calling {name}: {exc}") from exc
        except TypeError as exc:
            message = str(exc)
            if "positional argument" in message or "takes" in message:
                message = f"wrong number of args for {name}: got {len(arguments)}"
            raise self.error(cmd, message) from exc
        except (ValueError, IndexError) as exc:
            raise self.error(cmd, f"error calling {name}: {exc}") from exc

    def eval_arg(self, dot: Any, node: Node) -> Any:
        if isinstance(node, DotNode):
            return dot
        if isinstance(node, NilNode):
            return None
        if isinstance(node, FieldNode):
            return self.eval_field_chain(dot, dot, node, node.idents, [node], _NOFINAL)
        if isinstance(node, VariableNode):
            value = self.get_var(node, node.idents[0])
            if len(node.idents) == 1:
                return value
            return self.eval_field_chain(dot, value, node, node.idents[1:], [node], _NOFINAL)
        if isinstance(node, PipeNode):
            return self.eval_pipeline(dot, node)
        if isinstance(node, IdentifierNode):
            return self.eval_function(dot, node, CommandNode(node.pos, [node]), _NOFINAL)
        if isinstance(node, ChainNode):
            return self.eval_chain(dot, node, [node], _NOFINAL)
        if isinstance(node, BoolNode | NumberNode | StringNode):
            return node.value
        raise self.error(node, f"can't handle {node} for arg")


class _NoFinal:
    def __repr__(self) -> str:
        return "NOFINAL"


_NOFINAL: Any = _NoFinal()
