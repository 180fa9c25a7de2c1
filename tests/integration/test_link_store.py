"""The link stores behind `STATE_URL` (bot/state.py): a SQLite file and a real Redis.

Every behaviour core relies on is checked on both backends through `build_link_store`, the
way the bot builds them: a new store on the same URL stands for a restart or another replica.
Links must survive both, concurrent updates of one link must each land whole, and a store
written by a later release must be refused rather than misread.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from bot import state
from bot.cache import build_cache
from bot.core.links import LinkStore, LinkStoreError, TicketLink
from bot.state import (
    FIELDS,
    REDIS_PREFIX,
    SCHEMA_VERSION,
    StateError,
    build_link_store,
    redact,
)
from tests.redis_server import RedisServer, redis_server, redis_url  # noqa: F401 (fixtures)

T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)

MakeStore = Callable[[], LinkStore]


def link(request_id: int = 42, **changes: Any) -> TicketLink:
    values: dict[str, Any] = {
        "request_id": request_id,
        "number": f"INC-{request_id}",
        "url": f"https://desk.example.com/t/request/view/{request_id}",
        "subject": f"Ticket {request_id}",
        "platform": "slack",
        "workspace": "T1",
        "conversation": "C1",
        "thread": f"1700000000.{request_id:06d}",
        "requester": "U1",
        "requester_email": "ada@example.com",
        "announcement": f"1700000001.{request_id:06d}",
        "created_at": T0 + timedelta(seconds=request_id),
        "updated_at": T0 + timedelta(seconds=request_id),
    }
    values.update(changes)
    return TicketLink(**values)


@pytest.fixture(params=["sqlite", "redis"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """`STATE_URL` of an empty store: a SQLite file in a temporary directory, or an emptied
    database of a real Redis."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'links.sqlite3'}"  # absolute: sqlite:////tmp/…
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
async def make_store(state_url: str) -> AsyncIterator[MakeStore]:
    """Builds stores on `state_url`; each is a separate connection (a restart, a replica)."""
    stores: list[LinkStore] = []

    def make() -> LinkStore:
        store = build_link_store(state_url)
        stores.append(store)
        return store

    yield make
    for store in stores:
        await store.close()


@pytest.fixture
def store(make_store: MakeStore) -> LinkStore:
    return make_store()


# --------------------------------------------------------------------------- basics


async def test_saved_links_come_back_equal(store: LinkStore) -> None:
    saved = link(last_status="Open", last_conversation_seen=3, endpoint=None, broken=True)

    await store.save(saved)

    assert await store.get(42) == saved
    assert await store.get(43) is None
    assert isinstance(store, LinkStore)


async def test_a_link_without_conversation_or_optional_fields_round_trips(store: LinkStore) -> None:
    bare = link(
        7,
        workspace=None,
        conversation=None,
        thread=None,
        requester_email=None,
        announcement=None,
    )

    await store.save(bare)

    assert await store.get(7) == bare


async def test_save_replaces_the_link_of_the_same_request(store: LinkStore) -> None:
    await store.save(link(subject="Old", last_status="Open"))
    await store.save(link(subject="New", thread="9.9"))

    got = await store.get(42)
    assert got is not None
    assert (got.subject, got.last_status, got.thread) == ("New", None, "9.9")
    assert await store.count() == 1
    assert await store.by_thread("slack", "C1", link().thread or "") is None
    assert await store.by_thread("slack", "C1", "9.9") == got


async def test_count_counts_links(store: LinkStore) -> None:
    assert await store.count() == 0
    for request_id in (1, 2, 3):
        await store.save(link(request_id))

    assert await store.count() == 3


# --------------------------------------------------------------------------- threads


async def test_by_thread_finds_the_ticket_of_a_thread(store: LinkStore) -> None:
    await store.save(link(1, thread="1.1"))
    await store.save(link(2, thread="2.2"))
    await store.save(link(3, platform="teams", conversation="C1", thread="1.1"))

    found = await store.by_thread("slack", "C1", "1.1")

    assert found is not None
    assert found.request_id == 1
    assert (await store.by_thread("teams", "C1", "1.1") or link(0)).request_id == 3
    assert await store.by_thread("slack", "C2", "1.1") is None
    assert await store.by_thread("slack", "C1", "3.3") is None


