from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import nodes

from server import sandbox
from server.sandbox import (
    MAX_DEPTH,
    MAX_OUTPUT,
    MAX_SOURCE,
    MAX_VALUE,
    TemplateRejected,
    compile_template,
)

VARIABLES = frozenset({"customer_name", "agent_name", "subject", "video_url"})
VALUES = {
    "customer_name": "Éva Janssens",
    "agent_name": "Alice Peeters",
    "subject": "Mortgage",
    "video_url": None,
}


def render(source: str, values: dict[str, str | None] | None = None, **options: bool) -> str:
    template = compile_template(source, variables=VARIABLES, **options)
    return template.render(VALUES if values is None else values)


def rejection(source: str) -> TemplateRejected:
    with pytest.raises(TemplateRejected) as caught:
        compile_template(source, variables=VARIABLES)
    return caught.value


@pytest.mark.parametrize(
    ("source", "message"),
    [
        # what could make a huge value or take forever
        pytest.param("{{ customer_name * 999999999 }}", "the operator * ", id="repetition"),
        pytest.param('{{ "x" * 10**9 }}', "the operator * ", id="string-times-power"),
        pytest.param("{{ [0] * 10**9 }}", "the operator * ", id="list-repetition"),
        pytest.param("{{ 9 ** (9 ** 9) }}", "the operator ** ", id="huge-power"),
        pytest.param('{{ "%999999999s" % "x" }}', "the operator % ", id="printf"),
        pytest.param("{{ subject ~ subject }}", "the operator ~ ", id="tilde"),
        pytest.param("{{ 1 / 0 }}", "the operator / ", id="division"),
        pytest.param("{{ -1 }}", "the operator - ", id="negation"),
        pytest.param(
            "{% for i in range(99999) %}{% for j in range(99999) %}x{% endfor %}{% endfor %}",
            "a loop ({% for %}) ",
            id="nested-range-loops",
        ),
        pytest.param("{% for c in subject %}{{ c }}{% endfor %}", "a loop ", id="loop"),
        pytest.param("{{ range(99999) }}", "calling range() ", id="range"),
        pytest.param("{{ lipsum(99999999) }}", "calling lipsum() ", id="lipsum"),
        pytest.param("{{ namespace(a=1) }}", "calling namespace() ", id="namespace"),
        pytest.param("{{ cycler(1, 2) }}", "calling cycler() ", id="cycler"),
        pytest.param('{{ "x".ljust(999999999) }}', "calling a function ", id="method"),
        pytest.param('{{ "{:>99999}".format("x") }}', "calling a function ", id="str-format"),
        pytest.param('{{ "x"|center(999999999) }}', "the filter 'center' ", id="center"),
        pytest.param("{{ subject|format(1) }}", "the filter 'format' ", id="format"),
        pytest.param("{{ subject|join(',') }}", "the filter 'join' ", id="join"),
        pytest.param(
            "{% macro f(n) %}{{ f(n - 1) }}{{ f(n - 1) }}{% endmacro %}{{ f(64) }}",
            "a macro ({% macro %}) ",
            id="exponential-macro",
        ),
        pytest.param("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "a macro ", id="recursion"),
        pytest.param("{% call f() %}x{% endcall %}", "a call block ", id="call-block"),
        pytest.param("{% set a = subject %}", "{% set %} ", id="set"),
        pytest.param("{% set a %}{{ subject }}{% endset %}", "{% set %} ", id="set-block"),
        pytest.param("{% filter upper %}x{% endfilter %}", "a filter block ", id="filter-block"),
        pytest.param("{% with a = subject %}{% endwith %}", "{% with %} ", id="with"),
        pytest.param("{% autoescape false %}x{% endautoescape %}", "{% autoescape %} ", id="ae"),
        # what reaches outside the template
        pytest.param("{{ ''.__class__.__mro__ }}", "attribute access (.__mro__) ", id="mro"),
        pytest.param("{{ subject.__init__.__globals__ }}", "attribute access ", id="globals"),
        pytest.param("{{ subject[0] }}", "item access ([...]) ", id="item"),
        pytest.param("{{ subject[:3] }}", "item access ", id="slice"),
        pytest.param("{% include 'other.txt' %}", "{% include %} ", id="include"),
        pytest.param("{% import 'other.txt' as o %}", "{% import %} ", id="import"),
        pytest.param("{% from 'other.txt' import o %}", "{% from ... import %} ", id="from"),
        pytest.param("{% extends 'base.txt' %}", "{% extends %} ", id="extends"),
        pytest.param("{% block b %}x{% endblock %}", "{% block %} ", id="block"),
        # names, filters, tests and values outside the lists
        pytest.param(
            "{{ nope }}", "unknown variable 'nope' (the variables are agent_name, ", id="v"
        ),
        pytest.param("{{ cycler }}", "unknown variable 'cycler' ", id="global"),
        pytest.param("{{ loop }}", "unknown variable 'loop' ", id="loop-variable"),
        pytest.param("{{ subject|nope }}", "the filter 'nope' is not allowed (the filters", id="f"),
        pytest.param("{{ subject|upper(1) }}", "the filter 'upper' takes no arguments", id="arg"),
        pytest.param(
            "{{ subject|default('a', true) }}", "the filter 'default' takes one", id="args"
        ),
        pytest.param(
            "{{ subject|default(fallback='a') }}", "the filter 'default' takes one", id="kwarg"
        ),
        pytest.param("{{ subject is even }}", "the test 'even' is not allowed", id="test"),
        pytest.param("{{ subject is none(1) }}", "the test 'none' takes no ", id="test-arg"),
        pytest.param("{{ subject is none(*agent_name) }}", "the test 'none' takes no", id="t*"),
        pytest.param("{{ subject|upper(*agent_name) }}", "the filter 'upper' takes no", id="f*"),
        pytest.param("{{ subject|default(**agent_name) }}", "the filter 'default' takes", id="**"),
        pytest.param("{{ subject in agent_name }}", "the comparison in ", id="in"),
        pytest.param("{{ subject < agent_name }}", "the comparison < ", id="less-than"),
        pytest.param("{{ 'a' if subject else 'b' }}", "an inline if ", id="inline-if"),
        pytest.param("{{ [subject] }}", "a list ", id="list"),
        pytest.param("{{ (subject, subject) }}", "a tuple ", id="tuple"),
        pytest.param("{{ {'a': subject} }}", "a dict ", id="dict"),
    ],
)
def test_constructs_outside_the_subset_are_rejected_naming_them_and_their_line(
    source: str, message: str
) -> None:
    rejected = rejection(f"Dear {{{{ customer_name }}}},\n{source}")
    assert rejected.line == 2
    assert rejected.message.startswith(message), rejected.message
    assert str(rejected) == f"line 2: {rejected.message}"


def test_the_jinja2_node_types_named_in_messages_still_exist() -> None:
    # A Jinja2 upgrade that renames one would turn its message into a generic one.
    missing = [name for name in sandbox._REFUSED if not hasattr(nodes, name)]
    assert missing == []


def test_a_syntax_error_gives_its_line_in_our_words() -> None:
    rejected = rejection("Hello {{ customer_name }},\n\n{% if subject %}\n{{ subject ")
    assert rejected.line == 4
    assert rejected.message.startswith("the template does not parse (Jinja2: ")


def test_an_unknown_tag_is_a_syntax_error() -> None:
    rejected = rejection("{% do subject %}")
    assert (rejected.line, rejected.message[:27]) == (1, "the template does not parse")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            "{{ subject }} with {{ agent_name }}", "Mortgage with Alice Peeters", id="var"
        ),
        pytest.param("{{ 'text' }} {{ 42 }} {{ 1.5 }} {{ true }}", "text 42 1.5 True", id="const"),
        pytest.param(
            '{% if subject == "Loans" %}L{% elif subject != "Mortgage" %}O{% else %}M{% endif %}',
            "M",
            id="if-elif-else",
        ),
        pytest.param(
            "{% if subject and not video_url %}a{% endif %}{% if video_url or 0 %}b{% endif %}",
            "a",
            id="and-or-not",
        ),
        pytest.param("{{ video_url or subject }}", "Mortgage", id="or-value"),
        pytest.param("{{ video_url }}|{{ video_url is none }}", "|True", id="none-renders-empty"),
        pytest.param("{{ subject is defined }} {{ subject is not none }}", "True True", id="tests"),
        pytest.param("{{ video_url|default('soon') }}", "soon", id="default-of-none"),
        pytest.param("{{ subject|default('soon') }}", "Mortgage", id="default-of-a-value"),
        pytest.param(
            "{{ subject|upper }} {{ subject|lower }} {{ 'a b'|title }} {{ 'ab'|capitalize }}",
            "MORTGAGE mortgage A B Ab",
            id="case",
        ),
        pytest.param("[{{ '  x  '|trim }}]", "[x]", id="trim"),
        pytest.param("{{ '<b>'|e }} {{ '&'|escape }}", "&lt;b&gt; &amp;", id="escape"),
        pytest.param("{% raw %}{{ subject }}{% endraw %}", "{{ subject }}", id="raw"),
        pytest.param("{# a comment #}{{ subject }}", "Mortgage", id="comment"),
        pytest.param("{% if subject %}\n  {{ subject }}\n{% endif %}\n", "  Mortgage\n", id="trim"),
    ],
)
def test_the_constructs_of_the_subset_render(source: str, expected: str) -> None:
    assert render(source) == expected


