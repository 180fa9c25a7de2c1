"""Dependencies point one way: surfaces → core → ServiceOps client; nothing below knows Slack.

Every module under `bot/` is parsed with `ast` (nothing is imported or run) and each import,
relative ones resolved to absolute names, is checked against the layering rules:

- `bot/serviceops/**` imports nothing from `bot` outside `bot.serviceops`;
- `bot/core/**` never imports `slack_bolt`, `slack_sdk`, `bot.slack`, `bot.server` or `aiohttp`,
  and its code (names and strings; docstrings may name platforms) uses no Slack word;
- surfaces (`bot/slack/**`, and each later one) never import each other;
- `bot/server.py` and `bot/wiring.py` know no platform: surfaces are handed to them;
- `bot/cli.py`, `bot/server.py`, `bot/wiring.py` and `bot/webhook.py` import no surface and no
  platform SDK at module level: a surface is loaded only when it is configured;
- `bot/slack/blocks/**` does no I/O: no `httpx`/`httpx2`, `aiohttp`, `slack_sdk.web`, `asyncio`;
- `aiocache` is imported only by `bot/cache.py`, with one deliberate exception:
  `bot/serviceops/client.py` builds its own in-memory token cache when none is passed, since
  the client must stay usable without the rest of the bot (it cannot import `bot.cache`);
- nothing under `bot/` except `bot/config.py` reads the environment (`os.environ`,
  `os.getenv`, `os.environb`, `os.putenv`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "bot"

AIOCACHE_ALLOWED = {"bot.cache", "bot.serviceops.client"}
ENV_READERS_ALLOWED = {"bot.config"}
ENV_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


@dataclass(frozen=True)
class Import:
    module: str
    """The importing module, e.g. `bot.core.tickets`."""
    target: str
    """The imported module (or `module.name` for `from module import name`)."""
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, ast.Module]:
    found = {
        module_name(path): ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for path in sorted(PACKAGE.rglob("*.py"))
    }
    assert len(found) > 10, "the bot package was not found"
    return found


def resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a `from … import` refers to."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(module: str, tree: ast.Module, is_package: bool) -> list[Import]:
    """Every import anywhere in the module, including inside functions and TYPE_CHECKING."""
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = resolve(module, is_package, node)
            found += [Import(module, f"{source}.{a.name}", node.lineno) for a in node.names]
    return found


ALL = modules()
PACKAGES = {name for name in ALL if (PACKAGE.parent / name.replace(".", "/")).is_dir()}
IMPORTS = [imp for name, tree in ALL.items() for imp in imports_of(name, tree, name in PACKAGES)]


def under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(importers: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{imp.module}:{imp.line} imports {imp.target}"
        for imp in IMPORTS
        if under(imp.module, importers) and any(under(imp.target, f) for f in forbidden)
    ]


def test_relative_imports_are_resolved() -> None:
    tree = ast.parse("from . import ids\nfrom ...core import drafts\nfrom ..mrkdwn import x\n")
    nodes = [node for node in tree.body if isinstance(node, ast.ImportFrom)]

    assert [resolve("bot.slack.blocks.results", False, node) for node in nodes] == [
        "bot.slack.blocks",
        "bot.core",
        "bot.slack.mrkdwn",
    ]
    assert resolve("bot.slack.blocks", True, nodes[0]) == "bot.slack.blocks"


def test_the_checker_sees_known_edges() -> None:
    """Guards against a checker that silently finds nothing."""
    targets = {(imp.module, imp.target) for imp in IMPORTS}

    assert ("bot.slack.app", "slack_bolt.async_app.AsyncApp") in targets
    assert ("bot.cache", "aiocache.Cache") in targets


def test_serviceops_imports_nothing_else_from_bot() -> None:
    found = [
        f"{imp.module}:{imp.line} imports {imp.target}"
        for imp in IMPORTS
        if under(imp.module, "bot.serviceops")
        and under(imp.target, "bot")
        and not under(imp.target, "bot.serviceops")
    ]

    assert found == []


def test_core_knows_nothing_of_slack_or_http_servers() -> None:
    forbidden = ("slack_bolt", "slack_sdk", "bot.slack", "bot.server", "aiohttp")
    assert violations("bot.core", forbidden) == []


SURFACES = ("bot.slack", "bot.teams")


@pytest.mark.parametrize("surface", SURFACES)
def test_surfaces_never_import_each_other(surface: str) -> None:
    others = tuple(other for other in SURFACES if other != surface)
    assert violations(surface, others) == []


@pytest.mark.parametrize("module", ["bot.server", "bot.wiring"])
def test_the_process_and_start_up_know_no_platform(module: str) -> None:
    assert violations(module, (*SURFACES, "slack_bolt", "slack_sdk")) == []


PLATFORM_LIBRARIES = ("slack_bolt", "slack_sdk", "jwt")
"""What only a surface needs (Slack's SDKs; PyJWT checks Teams' tokens)."""


def top_level_imports(module: str) -> list[str]:
    """What `module` imports when it is imported (not inside its functions)."""
    tree = ALL[module]
    found: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.If | ast.Try):
            continue  # `if TYPE_CHECKING:` and optional imports are not start-up's cost
        if isinstance(node, ast.Import | ast.ImportFrom):
            found += [imp.target for imp in imports_of(module, ast.Module([node], []), False)]
    return found


@pytest.mark.parametrize("module", ["bot.cli", "bot.server", "bot.wiring", "bot.webhook"])
def test_start_up_imports_a_surface_only_when_it_is_configured(module: str) -> None:
    # The command line builds each configured surface inside a function: a Slack-only bot
    # never loads Teams' modules, a Teams-only one never loads Slack's SDKs (start-up time).
    loaded = top_level_imports(module)

    assert [t for t in loaded if any(under(t, s) for s in (*SURFACES, *PLATFORM_LIBRARIES))] == []


def test_the_start_up_check_sees_module_level_imports() -> None:
    """Guards against a check that silently finds nothing."""
    assert any(under(t, "bot.config") for t in top_level_imports("bot.cli"))
    # bot.cli imports Slack's surface inside a function: seen there, not at the top.
    assert any(under(imp.target, "bot.slack") for imp in IMPORTS if imp.module == "bot.cli")


SLACK_WORDS = {"ts", "mrkdwn", "block", "blocks", "view", "views", "response_url", "team_id"}
"""Slack's vocabulary; core speaks of conversations, threads, messages, forms."""


