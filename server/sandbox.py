"""Templates from untrusted input (the organisation file, SPEC 9) in a subset of Jinja2
that can neither hang the server nor exhaust its memory.

`compile_template` parses with Jinja2's public API (`Environment.parse`) and accepts only
template text, `{{ }}`, `{% if %}`/`{% elif %}`/`{% else %}`, the declared variables,
constants, `==`, `!=`, `and`, `or`, `not`, the tests of TESTS and the filters of FILTERS;
anything else (loops, calls, attribute or item access, `set`, macros, includes, operators
such as `*`, `%` or `~`, unknown names) is `TemplateRejected`, named with its line.

Decision: this allow-list, checked once at load, replaced a sandbox that counted the cost
of rendering by overriding Jinja2's internals, which a minor release could break. With no
loops, calls or arithmetic, each node runs at most once per rendering and no value grows
by more than a constant factor (a chain of case filters at most triples a character;
`escape` keeps `Markup` as it is), and every variable is cut to MAX_VALUE characters: the
cost of rendering is linear in the template, whose source is capped at MAX_SOURCE. As
defence in depth, the output is capped at MAX_OUTPUT, and the environment is Jinja2's
immutable sandbox with `StrictUndefined`, no globals and only our filters and tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from jinja2 import Environment, StrictUndefined, Template, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import escape

MAX_SOURCE = 4000  # characters of a template's source
MAX_VALUE = 2000  # characters of a variable's value; a longer one is cut when rendered
MAX_OUTPUT = 100_000  # characters one rendering may produce
MAX_DEPTH = 50  # levels of nesting: ifs in ifs, filters on filters, `and` on `and`, ...


class TemplateRejected(Exception):
    """A template outside the allowed subset, or one whose output is too long."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.message = message
        self.line = line


def _text(value: object) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


#: The filters a template may use, and how many arguments each takes. Each keeps a
#: `Markup` value `Markup` (so `escape` after another filter does not escape twice).
FILTERS: Mapping[str, tuple[int, Callable[..., str]]] = {
    "default": (1, lambda value, fallback="": fallback if value in (None, "") else value),
    "upper": (0, lambda value: _text(value).upper()),
    "lower": (0, lambda value: _text(value).lower()),
    "title": (0, lambda value: _text(value).title()),
    "capitalize": (0, lambda value: _text(value).capitalize()),
    "trim": (0, lambda value: _text(value).strip()),
    "escape": (0, lambda value: escape(_text(value))),
    "e": (0, lambda value: escape(_text(value))),
}
TESTS = ("defined", "none")
#: The node types of the subset: a renamed class fails here, at import.
_ALLOWED: tuple[type[nodes.Node], ...] = (
    *(nodes.Template, nodes.Output, nodes.TemplateData, nodes.If, nodes.Name, nodes.Const),
    *(nodes.Compare, nodes.Operand, nodes.And, nodes.Or, nodes.Not, nodes.Test, nodes.Filter),
)
#: What is said of the constructs outside the subset, by class name.
_REFUSED = {
    "For": "a loop ({% for %}) is not allowed",
    "Macro": "a macro ({% macro %}) is not allowed",
    "CallBlock": "a call block ({% call %}) is not allowed",
    "Call": "calling a function is not allowed",
    "Getitem": "item access ([...]) is not allowed",
    "Assign": "{% set %} is not allowed",
    "AssignBlock": "{% set %} is not allowed",
    "Include": "{% include %} is not allowed",
    "Import": "{% import %} is not allowed",
    "FromImport": "{% from ... import %} is not allowed",
    "Extends": "{% extends %} is not allowed",
    "Block": "{% block %} is not allowed",
    "FilterBlock": "a filter block ({% filter %}) is not allowed",
    "With": "{% with %} is not allowed",
    "Scope": "{% autoescape %} is not allowed",
    "CondExpr": "an inline if (a if b else c) is not allowed: use {% if %}",
    "List": "a list is not allowed",
    "Tuple": "a tuple is not allowed",
    "Dict": "a dict is not allowed",
    "Concat": "the operator ~ is not allowed: write the values one after the other",
}


class BoundedTemplate:
    """A template of the subset, ready to render."""

    def __init__(self, template: Template, variables: frozenset[str]) -> None:
        self._template = template
        self.variables = variables

    def render(self, values: Mapping[str, str | None]) -> str:
        """Render with each declared variable's value, cut to MAX_VALUE characters;
        a variable left out is none (it renders as nothing). Raises `TemplateRejected`
        past MAX_OUTPUT characters."""
        context = {name: _capped(values.get(name)) for name in self.variables}
        chunks: list[str] = []
        length = 0
        for chunk in self._template.generate(context):
            length += len(chunk)
            if length > MAX_OUTPUT:
                raise TemplateRejected(f"the template renders more than {MAX_OUTPUT} characters")
            chunks.append(chunk)
        return "".join(chunks)


