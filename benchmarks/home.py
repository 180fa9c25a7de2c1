"""Home tab benchmark: people opening "My requests" in Slack, ServiceOps answering slowly.

The bot runs as its own process in HTTP mode (`python -m bot run --mode http`), as deployed,
between the test suite's fake Slack and fake ServiceOps (every ServiceOps call waits
`--latency` seconds, 0.2 by default), started the way `load.py` does it. Each of `--people`
people has `--requests` requests of their own in ServiceOps (60), among everyone else's.

Each person opens the Home tab (a signed `app_home_opened` event), one after another, then
everyone opens it a second time within the list cache's 30 seconds. The run prints, for the
first and the second opens:

- the time from sending the event to the first `views.publish` for that person, and to the
  `views.publish` showing their list (p50/p95/max; the same when the list comes first);
- ServiceOps calls per open (searches and token calls, as the fake counts them);
- opens whose list came from the cache (no ServiceOps call at all);
- lists shown empty although the person has requests (`--search filtered` reads only the
  `SERVICEOPS_MY_REQUESTS_LIMIT` first search results, which a busy desk's person may miss).

Nothing is asserted; the exit status is 1 when an open was not answered with the person's
list (rows of theirs only, at most 100 blocks: the fake Slack refuses more) or the bot did not
stop cleanly.

    python benchmarks/home.py                     # 10 people, 60 requests each, 200 ms
    python benchmarks/home.py --requests 500            # more than one search page each
    python benchmarks/home.py --search filtered --json  # no requester qualification

Run from the repository root with the test extra installed (`pip install -e '.[test]'`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import load  # noqa: E402
from tests.fakes import slack_requests as sr  # noqa: E402
from tests.fakes.serviceops_api import FakeServiceOps  # noqa: E402
from tests.fakes.slack_api import Call, FakeSlack  # noqa: E402

OPEN_TIMEOUT = 30.0


def _email(index: int) -> str:
    return f"person{index}@example.com"


def _user(index: int) -> str:
    return f"U0H{index:05d}"


def _is_list(call: Call) -> bool:
    """A publish of the person's list (maybe empty), not "Loading…" or "can't load"."""
    view = call.args.get("view") or {}
    blocks = view.get("blocks") or []
    top = any(b.get("block_id") == "my_requests_top" for b in blocks)
    return top and ":warning:" not in json.dumps(blocks)


def _rows(call: Call) -> set[str]:
    blocks = (call.args.get("view") or {}).get("blocks") or []
    return {
        json.loads(b["elements"][0]["value"])["number"]
        for b in blocks
        if str(b.get("block_id", "")).startswith("req:")
    }


async def open_home(
    http: aiohttp.ClientSession,
    url: str,
    slack: FakeSlack,
    desk: FakeServiceOps,
    index: int,
    numbers: set[str],
    errors: list[str],
) -> dict[str, float]:
    """One person opens the tab: ms to the first publish and to the list, ServiceOps calls."""
    user = _user(index)
    calls_before = len(desk.calls)
    seen = len(slack.calls_to("views.publish"))
    event = {"type": "app_home_opened", "user": user, "tab": "home", "channel": f"D{index:06d}"}
    body, headers = sr.event_callback(event)
    started = slack.clock()
    async with http.post(url + "/slack/events", data=body, headers=headers) as answer:
        await answer.read()
        if answer.status != 200:
            errors.append(f"{user}: HTTP {answer.status}")

    def mine() -> list[Call]:
        return [
            c
            for c in slack.calls_to("views.publish")[seen:]
            if c.args.get("user_id") == user and c.ok
        ]

    deadline = time.monotonic() + OPEN_TIMEOUT
    while not any(_is_list(c) for c in mine()):
        if time.monotonic() > deadline:
            errors.append(f"{user}: no list published within {OPEN_TIMEOUT:g} s")
            return {}
        await asyncio.sleep(0.005)
    published = mine()
    shown = next(c for c in published if _is_list(c))
    rows = _rows(shown)
    if not rows <= numbers:
        errors.append(f"{user}: the list shows requests that are not theirs")
    return {
        "first_publish_ms": (published[0].time - started) * 1000,
        "list_ms": (shown.time - started) * 1000,
        "serviceops_calls": len(desk.calls) - calls_before,
        "publishes": len(published),
        "empty": not rows,
    }


