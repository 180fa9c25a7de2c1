"""What every test shares: the settings a test runs with are the ones it builds itself.

After the README's Quickstart there is a `.env` in the repository, and an admin's shell may
export settings too; neither may change what a test runs against (a real API key in `.env`
would send the fakes' tests to log in with it). Every test therefore runs without the
variables the bot reads and without a `.env` file, and the processes tests start inherit
that environment.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bot.config import Settings

READ_BY_THE_BOT = frozenset(name.upper() for name in Settings.model_fields)


@pytest.fixture(autouse=True, scope="session")
def settings_only_from_tests() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.upper() in READ_BY_THE_BOT:
                patch.delenv(name)
        patch.setitem(Settings.model_config, "env_file", None)
        yield
