"""The demo draws what `docs/render_screens.py` draws: the same picture of every screen.

`bot/demo/screens.py` is a copy of the docs' renderer (the docs are not installed with the
package); this keeps the two from drifting apart.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bot.demo.screens import mrkdwn, render

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def docs_renderer() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "render_screens_for_demo", ROOT / "docs" / "render_screens.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["render_screens_for_demo"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_every_docs_screen_is_drawn_the_same(docs_renderer: ModuleType) -> None:
    for screen in docs_renderer.SCREENS:
        payload = screen.build()
        assert render(payload) == docs_renderer.render(payload), screen.title


def test_typed_values_replace_what_the_form_shows(docs_renderer: ModuleType) -> None:
    form = docs_renderer.SCREENS[0].build()

    drawn = render(form, {"subject": "Printer on fire"})

    assert "Subject *     [Printer on fire " in drawn


def test_mentions_are_shown_by_name() -> None:
    names = {"@U0ADA": "@Ada Lovelace", "#C0HELP": "#it-help"}

    assert mrkdwn("<@U0ADA> in <#C0HELP>: <https://x.example/1|INC-1>", names) == (
        "@Ada Lovelace in #it-help: INC-1 (https://x.example/1)"
    )
