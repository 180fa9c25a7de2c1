"""Durable state: the link stores behind `STATE_URL` (see `bot.core.links`).

The cache may forget; this may not. Two backends:

- `sqlite:///path/to/file.sqlite3` (the default, one host): the standard library's `sqlite3`
  in WAL mode, run on one worker thread per store so the event loop never waits on disk.
  A relative path is relative to the working directory; `sqlite:////abs/path` is absolute;
  `sqlite:///:memory:` lives and dies with the store (tests).
- `redis://…` / `rediss://…` (replicas share it): one hash per link plus index keys, no
  expiry. Redis must persist (append-only file) for links to survive a Redis restart.

Both keep a schema version and refuse one newer than this release knows, naming `STATE_URL`,
rather than misread it. Values are JSON-safe; timestamps are ISO 8601 strings in UTC.

SQLite layout (schema version 1)::

    schema_version(version INTEGER PRIMARY KEY, applied_at TEXT)   one row per migration
    links(request_id INTEGER PRIMARY KEY, <one column per TicketLink field>)
    links_by_thread ON links(platform, conversation, thread, created_at)
    links_by_status ON links(last_status, request_id)

Redis layout (schema version 1), every key under `serviceops-bot-state:`, none expiring::

    schema-version              string  "1"
    link:{request_id}           hash    TicketLink field -> JSON value
    links                       zset    every request id, scored by itself (count, paging)
    thread:{platform}:{conversation}:{thread}
                                set     request ids living in that thread (ids percent-encoded)
    status:{last_status}        zset    request ids whose last status told is that (encoded)
    status-none                 zset    request ids with no status told yet
    statuses                    set     every status name that has an index key
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import sqlite3
import urllib.parse
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import redis.asyncio
from redis.exceptions import RedisError, WatchError

from bot.core.links import (
    CLOSED_STATUSES,
    LinkStore,
    LinkStoreError,
    ThreadKey,
    TicketLink,
    utcnow,
)

log = logging.getLogger("bot.state")

SCHEMA_VERSION = 1
"""The schema this release writes. A store at an older version is upgraded on start; one at
a newer version is refused."""

FIELDS: tuple[str, ...] = tuple(TicketLink.model_fields)
"""A link's fields: the SQLite columns and the Redis hash fields, in this order."""

BUSY_SECONDS = 10.0
"""How long a SQLite write waits for another connection's write to finish."""

REDIS_PREFIX = "serviceops-bot-state:"
"""Outside the cache's `serviceops-bot:` namespace, so clearing the cache never touches it."""

REDIS_CONNECT_SECONDS = 5.0
WATCH_ATTEMPTS = 100
"""How often a Redis write retries when another client changed the same link meanwhile."""

T = TypeVar("T")


class StateError(LinkStoreError):
    """The store behind `STATE_URL` cannot be used, or refused an operation; the message says
    which store (without its password) and what to do."""


def build_link_store(url: str) -> LinkStore:
    """The link store for a `STATE_URL`. Nothing is opened yet: call `migrate()` at start-up
    to fail early; every other method prepares the store on first use.

    Raises:
        ValueError: the URL is neither `sqlite:///…` nor `redis://…`/`rediss://…`.
    """
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "sqlite" and url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return SqliteLinkStore(url.removeprefix("sqlite:///"), url=url)
    if parsed.scheme in ("redis", "rediss"):
        return RedisLinkStore(url)
    raise ValueError(
        f"STATE_URL must be sqlite:///path/to/file.sqlite3 or redis://host:6379/0, "
        f"not {redact(url)!r}"
    )


def redact(url: str) -> str:
    """`url` without its password, fit for messages and logs."""
    parsed = urllib.parse.urlsplit(url)
    if not parsed.password:
        return url
    netloc = parsed.netloc.rpartition("@")[2]
    user = f"{parsed.username}:" if parsed.username else ":"
    return urllib.parse.urlunsplit(parsed._replace(netloc=f"{user}***@{netloc}"))


