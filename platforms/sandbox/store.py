"""The sandbox's state: one SQLite file (WAL), one connection behind a lock.

A single serialised connection is the simplest thread-safe option and is not the
bottleneck: each request does a few indexed statements while the GIL serialises Python
anyway. Time is the sandbox clock (wall clock plus an offset that only moves forward), so
scheduled public replies can be made visible without waiting.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from platforms.sandbox import public

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    platform TEXT NOT NULL, external_id TEXT NOT NULL,
    handle TEXT NOT NULL, name TEXT NOT NULL, token TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'en',
    post_seq INTEGER NOT NULL DEFAULT 0,
    rl_remaining INTEGER, rl_reset INTEGER, rl_code INTEGER,
    err_5xx INTEGER NOT NULL DEFAULT 0, slow_ms INTEGER NOT NULL DEFAULT 0,
    token_expired INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (platform, external_id)
);
CREATE INDEX IF NOT EXISTS accounts_token ON accounts (platform, token);
CREATE TABLE IF NOT EXISTS items (
    platform TEXT NOT NULL,
    num INTEGER NOT NULL,
    ext_id TEXT NOT NULL,
    account TEXT NOT NULL,
    kind TEXT NOT NULL,
    by_us INTEGER NOT NULL DEFAULT 0,
    author_id TEXT NOT NULL, author_handle TEXT NOT NULL, author_name TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at REAL NOT NULL,
    conversation_id TEXT, in_reply_to_id TEXT, in_reply_to_user_id TEXT,
    post_id TEXT,
    mentions TEXT,
    hidden INTEGER NOT NULL DEFAULT 0, deleted INTEGER NOT NULL DEFAULT 0,
    category TEXT, media TEXT, ordinal INTEGER,
    client_time TEXT, received_at REAL,
    PRIMARY KEY (platform, ext_id)
);
CREATE INDEX IF NOT EXISTS items_account ON items (platform, account, kind, created_at);
CREATE INDEX IF NOT EXISTS items_num ON items (platform, num);
-- A conversation search reads newest first from since_id: (conversation, num) serves the filter,
-- the range and the order; on (conversation) alone SQLite walks every newer tweet instead.
DROP INDEX IF EXISTS items_conv;
CREATE INDEX IF NOT EXISTS items_conv_num ON items (platform, conversation_id, num);
CREATE INDEX IF NOT EXISTS items_post ON items (platform, post_id, created_at);
CREATE INDEX IF NOT EXISTS items_mentions ON items (platform, mentions, num);
CREATE INDEX IF NOT EXISTS items_ours ON items (by_us, platform, account);
CREATE TABLE IF NOT EXISTS media (
    platform TEXT NOT NULL, ext_id TEXT NOT NULL, account TEXT NOT NULL,
    mime_type TEXT NOT NULL, size INTEGER NOT NULL, filename TEXT,
    alt_text TEXT NOT NULL DEFAULT '', caption TEXT, published INTEGER NOT NULL DEFAULT 0,
    used_by TEXT, created_at REAL NOT NULL,
    PRIMARY KEY (platform, ext_id)
);
CREATE TABLE IF NOT EXISTS hashtags (
    tag TEXT PRIMARY KEY, language TEXT NOT NULL, created_at REAL NOT NULL
);
"""

# X snowflakes count milliseconds from this epoch (2010-11-04), shifted past a 22-bit sequence.
TWEPOCH_MS = 1288834974657
FB_BASE = 10**14


