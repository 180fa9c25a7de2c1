"""Hostile-traffic benchmark: what abuse costs the people using the bot at the same time.

The bot runs as its own process in HTTP mode (`python -m bot run --mode http`), exactly as
deployed, between the test suite's fake Slack and fake ServiceOps, which run in this process
on loopback (started and stopped the way `load.py` does it). One run, in this order:

1. **Quiet**: `--acks` legitimate, signed `/ticket` commands one after another; their ack
   times (the round trip of `POST /slack/events`, what Slack's 3-second limit applies to)
   are the baseline.
2. **Unsigned flood**: `--flood` unsigned requests of ~1 MB each (a form body
   `payload=[[[[…`, nested about a million deep, with a malformed timestamp), `--concurrency`
   at a time, while a legitimate `/ticket` is sent every 20 ms; their acks are measured.
3. **Gzip flood**: `--gzip` requests with `Content-Encoding: gzip` whose ~1 KB on the wire
   inflate to 1 MB, the same way.
4. **Readiness probes**: `--probes` concurrent `GET /readyz`; the ServiceOps token requests
   and Slack `auth.test` calls they cause.
5. **Long DMs**: `--dms` signed `message.im` events from one person, each `--dm-chars`
   characters long, `--concurrency` at a time; the bot's resident memory (VmRSS) before and
   after, and its peak (VmHWM). Every DM is answered with a prompt whose draft waits in the
   cache (`CACHE_URL`, in-process memory unless `--cache-url` names a Redis).

It prints the ack spreads (p50/p95/p99/max), the answers the flood requests got (by HTTP
status), the token requests and `auth.test` calls of the probes, and the memory figures.
Nothing is asserted; the exit status is 1 when a legitimate request was not acked with 200, a
DM went unanswered, or the bot did not stop cleanly.

    python benchmarks/hostile.py
    python benchmarks/hostile.py --dms 500 --json
    python benchmarks/hostile.py --cache-url redis://127.0.0.1:6379/0

Run from the repository root with the test extra installed (`pip install -e '.[test]'`).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

# The fakes live in the test suite and the process handling in `load.py`; this script is run
# as `python benchmarks/hostile.py`, so the repository root is put on the path for both.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import load  # noqa: E402
from tests.fakes import slack_requests as sr  # noqa: E402
from tests.fakes.serviceops_api import FakeServiceOps  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

PERSON = "U0DM00001"
ACK_EVERY = 0.02
"""Seconds between legitimate `/ticket`s sent during a flood."""
NESTED = b"payload=" + b"[" * 1_000_000
"""An unsigned body just under the 1 MiB the server reads: ~1 MB of nesting."""
INFLATED = gzip.compress(b"payload=" + b"[" * (1024 * 1024 - 8), compresslevel=9)
"""About 1 KB that inflates to 1 MiB."""


def resident_mb(pid: int) -> float:
    """The process's resident set size now (VmRSS of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def unsigned_headers(**more: str) -> dict[str, str]:
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": "abc",
        "X-Slack-Signature": "v0=" + "0" * 64,
        **more,
    }


async def ticket_ack(
    http: aiohttp.ClientSession, url: str, slack: FakeSlack, index: int
) -> tuple[float, int]:
    """One legitimate `/ticket`: its ack time in ms and its status."""
    request = sr.slash_command(
        f"printer {index} jammed",
        user_id=f"U0P{index % 50:05d}",
        channel_id=load.CHANNEL,
        trigger_id=slack.new_trigger_id(),
        response_url=slack.response_url(),
    )
    elapsed, status, _ = await load.post(http, url, request)
    return elapsed, status