async def test_ids_with_separators_are_not_confused(store: LinkStore) -> None:
    await store.save(link(1, platform="teams", conversation="19:a@thread.tacv2", thread="b:c"))
    await store.save(link(2, platform="teams", conversation="19:a@thread.tacv2:b", thread="c"))

    first = await store.by_thread("teams", "19:a@thread.tacv2", "b:c")
    second = await store.by_thread("teams", "19:a@thread.tacv2:b", "c")

    assert (first and first.request_id, second and second.request_id) == (1, 2)


async def test_the_newest_ticket_of_a_thread_wins(store: LinkStore) -> None:
    await store.save(link(5, thread="1.0", created_at=T0 + timedelta(hours=1)))
    await store.save(link(9, thread="1.0", created_at=T0))

    found = await store.by_thread("slack", "C1", "1.0")

    assert found is not None
    assert found.request_id == 5


async def test_a_thread_follows_an_update_of_the_link(store: LinkStore) -> None:
    await store.save(link(1, thread="1.0"))

    await store.update(1, thread="2.0")

    assert await store.by_thread("slack", "C1", "1.0") is None
    assert (await store.by_thread("slack", "C1", "2.0") or link(0)).request_id == 1


# --------------------------------------------------------------------------- updates


async def test_update_changes_fields_and_returns_the_new_link(store: LinkStore) -> None:
    await store.save(link())

    new = await store.update(42, last_status="In Progress", last_conversation_seen=11)

    assert new is not None
    assert (new.last_status, new.last_conversation_seen) == ("In Progress", 11)
    assert new.updated_at > link().updated_at
    assert new.created_at == link().created_at
    assert await store.get(42) == new


async def test_update_of_a_missing_link_is_none(store: LinkStore) -> None:
    assert await store.update(404, last_status="Closed") is None
    assert await store.count() == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"request_id": 1}, "request_id cannot change"),
        ({"created_at": T0}, "created_at cannot change"),
        ({"colour": "red"}, "no field colour"),
        ({"last_conversation_seen": "lots"}, "last_conversation_seen"),
    ],
)
async def test_bad_updates_are_refused_and_change_nothing(
    store: LinkStore, changes: dict[str, Any], message: str
) -> None:
    await store.save(link())

    with pytest.raises(ValueError, match=message):
        await store.update(42, **changes)

    assert await store.get(42) == link()


async def test_concurrent_updates_of_one_link_never_lose_a_field(make_store: MakeStore) -> None:
    """Two replicas (two connections) set different fields of one link at the same moment,
    again and again: each round, both changes land."""
    first, second = make_store(), make_store()
    await first.save(link(1))
    await second.migrate()

    for round_ in range(30):
        await asyncio.gather(
            first.update(1, last_status=f"Status {round_}"),
            second.update(1, broken=round_ % 2 == 0, last_conversation_seen=round_),
            first.update(1, announcement=f"message {round_}"),
        )
        got = await second.get(1)
        assert got is not None
        assert (got.last_status, got.broken, got.last_conversation_seen, got.announcement) == (
            f"Status {round_}",
            round_ % 2 == 0,
            round_,
            f"message {round_}",
        ), f"round {round_}"

    # The indexes moved with the link: it is open under its current status only.
    assert [found.request_id for found in await first.open_links(10)] == [1]
    assert await first.open_links(10, closed={"Status 29"}) == []


async def test_many_tasks_of_one_process_updating_one_link_each_land(store: LinkStore) -> None:
    await store.save(link(1))

    for round_ in range(10):
        changes: list[dict[str, Any]] = [
            {"last_status": f"S{round_}"},
            {"broken": round_ % 2 == 1},
            {"last_conversation_seen": round_},
            {"announcement": f"a{round_}"},
            {"endpoint": f"https://e{round_}.example.com/"},
            {"subject": f"Subject {round_}"},
        ]
        results = await asyncio.gather(*(store.update(1, **change) for change in changes))

        got = await store.get(1)
        assert got is not None
        for change in changes:
            assert got.model_dump(include=set(change)) == change, f"round {round_}"
        assert got in results  # the last writer returned what is stored


# --------------------------------------------------------------------------- open links


