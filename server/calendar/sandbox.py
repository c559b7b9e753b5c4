"""A Jinja2 sandbox that bounds what rendering may cost, for templates from untrusted
input (the organisation file, SPEC 9): `BoundedSandbox.compile_bounded` makes a template
and `render_bounded` renders it within MAX_OUTPUT characters of output, values of
MAX_SIZE, MAX_STEPS steps and MAX_PRODUCED characters produced, so a template like
`{{ customer_name * 999999999 }}` or nested `range` loops fails fast with
`TemplateTooCostly` instead of holding the event loop or exhausting memory.

Jinja2's sandbox stops templates from reaching outside, not from taking all the time
and memory there is. Every way a template can make work or a big value goes through a
check here: before the work where its cost can be told in advance (an estimate over
MAX_ESTIMATE is refused), after it otherwise (a value over MAX_SIZE is refused), and
every check spends steps from the rendering's budget in proportion to what it
measured:

- operators `*`, `**`, `+` and `%` (`intercepted_binops`, which also keeps Jinja from
  folding them at compile time): repetition, integer size, formatting widths, result;
- calls (`call`): arguments and result measured; built-in methods get no number over
  MAX_SIZE (widths of `center`, `ljust`, `zfill`, `to_bytes`, ...), and `join`,
  `replace`, `expandtabs`, `translate` and `str.format` are estimated first;
- filters and tests: each is wrapped to measure its arguments, estimate `center`,
  `indent`, `wordwrap`, `replace`, `join`, `format`, `batch` and `slice`, and measure
  the result;
- `~`, `{% for %}`, macros, comparisons and template text are rewritten (`_Rewrite`):
  into the hidden filters `_concat` (size of the result), `_each` (a step per item,
  recursive loops too), `_spend_steps` (each run of a loop body, macro, call block or
  block spends a step per node in it, for the work no other check sees: attribute lookups,
  slicing, ...) and `_measure`, and into constants that go through `finalize`, so all
  that is written out, captured or not, counts against MAX_PRODUCED;
- globals: `range` holds at most MAX_SIZE numbers, `lipsum` is estimated, and
  `namespace` measures what is stored in it. The environment is the immutable sandbox,
  so lists and dicts cannot be grown in place.

A value that holds the same big value many times (`[s, s, s]`) is measured as its text
would be, item by item, so a shared reference cannot hide a huge `repr`. Recursion
ends at Python's recursion limit, and any exception a template raises is passed on
to the caller of `render_bounded`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from itertools import islice
from string import Formatter
from types import BuiltinMethodType
from typing import Any, TypeVar

from jinja2 import (
    Environment,
    Template,
    Undefined,
    nodes,
    pass_context,
    pass_eval_context,
)
from jinja2.exceptions import SecurityError
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, LoopContext, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace, generate_lorem_ipsum
from jinja2.visitor import NodeTransformer

_T = TypeVar("_T")

#: Characters one template may render to.
MAX_OUTPUT = 10_000
#: Characters, items or digits (for containers: summed over what they hold) that any value
#: made while rendering may have.
MAX_SIZE = 10_000
#: An upper estimate of a result that an operation may reach before it is even tried
#: (the result itself must still be within MAX_SIZE).
MAX_ESTIMATE = 100_000
#: Bits an integer made by `*` or `**` may have.
MAX_INT_BITS = 1_024
#: Steps one rendering may take: a loop iteration, call, filter, test or operator is one,
#: a run of a loop body or macro one per node in it, and the values each goes through one
#: per item and per ten characters they hold. A step takes a few microseconds at most, so
#: a template renders in well under a second.
MAX_STEPS = 50_000
#: Characters that `{{ }}` and template text may produce while rendering one template,
#: output that macros, `{% set %}` and `{% filter %}` blocks capture included.
MAX_PRODUCED = 100_000


class TemplateTooCostly(SecurityError):
    """Rendering a template would take more time or memory than the limits allow."""


def render_bounded(template: Template, values: Mapping[str, Any]) -> str:
    """Render a template made by `BoundedSandbox.compile_bounded` within the limits.

    Raises `TemplateTooCostly` past them, and whatever else rendering raises: another
    `SecurityError` (the sandbox refused something), a `TemplateError`, a
    `RecursionError`, or the template's own exceptions (`1/0`, `int("x")`, ...)."""
    token = _BUDGET.set(_Budget())
    try:
        chunks: list[str] = []
        length = 0
        for chunk in template.generate(values):
            length += len(chunk)
            if length > MAX_OUTPUT:
                raise TemplateTooCostly(f"the output is longer than {MAX_OUTPUT} characters")
            chunks.append(chunk)
        return "".join(chunks)
    finally:
        _BUDGET.reset(token)