@dataclass(frozen=True)
class Account:
    platform: str
    external_id: str
    handle: str
    name: str
    token: str
    language: str
    rl_remaining: int | None
    rl_reset: int | None
    rl_code: int | None
    err_5xx: int
    slow_ms: int
    token_expired: bool

    def public_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "external_id": self.external_id,
            "handle": self.handle,
            "name": self.name,
            "language": self.language,
            "faults": self.faults(),
        }

    def faults(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.rl_reset is not None:
            out["rate_limit"] = {
                "remaining": self.rl_remaining,
                "reset": self.rl_reset,
                "code": self.rl_code,
            }
        if self.err_5xx:
            out["error_5xx"] = self.err_5xx
        if self.slow_ms:
            out["slow_ms"] = self.slow_ms
        if self.token_expired:
            out["token_expired"] = True
        return out


ACCOUNT_COLUMNS = (
    "platform, external_id, handle, name, token, language, rl_remaining, rl_reset, rl_code, "
    "err_5xx, slow_ms, token_expired"
)


def _account(row: sqlite3.Row | None) -> Account | None:
    if row is None:
        return None
    values = dict(row)
    values["token_expired"] = bool(values["token_expired"])
    return Account(**values)


class Store:
    def __init__(self, path: str, seed: int) -> None:
        self.path = path
        self.seed = seed
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(SCHEMA)
        self._offset = float(self._meta("clock_offset", "0"))
        self._seq = self._max_seq()

    # -- plumbing ---------------------------------------------------------------------

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        with self.lock:
            return self.conn.execute(sql, params).fetchone()

    def _meta(self, key: str, default: str) -> str:
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        return str(row["value"]) if row else default

    def _max_seq(self) -> int:
        row = self.one("SELECT COUNT(*) AS n FROM items")
        media = self.one("SELECT COUNT(*) AS n FROM media")
        return int(row["n"] if row else 0) + int(media["n"] if media else 0)

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    def reset(self) -> None:
        with self.tx() as c:
            for table in ("accounts", "items", "media", "hashtags", "meta"):
                c.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        self._offset = 0.0

    # -- clock and ids ----------------------------------------------------------------

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        with self.tx() as c:
            self._offset += max(0.0, seconds)
            c.execute(
                "INSERT INTO meta (key, value) VALUES ('clock_offset', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (repr(self._offset),),
            )
        return self.now()

    def _next_seq(self) -> int:
        # Only called inside tx(), so the lock makes this increment safe.
        self._seq += 1
        return self._seq

    def x_num(self, at: float) -> int:
        """Snowflake-like: ordered by time, so since_id works for future-dated replies too."""
        return ((int(at * 1000) - TWEPOCH_MS) << 22) | (self._next_seq() & 0x3FFFFF)

    def fb_num(self) -> int:
        return FB_BASE + self._next_seq()

    # -- accounts -----------------------------------------------------------------------

    def upsert_account(self, data: dict[str, Any]) -> Account:
        with self.tx() as c:
            c.execute(
                "INSERT INTO accounts (platform, external_id, handle, name, token, language) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (platform, external_id) DO UPDATE SET "
                "handle = excluded.handle, name = excluded.name, token = excluded.token, "
                "language = excluded.language",
                (
                    data["platform"],
                    str(data["external_id"]),
                    data.get("handle") or str(data["external_id"]),
                    data.get("name") or data.get("handle") or str(data["external_id"]),
                    data["token"],
                    public.language_of(data.get("language", "en")),
                ),
            )
        account = self.account(data["platform"], str(data["external_id"]))
        assert account is not None  # noqa: S101 - just written
        return account

    def account(self, platform: str, external_id: str) -> Account | None:
        return _account(
            self.one(
                f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE platform = ? AND external_id = ?",  # noqa: S608
                (platform, external_id),
            )
        )

    def account_by_token(self, platform: str, token: str) -> Account | None:
        return _account(
            self.one(
                f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE platform = ? AND token = ?",  # noqa: S608
                (platform, token),
            )
        )

    def accounts(self) -> list[Account]:
        rows = self.query(
            f"SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY platform, external_id"  # noqa: S608
        )
        return [a for a in map(_account, rows) if a is not None]

    def set_faults(self, account: Account, faults: dict[str, Any]) -> Account:
        sets: dict[str, Any] = {}
        if "rate_limit" in faults:
            rl = faults["rate_limit"] or {}
            sets["rl_remaining"] = int(rl.get("remaining", 0))
            sets["rl_reset"] = math.ceil(time.time() + float(rl.get("reset_in_s", 60)))
            sets["rl_code"] = int(rl["code"]) if rl.get("code") is not None else None
        if "error_5xx" in faults:
            sets["err_5xx"] = int(faults["error_5xx"])
        if "slow_ms" in faults:
            sets["slow_ms"] = int(faults["slow_ms"])
        if "token_expired" in faults:
            sets["token_expired"] = 1 if faults["token_expired"] else 0
        if sets:
            assignments = ", ".join(f"{k} = ?" for k in sets)
            with self.tx() as c:
                c.execute(
                    f"UPDATE accounts SET {assignments} WHERE platform = ? AND external_id = ?",  # noqa: S608
                    (*sets.values(), account.platform, account.external_id),
                )
        updated = self.account(account.platform, account.external_id)
        assert updated is not None  # noqa: S101
        return updated

    def clear_faults(self, account: Account) -> None:
        with self.tx() as c:
            c.execute(
                "UPDATE accounts SET rl_remaining = NULL, rl_reset = NULL, rl_code = NULL, "
                "err_5xx = 0, slow_ms = 0, token_expired = 0 "
                "WHERE platform = ? AND external_id = ?",
                (account.platform, account.external_id),
            )

    def consume_fault(self, account: Account) -> str | None:
        """Apply rate-limit and 5xx faults to one call: 'rate_limited', 'error_5xx' or None."""
        if account.rl_reset is None and not account.err_5xx:
            return None
        with self.tx() as c:
            row = c.execute(
                "SELECT rl_remaining, rl_reset, err_5xx FROM accounts "
                "WHERE platform = ? AND external_id = ?",
                (account.platform, account.external_id),
            ).fetchone()
            key = (account.platform, account.external_id)
            if row["rl_reset"] is not None:
                if time.time() >= row["rl_reset"]:
                    c.execute(
                        "UPDATE accounts SET rl_remaining = NULL, rl_reset = NULL, "
                        "rl_code = NULL WHERE platform = ? AND external_id = ?",
                        key,
                    )
                elif (row["rl_remaining"] or 0) <= 0:
                    return "rate_limited"
                else:
                    c.execute(
                        "UPDATE accounts SET rl_remaining = rl_remaining - 1 "
                        "WHERE platform = ? AND external_id = ?",
                        key,
                    )
            if row["err_5xx"] > 0:
                c.execute(
                    "UPDATE accounts SET err_5xx = err_5xx - 1 "
                    "WHERE platform = ? AND external_id = ?",
                    key,
                )
                return "error_5xx"
        return None

    # -- content --------------------------------------------------------------------------

    def insert_item(self, c: sqlite3.Connection, **values: Any) -> None:
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        c.execute(f"INSERT INTO items ({columns}) VALUES ({marks})", tuple(values.values()))  # noqa: S608

    def item(self, platform: str, ext_id: str) -> sqlite3.Row | None:
        return self.one(
            "SELECT * FROM items WHERE platform = ? AND ext_id = ? AND deleted = 0",
            (platform, ext_id),
        )

    def next_ordinal(self, c: sqlite3.Connection, account: Account) -> int:
        c.execute(
            "UPDATE accounts SET post_seq = post_seq + 1 WHERE platform = ? AND external_id = ?",
            (account.platform, account.external_id),
        )
        row = c.execute(
            "SELECT post_seq FROM accounts WHERE platform = ? AND external_id = ?",
            (account.platform, account.external_id),
        ).fetchone()
        return int(row["post_seq"])

    def rng(self, *parts: object) -> random.Random:
        """Deterministic randomness for the public, from the seed and a stable identity."""
        return public.seeded(self.seed, *parts)

    def audience(self, account: Account) -> dict[str, int]:
        """The account's followers now: deterministic for the seed, growing with the sandbox
        clock and with each post it has made (`post_seq` is stored, so it survives a restart)."""
        row = self.one(
            "SELECT post_seq FROM accounts WHERE platform = ? AND external_id = ?",
            (account.platform, account.external_id),
        )
        posts = int(row["post_seq"]) if row else 0
        rng = self.rng("audience", account.platform, account.external_id)
        return public.audience(rng, self.now(), posts)

    def post_count(self, account: Account) -> int:
        """Our own visible posts and replies on the account (X's tweet_count)."""
        row = self.one(
            "SELECT COUNT(*) AS n FROM items WHERE by_us = 1 AND platform = ? AND account = ? "
            "AND deleted = 0",
            (account.platform, account.external_id),
        )
        return int(row["n"]) if row else 0

    def post_metrics(self, row: sqlite3.Row) -> dict[str, int]:
        rng = self.rng("metrics", row["platform"], row["account"], row["ordinal"] or row["ext_id"])
        values = public.metrics(rng, self.now() - float(row["created_at"]))
        replies = self.one(
            "SELECT COUNT(*) AS n FROM items WHERE platform = ? AND post_id = ? "
            "AND ext_id != post_id AND created_at <= ? AND deleted = 0",
            (row["platform"], row["ext_id"], self.now()),
        )
        values["replies"] = int(replies["n"]) if replies else 0
        return values

    def add_media(self, c: sqlite3.Connection, **values: Any) -> None:
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        c.execute(f"INSERT INTO media ({columns}) VALUES ({marks})", tuple(values.values()))  # noqa: S608

    def media_for(self, platform: str, ids: list[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        marks = ", ".join("?" for _ in ids)
        rows = self.query(
            f"SELECT ext_id, mime_type, size, alt_text, filename FROM media "  # noqa: S608
            f"WHERE platform = ? AND ext_id IN ({marks})",
            (platform, *ids),
        )
        return [dict(r) for r in rows]

    def stats(self) -> dict[str, Any]:
        row = self.one(
            "SELECT COUNT(*) AS publishes, "
            "COUNT(*) - COUNT(DISTINCT platform || char(0) || account || char(0) || text) "
            "AS duplicates, SUM(deleted) AS deleted FROM items WHERE by_us = 1"
        )
        per = self.query(
            "SELECT platform, account, COUNT(*) AS publishes, "
            "COUNT(*) - COUNT(DISTINCT text) AS duplicates FROM items WHERE by_us = 1 "
            "GROUP BY platform, account ORDER BY platform, account"
        )
        public_row = self.one(
            "SELECT COUNT(*) AS n FROM items WHERE by_us = 0 AND created_at <= ?", (self.now(),)
        )
        return {
            "publishes": int(row["publishes"] or 0) if row else 0,
            "duplicates": int(row["duplicates"] or 0) if row else 0,
            "deleted": int(row["deleted"] or 0) if row else 0,
            "public_items_visible": int(public_row["n"]) if public_row else 0,
            "accounts": [dict(r) for r in per],
            "now": self.now(),
            "seed": self.seed,
        }


def dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