async def test_open_links_page_by_request_id_and_skip_closed(store: LinkStore) -> None:
    statuses = [None, "Open", "In Progress", "Closed", "Resolved"]
    for request_id in range(1, 26):
        await store.save(link(request_id, last_status=statuses[request_id % len(statuses)]))
    expected = [n for n in range(1, 26) if statuses[n % len(statuses)] != "Closed"]

    seen: list[int] = []
    after: int | None = None
    while page := await store.open_links(7, after_request_id=after, closed={"Closed"}):
        assert len(page) <= 7
        seen += [found.request_id for found in page]
        after = page[-1].request_id

    assert seen == expected
    assert len(expected) == 20


async def test_open_links_take_the_closed_names_from_the_caller(store: LinkStore) -> None:
    for request_id, status in enumerate(["Resolved", "Closed", "Cancelled", None], start=1):
        await store.save(link(request_id, last_status=status))

    default = await store.open_links(10)
    custom = await store.open_links(10, closed={"Closed", "Cancelled", "Resolved"})
    nothing_closed = await store.open_links(10, closed=set())

    assert [found.request_id for found in default] == [1, 3, 4]
    assert [found.request_id for found in custom] == [4]
    assert [found.request_id for found in nothing_closed] == [1, 2, 3, 4]


async def test_closing_and_reopening_moves_a_link_out_of_and_back_into_open_links(
    store: LinkStore,
) -> None:
    await store.save(link(1, last_status="Resolved"))

    await store.update(1, last_status="Closed")
    assert await store.open_links(10) == []

    await store.update(1, last_status="In Progress")
    assert [found.request_id for found in await store.open_links(10)] == [1]


async def test_open_links_limits(store: LinkStore) -> None:
    for request_id in (1, 2, 3):
        await store.save(link(request_id))

    assert await store.open_links(0) == []
    assert [found.request_id for found in await store.open_links(2)] == [1, 2]
    assert [found.request_id for found in await store.open_links(5, after_request_id=2)] == [3]
    with pytest.raises(ValueError, match="negative"):
        await store.open_links(-1)


# --------------------------------------------------------------------------- durability


async def test_a_restart_loses_nothing(make_store: MakeStore) -> None:
    before = make_store()
    for request_id in (1, 2, 3):
        await before.save(link(request_id))
    updated = await before.update(2, last_status="Closed", broken=True)
    await before.close()

    after = make_store()

    assert await after.count() == 3
    assert await after.get(1) == link(1)
    assert await after.get(2) == updated
    assert await after.by_thread("slack", "C1", link(3).thread or "") == link(3)
    assert [found.request_id for found in await after.open_links(10)] == [1, 3]


async def test_a_replica_sees_what_another_wrote(make_store: MakeStore) -> None:
    one, other = make_store(), make_store()

    await one.save(link(1))
    await other.update(1, last_status="Pending")

    got = await one.get(1)
    assert got is not None
    assert got.last_status == "Pending"


async def test_nothing_expires_on_redis(redis_server: RedisServer, redis_url: str) -> None:  # noqa: F811
    store = build_link_store(redis_url)
    try:
        await store.save(link(1, last_status="Open"))
        await store.update(1, last_status="Pending")
    finally:
        await store.close()

    client = redis.Redis(host=redis_server.host, port=redis_server.port, decode_responses=True)
    try:
        keys = client.keys(f"{REDIS_PREFIX}*")
        assert f"{REDIS_PREFIX}link:1" in keys
        assert {key: client.ttl(key) for key in keys} == dict.fromkeys(keys, -1)
    finally:
        client.close()


async def test_clearing_the_cache_keeps_the_links(redis_url: str) -> None:  # noqa: F811
    """`CACHE_URL` and `STATE_URL` may name one Redis database: the cache's namespace is not
    the links'. (aiocache's `clear()` without a namespace is FLUSHDB, which spares nothing.)"""
    store = build_link_store(redis_url)
    cache = build_cache(redis_url)
    try:
        await store.save(link(1))
        await cache.set("token", {"value": "t"})

        await cache.clear(namespace="serviceops-bot")

        assert await cache.get("token") is None
        assert await store.get(1) == link(1)
    finally:
        await cache.close()
        await store.close()


