from __future__ import annotations

import time
from typing import Any

import pytest
from jinja2 import StrictUndefined
from jinja2.exceptions import SecurityError

from server.calendar.sandbox import (
    MAX_OUTPUT,
    MAX_SIZE,
    BoundedSandbox,
    TemplateTooCostly,
    render_bounded,
)

SANDBOX = BoundedSandbox(
    autoescape=False,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)
VALUES = {
    "customer_name": "Éva Janssens",
    "agent_name": "Alice Peeters",
    "subject": "Mortgage",
    "office_name": "Brussels Centre",
}


def render(source: str, values: dict[str, Any] | None = None) -> str:
    return render_bounded(SANDBOX.compile_bounded(source), VALUES if values is None else values)


@pytest.mark.parametrize(
    ("source", "error"),
    [
        pytest.param("{{ customer_name * 999999999 }}", TemplateTooCostly, id="string-repetition"),
        pytest.param("{{ 9 ** (9 ** 9) }}", TemplateTooCostly, id="huge-power"),
        pytest.param(
            "{% for i in range(99999) %}{% for j in range(99999) %}x{% endfor %}{% endfor %}",
            OverflowError,
            id="nested-range-loops",
        ),
        pytest.param(
            "{% for i in range(9999) %}{% for j in range(9999) %}{% endfor %}{% endfor %}",
            TemplateTooCostly,
            id="nested-loops-without-output",
        ),
        pytest.param('{{ "x" * 10**9 }}', TemplateTooCostly, id="string-times-power"),
        pytest.param("{{ [0] * 10**9 }}", TemplateTooCostly, id="list-repetition"),
        pytest.param('{{ "x"|center(999999999) }}', TemplateTooCostly, id="center-filter"),
        pytest.param('{{ "x".ljust(999999999) }}', TemplateTooCostly, id="ljust-method"),
        pytest.param('{{ "%999999999s" % "x" }}', TemplateTooCostly, id="printf-width"),
        pytest.param('{{ "{:>999999999}".format("x") }}', TemplateTooCostly, id="format-width"),
        pytest.param("{{ range(9999)|join('x' * 9999) }}", TemplateTooCostly, id="join"),
        pytest.param(
            "{% set a = 'xxxxxxxxxx' %}" + "{% set a = a ~ a %}" * 40 + "{{ a|length }}",
            TemplateTooCostly,
            id="doubling-with-tilde",
        ),
        pytest.param(
            "{% set ns = namespace(a='x') %}{% for i in range(64) %}"
            "{% set ns.a = ns.a + ns.a %}{% endfor %}",
            TemplateTooCostly,
            id="doubling-in-a-namespace",
        ),
        pytest.param(
            "{% set a = ['xxxxxxxxxx'] %}"
            + "{% set a = [a, a, a, a, a, a, a, a] %}" * 12
            + "{{ a }}",
            TemplateTooCostly,
            id="shared-references",
        ),
        pytest.param(
            "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
            "{{ f(64) }}",
            TemplateTooCostly,
            id="exponential-macro",
        ),
        pytest.param(
            "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
            RecursionError,
            id="endless-recursion",
        ),
        pytest.param(
            "{% set s %}{% for i in range(9999) %}" + "y" * 1000 + "{% endfor %}{% endset %}",
            TemplateTooCostly,
            id="captured-output",
        ),
        pytest.param("{{ lipsum(99999999) }}", TemplateTooCostly, id="lipsum"),
    ],
)
def test_too_costly_templates_fail_fast(source: str, error: type[Exception]) -> None:
    started = time.perf_counter()
    with pytest.raises(error):
        render(source, {"customer_name": "customer_name"})
    assert time.perf_counter() - started < 0.5


def test_the_cost_checks_say_what_is_too_costly() -> None:
    with pytest.raises(TemplateTooCostly) as caught:
        render("{{ customer_name * 999999999 }}")
    assert str(caught.value) == f"repeating would make a value larger than {MAX_SIZE} characters"


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("{{ ''.__class__.__mro__ }}", id="mro"),
        pytest.param("{{ subject.__init__.__globals__ }}", id="globals"),
        pytest.param("{{ cycler.__init__.__globals__.os }}", id="cycler"),
    ],
)
def test_sandbox_escapes_are_refused(source: str) -> None:
    with pytest.raises(SecurityError):
        render(source)


def test_ordinary_templates_still_render() -> None:
    title = render(
        "{% for word in subject.split() %}{{ word|upper }}{% endfor %}"
        " – {{ '%s (%d)' % (agent_name, 2 * 21) }} {{ 9 ** 9 ** 9 }}"
    )
    description = render(
        "{% macro line(label, value) %}{{ label }}: {{ value }}"
        "{% endmacro %}{% set ns = namespace(n=0) %}"
        "{% for part in [customer_name, office_name] if part %}"
        "{% set ns.n = ns.n + 1 %}{{ line(loop.index, part) }}\n{% endfor %}"
        "{{ ns.n }} {{ '{}|{:>4}'.format(subject, 7) }} {{ 'ab' * 3 ~ '!' }}"
        " {{ 1.5 * 200000 }}"
    )
    # Jinja's ** groups to the left: (9 ** 9) ** 9, a number of 78 digits
    assert title == f"MORTGAGE – Alice Peeters (42) {(9**9) ** 9}"
    assert description == "1: Éva Janssens\n2: Brussels Centre\n2 Mortgage|   7 ababab! 300000.0"


def test_the_output_is_capped() -> None:
    assert render(f"{{{{ 'x' * {MAX_OUTPUT} }}}}") == "x" * MAX_OUTPUT
    for source in [
        f"{{{{ 'x' * {MAX_OUTPUT} }}}}y",
        f"{{% for i in range({MAX_OUTPUT // 2 + 1}) %}}xy{{% endfor %}}",
    ]:
        with pytest.raises(TemplateTooCostly, match=f"longer than {MAX_OUTPUT} characters"):
            render(source)
