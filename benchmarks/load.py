"""Load benchmark: N people file tickets at once, on any surface; prints what it cost.

The bot runs as its own process (`python -m bot run`), exactly as deployed, between the test
suite's fakes (Slack, its Socket Mode, Teams, and ServiceOps), which run in this process on
loopback. It is started, probed until `GET /readyz` answers 200 (as an orchestrator does
before sending traffic), then driven. Nothing here asserts: it prints figures (and `--json`
prints them as one JSON object too).

- Slack over HTTP (`--surface slack`, the default): every person sends a signed `/ticket`,
  then submits the modal Slack opened for them; a ticket counts once it is announced in the
  channel and its modal shows it.
- Slack's Socket Mode (`--surface socket`): the same people and steps, but the bot runs
  `--mode socket`: the command and the submission are pushed as envelopes over the WebSocket
  the bot opened, and its acknowledgements come back over it.
- Teams (`--surface teams`): the bot is configured for Teams only. Every person uses "Create
  ticket" on a message in a channel (a signed `composeExtension/fetchTask`), then submits the
  form the answer shows (`composeExtension/submitAction`); a ticket counts once ServiceOps
  created it and its announcement was posted in the message's thread.
- Both (`--surface both`): one bot configured for Slack (HTTP) and Teams; N people on each,
  at the same time.
- ServiceOps' webhook (follow-through) has its own script with the same figures:
  `benchmarks/webhook.py`.

    python benchmarks/load.py                    # 100 people, ServiceOps answering in 2 s
    python benchmarks/load.py --surface socket   # the same over Socket Mode
    python benchmarks/load.py --surface teams    # the same through Teams' message action
    python benchmarks/load.py --people 20 --latency 0.5 --rounds 3
    python benchmarks/load.py --soak             # 5,000 tickets at a steady rate: growth

Run from the repository root with the test extra installed (`pip install -e '.[test]'`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import aiohttp

# The fakes live in the test suite; the benchmark reuses them rather than copying them. It is
# run as a script (`python benchmarks/load.py`), so the repository root is put on the path
# for `tests` to be importable.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.teams.harness import dialog_card, submit_data  # noqa: E402
from tests.fakes import slack_requests as sr  # noqa: E402
from tests.fakes import teams_api  # noqa: E402
from tests.fakes import teams_requests as tr  # noqa: E402
from tests.fakes.environment import bot_environment  # noqa: E402
from tests.fakes.serviceops_api import FakeServiceOps  # noqa: E402
from tests.fakes.slack_api import Call, FakeSlack  # noqa: E402
from tests.fakes.socket_mode import FakeSocketMode  # noqa: E402
from tests.fakes.teams_api import FakeTeams  # noqa: E402

SURFACES = ("slack", "socket", "teams", "both")
SURFACE_HELP = """surfaces:
  slack    Slack over HTTP: signed /ticket, then the modal's submission (POST /slack/events)
  socket   Slack's Socket Mode: the same, pushed over the bot's WebSocket, acked over it
  teams    Teams: "Create ticket" on a message, then the dialog's submission (/api/messages)
  both     one bot configured for Slack (HTTP) and Teams, N people on each at once
  webhook  ServiceOps' webhook (follow-through): python benchmarks/webhook.py --help
"""
SOAK_PEOPLE, SOAK_ROUNDS, SOAK_RAMP = 100, 50, 4.0
"""`--soak`: 100 people file 50 tickets each (5,000), each round spread over 4 s: a steady
rate of about 15 tickets a second with ServiceOps answering in 2 s."""
SAMPLE_ROUNDS = 5
"""With `--rounds` above this, the figures of the first and last this many rounds are
compared (CPU per ticket, RSS, cache entries): cost that grows with use shows."""
CHANNEL = "C0BENCH1"
TEAMS_CHANNEL = tr.channel(name="Bench")
"""Where the Teams people use "Create ticket": a channel, so each ticket is announced in the
thread of the message it was filed from."""
TEAMS_AUTHOR = tr.GRACE
"""Who wrote the messages tickets are filed from (a colleague of the people filing)."""
TEAMS_FILED = "Ticket created"
TEAMS_CREATING = "New ticket"
"""Dialog titles of a submit's answer: the outcome came in time, or filing goes on (the
number then comes only in the thread)."""
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
HEALTH_TIMEOUT = 30.0
STOP_TIMEOUT = 40.0
"""The bot drains work for up to 25 s on SIGTERM; past this it is killed (and reported)."""
FOLLOW_TIMEOUT = 24 * 3600.0
"""`FakeSlack.wait_for` needs a timeout; the watchers are cancelled long before this one."""


@dataclass
class Figures:
    command_ms: list[float] = field(default_factory=list)
    """Slack: the `/ticket` acks; Teams: the answers to "Create ticket" (the form)."""
    submit_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    """Teams: the submits' answers by the title of the dialog they show."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (utime + stime of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size (VmHWM of /proc/<pid>/status)."""
    return _status_mb(pid, "VmHWM:")


def rss_mb(pid: int) -> float:
    """The process's resident set size now (VmRSS of /proc/<pid>/status)."""
    return _status_mb(pid, "VmRSS:")


def _status_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return float("nan")


CACHE_ENTRIES = "serviceops_bot_cache_entries "