def _too_new(url: str, found: int) -> StateError:
    return StateError(
        f"STATE_URL {redact(url)} holds link schema version {found}, newer than this release "
        f"understands (up to {SCHEMA_VERSION}): it was written by a later release. Run that "
        "release (or a later one), or point STATE_URL at another store; nothing was changed."
    )


def _check_limit(limit: int) -> None:
    if limit < 0:
        raise ValueError(f"limit must not be negative, not {limit}")


# --------------------------------------------------------------------------- SQLite

_SQLITE_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """
        CREATE TABLE links (
            request_id INTEGER PRIMARY KEY,
            number TEXT NOT NULL,
            url TEXT NOT NULL,
            subject TEXT NOT NULL,
            platform TEXT NOT NULL,
            workspace TEXT,
            conversation TEXT,
            thread TEXT,
            endpoint TEXT,
            requester TEXT NOT NULL,
            requester_email TEXT,
            announcement TEXT,
            last_status TEXT,
            last_conversation_seen INTEGER,
            broken INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX links_by_thread ON links (platform, conversation, thread, created_at)",
        "CREATE INDEX links_by_status ON links (last_status, request_id)",
    ),
}
"""Each version's statements, applied in order from the store's version up to
`SCHEMA_VERSION` in one transaction. Released versions never change: add the next one."""

_COLUMNS = ", ".join(FIELDS)
_SELECT = f"SELECT {_COLUMNS} FROM links"  # noqa: S608 (column names are constants)
_DISTINCT_STATUSES = """
    WITH RECURSIVE statuses(status) AS (
        SELECT MIN(last_status) FROM links
        UNION ALL
        SELECT (SELECT MIN(last_status) FROM links WHERE last_status > statuses.status)
        FROM statuses WHERE statuses.status IS NOT NULL
    )
    SELECT status FROM statuses WHERE status IS NOT NULL
