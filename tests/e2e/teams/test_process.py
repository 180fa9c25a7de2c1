"""The real process with Teams configured: `serviceops-bot` (and `python -m bot`) run with
the environment an operator sets, between the fakes (which run in the test's event loop).

Teams-only, it serves `/healthz` and `/api/messages` on PORT and files a ticket from a
message action; on SIGTERM it lets the ticket being filed finish and be announced, then
exits 0. With Slack configured too, one process serves both endpoints.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import httpx2

from tests.e2e.harness import Harness, created_view, text_of
from tests.e2e.teams.harness import ADA_EMAIL, dialog_card, submit_data, texts
from tests.e2e.test_process import BIN, ProcessLogs, free_port
from tests.fakes import teams_requests as tr
from tests.fakes.environment import bot_environment
from tests.fakes.serviceops_api import FakeServiceOps
from tests.fakes.slack_api import FakeSlack
from tests.fakes.teams_api import FakeTeams


def serviceops_environment(desk: FakeServiceOps) -> dict[str, str]:
    return {
        "SERVICEOPS_URL": desk.url,
        "SERVICEOPS_CLIENT_ID": desk.client_id,
        "SERVICEOPS_CLIENT_SECRET": desk.client_secret,
        "SERVICEOPS_USERNAME": desk.username,
        "SERVICEOPS_PASSWORD": desk.password,
    }


def process_env(settings: dict[str, str], port: int, home: Path) -> dict[str, str]:
    """Only what an operator would set (no inherited settings), plus where to listen."""
    return {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        **settings,
        "PORT": str(port),
        "HOST": "127.0.0.1",  # the process binds where it is told (loopback only here)
        "SERVICEOPS_CONNECT_TIMEOUT": "2",
        "SERVICEOPS_READ_TIMEOUT": "10",
        "LOG_FORMAT": "json",
    }


class Process:
    """A running bot process: its stderr as JSON log events, its URL."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        assert process.stderr is not None
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self.logs = ProcessLogs(process.stderr)

    async def stop(self) -> int:
        """SIGTERM, then the exit code (once stderr is read to its end)."""
        self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), 30)
        await self.logs.finished()
        return code

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


async def start(command: list[str], settings: dict[str, str], cwd: Path) -> Process:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=process_env(settings, port, cwd),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    running = Process(process, port)
    started = await running.logs.wait_for("server_started", timeout=30)
    assert started["port"] == port
    return running