async def cache_entries(http: aiohttp.ClientSession, url: str) -> float:
    """How many entries the bot's in-process cache holds (its `/metrics`)."""
    async with http.get(url + "/metrics") as answer:
        text = await answer.text()
    for line in text.splitlines():
        if line.startswith(CACHE_ENTRIES):
            return float(line.removeprefix(CACHE_ENTRIES))
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(q / 100 * len(ordered)))) - 1]


Follower = Callable[[int], Awaitable[list[Any]]]
"""`seen` -> the calls the fake answered after the first `seen`, once there is one."""


class Watcher:
    """Hands each person the calls of the bot (to the fake Slack or Teams) meant for them.

    One task follows every call the fake records, each looked at once; a person registers
    what it expects (by method and trigger id, subject, view id or thread) before sending
    the request that causes it. Per-person waits would each rescan every call on every new
    one, and the driver, not the bot, would become what the figures measure (in a long run
    most of all).
    """

    def __init__(
        self,
        new_calls: Follower,
        method_of: Callable[[Any], str],
        keys: dict[str, Callable[[Any], Any]],
    ) -> None:
        self._new_calls = new_calls
        self._method_of = method_of
        self._keys = keys
        self._expected: dict[tuple[str, str], asyncio.Future[Any]] = {}
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def of_slack(cls, slack: FakeSlack) -> Watcher:
        async def new_calls(seen: int) -> list[Call]:
            return await slack.new_calls(seen, timeout=FOLLOW_TIMEOUT)

        return cls(
            new_calls,
            lambda c: str(c.method),
            {
                "views.open": lambda c: c.args.get("trigger_id"),
                "chat.postMessage": _announced_subject,
                "views.update": lambda c: c.args.get("view_id"),
            },
        )

    @classmethod
    def of_teams(cls, teams: FakeTeams) -> Watcher:
        async def new_calls(seen: int) -> list[teams_api.Call]:
            return await teams.new_calls(seen, timeout=FOLLOW_TIMEOUT)

        # An announcement is a reply in the thread of the message the ticket was filed from.
        return cls(new_calls, lambda c: str(c.kind), {"send": lambda c: c.thread_root})

    def start(self, seen: int = 0) -> None:
        """Follow the calls after the first `seen`."""
        self._task = asyncio.create_task(self._follow(seen))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def expect(self, method: str, key: str) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._expected[(method, key)] = future
        return future

    async def _follow(self, seen: int) -> None:
        while True:
            calls = await self._new_calls(seen)
            for call in calls:
                method = self._method_of(call)
                key_of = self._keys.get(method)
                if key_of is None:
                    continue
                future = self._expected.pop((method, str(key_of(call))), None)
                if future is not None and not future.done():
                    future.set_result(call)
            seen += len(calls)


def _announced_subject(call: Call) -> str | None:
    """The subject of "<@U…> created ticket <url|INC-12>: subject" (the announcement)."""
    text = str(call.args.get("text", ""))
    return text.rpartition(": ")[2] if call.ok and " created ticket " in text else None


def process_environment(slack: FakeSlack, desk: FakeServiceOps, port: int) -> dict[str, str]:
    return {
        **_base_environment(port),
        **bot_environment(slack, desk),
    }


def socket_process_environment(
    slack: FakeSlack, socket_mode: FakeSocketMode, desk: FakeServiceOps, port: int
) -> dict[str, str]:
    """A Slack bot in Socket Mode (no signing secret); health and metrics on HEALTH_PORT."""
    env = {
        **_base_environment(port),
        **bot_environment(slack, desk),
        "SLACK_APP_TOKEN": socket_mode.app_token,
        "HEALTH_PORT": str(port),
    }
    del env["SLACK_SIGNING_SECRET"], env["PORT"]
    return env


def teams_process_environment(teams: FakeTeams, desk: FakeServiceOps, port: int) -> dict[str, str]:
    """A Teams-only bot (no Slack setting at all) talking to `teams` and `desk`."""
    return {
        **_base_environment(port),
        **teams.environment(),
        **serviceops_environment(desk),
    }


def _base_environment(port: int) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(ROOT),
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }


def serviceops_environment(desk: FakeServiceOps) -> dict[str, str]:
    """The ServiceOps settings of `bot_environment`, without its Slack ones."""
    return {
        "SERVICEOPS_URL": desk.url,
        "SERVICEOPS_CLIENT_ID": desk.client_id,
        "SERVICEOPS_CLIENT_SECRET": desk.client_secret,
        "SERVICEOPS_USERNAME": desk.username,
        "SERVICEOPS_PASSWORD": desk.password,
    }


PROFILED = """
import cProfile, runpy, signal, sys
output, sys.argv = sys.argv[1], ["bot", *sys.argv[2:]]
profile = cProfile.Profile()
signal.signal(signal.SIGUSR1, lambda *_: profile.enable())
try:
    runpy.run_module("bot", run_name="__main__", alter_sys=True)
finally:
    profile.disable()
    profile.dump_stats(output)
"""
"""`python -m bot` under cProfile, profiling from SIGUSR1 on (the driven part, not start-up)."""


async def start_bot(
    env: dict[str, str],
    workdir: str,
    log: IO[bytes],
    profile: str | None = None,
    mode: str = "http",
) -> asyncio.subprocess.Process:
    """`python -m bot run --mode MODE` in an empty directory (no stray `.env` is read)."""
    launch = ["-c", PROFILED, str(Path(profile).resolve())] if profile else ["-m", "bot"]
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *launch,
        "run",
        "--mode",
        mode,
        env=env,
        cwd=workdir,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )


