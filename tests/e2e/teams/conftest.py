"""Fixtures of the Teams end-to-end tests: the fakes and the running Teams surface."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import FormConfig
from tests.e2e.teams.harness import ADA_EMAIL, GRACE_EMAIL, TeamsHarness, start_teams, stop_teams
from tests.fakes import teams_requests as tr
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.teams_api import FakeTeams


@pytest.fixture
async def teams() -> AsyncIterator[FakeTeams]:
    async with FakeTeams() as fake:
        fake.add_user(
            tr.ADA.id, name=tr.ADA.name, email=ADA_EMAIL, aad_object_id=tr.ADA.aad_object_id
        )
        fake.add_user(
            tr.GRACE.id, name=tr.GRACE.name, email=GRACE_EMAIL, aad_object_id=tr.GRACE.aad_object_id
        )
        yield fake


@pytest.fixture
async def desk() -> AsyncIterator[FakeServiceOps]:
    async with FakeServiceOps(departments=["IT", "Facilities", "HR"]) as fake:
        yield fake


@pytest.fixture
def form_config() -> FormConfig:
    return FormConfig(departments=["IT", "Facilities", "HR"])


@pytest.fixture
async def bot(
    teams: FakeTeams, desk: FakeServiceOps, form_config: FormConfig
) -> AsyncIterator[TeamsHarness]:
    harness = await start_teams(teams, desk, form_config)
    yield harness
    await stop_teams(harness)