async def teams_form(
    http: httpx2.AsyncClient, url: str, teams: FakeTeams, text: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """ "Create ticket" on a channel message: the fetch activity and the form it opened."""
    fetch = tr.message_action_fetch(f"<p>{text}</p>", bot=teams.bot)
    response = await tr.post_activity(http, url, fetch, teams.sign())
    assert response.status_code == 200, response.text
    return fetch, dialog_card(response.json())


async def teams_submit(
    http: httpx2.AsyncClient, url: str, teams: FakeTeams, fetch: dict[str, Any], form: Any
) -> dict[str, Any]:
    submit = tr.message_action_submit(
        submit_data(form), payload=fetch["value"]["messagePayload"], bot=teams.bot
    )
    response = await tr.post_activity(http, url, submit, teams.sign())
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def announced(teams: FakeTeams, number: str) -> list[Any]:
    return [c for c in teams.posted() if number in c.text]


async def test_teams_only_process_files_a_ticket_and_drains_on_sigterm(
    teams: FakeTeams, desk: FakeServiceOps, tmp_path: Path
) -> None:
    settings = {**teams.environment(), **serviceops_environment(desk)}
    bot = await start([str(BIN / "serviceops-bot")], settings, tmp_path)
    try:
        async with httpx2.AsyncClient(timeout=15) as http:
            health = await http.get(bot.url + "/healthz")
            assert health.status_code == 200
            slack = await http.post(bot.url + "/slack/events", content=b"{}")
            assert slack.status_code == 404  # Slack is not configured: not served

            fetch, form = await teams_form(http, bot.url, teams, "Printer on floor 2 is offline")
            answer = await teams_submit(http, bot.url, teams, fetch, form)
            [first] = desk.created
            assert first["requesterEmail"] == ADA_EMAIL
            assert first["subject"] == "Printer on floor 2 is offline"
            assert first["name"] in texts(answer)
            await teams.wait_for("send", where=lambda c: first["name"] in c.text, timeout=10)

            # The second ticket is still being filed when SIGTERM comes.
            desk.latency = 1.5
            fetch, form = await teams_form(http, bot.url, teams, "Scanner on floor 2 is offline")
            submitting = asyncio.create_task(teams_submit(http, bot.url, teams, fetch, form))
            async with asyncio.timeout(10):
                while len(desk.calls_of("create")) < 2:
                    await asyncio.sleep(0.02)
            code = await bot.stop()
            late = await submitting
    finally:
        await bot.kill()

    assert code == 0, bot.logs.text
    assert "Traceback" not in bot.logs.text
    assert [t["subject"] for t in desk.created] == [
        "Printer on floor 2 is offline",
        "Scanner on floor 2 is offline",
    ]
    second = desk.created[1]["name"]
    assert second in texts(late)  # the dialog was answered before the server closed
    assert len(announced(teams, first["name"])) == 1
    assert len(announced(teams, second)) == 1
    events = [line["event"] for line in bot.logs.events]  # every stderr line is a JSON object
    assert events.count("ticket_created") == 2
    assert bot.logs.named("shutting_down")[0]["in_flight"] == 1  # SIGTERM came mid-filing
    assert events.index("shutting_down") < len(events) - 1 - events[::-1].index("ticket_created")
    assert events[-1] == "stopped"
    assert "shutdown_abandoned_work" not in events
    assert teams.tokens_issued == 1  # warmed up once, used for every post


async def test_a_process_with_slack_and_teams_serves_both(
    slack: FakeSlack, teams: FakeTeams, desk: FakeServiceOps, tmp_path: Path
) -> None:
    settings = {**bot_environment(slack, desk), **teams.environment()}
    bot = await start([sys.executable, "-m", "bot", "run"], settings, tmp_path)
    try:
        async with httpx2.AsyncClient(timeout=15) as http:
            ready = await http.get(bot.url + "/readyz")
            assert ready.status_code == 200, ready.text
            assert set(ready.json()["checks"]) == {"serviceops", "slack", "teams"}

            # Slack, over HTTP mode: the app runs in the other process; the harness only
            # sends to it and reads the fakes.
            app = Harness(bot.url, slack, desk, bot=None, http=http)  # type: ignore[arg-type]
            assert (await app.command("Badge reader is broken")).status_code == 200
            view = await app.opened_view()
            submitted = await app.submit(view, subject="Badge reader is broken")
            assert submitted.json()["response_action"] == "update"
            await slack.wait_for("views.update", where=created_view, timeout=10)

            fetch, form = await teams_form(http, bot.url, teams, "Projector in room 4 is dark")
            answer = await teams_submit(http, bot.url, teams, fetch, form)

            by_subject = {t["subject"]: t for t in desk.created}
            assert set(by_subject) == {"Badge reader is broken", "Projector in room 4 is dark"}
            teams_ticket = by_subject["Projector in room 4 is dark"]["name"]
            assert teams_ticket in texts(answer)
            await teams.wait_for("send", where=lambda c: teams_ticket in c.text, timeout=10)
            slack_ticket = by_subject["Badge reader is broken"]["name"]
            posts = [c for c in slack.calls_to("chat.postMessage") if c.ok]
            assert [slack_ticket in text_of(c.args) for c in posts] == [True]
        code = await bot.stop()
    finally:
        await bot.kill()

    assert code == 0, bot.logs.text
    assert "Traceback" not in bot.logs.text
    assert desk.token_requests == 1  # one process, one core: one ServiceOps token