def summary(opens: list[dict[str, float]]) -> dict[str, Any]:
    done = [o for o in opens if o]
    calls = [o["serviceops_calls"] for o in done]
    return {
        "opens": len(done),
        "first_publish_ms": load._spread([o["first_publish_ms"] for o in done]),
        "list_ms": load._spread([o["list_ms"] for o in done]),
        "serviceops_calls_per_open": round(sum(calls) / len(calls), 2) if calls else None,
        "cache_hits": sum(1 for c in calls if c == 0),
        "empty_lists": sum(1 for o in done if o["empty"]),
        "publishes_per_open": round(sum(o["publishes"] for o in done) / len(done), 2)
        if done
        else None,
    }


async def run(
    people: int, requests: int, latency: float, search: str, deadline: float
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "people": people,
        "requests_each": requests,
        "serviceops_latency_s": latency,
        "search": search,
    }
    errors: list[str] = []
    async with FakeSlack() as slack, FakeServiceOps() as desk:
        numbers: dict[int, set[str]] = {}
        for index in range(people):
            slack.add_user(_user(index), email=_email(index))
            numbers[index] = {
                desk.seed_request(_email(index), f"Request {n}", updated_ago=60.0 * (n + 1))["name"]
                for n in range(requests)
            }
        desk.latency = latency
        port = load.free_port()
        url = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as workdir, tempfile.TemporaryFile() as log:
            env = {
                **load.process_environment(slack, desk, port),
                "STATE_URL": f"sqlite:///{workdir}/links.sqlite3",
                "SERVICEOPS_MY_REQUESTS_SEARCH": search,
            }
            bot = await load.start_bot(env, workdir, log)
            try:
                async with asyncio.timeout(deadline), aiohttp.ClientSession() as http:
                    await load.wait_healthy(http, url, bot)
                    for round_name in ("first", "second"):
                        opens = [
                            await open_home(http, url, slack, desk, i, numbers[i], errors)
                            for i in range(people)
                        ]
                        result[round_name] = summary(opens)
            except TimeoutError:
                errors.insert(0, f"the run did not finish within {deadline:g} s")
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
    print(
        f"{result['people']} people, {result['requests_each']} requests each, "
        f"ServiceOps latency {result['serviceops_latency_s']} s, "
        f"SERVICEOPS_MY_REQUESTS_SEARCH={result['search']}"
    )
    for name in ("first", "second"):
        figures = result.get(name)
        if not figures:
            continue
        print(f"{name} open of the Home tab ({figures['opens']} opens):")
        load._print_spreads(figures, ("first_publish_ms", "list_ms"))
        print(f"  {'ServiceOps calls per open':<30} {figures['serviceops_calls_per_open']}")
        print(f"  {'opens served from the cache':<30} {figures['cache_hits']}")
        print(f"  {'views.publish per open':<30} {figures['publishes_per_open']}")
        print(f"  {'lists shown empty':<30} {figures['empty_lists']}")
    print(f"  {'bot exit code':<30} {result['bot_exit_code']}")
    for error in result["errors"]:
        print(f"  error: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=10, help="people opening the tab (10)")
    parser.add_argument("--requests", type=int, default=60, help="requests per person (60)")
    parser.add_argument("--latency", type=float, default=0.2, help="ServiceOps latency, s (0.2)")
    parser.add_argument(
        "--search",
        choices=("auto", "qualified", "filtered"),
        default="auto",
        help="SERVICEOPS_MY_REQUESTS_SEARCH of the bot (auto)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="give up after, s (300)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()
    if args.people < 1 or args.requests < 1:
        parser.error("--people and --requests must be at least 1")
    result = asyncio.run(run(args.people, args.requests, args.latency, args.search, args.timeout))
    report(result)
    if args.json:
        print(json.dumps(result))
    if result["errors"] or result["bot_exit_code"] != 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
