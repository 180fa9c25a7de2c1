"""Load benchmark: N people file tickets through `/ticket` at once; prints what it cost.

The bot runs as its own process in HTTP mode (`python -m bot run --mode http`), exactly as
deployed, between the test suite's fake Slack and fake ServiceOps servers, which run in this
process on loopback. Every person sends a signed `/ticket`, then submits the modal Slack
opened for them; the run ends when every ticket is announced. Nothing here asserts: it
prints figures (and `--json` prints them as one JSON object too).

    python benchmarks/load.py                    # 100 people, ServiceOps answering in 2 s
    python benchmarks/load.py --people 20 --latency 0.5 --rounds 3

Run from the repository root with the test extra installed (`pip install -e '.[test]'`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

# The fakes live in the test suite; the benchmark reuses them rather than copying them.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes import slack_requests as sr  # noqa: E402
from tests.fakes.environment import bot_environment  # noqa: E402
from tests.fakes.serviceops_api import FakeServiceOps  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

CHANNEL = "C0BENCH1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Figures:
    command_ms: list[float] = field(default_factory=list)
    submit_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def start_bot(
    slack: FakeSlack, desk: FakeServiceOps, port: int, profile: str | None = None
) -> asyncio.subprocess.Process:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        **bot_environment(slack, desk),
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    profiler = ["-m", "cProfile", "-o", profile] if profile else []
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *profiler,
        "-m",
        "bot",
        "run",
        "--mode",
        "http",
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=tempfile.gettempdir(),  # no stray .env is read
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def wait_healthy(http: httpx.AsyncClient, url: str, bot: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if bot.returncode is not None:
            raise SystemExit(f"the bot exited with {bot.returncode} before it was healthy")
        try:
            if (await http.get(url + "/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("the bot did not become healthy within 30 s")


async def person(
    index: int,
    round_no: int,
    slack: FakeSlack,
    http: httpx.AsyncClient,
    url: str,
    figures: Figures,
    timeout: float,
    delay: float = 0.0,
) -> None:
    """One person: `/ticket`, then submit the modal, then wait for the announcement."""
    await asyncio.sleep(delay)
    user = f"U0P{index:05d}"
    subject = f"Printer {index} jammed (round {round_no})"
    trigger = slack.new_trigger_id()
    body, headers = sr.slash_command(
        subject,
        user_id=user,
        channel_id=CHANNEL,
        trigger_id=trigger,
        response_url=slack.response_url(),
    )
    started = time.perf_counter()
    answer = await http.post(url + "/slack/events", content=body, headers=headers)
    figures.command_ms.append((time.perf_counter() - started) * 1000)
    if answer.status_code != 200:
        figures.errors.append(f"{user}: command answered {answer.status_code}")
        return
    [opened] = await slack.wait_for(
        "views.open", timeout=timeout, where=lambda c: c.args.get("trigger_id") == trigger
    )
    if not opened.ok:
        figures.errors.append(f"{user}: views.open {opened.error}")
        return
    view = slack.views[opened.response["view"]["id"]]
    values = sr.form_values(view=view, subject=subject, description="Paper stuck in tray 2")
    body, headers = sr.view_submission(view, values, user_id=user)
    started = time.perf_counter()
    answer = await http.post(url + "/slack/events", content=body, headers=headers)
    figures.submit_ms.append((time.perf_counter() - started) * 1000)
    if answer.status_code != 200:
        figures.errors.append(f"{user}: submission answered {answer.status_code}")
        return
    reply = answer.json() if answer.content else {}
    if reply.get("response_action") == "update":
        slack.replace_view(view["id"], reply["view"])  # what Slack does with the ack
    await slack.wait_for(
        "chat.postMessage",
        timeout=timeout,
        where=lambda c: c.ok and subject in str(c.args.get("text", "")),
    )


async def run(
    people: int, latency: float, rounds: int, ramp: float = 0.0, profile: str | None = None
) -> dict[str, Any]:
    async with FakeSlack() as slack, FakeServiceOps() as desk:
        slack.add_channel(CHANNEL, member=True, name="bench")
        for index in range(people):
            slack.add_user(f"U0P{index:05d}", email=f"person{index}@example.com")
        desk.latency = latency
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        bot = await start_bot(slack, desk, port, profile)
        limits = httpx.Limits(max_connections=people * 2, max_keepalive_connections=people * 2)
        try:
            async with httpx.AsyncClient(timeout=60, limits=limits) as http:
                await wait_healthy(http, url, bot)
                cpu_before = cpu_seconds(bot.pid)
                figures = Figures()
                timeout = 60 + latency * 4
                started = time.perf_counter()
                for round_no in range(rounds):
                    await asyncio.wait_for(
                        asyncio.gather(
                            *(
                                person(
                                    i,
                                    round_no,
                                    slack,
                                    http,
                                    url,
                                    figures,
                                    timeout,
                                    ramp * i / people,
                                )
                                for i in range(people)
                            )
                        ),
                        timeout=timeout * 2,
                    )
                elapsed = time.perf_counter() - started
                cpu = cpu_seconds(bot.pid) - cpu_before
                rss = peak_rss_mb(bot.pid)
        finally:
            if bot.returncode is None:
                bot.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(bot.wait(), 40)
            except TimeoutError:
                bot.kill()
                await bot.wait()

        tickets = people * rounds
        creates = len(desk.created)
        subjects = {c["subject"] for c in desk.created}
        slack_calls = len(slack.calls)
        desk_calls = len(desk.calls)
        return {
            "people": people,
            "rounds": rounds,
            "serviceops_latency_s": latency,
            "ramp_s": ramp,
            "command_ack_ms": _spread(figures.command_ms),
            "submission_ack_ms": _spread(figures.submit_ms),
            "tickets_per_second": round(tickets / elapsed, 2),
            "wall_seconds": round(elapsed, 2),
            "cpu_ms_per_ticket": round(cpu / tickets * 1000, 2),
            "peak_rss_mb": round(rss, 1),
            "serviceops_token_requests": desk.token_requests,
            "users_info_calls": slack.count("users.info"),
            "creates": creates,
            "duplicates": creates - len(subjects),
            "slack_calls": slack_calls,
            "slack_new_connections": slack.connections_opened,
            "serviceops_calls": desk_calls,
            "serviceops_new_connections": desk.connections_opened,
            "errors": figures.errors[:10],
            "bot_exit_code": bot.returncode,
        }


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(values, 50), 1),
        "p95": round(percentile(values, 95), 1),
        "p99": round(percentile(values, 99), 1),
        "max": round(max(values, default=float("nan")), 1),
        "mean": round(statistics.fmean(values), 1) if values else float("nan"),
    }


def report(result: dict[str, Any]) -> None:
    tickets = result["people"] * result["rounds"]
    print(
        f"{result['people']} people x {result['rounds']} round(s), "
        f"ServiceOps latency {result['serviceops_latency_s']} s, "
        f"arrivals spread over {result['ramp_s']} s"
    )
    for name in ("command_ack_ms", "submission_ack_ms"):
        s = result[name]
        print(
            f"  {name:<24} p50 {s['p50']:>7} ms  p95 {s['p95']:>7} ms  "
            f"p99 {s['p99']:>7} ms  max {s['max']:>7} ms"
        )
    rows = [
        ("tickets per second", result["tickets_per_second"]),
        ("wall time", f"{result['wall_seconds']} s"),
        ("CPU per ticket (bot)", f"{result['cpu_ms_per_ticket']} ms"),
        ("peak RSS (bot)", f"{result['peak_rss_mb']} MB"),
        ("ServiceOps token requests", result["serviceops_token_requests"]),
        ("users.info calls", f"{result['users_info_calls']} for {result['people']} people"),
        ("creates", f"{result['creates']} for {tickets} tickets"),
        ("duplicates", result["duplicates"]),
        (
            "Slack: new connections",
            f"{result['slack_new_connections']} for {result['slack_calls']} calls",
        ),
        (
            "ServiceOps: new connections",
            f"{result['serviceops_new_connections']} for {result['serviceops_calls']} calls",
        ),
        ("bot exit code after SIGTERM", result["bot_exit_code"]),
    ]
    for label, value in rows:
        print(f"  {label:<30} {value}")
    for error in result["errors"]:
        print(f"  error: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100, help="concurrent people (100)")
    parser.add_argument("--latency", type=float, default=2.0, help="ServiceOps latency, s (2.0)")
    parser.add_argument("--rounds", type=int, default=1, help="tickets per person (1)")
    parser.add_argument(
        "--ramp",
        type=float,
        default=0.0,
        help="spread each round's arrivals evenly over this many seconds (0: all at once)",
    )
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--profile", metavar="FILE", help="run the bot under cProfile into FILE")
    args = parser.parse_args()
    result = asyncio.run(run(args.people, args.latency, args.rounds, args.ramp, args.profile))
    report(result)
    if args.json:
        print(json.dumps(result))
    if result["errors"] or result["bot_exit_code"] != 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