async def wait_healthy(
    http: aiohttp.ClientSession,
    url: str,
    bot: asyncio.subprocess.Process,
    path: str = "/healthz",
) -> None:
    """Until `GET path` answers 200 (RuntimeError if the bot exits or takes too long)."""
    deadline = time.monotonic() + HEALTH_TIMEOUT
    while time.monotonic() < deadline:
        if bot.returncode is not None:
            raise RuntimeError(f"the bot exited with {bot.returncode} before it was healthy")
        try:
            async with http.get(url + path) as answer:
                if answer.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.02)
    raise RuntimeError(f"{path} did not answer 200 within {HEALTH_TIMEOUT:g} s")


SlackSend = Callable[[str, sr.SlackRequest], Awaitable[tuple[float, int, dict[str, Any]]]]
"""`(envelope type, request)` -> (round trip in ms, status, the answer's JSON): how a Slack
request reaches the bot, over HTTP or over Socket Mode."""


def http_sender(http: aiohttp.ClientSession, url: str) -> SlackSend:
    async def send(_: str, request: sr.SlackRequest) -> tuple[float, int, dict[str, Any]]:
        ms, status, content = await post(http, url, request)
        return ms, status, json.loads(content) if content and status == 200 else {}

    return send


def socket_sender(socket_mode: FakeSocketMode) -> SlackSend:
    """Push the request's payload as an envelope; the round trip lasts until its ack."""

    async def send(kind: str, request: sr.SlackRequest) -> tuple[float, int, dict[str, Any]]:
        payload = request.payload()
        started = time.perf_counter()
        envelope = await socket_mode.push(kind, payload)
        ack = await socket_mode.acknowledged(envelope)
        return (time.perf_counter() - started) * 1000, 200, ack.get("payload") or {}

    return send


async def post(
    http: aiohttp.ClientSession, url: str, request: sr.SlackRequest
) -> tuple[float, int, bytes]:
    """POST a signed request to `/slack/events`: (round trip in ms, status, body)."""
    body, headers = request
    started = time.perf_counter()
    async with http.post(url + "/slack/events", data=body, headers=headers) as answer:
        content = await answer.read()
    return (time.perf_counter() - started) * 1000, answer.status, content


async def person(
    index: int,
    round_no: int,
    slack: FakeSlack,
    watcher: Watcher,
    send: SlackSend,
    figures: Figures,
    timeout: float,
    delay: float = 0.0,
    over_socket: bool = False,
) -> None:
    """One person: `/ticket`, submit the modal, wait until the ticket is announced and shown."""
    await asyncio.sleep(delay)
    user = f"U0P{index:05d}"
    subject = f"Printer {index} jammed (round {round_no})"
    step = "opening the modal"
    try:
        trigger = slack.new_trigger_id()
        opened = watcher.expect("views.open", trigger)
        request = sr.slash_command(
            subject,
            user_id=user,
            channel_id=CHANNEL,
            trigger_id=trigger,
            response_url=slack.response_url(),
        )
        ms, status, _ = await asyncio.wait_for(send("slash_commands", request), timeout)
        figures.command_ms.append(ms)
        if status != 200:
            figures.errors.append(f"{user}: the command was answered {status}")
            return
        call = await asyncio.wait_for(opened, timeout)
        if not call.ok:
            figures.errors.append(f"{user}: views.open failed with {call.error}")
            return
        view = slack.views[call.response["view"]["id"]]
        values = sr.form_values(view=view, subject=subject, description="Paper stuck in tray 2")
        announced = watcher.expect("chat.postMessage", subject)
        shown = watcher.expect("views.update", view["id"])
        step = "submitting"
        submission = sr.view_submission(view, values, user_id=user)
        ms, status, reply = await asyncio.wait_for(send("interactive", submission), timeout)
        figures.submit_ms.append(ms)
        if status != 200:
            figures.errors.append(f"{user}: the submission was answered {status}")
            return
        if reply.get("response_action") == "update" and not over_socket:
            # What Slack does with the ack (the fake Socket Mode applies it by itself).
            slack.replace_view(view["id"], reply["view"])
        step = "waiting for the announcement"
        await asyncio.wait_for(announced, timeout)
        step = "waiting for the modal to show the ticket"
        call = await asyncio.wait_for(shown, timeout)
        title = (call.args.get("view") or {}).get("title", {}).get("text")
        if not call.ok or title != "Ticket created":
            figures.errors.append(f"{user}: the modal ended as {title!r} ({call.error or 'ok'})")
    except TimeoutError:
        figures.errors.append(f"{user}: nothing happened within {timeout:g} s while {step}")


RoundDone = Callable[[], Awaitable[None]]
"""Called after each round (the benchmark samples the bot's CPU, RSS and cache there)."""


async def _nothing() -> None:
    return None