def test_a_variable_left_out_is_none() -> None:
    assert render("[{{ subject }}]{{ subject is none }}", {}) == "[]True"


def test_every_variable_is_cut_to_max_value_characters() -> None:
    long = "x" * (MAX_VALUE + 500)
    assert render("{{ subject }}", {"subject": long}) == "x" * MAX_VALUE
    assert render("{{ subject|upper }}", {"subject": long}) == "X" * MAX_VALUE


def test_filters_grow_a_value_by_a_constant_factor_at_most() -> None:
    # The characters that grow most: case mappings to three characters, and escaping.
    value = ("ﬄΐ&<\"'" * MAX_VALUE)[:MAX_VALUE]
    chain = "|e|upper|title|lower|capitalize|trim" * 5
    rendered = render(f"{{{{ subject{chain} }}}}", {"subject": value})
    assert MAX_VALUE * 2 < len(rendered) <= 5 * MAX_VALUE
    assert "&amp;amp;" not in rendered.lower()  # escaped once, however often asked


def test_the_output_is_capped() -> None:
    fits = "{{ subject }}" * (MAX_OUTPUT // MAX_VALUE)
    assert len(render(fits, {"subject": "x" * MAX_VALUE})) == MAX_OUTPUT
    template = compile_template(fits + "!", variables=VARIABLES)
    with pytest.raises(TemplateRejected, match=f"renders more than {MAX_OUTPUT} characters"):
        template.render({"subject": "x" * MAX_VALUE})


def test_the_source_is_capped() -> None:
    assert render("x" * MAX_SOURCE) == "x" * MAX_SOURCE
    rejected = rejection("x" * (MAX_SOURCE + 1))
    assert rejected.message == f"the template is longer than {MAX_SOURCE} characters"


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("{{ " + "not " * (MAX_DEPTH + 1) + "subject }}", id="deep-tree"),
        pytest.param("{{ subject" + "|upper" * (MAX_DEPTH + 1) + " }}", id="long-filter-chain"),
        pytest.param("{{ " + "(" * 500 + "subject" + ")" * 500 + " }}", id="too-deep-to-parse"),
    ],
)
def test_deep_nesting_is_rejected(source: str) -> None:
    assert rejection(source).message.startswith("the template is nested too deeply")
    assert render("{{ " + "not " * (MAX_DEPTH - 2) + "subject }}") == "True"


