"""Webhook benchmark: a burst of ServiceOps "Run Webhook" calls about changed tickets.

The bot runs as its own process in HTTP mode (`python -m bot run --mode http`), exactly as
deployed, between the test suite's fake Slack and fake ServiceOps, which run in this process
on loopback; it is started and measured the way `load.py` does it, with
`SERVICEOPS_WEBHOOK_SECRET` set and its ticket links in a SQLite file in a temporary
directory (`STATE_URL`). The run:

1. files `--requests` tickets through `/ticket` and the modal (each announced in the channel:
   the announcement starts the ticket's thread, and the bot links the two);
2. changes every request's status in the fake ServiceOps ("In Progress", by "Sam Lee");
3. fires `--calls` webhook calls (`POST /serviceops/events`, `Authorization: Bearer …`,
   `{"requestId": …}`), round-robin over the requests, all at once (or spread over
   `--ramp` seconds), over a pool of `--connections` connections;
4. waits until every ticket's thread has its "INC-… is now In Progress", then a quiet while
   longer (a late read or a second post would show), and stops the bot with SIGTERM.

It prints the answer latency of the webhook calls (p50/p95/p99/max, the client's round trip:
the bot answers 202 before it reads anything), the ServiceOps reads the burst caused (GETs of
the requests: one per changed request is the goal, however many calls name it), the posts in
the threads and the duplicates among them, the bot's CPU from the first call until the last
post, and the bot's exit code. Nothing is asserted; the exit status is 1 when a post is
missing or duplicated, a call was not accepted, or the bot did not stop cleanly.

    python benchmarks/webhook.py                       # 500 calls about 50 requests
    python benchmarks/webhook.py --calls 2000 --requests 100 --latency 0.2 --json
    python benchmarks/webhook.py --connections 0       # every call on its own connection

Run from the repository root with the test extra installed (`pip install -e '.[test]'`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

# The fakes live in the test suite and the process handling in `load.py`; this script is run
# as `python benchmarks/webhook.py`, so the repository root is put on the path for both.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import load  # noqa: E402
from tests.fakes.serviceops_api import FakeServiceOps  # noqa: E402
from tests.fakes.slack_api import Call, FakeSlack  # noqa: E402

SECRET = "bench-webhook-secret-0123456789"
PATH = "/serviceops/events"
STATUS = "In Progress"
TECHNICIAN = "Sam Lee"
QUIET = 1.5
"""Seconds watched after the last expected post: longer than the bot's debounce (0.5 s), so
a second read or post of a request would show."""


def status_post(call: Call) -> bool:
    """A successful "INC-… is now …" post."""
    return bool(call.ok) and " is now " in str(call.args.get("text", ""))


async def fire(
    http: aiohttp.ClientSession, url: str, bodies: list[dict[str, Any]], ramp: float
) -> tuple[list[float], Counter[int]]:
    """POST every body to the webhook (all at once, or spread over `ramp` seconds): the round
    trips in ms and the statuses answered."""
    headers = {"Authorization": f"Bearer {SECRET}", "Content-Type": "application/json"}
    latencies: list[float] = []
    statuses: Counter[int] = Counter()

    async def call(index: int, body: dict[str, Any]) -> None:
        await asyncio.sleep(ramp * index / len(bodies))
        started = time.perf_counter()
        try:
            async with http.post(url + PATH, data=json.dumps(body), headers=headers) as answer:
                await answer.read()
                statuses[answer.status] += 1
        except aiohttp.ClientError:
            statuses[0] += 1  # no answer
        latencies.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(call(i, body) for i, body in enumerate(bodies)))
    return latencies, statuses


async def run(
    requests: int,
    calls: int,
    latency: float,
    connections: int,
    ramp: float,
    deadline: float,
    profile: str | None = None,
) -> dict[str, Any]:
    """File, change, fire, watch; every figure in a dict (see `report`)."""
    figures = load.Figures()
    result: dict[str, Any] = {
        "requests": requests,
        "calls": calls,
        "serviceops_latency_s": latency,
        "connections": connections,
        "ramp_s": ramp,
    }
    async with FakeSlack() as slack, FakeServiceOps() as desk:
        slack.add_channel(load.CHANNEL, member=True, name="bench")
        for index in range(requests):
            slack.add_user(f"U0P{index:05d}", email=f"person{index}@example.com")
        desk.latency = latency
        port = load.free_port()
        url = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as workdir, tempfile.TemporaryFile() as log:
            env = {
                **load.process_environment(slack, desk, port),
                "SERVICEOPS_WEBHOOK_SECRET": SECRET,
                "STATE_URL": f"sqlite:///{workdir}/links.sqlite3",
            }
            bot = await load.start_bot(env, workdir, log, profile)
            connector = aiohttp.TCPConnector(limit=connections)
            try:
                async with (
                    asyncio.timeout(deadline),
                    aiohttp.ClientSession(
                        connector=connector, timeout=aiohttp.ClientTimeout(total=60)
                    ) as http,
                ):
                    await load.wait_healthy(http, url, bot)
                    filing = time.perf_counter()
                    timeout = load.step_timeout(requests, latency)
                    await load.drive(requests, 1, 0.0, slack, http, url, figures, timeout)
                    result["filing_seconds"] = round(time.perf_counter() - filing, 2)
                    await burst(http, url, bot.pid, slack, desk, result, figures, ramp)
            except TimeoutError:
                figures.errors.insert(0, f"the run did not finish within {deadline:g} s")
            except (RuntimeError, aiohttp.ClientError, OSError) as exc:
                figures.errors.insert(0, f"{type(exc).__name__}: {exc}")
            finally:
                await load.stop_bot(bot)
            result["bot_exit_code"] = bot.returncode
            if figures.errors or bot.returncode != 0:
                figures.errors += load.bot_log_tail(log)
    result["errors"] = figures.errors[:30]
    return result


async def burst(
    http: aiohttp.ClientSession,
    url: str,
    pid: int,
    slack: FakeSlack,
    desk: FakeServiceOps,
    result: dict[str, Any],
    figures: load.Figures,
    ramp: float,
) -> None:
    """Change every filed request, fire the calls, wait for the posts; figures into `result`."""
    filed = list(desk.created)
    if len(filed) != result["requests"]:
        figures.errors.append(f"{len(filed)} of {result['requests']} tickets were filed")
    for request in filed:
        desk.set_status(request["id"], STATUS, technician=TECHNICIAN)
    paths = {f"/api/v1/request/{request['id']}" for request in filed}
    reads_before = len([c for c in desk.calls_of("get") if c.path in paths])
    bodies = [{"requestId": filed[i % len(filed)]["id"]} for i in range(result["calls"])]

    cpu_before, driver_before = load.cpu_seconds(pid), load.own_cpu_seconds()
    started = time.perf_counter()
    latencies, statuses = await fire(http, url, bodies, ramp)
    result["burst_seconds"] = round(time.perf_counter() - started, 3)
    try:
        await slack.wait_for("chat.postMessage", count=len(filed), timeout=60, where=status_post)
    except AssertionError:
        figures.errors.append("not every thread got its post within 60 s")
    result["posted_seconds"] = round(time.perf_counter() - started, 3)
    result["bot_cpu_ms"] = round((load.cpu_seconds(pid) - cpu_before) * 1000, 1)
    result["driver_cpu_ms"] = round((load.own_cpu_seconds() - driver_before) * 1000, 1)
    result["peak_rss_mb"] = round(load.peak_rss_mb(pid), 1)
    await asyncio.sleep(QUIET)

    posts = [c for c in slack.calls_to("chat.postMessage") if status_post(c)]
    per_request = Counter(str(c.args["text"]).split(" is now ")[0] for c in posts)
    threads = {(c.args.get("channel"), c.args.get("thread_ts")) for c in posts}
    reads = len([c for c in desk.calls_of("get") if c.path in paths]) - reads_before
    result.update(
        {
            "answer_ms": load._spread(latencies),
            "answers": {str(status): n for status, n in sorted(statuses.items())},
            "serviceops_reads": reads,
            "serviceops_reads_per_request": round(reads / max(1, len(filed)), 2),
            "serviceops_conversation_searches": len(desk.calls_of("conversations")),
            "posts": len(posts),
            "threads_posted_in": len(threads),
            "duplicates": len(posts) - len(per_request),
            "bot_cpu_ms_per_call": round(result["bot_cpu_ms"] / max(1, len(bodies)), 3),
            "driver_cpu_ms_per_call": round(result["driver_cpu_ms"] / max(1, len(bodies)), 3),
        }
    )
    if statuses.get(202, 0) != len(bodies):
        figures.errors.append(f"calls answered: {dict(statuses)} (expected 202 for all)")
    if len(per_request) != len(filed) or result["duplicates"]:
        figures.errors.append(
            f"{len(per_request)} of {len(filed)} requests posted, {result['duplicates']} twice"
        )


def report(result: dict[str, Any]) -> None:
    print(
        f"{result['calls']} webhook calls about {result['requests']} changed requests, "
        f"ServiceOps latency {result['serviceops_latency_s']} s, "
        f"{result['connections'] or 'unlimited'} connections, "
        f"calls spread over {result['ramp_s']} s"
    )
    if "answer_ms" in result:
        load._print_spreads(result, ("answer_ms",))
    rows = [
        ("tickets filed first", f"in {result.get('filing_seconds', '?')} s"),
        ("burst sent", f"in {result.get('burst_seconds', '?')} s"),
        ("answers", ", ".join(f"{k}: {v}" for k, v in result.get("answers", {}).items())),
        (
            "ServiceOps reads",
            f"{result.get('serviceops_reads', '?')} for {result['requests']} requests "
            f"({result.get('serviceops_reads_per_request', '?')} per request)",
        ),
        ("ServiceOps conversation searches", result.get("serviceops_conversation_searches")),
        (
            "posts",
            f"{result.get('posts', '?')} in {result.get('threads_posted_in', '?')} threads, "
            f"the last {result.get('posted_seconds', '?')} s after the first call",
        ),
        ("duplicates", result.get("duplicates", "?")),
        (
            "bot CPU",
            f"{result.get('bot_cpu_ms', '?')} ms "
            f"({result.get('bot_cpu_ms_per_call', '?')} ms per call)",
        ),
        (
            "driver CPU (calls, fakes)",
            f"{result.get('driver_cpu_ms', '?')} ms "
            f"({result.get('driver_cpu_ms_per_call', '?')} ms per call)",
        ),
        ("peak RSS (bot)", f"{result.get('peak_rss_mb', '?')} MB"),
        ("bot exit code after SIGTERM", result.get("bot_exit_code")),
    ]
    load._print_rows(rows)
    for error in result["errors"]:
        print(f"  error: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        epilog="Prints answer latency p50/p95/p99/max, ServiceOps reads, posts, duplicates "
        "and the bot's CPU; exits 1 when a post is missing or duplicated, a call was not "
        "accepted (202), or the bot did not stop cleanly.",
    )
    parser.add_argument(
        "--requests",
        type=int,
        default=50,
        help="tickets filed, then changed in ServiceOps: the requests the calls name (50)",
    )
    parser.add_argument(
        "--calls",
        type=int,
        default=500,
        help="webhook calls in the burst, round-robin over the requests (500)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.1,
        help="seconds every ServiceOps API call takes, filing and reads (0.1)",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=50,
        help="connections the calls share, as a workflow engine's HTTP client pool; "
        "0: one per call, all opened at once (50)",
    )
    parser.add_argument(
        "--ramp",
        type=float,
        default=0.0,
        help="spread the calls evenly over this many seconds (0: all at once)",
    )
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="give up after this many seconds (120)"
    )
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--profile", metavar="FILE", help="run the bot under cProfile into FILE")
    args = parser.parse_args()
    if args.requests < 1 or args.calls < 1 or args.connections < 0:
        parser.error("--requests and --calls must be at least 1, --connections at least 0")
    result = asyncio.run(
        run(
            args.requests,
            args.calls,
            args.latency,
            args.connections,
            args.ramp,
            args.timeout,
            args.profile,
        )
    )
    report(result)
    if args.json:
        print(json.dumps(result))
    if result["errors"] or result.get("bot_exit_code") != 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
