"""The package's public surface and its independence from the rest of the bot."""

from __future__ import annotations

import ast
from pathlib import Path

import bot.serviceops

PACKAGE = Path(bot.serviceops.__file__).parent


def test_all_is_sorted_and_complete() -> None:
    names = bot.serviceops.__all__

    assert names == sorted(names)
    assert all(hasattr(bot.serviceops, name) for name in names)


def test_imports_nothing_from_the_rest_of_the_bot() -> None:
    for module in PACKAGE.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported = [node.module]
            elif isinstance(node, ast.Import):
                imported = [alias.name for alias in node.names]
            else:
                continue
            for name in imported:
                inside = name == "bot.serviceops" or name.startswith("bot.serviceops.")
                outside = (name == "bot" or name.startswith("bot.")) and not inside
                assert not outside, f"{module.name} imports {name}"
                assert "slack" not in name, f"{module.name} imports {name}"