class _Budget:
    __slots__ = ("produced", "steps")

    def __init__(self) -> None:
        self.steps = MAX_STEPS
        self.produced = MAX_PRODUCED


#: The budget of the template being rendered (None outside `render_bounded`, e.g. when
#: Jinja folds constants at compile time: sizes are still checked then, steps are not
#: counted).
_BUDGET: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)
_PASSED = (Context, EvalContext, Environment)  # what pass_context & co put before a value


def _spend(steps: int) -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.steps -= steps
        if budget.steps < 0:
            raise TemplateTooCostly(
                f"it takes more than {MAX_STEPS} steps (runs of loop bodies and macros, "
                "calls, filters, operators, and the values they go through)"
            )


def _size(value: object, limit: int = MAX_SIZE) -> int:
    """How big `value` is as text: characters of a string, digits of an integer, and for
    containers one plus the sizes of what they hold, counted per occurrence. Counting
    stops a little past `limit`; what was counted is spent as steps (the work of going
    through `value` is in proportion to it)."""
    total = 0
    visited = 0
    stack = [value]
    while stack and total <= limit:
        item = stack.pop()
        visited += 1
        if isinstance(item, str | bytes | bytearray):
            total += len(item)
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1
        elif isinstance(item, Undefined):
            continue  # fails on its own when used
        elif isinstance(item, range):
            total += len(item) if len(item) <= limit else limit + 1
        elif isinstance(item, Namespace):
            stack.append(object.__getattribute__(item, "_Namespace__attrs"))
        elif isinstance(item, Mapping | list | tuple | set | frozenset):
            total += 1
            if len(item) > limit - total:
                total = limit + 1
            elif isinstance(item, Mapping):
                for pair in item.items():
                    stack.extend(pair)
            else:
                stack.extend(item)
        else:  # numbers, None, macros, iterators (not consumed), ...
            total += 1
    _spend(visited + total // 10)
    return total


def _checked(value: _T) -> _T:
    if _size(value) > MAX_SIZE:
        raise TemplateTooCostly(f"a value would be larger than {MAX_SIZE} characters or items")
    return value


def _check_estimate(estimate: int, what: str) -> None:
    if estimate > MAX_ESTIMATE:
        raise TemplateTooCostly(f"{what} would make a value larger than {MAX_SIZE} characters")


def _number(value: object, default: int = 0) -> int:
    """An int argument as it will be used (other types fail in the operation itself)."""
    return value if isinstance(value, int) else default


def _take(iterable: Iterable[_T]) -> list[_T]:
    """The items of an iterable, refusing more than MAX_SIZE."""
    items = list(islice(iterable, MAX_SIZE + 1))
    _spend(len(items))
    if len(items) > MAX_SIZE:
        raise TemplateTooCostly(f"more than {MAX_SIZE} items")
    return items


def _repeat_estimate(sequence: object, times: int) -> int:
    return _size(sequence) * times if times > 0 else 0


def _replace_estimate(s: object, old: object, new: object, count: object = -1) -> int:
    if isinstance(s, bytes) and isinstance(old, bytes) and isinstance(new, bytes):
        s, old, new = s.decode("latin-1"), old.decode("latin-1"), new.decode("latin-1")
    if not (isinstance(s, str) and isinstance(old, str) and isinstance(new, str)):
        return _size(s)  # the operation raises TypeError
    found = s.count(old) if old else len(s) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(s) + found * max(0, len(new) - len(old))


def _arg(args: tuple[Any, ...], kwargs: Mapping[str, Any], at: int, name: str, default: Any) -> Any:
    """Argument `at` (counted after the value) of a filter, given by position or name."""
    return args[at] if len(args) > at else kwargs.get(name, default)


_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?([^a-zA-Z%]*)[a-zA-Z%]")
_DIGITS = re.compile(r"\d+")


def _spec_estimate(spec: str, argument_size: int) -> int:
    if "*" in spec or "{" in spec:
        raise TemplateTooCostly("widths taken from the arguments are not allowed")
    return sum(int(digits) for digits in _DIGITS.findall(spec)) + argument_size


def _printf_estimate(template: str, arguments: object) -> int:
    """An upper estimate of `template % arguments`: every conversion may output all of
    the arguments, padded to its width and precision."""
    argument_size = _size(arguments)
    return len(template) + sum(
        _spec_estimate(match.group(1), argument_size) for match in _PRINTF_SPEC.finditer(template)
    )


def _format_estimate(template: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """An upper estimate of `template.format(*args, **kwargs)`."""
    argument_size = _size(args) + _size(kwargs)
    return len(template) + sum(
        _spec_estimate(spec or "", argument_size)
        for _, field, spec, _ in Formatter().parse(template)
        if field is not None
    )


_SEQUENCES = (str, bytes, list, tuple)


def _check_product(left: object, right: object) -> None:
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise TemplateTooCostly(f"a number would have more than {MAX_INT_BITS} bits")
    elif isinstance(left, _SEQUENCES) and isinstance(right, int):
        _check_estimate(_repeat_estimate(left, right), "repeating")
    elif isinstance(left, int) and isinstance(right, _SEQUENCES):
        _check_estimate(_repeat_estimate(right, left), "repeating")


def _check_power(base: object, exponent: object) -> None:
    if (
        isinstance(base, int)
        and isinstance(exponent, int)
        and exponent > 0
        and (abs(base).bit_length() - 1) * exponent > MAX_INT_BITS
    ):
        raise TemplateTooCostly(f"a number would have more than {MAX_INT_BITS} bits")


def _check_builtin_call(
    method: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> tuple[Any, ...]:
    """Refuse a call of a built-in method (`"x".center(...)`) that would make a huge value;
    the arguments to pass (an iterable to `join` is read into a list to count it)."""
    name = getattr(method, "__name__", "")
    for argument in (*args, *kwargs.values()):
        if isinstance(argument, int) and abs(argument) > MAX_SIZE:
            raise TemplateTooCostly(f"{name}() is given a number over {MAX_SIZE}")
    owner = getattr(method, "__self__", None)
    _size(owner)
    if not isinstance(owner, str | bytes):
        return args
    if name == "join" and args:
        items = _take(args[0])
        _check_estimate(_size(items) + len(owner) * len(items), "join()")
        return (items, *args[1:])
    if name == "replace" and len(args) >= 2:
        _check_estimate(_replace_estimate(owner, *args[:3]), "replace()")
    elif name == "expandtabs":
        tabs = owner.count("\t") if isinstance(owner, str) else owner.count(b"\t")
        tabsize = _number(_arg(args, kwargs, 0, "tabsize", 8), 8)
        _check_estimate(len(owner) + tabs * tabsize, "expandtabs()")
    elif name == "translate" and args and isinstance(owner, str):
        table = args[0]
        targets = table.values() if isinstance(table, Mapping) else table
        if not isinstance(table, Mapping | list | tuple):
            targets = ()
        widest = max((_size(target) for target in targets), default=1)
        _check_estimate(len(owner) * widest, "translate()")
    return args


def _filter_estimate(name: str, value: Any, *args: Any, **kwargs: Any) -> int | None:
    """An upper estimate of what filter `name` makes of `value`, for the filters whose
    result can be much larger than their input; None for the others."""
    if name == "center":
        return max(_size(value), _number(_arg(args, kwargs, 0, "width", 80)))
    if name == "indent":
        width = _arg(args, kwargs, 0, "width", 4)
        indent = len(width) if isinstance(width, str) else _number(width)
        return _size(value) + indent * (str(value).count("\n") + 1)
    if name == "wordwrap":
        wrapstring = _arg(args, kwargs, 2, "wrapstring", None)
        size = _size(value)
        return size + (size + 1) * len(str(wrapstring or "\n"))
    if name == "replace":
        old, new = _arg(args, kwargs, 0, "old", ""), _arg(args, kwargs, 1, "new", "")
        count = _arg(args, kwargs, 2, "count", None)
        return _replace_estimate(str(value), str(old), str(new), -1 if count is None else count)
    if name == "join":
        return _size(value) + len(str(_arg(args, kwargs, 0, "d", ""))) * len(value)
    if name == "format" and isinstance(value, str):
        return _printf_estimate(value, kwargs or args)
    if name == "batch":
        linecount = _number(_arg(args, kwargs, 0, "linecount", 0))
        return linecount if _arg(args, kwargs, 1, "fill_with", None) is not None else None
    if name == "slice":
        return _number(_arg(args, kwargs, 0, "slices", 0))
    return None


def _bounded_test(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _spend(1)
        _size(args)
        _size(kwargs)
        return function(*args, **kwargs)

    return bounded


def _measure(value: _T) -> _T:
    """What a comparison's operands go through: `x in items` takes as long as `items`."""
    _size(value)
    return value


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)  # keeps pass_context & co
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _spend(1)
        at = 1 if args and isinstance(args[0], _PASSED) else 0
        if len(args) > at:
            value = args[at]
            if name == "join" and not isinstance(value, Undefined):
                value = _take(value)
                args = (*args[:at], value, *args[at + 1 :])
            _checked(value)
            _size(args[at + 1 :])
            _size(kwargs)
            estimate = _filter_estimate(name, value, *args[at + 1 :], **kwargs)
            if estimate is not None:
                _check_estimate(estimate, f"|{name}")
        return _checked(function(*args, **kwargs))

    return bounded


@pass_context
def _spend_steps(context: Context, steps: int) -> str:
    """Put at the start of loop bodies and macros: what running them once costs."""
    _spend(steps)
    return ""


@pass_context
def _each(context: Context, iterable: Iterable[_T]) -> Iterator[_T]:
    """What `{% for %}` iterates: the items, a step each."""
    for item in iterable:
        _spend(1)
        yield item


@pass_eval_context
def _concat(eval_ctx: EvalContext, parts: tuple[Any, ...]) -> str:
    """What `~` does, within MAX_SIZE."""
    if _size(parts) > MAX_SIZE + len(parts):
        raise TemplateTooCostly(f"joining with ~ would make more than {MAX_SIZE} characters")
    return markup_join(parts) if eval_ctx.autoescape else str_join(parts)


@pass_context
def _finalize(context: Context, value: Any) -> Any:
    """Every value and piece of text written out, counted against MAX_PRODUCED."""
    size = _size(value)
    if size > MAX_SIZE:
        raise TemplateTooCostly(f"a value written out would be larger than {MAX_SIZE} characters")
    budget = _BUDGET.get()
    if budget is not None:
        budget.produced -= size
        if budget.produced < 0:
            raise TemplateTooCostly(
                f"it writes more than {MAX_PRODUCED} characters (counting what macros and "
                "set and filter blocks capture)"
            )
    return value


def _range(*args: int) -> range:
    numbers = range(*args)
    try:
        too_big = len(numbers) > MAX_SIZE
    except OverflowError:
        too_big = True
    if too_big:
        raise OverflowError(f"Range too big. The sandbox blocks ranges larger than {MAX_SIZE}.")
    return numbers


def _lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    _check_estimate(_number(n) * _number(max) * 10, "lipsum()")
    return str(generate_lorem_ipsum(n, html, min, max))


class _Namespace(Namespace):
    """`namespace()`, measuring what is assigned to it (`{% set ns.x = ... %}`)."""

    def __setitem__(self, name: str, value: Any) -> None:
        super().__setitem__(name, _checked(value))


def _charged(body: list[nodes.Node], lineno: int) -> list[nodes.Node]:
    """A loop's or macro's body that first spends a step per node in it: what one run of
    it can do without going through any other check (attribute lookups, slicing, ...)
    is in proportion to its size."""
    size = sum(1 + sum(1 for _ in statement.find_all(nodes.Node)) for statement in body)
    steps = nodes.Filter(nodes.Const(size), "_spend_steps", [], [], None, None, lineno=lineno)
    return [nodes.ExprStmt(steps, lineno=lineno), *body]


class _Rewrite(NodeTransformer):
    """Route `~`, loops, macros, blocks, comparisons and template text through the
    checks."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "_each", [], [], None, None, lineno=node.lineno)
        node.body = _charged(node.body, node.lineno)
        return node

    def visit_Macro(self, node: nodes.Macro) -> nodes.Node:
        self.generic_visit(node)
        node.body = _charged(node.body, node.lineno)
        return node

    def visit_CallBlock(self, node: nodes.CallBlock) -> nodes.Node:
        self.generic_visit(node)
        node.body = _charged(node.body, node.lineno)
        return node

    def visit_Block(self, node: nodes.Block) -> nodes.Node:  # self.name() runs it again
        self.generic_visit(node)
        node.body = _charged(node.body, node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        parts = nodes.Tuple(node.nodes, "load", lineno=node.lineno)
        return nodes.Filter(parts, "_concat", [], [], None, None, lineno=node.lineno)

    def visit_Compare(self, node: nodes.Compare) -> nodes.Node:
        self.generic_visit(node)
        node.expr = nodes.Filter(node.expr, "_measure", [], [], None, None, lineno=node.lineno)
        for operand in node.ops:
            operand.expr = nodes.Filter(
                operand.expr, "_measure", [], [], None, None, lineno=node.lineno
            )
        return node

    def visit_TemplateData(self, node: nodes.TemplateData) -> nodes.Node:
        # A constant in an output goes through `finalize` at run time (it takes the
        # context), so the text a loop writes is counted on every iteration.
        return nodes.Const(node.data, lineno=node.lineno)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with the cost of rendering bounded (see the module
    docstring)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(finalize=_finalize, **options)
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}
        self.filters["_each"] = _each
        self.filters["_concat"] = _concat
        self.filters["_measure"] = _measure
        self.filters["_spend_steps"] = _spend_steps
        self.tests = {name: _bounded_test(test) for name, test in self.tests.items()}  # type: ignore[arg-type]
        self.globals.update(range=_range, lipsum=_lipsum, namespace=_Namespace)

    def compile_bounded(self, source: str) -> Template:
        """A template whose rendering goes through the checks; only render it within
        `render_bounded`, which gives it its budget."""
        tree = _Rewrite().visit(self.parse(source))
        tree.set_environment(self)
        return self.from_string(tree)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _spend(1)
        if operator == "*":
            _check_product(left, right)
        elif operator == "**":
            _check_power(left, right)
        elif operator == "%" and isinstance(left, str):
            _check_estimate(_printf_estimate(left, right), "% formatting")
        return _checked(self.binop_table[operator](left, right))

    def call(
        __self,  # named like SandboxedEnvironment.call's, so that no keyword argument
        __context: Context,  # from a template can collide with these
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        _spend(1)
        _size(args)
        _size(kwargs)
        if isinstance(__obj, LoopContext) and args:  # loop(children) in a recursive loop
            args = (_each(__context, args[0]), *args[1:])
        elif isinstance(__obj, BuiltinMethodType):
            args = _check_builtin_call(__obj, args, kwargs)
        return _checked(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        template: str = value.__self__
        is_format_map = value.__name__ == "format_map"

        def bounded(*args: Any, **kwargs: Any) -> str:
            if is_format_map and len(args) == 1:
                _check_estimate(_format_estimate(template, (), args[0]), "format_map()")
            else:
                _check_estimate(_format_estimate(template, args, kwargs), "format()")
            return _checked(wrapped(*args, **kwargs))

        return functools.update_wrapper(bounded, value)


__all__ = [
    "MAX_ESTIMATE",
    "MAX_INT_BITS",
    "MAX_OUTPUT",
    "MAX_PRODUCED",
    "MAX_SIZE",
    "MAX_STEPS",
    "BoundedSandbox",
    "TemplateTooCostly",
    "render_bounded",
]