def test_html_is_escaped_when_autoescape_is_on() -> None:
    values = {"customer_name": "<script>alert('x')</script> & \"Éva\""}
    source = "<p>{{ customer_name }}</p><p>{{ customer_name|e|upper }}</p>"
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;Éva&#34;"
    assert render(source, values, autoescape=True) == (f"<p>{escaped}</p><p>{escaped.upper()}</p>")
    assert render("{{ customer_name }}", values) == values["customer_name"]


# -- any template of the subset renders, on any values --------------------------------

_LITERALS = st.text(alphabet="ab ßﬄ&<>", max_size=4).map(lambda text: f"'{text}'")
_EXPRESSIONS = st.recursive(
    st.one_of(st.sampled_from(sorted(VARIABLES)), _LITERALS, st.sampled_from(["none", "7"])),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(sorted(sandbox.FILTERS))).map(
            lambda pair: f"({pair[0]}|{pair[1]})"
        ),
        st.tuples(inner, inner).map(lambda pair: f"({pair[0]}|default({pair[1]}))"),
        st.tuples(inner, st.sampled_from(["and", "or", "==", "!="]), inner).map(" ".join),
        inner.map(lambda expression: f"(not {expression})"),
        st.tuples(inner, st.sampled_from(["is none", "is not none", "is defined"])).map(
            lambda pair: f"({pair[0]} {pair[1]})"
        ),
    ),
    max_leaves=8,
)
_OUTPUTS = st.one_of(
    st.sampled_from(["text ", "\n", "  "]), _EXPRESSIONS.map("{{{{ {} }}}}".format)
)
_BODIES = st.lists(_OUTPUTS, max_size=4).map("".join)
_IFS = st.tuples(_EXPRESSIONS, _BODIES, _EXPRESSIONS, _BODIES, _BODIES).map(
    lambda p: f"{{% if {p[0]} %}}{p[1]}{{% elif {p[2]} %}}{p[3]}{{% else %}}{p[4]}{{% endif %}}"
)
_VALUES = st.one_of(st.none(), st.text(max_size=20), st.just("ﬄ&<" * 1000))


@settings(max_examples=100, deadline=None)
@given(
    source=st.lists(st.one_of(_OUTPUTS, _IFS), max_size=6).map("".join),
    values=st.fixed_dictionaries({name: _VALUES for name in sorted(VARIABLES)}),
    autoescape=st.booleans(),
)
def test_every_template_of_the_subset_compiles_and_renders_on_any_values(
    source: str, values: dict[str, str | None], autoescape: bool
) -> None:
    rendered = render(source, values, autoescape=autoescape)
    assert len(rendered) <= MAX_OUTPUT
