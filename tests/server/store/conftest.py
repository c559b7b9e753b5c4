"""The store tests run on both backends: SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.databases import BACKENDS, Backend


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    backend: Backend = request.param
    return backend
