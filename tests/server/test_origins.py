"""Origins are parsed strictly: only exactly `scheme://host[:port]` is an origin."""

from __future__ import annotations

import pytest

from server.origins import origin_of, parse_origin


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        pytest.param("https://Example.COM/", "https://example.com", id="case-and-slash"),
        pytest.param("https://example.com:443", "https://example.com", id="default-port"),
        pytest.param("http://example.com:80/x?y", "http://example.com", id="default-http-port"),
        pytest.param("http://127.0.0.1:8000", "http://127.0.0.1:8000", id="port"),
        pytest.param("http://[::1]:8000/book", "http://[::1]:8000", id="ipv6"),
    ],
)
def test_the_origin_of_a_url_is_normalised(url: str, origin: str) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("https://www.demobank.example:443.evil.example", id="port-then-host"),
        pytest.param("https://www.demobank.example/", id="path"),
        pytest.param("https://user@www.demobank.example", id="userinfo"),
        pytest.param("https://", id="no-host"),
        pytest.param("https://-bank.example", id="label-starts-with-dash"),
        pytest.param("http://127.0.0.1:65536", id="port-out-of-range"),
        pytest.param("http://127.0.0.1:0", id="port-zero"),
        pytest.param("ftp://bank.example", id="scheme"),
        pytest.param("null", id="null"),
        pytest.param("https://bank.example\n", id="newline"),
        pytest.param(" https://bank.example", id="space"),
    ],
)
def test_anything_else_is_no_origin(value: str) -> None:
    assert parse_origin(value) is None


def test_a_url_without_an_http_origin_has_none() -> None:
    assert origin_of("mailto:someone@bank.example") is None