def compile_template(
    source: str, *, variables: frozenset[str], autoescape: bool = False
) -> BoundedTemplate:
    """A template of the subset, or `TemplateRejected` saying what is not allowed and
    where. With `autoescape`, what `{{ }}` writes is HTML-escaped."""
    if len(source) > MAX_SOURCE:
        raise TemplateRejected(f"the template is longer than {MAX_SOURCE} characters")
    environment = _ENVIRONMENTS[autoescape]
    try:
        tree = environment.parse(source)
    except TemplateSyntaxError as exc:  # Jinja2's message only as a detail
        detail = f" (Jinja2: {exc.message})" if exc.message else ""
        raise TemplateRejected(f"the template does not parse{detail}", exc.lineno) from exc
    except RecursionError as exc:
        raise TemplateRejected("the template is nested too deeply") from exc
    for node, depth, line in _walk(tree):
        if depth > MAX_DEPTH:
            raise TemplateRejected(
                f"the template is nested too deeply (more than {MAX_DEPTH} levels)", line
            )
        if (problem := _problem(node, variables)) is not None:
            raise TemplateRejected(problem, line)
    return BoundedTemplate(environment.from_string(tree), variables)


def _walk(tree: nodes.Node) -> Iterator[tuple[nodes.Node, int, int | None]]:
    """Every node in source order with its depth and line (a node without one has its
    first child's or else its parent's), without recursion: the depth is checked first."""
    stack: list[tuple[nodes.Node, int, int | None]] = [(tree, 0, None)]
    while stack:
        node, depth, line = stack.pop()
        children = list(node.iter_child_nodes())
        line = node.lineno or next((c.lineno for c in children if c.lineno), None) or line
        yield node, depth, line
        stack.extend((child, depth + 1, line) for child in reversed(children))


def _problem(node: nodes.Node, variables: frozenset[str]) -> str | None:
    kind = type(node).__name__
    if type(node) not in _ALLOWED:
        if isinstance(node, nodes.BinExpr | nodes.UnaryExpr):
            return f"the operator {node.operator} is not allowed"
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
            return f"calling {node.node.name}() is not allowed"
        if isinstance(node, nodes.Getattr):
            return f"attribute access (.{node.attr}) is not allowed"
        return _REFUSED.get(kind, f"this construct ({kind}) is not allowed")
    if isinstance(node, nodes.Name) and (node.ctx != "load" or node.name not in variables):
        return f"unknown variable '{node.name}' (the variables are {', '.join(sorted(variables))})"
    if isinstance(node, nodes.Const) and not isinstance(node.value, str | int | float | None):
        return "this constant is not allowed"
    if isinstance(node, nodes.Operand) and node.op not in ("eq", "ne"):
        symbol = {"lt": "<", "lteq": "<=", "gt": ">", "gteq": ">=", "notin": "not in"}
        return f"the comparison {symbol.get(node.op, node.op)} is not allowed (only == and !=)"
    if isinstance(node, nodes.Test | nodes.Filter):
        what, allowed = ("test", TESTS) if isinstance(node, nodes.Test) else ("filter", FILTERS)
        if node.name not in allowed:
            return f"the {what} '{node.name}' is not allowed (the {what}s are {', '.join(allowed)})"
        most = FILTERS[node.name][0] if what == "filter" else 0
        if len(node.args) > most or node.kwargs or node.dyn_args or node.dyn_kwargs:
            return f"the {what} '{node.name}' takes {'one argument' if most else 'no arguments'}"
    return None


def _capped(value: str | None) -> str | None:
    return None if value is None else str(value)[:MAX_VALUE]


def _environment(autoescape: bool) -> Environment:
    environment = ImmutableSandboxedEnvironment(
        autoescape=autoescape,
        undefined=StrictUndefined,
        finalize=lambda value: "" if value is None else value,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    environment.globals.clear()
    environment.filters = {name: function for name, (_, function) in FILTERS.items()}
    environment.tests = {name: environment.tests[name] for name in TESTS}
    return environment


_ENVIRONMENTS = {autoescape: _environment(autoescape) for autoescape in (False, True)}

__all__ = [
    "FILTERS",
    "MAX_OUTPUT",
    "MAX_SOURCE",
    "MAX_VALUE",
    "TESTS",
    "BoundedTemplate",
    "TemplateRejected",
    "compile_template",
]