async def test_redis_without_persistence_is_warned_about(
    redis_url: str,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = build_link_store(redis_url)
    try:
        with caplog.at_level(logging.WARNING, logger="bot.state"):
            await store.migrate()
    finally:
        await store.close()

    assert "append-only file" in caplog.text
    assert "README" in caplog.text


# --------------------------------------------------------------------------- schema


def _recorded_version(state_url: str) -> int:
    if state_url.startswith("sqlite:///"):
        with sqlite3.connect(state_url.removeprefix("sqlite:///")) as db:
            (version,) = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(version)
    client = redis.Redis.from_url(state_url, decode_responses=True)
    try:
        return int(client.get(f"{REDIS_PREFIX}schema-version"))  # type: ignore[arg-type]
    finally:
        client.close()


def _migrations_applied(state_url: str) -> int:
    with sqlite3.connect(state_url.removeprefix("sqlite:///")) as db:
        (rows,) = db.execute("SELECT COUNT(*) FROM schema_version").fetchone()
    return int(rows)


def _record_version(state_url: str, version: int) -> None:
    if state_url.startswith("sqlite:///"):
        with sqlite3.connect(state_url.removeprefix("sqlite:///")) as db:
            db.execute("INSERT INTO schema_version VALUES (?, ?)", (version, "2031-01-01"))
        return
    client = redis.Redis.from_url(state_url)
    try:
        client.set(f"{REDIS_PREFIX}schema-version", version)
    finally:
        client.close()


async def test_the_schema_version_is_recorded_once(make_store: MakeStore, state_url: str) -> None:
    first = make_store()

    assert await first.migrate() == SCHEMA_VERSION == 1
    assert await first.migrate() == 1
    assert await make_store().migrate() == 1  # another start: nothing to do

    assert _recorded_version(state_url) == 1
    if state_url.startswith("sqlite:///"):
        assert _migrations_applied(state_url) == 1


async def test_first_use_prepares_the_store(make_store: MakeStore, state_url: str) -> None:
    assert await make_store().get(1) is None

    assert _recorded_version(state_url) == 1


async def test_a_newer_schema_is_refused_naming_state_url(
    make_store: MakeStore, state_url: str
) -> None:
    await make_store().save(link(1))
    _record_version(state_url, 99)

    later = make_store()
    with pytest.raises(StateError) as refused:
        await later.migrate()
    with pytest.raises(StateError):
        await later.get(1)  # and no operation reads what it cannot understand

    message = str(refused.value)
    assert "STATE_URL" in message
    assert "version 99" in message
    assert f"up to {SCHEMA_VERSION}" in message
    assert isinstance(refused.value, LinkStoreError)
    assert _recorded_version(state_url) == 99  # nothing was changed


def test_the_first_sqlite_schema_has_a_column_per_link_field(tmp_path: Path) -> None:
    """A new `TicketLink` field needs a new schema version (and a migration) too."""

    async def prepare() -> None:
        store = build_link_store(f"sqlite:///{tmp_path / 'links.sqlite3'}")
        await store.migrate()
        await store.close()

    asyncio.run(prepare())
    with sqlite3.connect(tmp_path / "links.sqlite3") as db:
        columns = tuple(row[1] for row in db.execute("PRAGMA table_info(links)"))
        indexes = {row[1] for row in db.execute("PRAGMA index_list(links)")}
        (mode,) = db.execute("PRAGMA journal_mode").fetchone()

    assert columns == FIELDS == tuple(TicketLink.model_fields)
    assert {"links_by_thread", "links_by_status"} <= indexes
    assert mode == "wal"


def test_sqlite_finds_threads_and_open_links_through_its_indexes(tmp_path: Path) -> None:
    """Years of closed tickets must not be walked to find a thread or the open few."""
    path = tmp_path / "links.sqlite3"

    async def prepare() -> None:
        store = build_link_store(f"sqlite:///{path}")
        await store.migrate()
        await store.close()

    asyncio.run(prepare())
    with sqlite3.connect(path) as db:

        def plan(query: str, *values: Any) -> str:
            return " ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {query}", values))

        statuses = plan(state._DISTINCT_STATUSES)
        with_status = plan(state._OPEN_WITH_STATUS, "Open", 0, 10)
        without_status = plan(state._OPEN_WITHOUT_STATUS, 0, 10)
        thread = plan(state._BY_THREAD, "slack", "C1", "1.0")

    assert "USING COVERING INDEX links_by_status" in statuses
    assert "SCAN links" not in statuses
    assert "USING INDEX links_by_status (last_status=? AND request_id>?)" in with_status
    assert "USING INDEX links_by_status (last_status=? AND request_id>?)" in without_status
    assert "USING INDEX links_by_thread" in thread
    assert "TEMP B-TREE" not in with_status + without_status + thread


