"""State-changing calls are limited per client; reads are not."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from server.middleware.ratelimit import TokenBuckets
from server.settings import Settings

pytestmark = pytest.mark.organisation("minimal")


@pytest.fixture
def limited_client(settings: Settings) -> Iterator[TestClient]:
    settings = dataclasses.replace(settings, rate_limit_per_minute=3)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        yield client


def test_a_client_over_the_limit_gets_429_in_the_error_shape(limited_client: TestClient) -> None:
    statuses = [limited_client.post("/api/v1/holds", json={}).status_code for _ in range(4)]
    assert statuses[:3] == [422, 422, 422]  # let through to validation, which refuses
    assert statuses[3] == 429
    response = limited_client.post("/api/v1/appointments", json={})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMITED"
    assert int(response.headers["retry-after"]) >= 1


def test_reads_are_never_limited(limited_client: TestClient) -> None:
    for _ in range(10):
        assert limited_client.get("/api/v1/subjects").status_code == 200


def test_buckets_refill_with_time_and_are_per_client() -> None:
    now = [0.0]
    buckets = TokenBuckets(per_minute=2, clock=lambda: now[0])
    assert buckets.take("a") == 0 and buckets.take("a") == 0
    assert buckets.take("a") == pytest.approx(30.0)
    assert buckets.take("b") == 0
    now[0] = 30.0
    assert buckets.take("a") == 0
