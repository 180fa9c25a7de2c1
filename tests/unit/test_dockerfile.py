"""The container image: small base, unprivileged user, health check, no secrets baked in.

The Dockerfile is read with a small line parser (comments dropped, `\\` continuations joined)
that is enough for the instructions we check; nothing is built.
"""

from __future__ import annotations

import http.server
import json
import re
import socket
import subprocess
import sys
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
SECRET_WORDS = re.compile(r"token|secret|password|passwd|api_?key|credential", re.IGNORECASE)
SECRET_FILES = re.compile(r"(^|/)(\.env(\..*)?|.*\.pem|.*\.key|id_rsa.*|\.git.*)$")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int


def parse(text: str) -> list[Instruction]:
    """Instructions in order; comment lines dropped, continuation lines joined."""
    instructions: list[Instruction] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        pending += stripped
        keyword, _, args = pending.strip().partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
        pending = ""
    if pending:
        keyword, _, args = pending.strip().partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
    return instructions


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    """Instructions grouped by build stage, each group starting with its FROM."""
    groups: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            groups.append([])
        assert groups, f"line {instruction.line}: {instruction.keyword} before any FROM"
        groups[-1].append(instruction)
    return groups


@pytest.fixture(scope="module")
def instructions() -> list[Instruction]:
    return parse(DOCKERFILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def final(instructions: list[Instruction]) -> list[Instruction]:
    return stages(instructions)[-1]


def only(stage: list[Instruction], keyword: str) -> list[Instruction]:
    return [instruction for instruction in stage if instruction.keyword == keyword]


def test_parser_joins_continuations_and_drops_comments() -> None:
    parsed = parse("# hi\nFROM x:1 AS a\nRUN a \\\n    # inside\n    && b\n\nUSER  bot\n")

    assert [(i.keyword, i.args, i.line) for i in parsed] == [
        ("FROM", "x:1 AS a", 2),
        ("RUN", "a && b", 3),
        ("USER", "bot", 7),
    ]


def test_every_base_image_is_slim(instructions: list[Instruction]) -> None:
    bases = [i.args.split()[0] for i in instructions if i.keyword == "FROM"]

    assert bases
    for base in bases:
        assert re.fullmatch(r"python:3\.\d+(\.\d+)?-slim(-\w+)?(@sha256:[0-9a-f]{64})?", base), base


def test_final_stage_runs_as_non_root_user(final: list[Instruction]) -> None:
    users = only(final, "USER")

    assert users, "final stage has no USER"
    user = users[-1].args.split(":")[0]
    assert user not in ("root", "0")
    later = final[final.index(users[-1]) + 1 :]
    assert not [i for i in later if i.keyword == "USER"]


def test_final_stage_has_a_healthcheck(final: list[Instruction]) -> None:
    (check,) = only(final, "HEALTHCHECK")

    assert check.args.upper() != "NONE"
    assert " CMD " in f" {check.args} "
    assert "/healthz" in check.args


def test_entrypoint_runs_the_console_script(final: list[Instruction]) -> None:
    entrypoint = only(final, "ENTRYPOINT")[-1]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]

    command = json.loads(entrypoint.args)
    assert command[0] == "serviceops-bot"
    assert scripts["serviceops-bot"] == "bot.cli:main"


def test_no_add_instruction(instructions: list[Instruction]) -> None:
    assert only(instructions, "ADD") == []


def test_nothing_secret_is_copied(instructions: list[Instruction]) -> None:
    for copy in only(instructions, "COPY"):
        sources = [part for part in copy.args.split()[:-1] if not part.startswith("--")]
        assert sources, f"line {copy.line}: COPY without a source"
        for source in sources:
            assert source not in (".", "./"), f"line {copy.line} copies the whole context"
            assert not SECRET_FILES.search(source), f"line {copy.line} copies {source}"


def test_no_env_or_arg_sets_a_secret(instructions: list[Instruction]) -> None:
    for instruction in only(instructions, "ENV") + only(instructions, "ARG"):
        names = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)[= ]", instruction.args + " ")
        assert names
        for name in names:
            assert not SECRET_WORDS.search(name), f"line {instruction.line} sets {name}"


def test_dockerignore_excludes_env_and_git() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]

    assert ".env" in patterns
    assert ".git" in patterns
    assert ".env.*" in patterns
    assert "!.env" not in patterns


def healthcheck_command(final: list[Instruction]) -> list[str]:
    """The HEALTHCHECK's command in exec form, as Docker runs it."""
    (check,) = only(final, "HEALTHCHECK")
    command: list[str] = json.loads(check.args.partition("CMD")[2].strip())
    return command


class Health:
    """A loopback `/healthz` like the bot's, on a port of its own."""

    def __enter__(self) -> int:
        handler = type(
            "Handler",
            (http.server.BaseHTTPRequestHandler,),
            {
                "do_GET": lambda self: (self.send_response(200), self.end_headers()),
                "log_message": lambda self, *args: None,
            },
        )
        self.server = http.server.HTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return int(self.server.server_address[1])

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("serving", ["PORT", "HEALTH_PORT"])
def test_the_healthcheck_passes_whichever_port_serves_health(
    final: list[Instruction], serving: str
) -> None:
    """HTTP mode and Teams serve health on PORT, Socket Mode alone on HEALTH_PORT: the same
    check must pass in every mode (a placeholder SLACK_APP_TOKEN must not mislead it)."""
    command = healthcheck_command(final)
    with Health() as port:
        env = {"PORT": str(closed_port()), "HEALTH_PORT": str(closed_port()), serving: str(port)}
        env["SLACK_APP_TOKEN"] = "xapp-"
        result = subprocess.run(
            [sys.executable, *command[1:]], env=env, capture_output=True, timeout=20, check=False
        )

    assert command[0] == "python"
    assert result.returncode == 0, result.stderr


def test_the_healthcheck_fails_when_nothing_answers(final: list[Instruction]) -> None:
    command = healthcheck_command(final)
    env = {"PORT": str(closed_port()), "HEALTH_PORT": str(closed_port())}

    result = subprocess.run(
        [sys.executable, *command[1:]], env=env, capture_output=True, timeout=20, check=False
    )

    assert result.returncode == 1


def test_state_lives_in_a_volume_the_bot_user_can_write(final: list[Instruction]) -> None:
    volumes = [i.args for i in only(final, "VOLUME")]
    env = " ".join(i.args for i in only(final, "ENV"))

    assert any("/home/bot/data" in volume for volume in volumes)
    assert "STATE_URL=sqlite:////home/bot/data/" in env