async def drive(
    people: int,
    rounds: int,
    ramp: float,
    slack: FakeSlack,
    http: aiohttp.ClientSession,
    url: str,
    figures: Figures,
    timeout: float,
    *,
    send: SlackSend | None = None,
    over_socket: bool = False,
    round_done: RoundDone = _nothing,
    first_round: int = 0,
) -> None:
    """`people` people on Slack, `rounds` times (numbered from `first_round`); over HTTP at
    `url` unless `send` is given."""
    send = send if send is not None else http_sender(http, url)
    watcher = Watcher.of_slack(slack)
    watcher.start(len(slack.calls))
    try:
        for round_no in range(first_round, first_round + rounds):
            await asyncio.gather(
                *(
                    person(
                        i,
                        round_no,
                        slack,
                        watcher,
                        send,
                        figures,
                        timeout,
                        ramp * i / people,
                        over_socket,
                    )
                    for i in range(people)
                )
            )
            await round_done()
    finally:
        await watcher.stop()


# --------------------------------------------------------------------------- Teams


async def post_activity(
    http: aiohttp.ClientSession, url: str, activity: dict[str, Any], token: str
) -> tuple[float, int, bytes]:
    """POST a signed activity to `/api/messages`: (round trip in ms, status, body)."""
    body, headers = tr.signed(activity, token)
    started = time.perf_counter()
    async with http.post(url + "/api/messages", data=body, headers=headers) as answer:
        content = await answer.read()
    return (time.perf_counter() - started) * 1000, answer.status, content


def dialog_title(answer: dict[str, Any]) -> str:
    """The title of the dialog an invoke's answer shows (a message box: "message: <text>")."""
    task = answer.get("task") or {}
    value = task.get("value")
    if task.get("type") == "message" or not isinstance(value, dict):
        return f"message: {value}"
    return str(value.get("title") or "")


async def teams_person(
    index: int,
    round_no: int,
    sender: tr.PersonLike,
    teams: FakeTeams,
    watcher: Watcher,
    http: aiohttp.ClientSession,
    url: str,
    token: str,
    figures: Figures,
    timeout: float,
    delay: float = 0.0,
) -> None:
    """One person: "Create ticket" on a message, submit the form, wait for the announcement."""
    await asyncio.sleep(delay)
    who = f"person {index}"
    subject = f"Scanner {index} offline (round {round_no})"  # not a Slack person's subject
    step = "opening the form"
    try:
        fetch = tr.message_action_fetch(
            f"<p>{subject}</p><p>Paper stuck in tray 2</p>",
            author=TEAMS_AUTHOR,
            conversation=TEAMS_CHANNEL,
            sender=sender,
            bot=teams.bot,
        )
        ms, status, content = await post_activity(http, url, fetch, token)
        figures.command_ms.append(ms)
        if status != 200:
            figures.errors.append(f"{who}: the message action was answered {status}")
            return
        answer = json.loads(content)
        if (answer.get("task") or {}).get("type") != "continue":
            figures.errors.append(f"{who}: no form, but {dialog_title(answer)!r}")
            return
        payload = fetch["value"]["messagePayload"]
        submit = tr.message_action_submit(
            submit_data(dialog_card(answer)),  # the form as shown, prefilled from the message
            payload=payload,
            conversation=TEAMS_CHANNEL,
            sender=sender,
            bot=teams.bot,
        )
        announced = watcher.expect("send", str(payload["id"]))
        step = "submitting"
        ms, status, content = await post_activity(http, url, submit, token)
        figures.submit_ms.append(ms)
        if status != 200:
            figures.errors.append(f"{who}: the submission was answered {status}")
            return
        title = dialog_title(json.loads(content))
        figures.answers[title] += 1
        if title not in (TEAMS_FILED, TEAMS_CREATING):
            figures.errors.append(f"{who}: the submission was answered {title!r}")
            return
        step = "waiting for the announcement"
        call = await asyncio.wait_for(announced, timeout)
        if not call.ok or " created ticket " not in call.text:
            shown = f"{call.text[:80]!r} ({call.error or 'ok'})"
            figures.errors.append(f"{who}: the thread got {shown}")
    except TimeoutError:
        figures.errors.append(f"{who}: nothing happened within {timeout:g} s while {step}")
    except (ValueError, KeyError, TypeError, AssertionError) as exc:  # an answer unlike Teams'
        figures.errors.append(f"{who}: unreadable answer while {step}: {exc!r:.200}")


async def drive_teams(
    people: list[tr.PersonLike],
    rounds: int,
    ramp: float,
    teams: FakeTeams,
    http: aiohttp.ClientSession,
    url: str,
    token: str,
    figures: Figures,
    timeout: float,
    round_done: RoundDone = _nothing,
    first_round: int = 0,
) -> None:
    watcher = Watcher.of_teams(teams)
    watcher.start(len(teams.calls))
    try:
        for round_no in range(first_round, first_round + rounds):
            await asyncio.gather(
                *(
                    teams_person(
                        i,
                        round_no,
                        sender,
                        teams,
                        watcher,
                        http,
                        url,
                        token,
                        figures,
                        timeout,
                        ramp * i / len(people),
                    )
                    for i, sender in enumerate(people)
                )
            )
            await round_done()
    finally:
        await watcher.stop()


# --------------------------------------------------------------------------- the run


async def stop_bot(bot: asyncio.subprocess.Process) -> None:
    """SIGTERM, as a container runtime stops it; killed only if it does not exit in time."""
    if bot.returncode is None:
        bot.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(bot.wait(), STOP_TIMEOUT)
    except TimeoutError:
        bot.kill()
        await bot.wait()


@dataclass
class Sample:
    """The bot's and this process's CPU, the bot's RSS and cache entries at one moment."""

    cpu: float
    driver_cpu: float
    rss: float
    cache: float