def docstrings(tree: ast.Module) -> set[int]:
    """ids of the string constants that are docstrings (of the module, classes, functions,
    and the attribute docstrings that follow an assignment)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for statement in body:
            if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                found.add(id(statement.value))
    return found


def words_in_code(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, word) for every word of an identifier or a non-docstring string constant."""
    skip = docstrings(tree)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Name):
            names = [node.id]
        elif isinstance(node, ast.Attribute):
            names = [node.attr]
        elif isinstance(node, ast.arg | ast.keyword) and node.arg:
            names = [node.arg]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names = [node.name]
        elif isinstance(node, ast.alias):
            names = [node.asname or node.name]
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
        ):
            names = [node.value]
        line = getattr(node, "lineno", 0)
        for name in names:
            lowered = name.lower()
            found += [(line, word) for word in ("response_url", "team_id") if word in lowered]
            found += [(line, word) for word in re.split(r"[^a-z0-9]+", lowered) if word]
    return found


def test_slack_word_detector_sees_names_strings_and_skips_docstrings() -> None:
    code = '"""Slack ts and blocks."""\nx = body["team_id"]\ndef view_of(ts): return f"{ts}"\n'

    words = {word for _, word in words_in_code(ast.parse(code))} & SLACK_WORDS

    assert words == {"team_id", "view", "ts"}


def test_core_code_speaks_no_slack() -> None:
    found = {
        f"{name}:{line} {word}"
        for name, tree in ALL.items()
        if under(name, "bot.core")
        for line, word in words_in_code(tree)
        if word in SLACK_WORDS
    }

    assert found == set()


def test_block_builders_do_no_io() -> None:
    assert (
        violations("bot.slack.blocks", ("httpx", "httpx2", "aiohttp", "slack_sdk.web", "asyncio"))
        == []
    )


@pytest.mark.parametrize("layer", ["bot.serviceops", "bot.core"])
def test_lower_layers_do_not_import_chat_surfaces(layer: str) -> None:
    assert violations(layer, ("bot.slack", "bot.cli", "bot.check")) == []


def test_only_the_cache_module_imports_aiocache() -> None:
    found = [
        f"{imp.module}:{imp.line} imports {imp.target}"
        for imp in IMPORTS
        if under(imp.target, "aiocache") and imp.module not in AIOCACHE_ALLOWED
    ]

    assert found == []


def env_reads(tree: ast.Module) -> list[int]:
    """Lines touching the process environment: `os.environ`, `getenv`, `from os import …`."""
    lines: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ENV_NAMES:
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            lines += [node.lineno for alias in node.names if alias.name in ENV_NAMES]
    return sorted(lines)


def test_env_read_detector_finds_the_usual_spellings() -> None:
    code = "import os\nfrom os import environ\na = os.environ['X']\nb = os.getenv('Y')\n"

    assert env_reads(ast.parse(code)) == [2, 3, 4]


def test_only_config_reads_the_environment() -> None:
    found = {
        name: lines
        for name, tree in ALL.items()
        if name not in ENV_READERS_ALLOWED and (lines := env_reads(tree))
    }

    assert found == {}