async def flood(
    http: aiohttp.ClientSession,
    url: str,
    slack: FakeSlack,
    count: int,
    concurrency: int,
    send: Callable[[aiohttp.ClientSession], Awaitable[int]],
) -> tuple[list[float], Counter[int], Counter[int], float]:
    """`count` hostile requests `concurrency` at a time, with a legitimate `/ticket` every
    `ACK_EVERY` seconds meanwhile: (ack times, ack statuses, flood statuses, seconds)."""
    statuses: Counter[int] = Counter()
    acks: list[float] = []
    ack_statuses: Counter[int] = Counter()
    remaining = iter(range(count))
    done = asyncio.Event()

    async def attacker() -> None:
        for _ in remaining:
            try:
                statuses[await send(http)] += 1
            except aiohttp.ClientError:
                statuses[0] += 1  # the connection was dropped

    async def one(index: int) -> None:
        elapsed, status = await ticket_ack(http, url, slack, index)
        acks.append(elapsed)
        ack_statuses[status] += 1

    async def legitimate() -> None:
        """A `/ticket` every `ACK_EVERY` seconds, each on its own: a slow ack does not
        delay the next one."""
        sent: list[asyncio.Task[None]] = []
        while not done.is_set():
            sent.append(asyncio.create_task(one(1000 + len(sent))))
            await asyncio.sleep(ACK_EVERY)
        await asyncio.gather(*sent)

    started = time.perf_counter()
    people = asyncio.create_task(legitimate())
    await asyncio.gather(*(attacker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    done.set()
    await people
    return acks, ack_statuses, statuses, seconds


async def send_nested(http: aiohttp.ClientSession, url: str) -> int:
    async with http.post(url + "/slack/events", data=NESTED, headers=unsigned_headers()) as r:
        await r.read()
        return r.status


async def send_gzip(http: aiohttp.ClientSession, url: str) -> int:
    headers = unsigned_headers(**{"Content-Encoding": "gzip"})
    async with http.post(url + "/slack/events", data=INFLATED, headers=headers) as r:
        await r.read()
        return r.status


async def probes(
    http: aiohttp.ClientSession, url: str, slack: FakeSlack, desk: FakeServiceOps, count: int
) -> dict[str, Any]:
    tokens, auth_tests = desk.token_requests, slack.count("auth.test")
    statuses: Counter[int] = Counter()

    async def probe() -> float:
        started = time.perf_counter()
        async with http.get(url + "/readyz") as answer:
            await answer.read()
            statuses[answer.status] += 1
        return (time.perf_counter() - started) * 1000

    times = await asyncio.gather(*(probe() for _ in range(count)))
    return {
        "probes": count,
        "probe_ms": load._spread(list(times)),
        "probe_answers": {str(k): v for k, v in sorted(statuses.items())},
        "token_requests": desk.token_requests - tokens,
        "auth_test_calls": slack.count("auth.test") - auth_tests,
    }


async def long_dms(
    http: aiohttp.ClientSession,
    url: str,
    slack: FakeSlack,
    pid: int,
    count: int,
    chars: int,
    concurrency: int,
    errors: list[str],
) -> dict[str, Any]:
    dm = slack.dm_channel(PERSON)
    before = resident_mb(pid)
    posted_before = slack.count("chat.postMessage")
    line = "The VPN client disconnects every few minutes and I have to log in again. "
    text = (line * (chars // len(line) + 1))[:chars]
    statuses: Counter[int] = Counter()
    remaining = iter(range(count))

    async def sender() -> None:
        for index in remaining:
            ts = f"{1700100000 + index}.000100"
            event = sr.dm_event(f"{index} {text}"[:chars], user_id=PERSON, channel_id=dm, ts=ts)
            _, status, _ = await load.post(http, url, sr.event_callback(event))
            statuses[status] += 1

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    try:
        await slack.wait_for("chat.postMessage", count=posted_before + count, timeout=300)
    except AssertionError:
        errors.append("not every DM was answered within 300 s")
    seconds = time.perf_counter() - started
    await asyncio.sleep(1.0)  # let the bot settle before reading its memory
    return {
        "dms": count,
        "dm_chars": chars,
        "dm_answers": {str(k): v for k, v in sorted(statuses.items())},
        "dm_prompts": slack.count("chat.postMessage") - posted_before,
        "dm_seconds": round(seconds, 1),
        "rss_before_dms_mb": before,
        "rss_after_dms_mb": resident_mb(pid),
        "peak_rss_mb": round(load.peak_rss_mb(pid), 1),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    errors: list[str] = []
    result: dict[str, Any] = {"cache_url": args.cache_url, "concurrency": args.concurrency}
    async with FakeSlack() as slack, FakeServiceOps() as desk:
        slack.add_channel(load.CHANNEL, member=True, name="bench")
        for index in range(50):
            slack.add_user(f"U0P{index:05d}", email=f"person{index}@example.com")
        slack.add_user(PERSON, email="dm@example.com")
        port = load.free_port()
        url = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as workdir, tempfile.TemporaryFile() as log:
            env = {
                **load.process_environment(slack, desk, port),
                "CACHE_URL": args.cache_url,
                "STATE_URL": f"sqlite:///{workdir}/links.sqlite3",
            }
            bot = await load.start_bot(env, workdir, log)
            try:
                async with (
                    asyncio.timeout(args.timeout),
                    aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http,
                ):
                    await load.wait_healthy(http, url, bot)
                    result["rss_start_mb"] = resident_mb(bot.pid)
                    quiet = [await ticket_ack(http, url, slack, i) for i in range(args.acks)]
                    result["quiet_ack_ms"] = load._spread([ms for ms, _ in quiet])
                    bad = [status for _, status in quiet if status != 200]
                    for name, count, send in (
                        ("unsigned", args.flood, send_nested),
                        ("gzip", args.gzip, send_gzip),
                    ):
                        acks, ack_statuses, statuses, seconds = await flood(
                            http,
                            url,
                            slack,
                            count,
                            args.concurrency,
                            lambda session, send=send: send(session, url),
                        )
                        result[f"{name}_flood"] = {
                            "requests": count,
                            "seconds": round(seconds, 2),
                            "answers": {str(k): v for k, v in sorted(statuses.items())},
                            "ticket_acks": len(acks),
                            "ticket_ack_ms": load._spread(acks),
                        }
                        bad += [s for s, n in ack_statuses.items() for _ in range(n) if s != 200]
                    if bad:
                        errors.append(f"legitimate /ticket answered {sorted(set(bad))}")
                    result.update(await probes(http, url, slack, desk, args.probes))
                    result.update(
                        await long_dms(
                            http,
                            url,
                            slack,
                            bot.pid,
                            args.dms,
                            args.dm_chars,
                            args.concurrency,
                            errors,
                        )
                    )
            except TimeoutError:
                errors.insert(0, f"the run did not finish within {args.timeout:g} s")
            except (RuntimeError, aiohttp.ClientError, OSError) as exc:
                errors.insert(0, f"{type(exc).__name__}: {exc}")
            finally:
                await load.stop_bot(bot)
            result["bot_exit_code"] = bot.returncode
            if errors or bot.returncode != 0:
                errors += load.bot_log_tail(log)
    result["errors"] = errors[:30]
    return result


def report(result: dict[str, Any]) -> None:
    def spread(name: str, s: dict[str, float]) -> None:
        print(
            f"  {name:<34} p50 {s['p50']:>7} ms  p95 {s['p95']:>7} ms  "
            f"p99 {s['p99']:>7} ms  max {s['max']:>7} ms"
        )

    print(f"hostile traffic, {result['concurrency']} at a time, cache {result['cache_url']}")
    if "quiet_ack_ms" in result:
        spread("/ticket ack, quiet", result["quiet_ack_ms"])
    for name in ("unsigned", "gzip"):
        figures = result.get(f"{name}_flood")
        if figures is None:
            continue
        spread(f"/ticket ack, {name} flood ({figures['ticket_acks']})", figures["ticket_ack_ms"])
        print(
            f"  {name} flood: {figures['requests']} requests in {figures['seconds']} s, "
            f"answered {figures['answers']}"
        )
    if "probes" in result:
        spread(f"/readyz, {result['probes']} at once", result["probe_ms"])
        print(
            f"  probes answered {result['probe_answers']}: {result['token_requests']} ServiceOps "
            f"token request(s), {result['auth_test_calls']} auth.test call(s)"
        )
    if "dms" in result:
        print(
            f"  {result['dms']} DMs of {result['dm_chars']} characters from one person: "
            f"answered {result['dm_answers']}, {result['dm_prompts']} prompts, "
            f"{result['dm_seconds']} s"
        )
        print(
            f"  bot RSS: {result['rss_start_mb']} MB at start, "
            f"{result['rss_before_dms_mb']} MB before the DMs, "
            f"{result['rss_after_dms_mb']} MB after; peak {result['peak_rss_mb']} MB"
        )
    print(f"  bot exit code                      {result.get('bot_exit_code')}")
    for error in result["errors"]:
        print(f"  error: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--acks", type=int, default=20, help="quiet /ticket acks (20)")
    parser.add_argument("--flood", type=int, default=300, help="unsigned 1 MB requests (300)")
    parser.add_argument("--gzip", type=int, default=200, help="gzip requests (200)")
    parser.add_argument("--concurrency", type=int, default=16, help="at a time (16)")
    parser.add_argument("--probes", type=int, default=300, help="concurrent /readyz (300)")
    parser.add_argument("--dms", type=int, default=2000, help="long DMs (2000)")
    parser.add_argument("--dm-chars", type=int, default=35_000, help="characters each (35000)")
    parser.add_argument("--cache-url", default="memory://", help="the bot's CACHE_URL")
    parser.add_argument("--timeout", type=float, default=900, help="give up after (900 s)")
    parser.add_argument("--json", action="store_true", help="also print one JSON line")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    report(result)
    if args.json:
        print(json.dumps(result))
    sys.exit(1 if result["errors"] or result.get("bot_exit_code") != 0 else 0)


if __name__ == "__main__":
    main()