@dataclass
class Cost:
    """What driving the bot took: wall time, CPU of the bot and of this process, peak RSS,
    start-up time, and a `Sample` before the first round and after each round."""

    elapsed: float = float("nan")
    cpu: float = float("nan")
    driver_cpu: float = float("nan")
    rss: float = float("nan")
    startup: float = float("nan")
    exit_code: int | None = None
    samples: list[Sample] = field(default_factory=list)


Drive = Callable[[aiohttp.ClientSession, str, RoundDone], Awaitable[None]]
"""`(http, url, round_done)`: drive the people, calling `round_done` after each round."""


async def measure(
    env: dict[str, str],
    port: int,
    figures: Figures,
    drive_people: Drive,
    profile: str | None,
    deadline: float,
    *,
    desk: FakeServiceOps,
    latency: float,
    mode: str = "http",
) -> Cost:
    """Start the bot with `env`, wait until `/readyz` answers 200 (ServiceOps answering at
    once meanwhile: start-up is timed, not the fake's latency), then give ServiceOps its
    `latency`, measure `drive_people`, stop the bot with SIGTERM. Errors land in `figures`
    (with the end of the bot's log)."""
    cost = Cost()
    url = f"http://127.0.0.1:{port}"
    desk.latency = 0.0
    with tempfile.TemporaryDirectory() as workdir, tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        bot = await start_bot(env, workdir, log, profile, mode)
        # No limit on the driver's connections: Slack and Teams do not queue requests either.
        connector = aiohttp.TCPConnector(limit=0)
        try:
            async with (
                asyncio.timeout(deadline),
                aiohttp.ClientSession(
                    connector=connector, timeout=aiohttp.ClientTimeout(total=60)
                ) as http,
            ):
                await wait_healthy(http, url, bot, "/readyz")
                cost.startup = time.perf_counter() - started
                desk.latency = latency

                async def sample() -> None:
                    cache = await cache_entries(http, url)
                    cpu, rss = cpu_seconds(bot.pid), rss_mb(bot.pid)
                    cost.samples.append(Sample(cpu, own_cpu_seconds(), rss, cache))

                await sample()
                if profile:
                    bot.send_signal(signal.SIGUSR1)  # the profile covers the driven part
                started = time.perf_counter()
                try:
                    await drive_people(http, url, sample)
                finally:
                    cost.elapsed = time.perf_counter() - started
                    cost.cpu = cpu_seconds(bot.pid) - cost.samples[0].cpu
                    cost.driver_cpu = own_cpu_seconds() - cost.samples[0].driver_cpu
                    cost.rss = peak_rss_mb(bot.pid)
        except TimeoutError:
            figures.errors.insert(0, f"the run did not finish within {deadline:g} s")
        except (RuntimeError, aiohttp.ClientError, OSError) as exc:
            figures.errors.insert(0, f"{type(exc).__name__}: {exc}")
        finally:
            await stop_bot(bot)
        cost.exit_code = bot.returncode
        if figures.errors or bot.returncode != 0:
            figures.errors += bot_log_tail(log)
    return cost


def bot_log_tail(log: IO[bytes], lines: int = 20) -> list[str]:
    """The end of the bot's log, each line marked as the bot's, for a run's errors."""
    log.seek(0)
    return [f"bot: {line}" for line in log.read().decode(errors="replace").splitlines()[-lines:]]


def step_timeout(people: int, latency: float) -> float:
    return 30 + latency * 4 * math.ceil(people / 50)


def cost_figures(cost: Cost, tickets: int) -> dict[str, Any]:
    """The figures of `cost` for `tickets` tickets, and how they moved from the first rounds
    to the last (`growth`)."""
    return {
        "tickets_per_second": round(tickets / cost.elapsed, 2),
        "wall_seconds": round(cost.elapsed, 2),
        "cpu_ms_per_ticket": round(cost.cpu / tickets * 1000, 2),
        "driver_cpu_ms_per_ticket": round(cost.driver_cpu / tickets * 1000, 2),
        "peak_rss_mb": round(cost.rss, 1),
        "startup_to_ready_s": round(cost.startup, 2),
        "growth": growth(cost.samples, tickets),
    }