"""
"""Every status told, by skipping through the status index (a step per status, not per link)."""
_OPEN_WITH_STATUS = (
    f"{_SELECT} WHERE last_status = ? AND request_id > ? ORDER BY request_id LIMIT ?"
)
_BY_THREAD = (
    f"{_SELECT} WHERE platform = ? AND conversation = ? AND thread = ? "
    "ORDER BY created_at DESC, request_id DESC LIMIT 1"
)
"""The newest link of a thread (two tickets may be filed from one thread)."""
_OPEN_WITHOUT_STATUS = (
    f"{_SELECT} WHERE last_status IS NULL AND request_id > ? ORDER BY request_id LIMIT ?"
)


def _row_to_link(row: Iterable[Any]) -> TicketLink:
    return TicketLink.model_validate(dict(zip(FIELDS, row, strict=True)))


def _link_to_row(link: TicketLink) -> tuple[Any, ...]:
    values = link.model_dump(mode="json")
    return tuple(values[name] for name in FIELDS)


class SqliteLinkStore:
    """Links in one SQLite file, used from one worker thread (one connection) per store.

    Several stores (processes) may share a file on one host: writes take SQLite's write lock
    (`BEGIN IMMEDIATE`), so an update's read and write are one atomic step.
    """

    def __init__(self, path: str, *, url: str | None = None) -> None:
        self._path = path
        self._url = url or f"sqlite:///{path}"
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="link-store")
        self._connection: sqlite3.Connection | None = None
        self._version: int | None = None
        self._ready = asyncio.Lock()
        self._closed = False

    # -- plumbing: everything touching the connection runs on the worker thread

    async def _call(self, work: Callable[..., T], *args: Any) -> T:
        if self._closed:
            raise StateError(f"the link store at STATE_URL {self._url} is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, functools.partial(work, *args))
        except sqlite3.Error as exc:
            raise StateError(
                f"the link store at STATE_URL {self._url} failed: {exc} "
                f"(file {self._path!r}, relative to the working directory unless absolute)"
            ) from exc

    async def _use(self, work: Callable[..., T], *args: Any) -> T:
        await self.migrate()
        return await self._call(work, *args)

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(self._path, timeout=BUSY_SECONDS, isolation_level=None)
            try:
                connection.execute("PRAGMA journal_mode=WAL")
                # Durable at commit even across a power cut (WAL's default, NORMAL, is not).
                connection.execute("PRAGMA synchronous=FULL")
            except BaseException:
                connection.close()
                raise
            self._connection = connection
        return self._connection

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction holding SQLite's write lock from its start."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # -- schema

    async def migrate(self) -> int:
        if self._version is None:
            async with self._ready:
                if self._version is None:
                    self._version = await self._call(self._migrate)
        return self._version

    def _migrate(self) -> int:
        with self._writing() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            (found,) = db.execute("SELECT MAX(version) FROM schema_version").fetchone()
            current = int(found or 0)
            if current > SCHEMA_VERSION:
                raise _too_new(self._url, current)
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _SQLITE_MIGRATIONS[version]:
                    db.execute(statement)
                db.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                    (version, utcnow().isoformat(timespec="microseconds")),
                )
                log.info("link store %s: schema version %d", self._url, version)
        return SCHEMA_VERSION

    # -- LinkStore

    async def save(self, link: TicketLink) -> None:
        await self._use(self._save, link)

    def _save(self, link: TicketLink) -> None:
        marks = ", ".join("?" for _ in FIELDS)
        self._db().execute(
            f"INSERT OR REPLACE INTO links ({_COLUMNS}) VALUES ({marks})",  # noqa: S608
            _link_to_row(link),
        )

    async def get(self, request_id: int) -> TicketLink | None:
        return await self._use(self._get, request_id)

    def _get(self, request_id: int) -> TicketLink | None:
        row = self._db().execute(f"{_SELECT} WHERE request_id = ?", (request_id,)).fetchone()
        return None if row is None else _row_to_link(row)

    async def by_thread(self, platform: str, conversation: str, thread: str) -> TicketLink | None:
        return await self._use(self._by_thread, platform, conversation, thread)

    def _by_thread(self, platform: str, conversation: str, thread: str) -> TicketLink | None:
        row = self._db().execute(_BY_THREAD, (platform, conversation, thread)).fetchone()
        return None if row is None else _row_to_link(row)

    async def update(self, request_id: int, /, **changes: Any) -> TicketLink | None:
        TicketLink.check_changes(changes)
        return await self._use(self._update, request_id, changes)

    def _update(self, request_id: int, changes: dict[str, Any]) -> TicketLink | None:
        with self._writing() as db:
            row = db.execute(f"{_SELECT} WHERE request_id = ?", (request_id,)).fetchone()
            if row is None:
                return None
            new = _row_to_link(row).changed(changes)
            settings = ", ".join(f"{name} = ?" for name in FIELDS)
            db.execute(
                f"UPDATE links SET {settings} WHERE request_id = ?",  # noqa: S608
                (*_link_to_row(new), request_id),
            )
        return new

    async def open_links(
        self,
        limit: int,
        after_request_id: int | None = None,
        *,
        closed: Collection[str] = CLOSED_STATUSES,
    ) -> list[TicketLink]:
        _check_limit(limit)
        return await self._use(self._open_links, limit, after_request_id, set(closed))

    def _open_links(self, limit: int, after: int | None, closed: set[str]) -> list[TicketLink]:
        # One index range per open status (few) rather than a walk past every closed link
        # (most of them, in time): the status index answers each range in request id order.
        low = -(2**63) if after is None else after
        db = self._db()
        db.execute("BEGIN")  # one snapshot for the statuses and their links
        try:
            statuses = [row[0] for row in db.execute(_DISTINCT_STATUSES)]
            found: list[Any] = list(db.execute(_OPEN_WITHOUT_STATUS, (low, limit)))
            for status in statuses:
                if status not in closed:
                    found += db.execute(_OPEN_WITH_STATUS, (status, low, limit))
        finally:
            db.execute("COMMIT")
        found.sort(key=lambda row: row[0])  # request_id is the first column
        return [_row_to_link(row) for row in found[:limit]]

    async def count(self) -> int:
        return await self._use(self._count)

    def _count(self) -> int:
        (found,) = self._db().execute("SELECT COUNT(*) FROM links").fetchone()
        return int(found)

    async def close(self) -> None:
        if self._closed:
            return
        with contextlib.suppress(StateError):
            await self._call(self._close)
        self._closed = True
        self._executor.shutdown(wait=False)

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


# --------------------------------------------------------------------------- Redis


def _quoted(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _encode(link: TicketLink) -> dict[str, str]:
    return {name: json.dumps(value) for name, value in link.model_dump(mode="json").items()}


def _decode(raw: Mapping[Any, Any]) -> TicketLink:
    """A link from its hash (the client decodes replies to `str`)."""
    return TicketLink.model_validate({k: json.loads(v) for k, v in raw.items() if k in FIELDS})


class RedisLinkStore:
    """Links in Redis, shared by replicas. Writes are WATCH/MULTI transactions over the link's
    hash, so a link and its index entries always change together and concurrent updates of
    one link from several replicas each land whole."""

    def __init__(self, url: str, *, prefix: str = REDIS_PREFIX) -> None:
        self._url = url
        self._prefix = prefix
        self._client = redis.asyncio.Redis.from_url(
            url, decode_responses=True, socket_connect_timeout=REDIS_CONNECT_SECONDS
        )
        self._version: int | None = None
        self._ready = asyncio.Lock()
        self._closed = False

    # -- keys: the one place they are spelled

    def _key(self, name: str) -> str:
        return f"{self._prefix}{name}"

    def _link_key(self, request_id: int) -> str:
        return self._key(f"link:{request_id}")

    def _thread_key(self, platform: str, conversation: str, thread: str) -> str:
        return self._key(f"thread:{_quoted(platform)}:{_quoted(conversation)}:{_quoted(thread)}")

    def _thread_index(self, key: ThreadKey) -> str:
        return self._thread_key(key.platform, key.conversation, key.thread)

    def _status_key(self, status: str | None) -> str:
        return self._key("status-none" if status is None else f"status:{_quoted(status)}")

    # -- plumbing

    @contextlib.asynccontextmanager
    async def _errors(self) -> AsyncIterator[None]:
        if self._closed:
            raise StateError(f"the link store at STATE_URL {redact(self._url)} is closed")
        try:
            yield
        except RedisError as exc:
            raise StateError(
                f"the link store at STATE_URL {redact(self._url)} failed: {exc}"
            ) from exc

    async def migrate(self) -> int:
        if self._version is None:
            async with self._ready:
                if self._version is None:
                    async with self._errors():
                        self._version = await self._migrate()
                    await self._warn_without_persistence()
        return self._version

    async def _migrate(self) -> int:
        key = self._key("schema-version")
        await self._client.set(key, SCHEMA_VERSION, nx=True)
        found = await self._client.get(key)
        try:
            current = int(str(found))
        except ValueError:
            raise StateError(
                f"STATE_URL {redact(self._url)} holds {key} = {found!r}, not a schema version: "
                "is another program using these keys? Point STATE_URL at another database."
            ) from None
        if current > SCHEMA_VERSION:
            raise _too_new(self._url, current)
        # Version 1 is the first: later versions upgrade from `current` here, in order.
        return SCHEMA_VERSION

    async def _warn_without_persistence(self) -> None:
        with contextlib.suppress(RedisError):
            info = await self._client.info("persistence")
            if not info.get("aof_enabled"):
                log.warning(
                    "the Redis at STATE_URL %s writes no append-only file (appendonly no): "
                    "ticket links written since its last snapshot are lost if Redis restarts; "
                    "enable persistence (see the README)",
                    redact(self._url),
                )

    async def _load(self, request_ids: Iterable[int]) -> list[TicketLink | None]:
        pipe = self._client.pipeline(transaction=False)
        for request_id in request_ids:
            pipe.hgetall(self._link_key(request_id))
        found: list[dict[str, str]] = await pipe.execute()
        return [_decode(raw) if raw else None for raw in found]

    async def _write(self, request_id: int, change: Callable[[TicketLink | None], Any]) -> Any:
        """Read one link, compute what to store with `change(old)`, and write it with its
        index entries in one transaction, again if another client wrote the link meanwhile.

        `change` returns the new link, or None to write nothing; its result is returned.
        """
        key = self._link_key(request_id)
        async with self._client.pipeline(transaction=True) as pipe:
            for _ in range(WATCH_ATTEMPTS):
                try:
                    await pipe.watch(key)
                    raw = await pipe.hgetall(key)
                    old = _decode(raw) if raw else None
                    new = change(old)
                    if new is None:
                        await pipe.unwatch()  # type: ignore[no-untyped-call]
                        return None
                    pipe.multi()  # type: ignore[no-untyped-call]
                    self._queue_write(pipe, old, new)
                    await pipe.execute()
                    return new
                except WatchError:
                    await asyncio.sleep(0)
        raise StateError(
            f"link {request_id} at STATE_URL {redact(self._url)} kept changing while it was "
            f"written ({WATCH_ATTEMPTS} attempts)"
        )

    def _queue_write(self, pipe: Any, old: TicketLink | None, new: TicketLink) -> None:
        request_id = new.request_id
        key = self._link_key(request_id)
        pipe.delete(key)
        pipe.hset(key, mapping=_encode(new))
        pipe.zadd(self._key("links"), {str(request_id): request_id})
        old_thread = old.thread_key if old else None
        if old_thread is not None and old_thread != new.thread_key:
            pipe.srem(self._thread_index(old_thread), request_id)
        if new.thread_key is not None:
            pipe.sadd(self._thread_index(new.thread_key), request_id)
        if old is not None and old.last_status != new.last_status:
            pipe.zrem(self._status_key(old.last_status), request_id)
        pipe.zadd(self._status_key(new.last_status), {str(request_id): request_id})
        if new.last_status is not None:
            pipe.sadd(self._key("statuses"), new.last_status)

    # -- LinkStore

    async def save(self, link: TicketLink) -> None:
        await self.migrate()
        async with self._errors():
            await self._write(link.request_id, lambda old: link)

    async def get(self, request_id: int) -> TicketLink | None:
        await self.migrate()
        async with self._errors():
            raw = await self._client.hgetall(self._link_key(request_id))
        return _decode(raw) if raw else None

    async def by_thread(self, platform: str, conversation: str, thread: str) -> TicketLink | None:
        await self.migrate()
        async with self._errors():
            members = await self._client.smembers(self._thread_key(platform, conversation, thread))
            links = await self._load(sorted(int(member) for member in members))
        here = [
            link
            for link in links
            if link is not None
            and (link.platform, link.conversation, link.thread) == (platform, conversation, thread)
        ]
        if not here:
            return None
        return max(here, key=lambda link: (link.created_at, link.request_id))

    async def update(self, request_id: int, /, **changes: Any) -> TicketLink | None:
        TicketLink.check_changes(changes)
        await self.migrate()
        async with self._errors():
            new: TicketLink | None = await self._write(
                request_id, lambda old: old.changed(changes) if old is not None else None
            )
        return new

    async def open_links(
        self,
        limit: int,
        after_request_id: int | None = None,
        *,
        closed: Collection[str] = CLOSED_STATUSES,
    ) -> list[TicketLink]:
        _check_limit(limit)
        if limit == 0:
            return []
        await self.migrate()
        low = "-inf" if after_request_id is None else f"({after_request_id}"
        async with self._errors():
            statuses = await self._client.smembers(self._key("statuses"))
            keys = [self._status_key(None)] + [
                self._status_key(str(status))
                for status in sorted(statuses)
                if str(status) not in closed
            ]
            pipe = self._client.pipeline(transaction=False)
            for key in keys:
                pipe.zrangebyscore(key, low, "+inf", start=0, num=limit)
            pages: list[list[str]] = await pipe.execute()
            request_ids = sorted({int(member) for page in pages for member in page})[:limit]
            links = await self._load(request_ids)
        # A link may have closed between reading the index and reading the link.
        return [link for link in links if link is not None and link.is_open(closed)]

    async def count(self) -> int:
        await self.migrate()
        async with self._errors():
            return int(await self._client.zcard(self._key("links")))

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(RedisError):
            await self._client.aclose()
