"""Attachments benchmark: N people at once each file a ticket with one big file; prints the
bot's peak memory (bounded: files are streamed, never held whole).

The bot runs as its own process in HTTP mode (`python -m bot run --mode http`), as deployed,
between the test suite's fake Slack (which serves each file's `url_private_download` with the
bot token) and fake ServiceOps (which takes the uploads, hashing them). Every person uses
"Create ticket" on a message carrying their own file and submits the form; a ticket counts
once it is announced. Nothing is asserted: figures are printed (`--json`: also as one line).

    python benchmarks/attachments.py                  # 20 people, a 20 MB file each
    python benchmarks/attachments.py --people 5 --mb 2 --json

Run from the repository root with the test extra installed (`pip install -e '.[test]'`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.load import (  # noqa: E402
    CHANNEL,
    Figures,
    RoundDone,
    Watcher,
    free_port,
    measure,
    post,
    process_environment,
)
from tests.fakes import slack_requests as sr  # noqa: E402
from tests.fakes.serviceops_api import FakeServiceOps  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

MB = 1024 * 1024
AUTHOR = "U0AUTHOR"


async def person(
    index: int,
    slack: FakeSlack,
    watcher: Watcher,
    http: aiohttp.ClientSession,
    url: str,
    figures: Figures,
    size: int,
    timeout: float,
) -> None:
    """One person: the shortcut on a message with a file, submit, wait for the announcement."""
    user = f"U0P{index:05d}"
    subject = f"Crash dump {index} attached"
    files = [slack.add_file(f"dump-{index}.bin", size=size, user=AUTHOR)] if size else []
    message = sr.chat_message(subject, user=AUTHOR, ts=f"1700000000.{index:06d}", files=files)
    step = "opening the form"
    try:
        trigger = slack.new_trigger_id()
        opened = watcher.expect("views.open", trigger)
        request = sr.message_shortcut(
            message,
            user_id=user,
            channel_id=CHANNEL,
            trigger_id=trigger,
            response_url=slack.response_url(),
        )
        ms, status, _ = await post(http, url, request)
        figures.command_ms.append(ms)
        if status != 200:
            figures.errors.append(f"{user}: the shortcut was answered {status}")
            return
        call = await asyncio.wait_for(opened, timeout)
        view = slack.views[call.response["view"]["id"]]
        values = sr.form_values(view=view, subject=subject, description="See the dump.")
        announced = watcher.expect("chat.postMessage", subject)
        step = "submitting"
        ms, status, content = await post(http, url, sr.view_submission(view, values, user_id=user))
        figures.submit_ms.append(ms)
        reply = json.loads(content) if content else {}
        if reply.get("response_action") == "update":
            slack.replace_view(view["id"], reply["view"])
        step = "waiting for the announcement"
        await asyncio.wait_for(announced, timeout)
    except TimeoutError:
        figures.errors.append(f"{user}: nothing happened within {timeout:g} s while {step}")


async def run(people: int, size_mb: float, deadline: float = 600.0) -> dict[str, Any]:
    """One run: `people` at once, each with a file of `size_mb` (0: no file)."""
    figures = Figures()
    size = int(size_mb * MB)
    async with FakeSlack() as slack, FakeServiceOps() as desk:
        slack.add_channel(CHANNEL, member=True, name="bench")
        slack.add_user(AUTHOR, email="author@example.com", real_name="Author")
        for index in range(people):
            slack.add_user(f"U0P{index:05d}", email=f"person{index}@example.com")
        port = free_port()

        async def drive_people(http: aiohttp.ClientSession, url: str, done: RoundDone) -> None:
            watcher = Watcher.of_slack(slack)
            watcher.start()
            try:
                await asyncio.gather(
                    *(
                        person(i, slack, watcher, http, url, figures, size, deadline)
                        for i in range(people)
                    )
                )
                await done()
            finally:
                await watcher.stop()

        env = process_environment(slack, desk, port)
        cost = await measure(env, port, figures, drive_people, None, deadline, desk=desk, latency=0)
        return {
            "people": people,
            "file_mb": size_mb,
            "data_mb": round(people * size / MB, 1),
            "bot_peak_rss_mb": round(cost.rss, 1),
            "wall_seconds": round(cost.elapsed, 2),
            "bot_cpu_seconds": round(cost.cpu, 2),
            "creates": len(desk.created),
            "attachments": sum(len(c.get("fileAttachments") or []) for c in desk.created),
            "uploads": len(desk.uploads),
            "uploaded_mb": round(sum(u.size for u in desk.uploads.values()) / MB, 1),
            "uploads_at_once_max": desk.upload_peak,
            "downloads": len(slack.file_host.downloads),
            "errors": figures.errors[:30],
            "bot_exit_code": cost.exit_code,
        }


async def compare(people: int, size_mb: float) -> dict[str, Any]:
    """The same people without files, then with: what attaching costs in memory."""
    without = await run(people, 0)
    with_files = await run(people, size_mb)
    with_files["bot_peak_rss_without_files_mb"] = without["bot_peak_rss_mb"]
    with_files["errors"] = without["errors"] + with_files["errors"]
    return with_files


def report(result: dict[str, Any]) -> None:
    print(
        f"{result['people']} people at once, each attaching a {result['file_mb']:g} MB file "
        f"({result['data_mb']:g} MB in all)"
    )
    rows = [
        ("bot peak RSS (VmHWM), with the files", f"{result['bot_peak_rss_mb']} MB"),
        ("the same tickets without files", f"{result['bot_peak_rss_without_files_mb']} MB"),
        ("tickets created", result["creates"]),
        ("files attached", result["attachments"]),
        ("uploaded to ServiceOps", f"{result['uploaded_mb']} MB in {result['uploads']} uploads"),
        ("uploads in progress at once (max)", result["uploads_at_once_max"]),
        ("downloads from Slack", result["downloads"]),
        ("wall time", f"{result['wall_seconds']} s"),
        ("bot CPU", f"{result['bot_cpu_seconds']} s"),
        ("bot exit code after SIGTERM", result["bot_exit_code"]),
    ]
    for label, value in rows:
        print(f"  {label:<36} {value}")
    for error in result["errors"]:
        print(f"  error: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--mb", type=float, default=20.0, help="size of each file, in MB")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args()
    result = asyncio.run(compare(args.people, args.mb))
    report(result)
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