def growth(samples: list[Sample], tickets: int) -> dict[str, Any]:
    """The first and the last `SAMPLE_ROUNDS` rounds (fewer in a short run) compared: CPU
    per ticket of the bot and of the driver, and the bot's RSS and cache entries after
    each; with one round, only the start and the end."""
    rounds = len(samples) - 1
    if rounds < 1:
        return {}
    per_round = tickets / rounds
    k = max(1, min(SAMPLE_ROUNDS, rounds // 2))
    first, last = samples[: k + 1], samples[-k - 1 :]

    def per_ticket(window: list[Sample], what: str) -> float:
        spent: float = getattr(window[-1], what) - getattr(window[0], what)
        return round(spent / (k * per_round) * 1000, 2)

    return {
        "rounds_compared": k,
        "cpu_ms_per_ticket": [per_ticket(first, "cpu"), per_ticket(last, "cpu")],
        "driver_cpu_ms_per_ticket": [
            per_ticket(first, "driver_cpu"),
            per_ticket(last, "driver_cpu"),
        ],
        "rss_mb": [round(samples[0].rss, 1), round(samples[k].rss, 1), round(samples[-1].rss, 1)],
        "cache_entries": [samples[0].cache, samples[k].cache, samples[-1].cache],
    }


def _slack_people(slack: FakeSlack, people: int) -> None:
    slack.add_channel(CHANNEL, member=True, name="bench")
    for index in range(people):
        slack.add_user(f"U0P{index:05d}", email=f"person{index}@example.com")


def _slack_figures(
    slack: FakeSlack, calls_before: int, figures: Figures, people: int, tickets: int
) -> dict[str, Any]:
    """Slack's side of a run; its calls are those made while people filed."""
    calls = slack.calls[calls_before:]
    return {
        "command_ack_ms": _spread(figures.command_ms),
        "submission_ack_ms": _spread(figures.submit_ms),
        "users_info_calls": sum(1 for c in calls if c.method == "users.info"),
        "submissions": len(figures.submit_ms),
        "tickets": tickets,
        "people": people,
        "slack_calls": len(calls),
        "slack_calls_by_method": dict(sorted(Counter(c.method for c in calls).items())),
        "slack_new_connections": slack.connections_opened,
    }


def _desk_figures(desk: FakeServiceOps) -> dict[str, Any]:
    creates = len(desk.created)
    return {
        "serviceops_token_requests": desk.token_requests,
        "creates": creates,
        "duplicates": creates - len({c["subject"] for c in desk.created}),
        "serviceops_calls": len(desk.calls),
        "serviceops_new_connections": desk.connections_opened,
    }


async def run(
    people: int,
    latency: float,
    rounds: int,
    ramp: float = 0.0,
    profile: str | None = None,
    deadline: float = 600.0,
    socket: bool = False,
) -> dict[str, Any]:
    """Run the Slack benchmark, over HTTP or (`socket`) Socket Mode; every figure in a dict
    (see `report`). Ends within about `deadline` + `STOP_TIMEOUT` seconds whatever happens."""
    figures = Figures()
    async with FakeSlack() as slack, FakeSocketMode(slack) as socket_mode, FakeServiceOps() as desk:
        _slack_people(slack, people)
        port = free_port()
        timeout = step_timeout(people, latency)
        calls_before = 0

        async def drive_people(http: aiohttp.ClientSession, url: str, done: RoundDone) -> None:
            nonlocal calls_before
            calls_before = len(slack.calls)
            send = socket_sender(socket_mode) if socket else None
            await drive(
                people,
                rounds,
                ramp,
                slack,
                http,
                url,
                figures,
                timeout,
                send=send,
                over_socket=socket,
                round_done=done,
            )

        if socket:
            env = socket_process_environment(slack, socket_mode, desk, port)
        else:
            env = process_environment(slack, desk, port)
        mode = "socket" if socket else "http"
        cost = await measure(
            env,
            port,
            figures,
            drive_people,
            profile,
            deadline,
            desk=desk,
            latency=latency,
            mode=mode,
        )
        tickets = people * rounds
        return {
            "surface": "socket" if socket else "slack",
            "people": people,
            "rounds": rounds,
            "serviceops_latency_s": latency,
            "ramp_s": ramp,
            **_slack_figures(slack, calls_before, figures, people, tickets),
            **cost_figures(cost, tickets),
            **_desk_figures(desk),
            "socket_mode_connections": socket_mode.connections_opened,
            "errors": figures.errors[:30],
            "bot_exit_code": cost.exit_code,
        }


def _teams_people(teams: FakeTeams, people: int) -> list[tr.PersonLike]:
    senders: list[tr.PersonLike] = []
    for index in range(people):
        who = tr.person(f"Bench Person {index}")
        senders.append(who)
        teams.add_user(
            who.id,
            name=who.name,
            email=f"person{index}@example.com",
            aad_object_id=who.aad_object_id,
        )
    teams.add_user(
        TEAMS_AUTHOR.id,
        name=TEAMS_AUTHOR.name,
        email="grace@example.com",
        aad_object_id=TEAMS_AUTHOR.aad_object_id,
    )
    return senders


def _teams_figures(teams: FakeTeams, figures: Figures, people: int, tickets: int) -> dict[str, Any]:
    members = len(teams.members_calls)
    announced = [c for c in teams.posted() if " created ticket " in c.text]
    return {
        "open_answer_ms": _spread(figures.command_ms),
        "submit_answer_ms": _spread(figures.submit_ms),
        "people": people,
        "tickets": tickets,
        "login_token_requests": teams.token_requests,
        "members_calls": members,
        "members_calls_per_person": round(members / people, 2),
        "submissions": len(figures.submit_ms),
        "submit_answers": dict(sorted(figures.answers.items())),
        "announcements": len(announced),
        "teams_calls": len(teams.calls),
        "teams_calls_by_kind": dict(sorted(Counter(c.kind for c in teams.calls).items())),
        "teams_failed_calls": sum(1 for c in teams.calls if not c.ok),
    }


def _bot_token(teams: FakeTeams, deadline: float) -> str:
    # Signed before the clock starts, and reused: the Bot Connector reuses its token for
    # every activity within the token's lifetime, and signing one per activity (RS256)
    # would make the driver's CPU, not the bot's, what the latencies measure.
    return teams.sign(expires_in=int(deadline + STOP_TIMEOUT + 3600))


async def run_teams(
    people: int,
    latency: float,
    rounds: int,
    ramp: float = 0.0,
    profile: str | None = None,
    deadline: float = 600.0,
) -> dict[str, Any]:
    """Run the Teams benchmark; every figure in a dict (see `report_teams`). Ends within
    about `deadline` + `STOP_TIMEOUT` seconds whatever happens."""
    figures = Figures()
    async with FakeTeams() as teams, FakeServiceOps() as desk:
        senders = _teams_people(teams, people)
        port = free_port()
        timeout = step_timeout(people, latency)
        token = _bot_token(teams, deadline)

        async def drive_people(http: aiohttp.ClientSession, url: str, done: RoundDone) -> None:
            await drive_teams(
                senders, rounds, ramp, teams, http, url, token, figures, timeout, done
            )

        env = teams_process_environment(teams, desk, port)
        cost = await measure(
            env, port, figures, drive_people, profile, deadline, desk=desk, latency=latency
        )
        tickets = people * rounds
        return {
            "surface": "teams",
            "rounds": rounds,
            "serviceops_latency_s": latency,
            "ramp_s": ramp,
            **_teams_figures(teams, figures, people, tickets),
            **cost_figures(cost, tickets),
            **_desk_figures(desk),
            "errors": figures.errors[:30],
            "bot_exit_code": cost.exit_code,
        }


async def run_both(
    people: int,
    latency: float,
    rounds: int,
    ramp: float = 0.0,
    profile: str | None = None,
    deadline: float = 600.0,
) -> dict[str, Any]:
    """One bot configured for Slack (HTTP) and Teams; `people` people on each at once."""
    slack_figures, teams_figures = Figures(), Figures()
    async with FakeSlack() as slack, FakeTeams() as teams, FakeServiceOps() as desk:
        _slack_people(slack, people)
        senders = _teams_people(teams, people)
        port = free_port()
        timeout = step_timeout(2 * people, latency)
        token = _bot_token(teams, deadline)
        calls_before = 0

        async def drive_people(http: aiohttp.ClientSession, url: str, done: RoundDone) -> None:
            nonlocal calls_before
            calls_before = len(slack.calls)
            for round_no in range(rounds):  # both surfaces at once, round by round
                await asyncio.gather(
                    drive(
                        *(people, 1, ramp, slack, http, url, slack_figures, timeout),
                        first_round=round_no,
                    ),
                    drive_teams(
                        *(senders, 1, ramp, teams, http, url, token, teams_figures, timeout),
                        first_round=round_no,
                    ),
                )
                await done()

        env = {**process_environment(slack, desk, port), **teams.environment()}
        figures = Figures()
        cost = await measure(
            env, port, figures, drive_people, profile, deadline, desk=desk, latency=latency
        )
        errors = figures.errors + slack_figures.errors + teams_figures.errors
        tickets = people * rounds
        return {
            "surface": "both",
            "people": people,
            "rounds": rounds,
            "serviceops_latency_s": latency,
            "ramp_s": ramp,
            "slack": _slack_figures(slack, calls_before, slack_figures, people, tickets),
            "teams": _teams_figures(teams, teams_figures, people, tickets),
            **cost_figures(cost, 2 * tickets),
            **_desk_figures(desk),
            "errors": errors[:30],
            "bot_exit_code": cost.exit_code,
        }


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(values, 50), 1),
        "p95": round(percentile(values, 95), 1),
        "p99": round(percentile(values, 99), 1),
        "max": round(max(values, default=float("nan")), 1),
        "mean": round(statistics.fmean(values), 1) if values else float("nan"),
    }


