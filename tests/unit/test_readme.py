"""The README's pictures of the bot are the generated screens, not hand-drawn guesses."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_readme_pictures_are_generated_screens() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    screens = (ROOT / "docs" / "screens.md").read_text(encoding="utf-8")
    pictures = re.findall(r"```text\n.*?```", readme, re.S)
    assert len(pictures) >= 2, "the README shows the form and the thread reply"
    for picture in pictures:
        assert picture in screens, "README picture differs from docs/screens.md: regenerate"


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = next(line.strip() for line in readme.splitlines() if "pytest" in line)
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
