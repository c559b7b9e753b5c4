"""Schema-driven fuzzing: schemathesis reads GET /api/v1/openapi.json from the app
(in-process) and sends what the description allows, and what it forbids, to every
operation.

No answer is a 5xx, and every answer is one the description names: its status, its
content type, its headers and its body's schema; what the description forbids is
refused. Bounded (a fixed number of examples per operation) and deterministic
(`derandomize`), so a run takes the same requests every time.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from server import openapi
from server.app import create_app
from server.settings import Settings
from tests.support import DEMO

EXAMPLES = 20
BASE_URL = "http://127.0.0.1:8000"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@dataclass(frozen=True)
class Api:
    client: TestClient
    schema: schemathesis.BaseSchema


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The app on the demo organisation, in-process, and the description it serves at
    GET /api/v1/openapi.json, as schemathesis reads it."""
    directory = tmp_path_factory.mktemp("fuzz")
    config_path = directory / "organisation.toml"
    shutil.copyfile(DEMO, config_path)
    settings = Settings(
        config_path=config_path,
        database_path=directory / "var" / "rendezvous.sqlite3",
        secret_key="fuzz-secret",
        reload_interval=0,
        rate_limit_per_minute=0,  # thousands of requests from one address
        delivery_interval=0,
        calendar_refresh=0,
    )
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        description = client.get("/api/v1/openapi.json")
        assert description.status_code == 200
        yield Api(client, schemathesis.openapi.from_dict(description.json()))


def _send(client: TestClient, case: schemathesis.Case) -> tuple[httpx.Response, dict[str, Any]]:
    """The case through the app's own test client (httpx): schemathesis's requests-based
    transport trips over the urllib3-future that caldav's niquests installs."""
    sent = case.as_transport_kwargs(base_url=BASE_URL)
    headers = dict(sent.get("headers") or {})
    body = sent.get("data")
    if "json" in sent:  # JSON null too: a body "null", not no body
        body = json.dumps(sent["json"])
        headers.setdefault("Content-Type", "application/json")
    response = client.request(
        sent["method"],
        sent["url"],
        params=sent.get("params"),
        headers=headers,
        cookies=sent.get("cookies") or None,
        content=body.encode() if isinstance(body, str) else body,
    )
    return response, sent


#: One test per operation and generation mode, named after the description's own table.
CASES = [
    pytest.param(
        operation.method,
        operation.path,
        mode,
        id=f"{operation.method} {operation.path} {mode.value}",
    )
    for operation in openapi.OPERATIONS
    if operation.path != "/api/v1/openapi.json"  # no input to vary: its own tests read it
    for mode in GenerationMode
    # An operation without any input (GET /api/v1/challenge) has no invalid input to send.
    if mode is not GenerationMode.NEGATIVE
    or operation.query is not None
    or operation.body is not None
    or operation.headers
    or "{" in operation.path
]


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_every_operation_answers_as_described(
    api: Api, method: str, path: str, mode: GenerationMode
) -> None:
    operation = api.schema[path][method]

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def answers_as_described(case: schemathesis.Case) -> None:
        response, sent = _send(api.client, case)
        case.validate_response(response, checks=CHECKS, transport_kwargs=sent)

    answers_as_described()
