"""Fixtures of the Slack end-to-end tests; the harness they build on is `tests.e2e.harness`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.cache import build_cache
from bot.config import FormConfig
from tests.e2e.harness import (
    CHANNEL,
    OTHER_USER,
    USER,
    USER_EMAIL,
    Harness,
    ListenerRuns,
    Replicas,
    start_harness,
    stop_harness,
    tracking_listener_runs,
)
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack
from tests.redis_server import (  # noqa: F401 (fixtures)
    RedisServer,
    own_redis,
    redis_server,
    redis_url,
)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_user(USER, email=USER_EMAIL, real_name="Ada Lovelace")
        fake.add_user(OTHER_USER, email="grace@example.com", real_name="Grace Hopper")
        fake.add_channel(CHANNEL, member=True, name="it-help")
        yield fake


@pytest.fixture
async def desk() -> AsyncIterator[FakeServiceOps]:
    async with FakeServiceOps(departments=["IT", "Facilities", "HR"]) as fake:
        yield fake


@pytest.fixture
def form_config() -> FormConfig:
    return FormConfig(departments=["IT", "Facilities", "HR"])


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def app(
    slack: FakeSlack,
    desk: FakeServiceOps,
    form_config: FormConfig,
    settings_overrides: dict[str, Any],
) -> AsyncIterator[Harness]:
    harness, runner = await start_harness(slack, desk, form_config, **settings_overrides)
    yield harness
    await stop_harness(harness, runner)


@pytest.fixture
async def listener_runs() -> AsyncIterator[ListenerRuns]:
    """Tracks the app's listener tasks (any request sent while the fixture is active)."""
    with tracking_listener_runs() as runs:
        yield runs


@pytest.fixture
async def replicas(
    slack: FakeSlack,
    desk: FakeServiceOps,
    form_config: FormConfig,
    redis_url: str,  # noqa: F811
) -> AsyncIterator[Replicas]:
    """Two app instances behind one Slack and one ServiceOps, sharing one emptied (cold)
    Redis database through `CACHE_URL`, like replicas behind a load balancer."""
    first, first_runner = await start_harness(
        slack, desk, form_config, cache=build_cache(redis_url), cache_url=redis_url
    )
    second, second_runner = await start_harness(
        slack, desk, form_config, cache=build_cache(redis_url), cache_url=redis_url
    )
    yield first, second
    await stop_harness(first, first_runner)
    await stop_harness(second, second_runner)


@pytest.fixture
async def on_redis(
    slack: FakeSlack,
    desk: FakeServiceOps,
    form_config: FormConfig,
    own_redis: RedisServer,  # noqa: F811 (the fixture imported above)
) -> AsyncIterator[Harness]:
    """The app with its cache on a Redis of the test's own (`own_redis`), which it may kill."""
    url = own_redis.url()
    app, runner = await start_harness(
        slack, desk, form_config, cache=build_cache(url), cache_url=url
    )
    yield app
    await stop_harness(app, runner)