def _print_spreads(result: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        s = result[name]
        print(
            f"  {name:<24} p50 {s['p50']:>7} ms  p95 {s['p95']:>7} ms  "
            f"p99 {s['p99']:>7} ms  max {s['max']:>7} ms"
        )


def _print_rows(rows: list[tuple[str, Any]]) -> None:
    for label, value in rows:
        print(f"  {label:<30} {value}")


def _cost_rows(result: dict[str, Any]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("tickets per second", result["tickets_per_second"]),
        ("wall time", f"{result['wall_seconds']} s"),
        ("CPU per ticket (bot)", f"{result['cpu_ms_per_ticket']} ms"),
        ("CPU per ticket (driver, fakes)", f"{result['driver_cpu_ms_per_ticket']} ms"),
        ("peak RSS (bot)", f"{result['peak_rss_mb']} MB"),
        ("start-up to /readyz 200", f"{result['startup_to_ready_s']} s"),
    ]
    grown = result["growth"]
    if grown:
        k = grown["rounds_compared"]
        cpu, driver = grown["cpu_ms_per_ticket"], grown["driver_cpu_ms_per_ticket"]
        rss, cache = grown["rss_mb"], grown["cache_entries"]
        rows += [
            (
                f"CPU per ticket, first/last {k} round(s)",
                f"bot {cpu[0]} / {cpu[1]} ms, driver {driver[0]} / {driver[1]} ms",
            ),
            ("RSS: ready, after, end", f"{rss[0]} / {rss[1]} / {rss[2]} MB"),
            ("cache entries: ready, after, end", f"{cache[0]:g} / {cache[1]:g} / {cache[2]:g}"),
        ]
    return rows


def _desk_rows(result: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        ("ServiceOps token requests", result["serviceops_token_requests"]),
        ("duplicates", result["duplicates"]),
        (
            "ServiceOps: new connections",
            f"{result['serviceops_new_connections']} for {result['serviceops_calls']} calls",
        ),
    ]


def _slack_rows(slack: dict[str, Any], creates: int) -> list[tuple[str, Any]]:
    return [
        ("users.info calls", f"{slack['users_info_calls']} for {slack['people']} people"),
        ("creates", f"{creates} for {slack['submissions']} of {slack['tickets']} submitted"),
        (
            "Slack: new connections",
            f"{slack['slack_new_connections']} (for {slack['slack_calls']} calls while filing)",
        ),
        (
            "Slack calls by method",
            ", ".join(f"{m} {n}" for m, n in slack["slack_calls_by_method"].items()),
        ),
    ]


def _teams_rows(teams: dict[str, Any], creates: int) -> list[tuple[str, Any]]:
    answers = ", ".join(f"{title} {n}" for title, n in teams["submit_answers"].items())
    return [
        ("login token requests", teams["login_token_requests"]),
        (
            "members calls",
            f"{teams['members_calls']} for {teams['people']} people "
            f"({teams['members_calls_per_person']} per person)",
        ),
        ("submit answers", answers or "none"),
        ("creates", f"{creates} for {teams['submissions']} of {teams['tickets']} submitted"),
        ("announcements", teams["announcements"]),
        (
            "Teams calls by kind",
            ", ".join(f"{k} {n}" for k, n in teams["teams_calls_by_kind"].items()),
        ),
        ("Teams calls refused", teams["teams_failed_calls"]),
    ]


def _headline(result: dict[str, Any], label: str) -> None:
    print(
        f"{label}{result['people']} people x {result['rounds']} round(s), "
        f"ServiceOps latency {result['serviceops_latency_s']} s, "
        f"arrivals spread over {result['ramp_s']} s"
    )


def _errors(result: dict[str, Any]) -> None:
    print(f"  {'bot exit code after SIGTERM':<30} {result['bot_exit_code']}")
    for error in result["errors"]:
        print(f"  error: {error}")


def report(result: dict[str, Any]) -> None:
    """Slack over HTTP or Socket Mode."""
    socket = result["surface"] == "socket"
    _headline(result, "Slack Socket Mode: " if socket else "")
    _print_spreads(result, ("command_ack_ms", "submission_ack_ms"))
    rows = _cost_rows(result) + _slack_rows(result, result["creates"]) + _desk_rows(result)
    if socket:
        rows.append(("Socket Mode connections", result["socket_mode_connections"]))
    _print_rows(rows)
    _errors(result)


def report_teams(result: dict[str, Any]) -> None:
    _headline(result, "Teams: ")
    _print_spreads(result, ("open_answer_ms", "submit_answer_ms"))
    _print_rows(_cost_rows(result) + _teams_rows(result, result["creates"]) + _desk_rows(result))
    _errors(result)


def report_both(result: dict[str, Any]) -> None:
    _headline(result, "Slack and Teams, each: ")
    print(" Slack:")
    _print_spreads(result["slack"], ("command_ack_ms", "submission_ack_ms"))
    print(" Teams:")
    _print_spreads(result["teams"], ("open_answer_ms", "submit_answer_ms"))
    print(" both (CPU per ticket over the tickets of both):")
    rows = [*_cost_rows(result), ("creates", f"{result['creates']} in all"), *_desk_rows(result)]
    _print_rows(rows)
    print(" Slack:")
    _print_rows(_slack_rows(result["slack"], result["slack"]["submissions"])[:1])
    print(" Teams:")
    _print_rows(_teams_rows(result["teams"], result["teams"]["submissions"])[:3])
    _errors(result)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        epilog=SURFACE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--surface",
        choices=SURFACES,
        default="slack",
        help="where the people file (slack; see the list below)",
    )
    parser.add_argument("--people", type=int, default=100, help="concurrent people (100)")
    parser.add_argument("--latency", type=float, default=2.0, help="ServiceOps latency, s (2.0)")
    parser.add_argument("--rounds", type=int, default=1, help="tickets per person (1)")
    parser.add_argument(
        "--ramp",
        type=float,
        default=0.0,
        help="spread each round's arrivals evenly over this many seconds (0: all at once)",
    )
    parser.add_argument(
        "--soak",
        action="store_true",
        help=f"{SOAK_PEOPLE} people x {SOAK_ROUNDS} rounds, each spread over {SOAK_RAMP:g} s "
        "(unless --people, --rounds, --ramp say otherwise): how CPU, RSS and the cache move",
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="give up after this many seconds (600)"
    )
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="run the bot under cProfile, from the first person to the last, into FILE",
    )
    args = parser.parse_args()
    if args.soak:
        given = set(sys.argv)
        args.rounds = args.rounds if "--rounds" in given else SOAK_ROUNDS
        args.ramp = args.ramp if "--ramp" in given else SOAK_RAMP
        args.timeout = args.timeout if "--timeout" in given else 3600.0
    if args.people < 1 or args.rounds < 1:
        parser.error("--people and --rounds must be at least 1")
    options = (args.people, args.latency, args.rounds, args.ramp, args.profile, args.timeout)
    if args.surface == "teams":
        result = asyncio.run(run_teams(*options))
        report_teams(result)
    elif args.surface == "both":
        result = asyncio.run(run_both(*options))
        report_both(result)
    else:
        result = asyncio.run(run(*options, socket=args.surface == "socket"))
        report(result)
    if args.json:
        print(json.dumps(result))
    if result["errors"] or result["bot_exit_code"] != 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