# --------------------------------------------------------------------------- the event loop


async def _ticks_during(work: Callable[[], Any]) -> int:
    """How often a task that only yields got to run while `work` was awaited."""
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    start = ticks
    try:
        await work()
    finally:
        task.cancel()
    return ticks - start


async def test_sqlite_never_blocks_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "links.sqlite3"
    store = build_link_store(f"sqlite:///{path}")
    writes = 40

    async def batch() -> None:
        for request_id in range(writes):
            await store.save(link(request_id))
            await store.update(request_id, last_status="Open")

    try:
        ticks = await _ticks_during(batch)
    finally:
        await store.close()

    # Every awaited call handed the loop over at least once while its thread worked.
    assert ticks >= 2 * writes


async def test_the_ticker_would_notice_writes_on_the_loop(tmp_path: Path) -> None:
    """The probe above can fail: the same writes done on the loop's thread starve it."""
    db = sqlite3.connect(tmp_path / "blocking.sqlite3", isolation_level=None)
    db.execute("CREATE TABLE t (n INTEGER)")

    async def batch() -> None:
        for n in range(40):
            await _write_on_the_loop(db, n)

    try:
        assert await _ticks_during(batch) == 0
    finally:
        db.close()


async def _write_on_the_loop(db: sqlite3.Connection, n: int) -> None:
    db.execute("INSERT INTO t VALUES (?)", (n,))


# --------------------------------------------------------------------------- URLs


async def test_a_relative_sqlite_path_is_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = build_link_store("sqlite:///serviceops-bot.sqlite3")
    try:
        await store.save(link(1))
    finally:
        await store.close()

    assert (tmp_path / "serviceops-bot.sqlite3").is_file()


async def test_an_in_memory_sqlite_store_works_and_is_private() -> None:
    one, other = build_link_store("sqlite:///:memory:"), build_link_store("sqlite:///:memory:")
    try:
        await one.save(link(1))
        assert await one.get(1) == link(1)
        assert await other.get(1) is None
    finally:
        await one.close()
        await other.close()


@pytest.mark.parametrize(
    "url", ["memory://", "sqlite://relative.sqlite3", "sqlite:///", "postgres://db/x", "x"]
)
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="STATE_URL must be sqlite:///"):
        build_link_store(url)


def test_passwords_never_appear_in_messages() -> None:
    assert redact("redis://:s3cret@cache:6379/0") == "redis://:***@cache:6379/0"
    assert redact("rediss://bot:s3cret@cache:6380/1") == "rediss://bot:***@cache:6380/1"
    assert redact("redis://cache:6379/0") == "redis://cache:6379/0"
    with pytest.raises(ValueError, match="STATE_URL must be") as refused:
        build_link_store("mysql://root:s3cret@db/x")
    assert "s3cret" not in str(refused.value)


async def test_an_unreachable_redis_is_reported_without_its_password() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = build_link_store(f"redis://:s3cret@127.0.0.1:{port}/0")
    try:
        with pytest.raises(StateError) as refused:
            await store.migrate()
    finally:
        await store.close()

    assert f"STATE_URL redis://:***@127.0.0.1:{port}/0" in str(refused.value)
    assert "s3cret" not in str(refused.value)


async def test_an_unusable_sqlite_file_is_reported_naming_state_url(tmp_path: Path) -> None:
    missing_dir = build_link_store(f"sqlite:///{tmp_path / 'no-such-dir' / 'links.sqlite3'}")
    not_a_database = tmp_path / "notes.txt"
    not_a_database.write_text("not a database, " * 100, encoding="utf-8")
    garbage = build_link_store(f"sqlite:///{not_a_database}")
    try:
        for store in (missing_dir, garbage):
            with pytest.raises(StateError, match="STATE_URL sqlite:///"):
                await store.migrate()
    finally:
        await missing_dir.close()
        await garbage.close()


async def test_a_closed_store_refuses(store: LinkStore) -> None:
    await store.save(link(1))
    await store.close()
    await store.close()  # twice is harmless

    with pytest.raises(StateError, match="closed"):
        await store.get(1)
