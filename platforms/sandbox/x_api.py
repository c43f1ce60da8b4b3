"""X API v2 endpoints, as called by tweepy.Client and our media upload."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import UTC, datetime
from sqlite3 import Row
from typing import Any
from urllib.parse import unquote

from platforms.sandbox import content
from platforms.sandbox.store import Account, Store
from platforms.sandbox.wire import Reply, Request, json_reply

WINDOW_S = 900
WINDOW_LIMIT = 10000  # informational: natural limits are not enforced, faults are
MAX_TWEET_CHARS = 280

_TOKEN_RE = re.compile(r'oauth_token="([^"]*)"')
_window_lock = threading.Lock()
_window_calls: dict[tuple[str, int], int] = {}


def _problem(status: int, title: str, detail: str, **extra: Any) -> Reply:
    body = {"title": title, "detail": detail, "type": "about:blank", "status": status, **extra}
    return json_reply(status, body)


def _invalid(message: str) -> Reply:
    return json_reply(
        400,
        {
            "errors": [{"message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )


def _forbidden(detail: str) -> Reply:
    return _problem(403, "Forbidden", detail)


def _not_found(detail: str) -> Reply:
    return _problem(404, "Not Found Error", detail)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{int(ts * 1000) % 1000:03d}Z"
    )


def handle(store: Store, req: Request) -> Reply:
    token = _oauth_token(req.headers.get("authorization", ""))
    account = store.account_by_token("x", token) if token else None
    if account is None:
        return _with_limits(_problem(401, "Unauthorized", "Unauthorized"), None)
    if account.slow_ms:
        time.sleep(account.slow_ms / 1000)
    if account.token_expired:
        return _with_limits(_problem(401, "Unauthorized", "Unauthorized"), account)
    fault = store.consume_fault(account)
    if fault == "rate_limited":
        reply = json_reply(
            429,
            {
                "errors": [{"code": 88, "message": "Rate limit exceeded"}],
                "title": "Too Many Requests",
                "detail": "Too Many Requests",
                "type": "about:blank",
                "status": 429,
            },
        )
        return _with_limits(reply, account, remaining=0, reset=account.rl_reset)
    if fault == "error_5xx":
        reply = _problem(503, "Service Unavailable", "Service Unavailable")
        return _with_limits(reply, account)
    remaining = None
    if account.rl_reset is not None and account.rl_remaining is not None:
        remaining = max(0, account.rl_remaining - 1)
    reply = _route(store, account, req)
    return _with_limits(reply, account, remaining=remaining, reset=account.rl_reset)


def _oauth_token(header: str) -> str | None:
    match = _TOKEN_RE.search(header)
    return unquote(match.group(1)) if match else None


def _with_limits(
    reply: Reply, account: Account | None, remaining: int | None = None, reset: int | None = None
) -> Reply:
    """Every X response carries x-rate-limit-*; faults override the natural window."""
    now = int(time.time())
    window = now // WINDOW_S
    key = (account.external_id if account else "", window)
    with _window_lock:
        calls = _window_calls.get(key, 0) + 1
        if len(_window_calls) > 10000:
            _window_calls.clear()
        _window_calls[key] = calls
    reply.headers["x-rate-limit-limit"] = str(WINDOW_LIMIT)
    reply.headers["x-rate-limit-remaining"] = str(
        remaining if remaining is not None else max(0, WINDOW_LIMIT - calls)
    )
    reply.headers["x-rate-limit-reset"] = str(reset if reset else (window + 1) * WINDOW_S)
    return reply


def _route(store: Store, account: Account, req: Request) -> Reply:
    parts = req.path.strip("/").split("/")[1:]  # drop the "2"
    method = req.method
    if parts == ["tweets"] and method == "POST":
        return _create_tweet(store, account, req)
    if parts == ["tweets"] and method == "GET":
        return _lookup(store, req)
    if parts == ["tweets", "search", "recent"] and method == "GET":
        content.x_follow_searched_hashtags(store, req.query.get("query", ""), account.language)
        return _search(store, req)
    if len(parts) == 2 and parts[0] == "tweets" and method == "DELETE":
        return _delete(store, account, parts[1])
    if len(parts) == 3 and parts[0] == "tweets" and parts[2] == "hidden" and method == "PUT":
        return _hide(store, account, parts[1], req)
    if len(parts) == 3 and parts[0] == "users" and method == "GET":
        if parts[2] == "mentions":
            return _timeline(store, req, "mentions = ?", (parts[1],))
        if parts[2] == "tweets":
            return _timeline(store, req, "author_id = ? AND by_us = 1", (parts[1],))
    if parts == ["users", "me"] and method == "GET":
        return json_reply(200, {"data": user_json(store, account, _user_fields(req))})
    if len(parts) == 2 and parts[0] == "users" and method == "GET":
        return _user_lookup(store, account, req, parts[1])
    if parts == ["media", "upload"] and method == "POST":
        return _upload(store, account, req)
    if parts == ["media", "metadata"] and method == "POST":
        return _metadata(store, account, req)
    return _not_found(f"No route for {method} {req.path}")


# -- writes ---------------------------------------------------------------------------------


def _create_tweet(store: Store, account: Account, req: Request) -> Reply:
    try:
        body = req.json()
    except ValueError:
        return _invalid("Request body is not valid JSON.")
    text = str(body.get("text") or "")
    media_ids = [str(m) for m in (body.get("media") or {}).get("media_ids") or []]
    reply_to_id = (body.get("reply") or {}).get("in_reply_to_tweet_id")
    if not text and not media_ids:
        return _invalid("Tweet text or media is required.")
    if len(text) > MAX_TWEET_CHARS:
        return _forbidden("Your Tweet text is too long. The maximum is 280 characters.")
    with store.tx() as c:
        reply_to = None
        if reply_to_id is not None:
            reply_to = c.execute(
                "SELECT * FROM items WHERE platform = 'x' AND ext_id = ? AND deleted = 0 "
                "AND created_at <= ?",
                (str(reply_to_id), store.now()),
            ).fetchone()
            if reply_to is None:
                return _invalid(
                    "The Tweet you are replying to has been deleted or is not visible to you."
                )
        for media_id in media_ids:
            row = c.execute(
                "SELECT used_by FROM media WHERE platform = 'x' AND ext_id = ? AND account = ?",
                (media_id, account.external_id),
            ).fetchone()
            if row is None:
                return _invalid(f"Your media IDs are invalid: {media_id}.")
        publish = content.Publish(
            text=text, media_ids=tuple(media_ids), client_time=req.headers.get("x-client-time")
        )
        tweet_id = content.x_create(store, c, account, publish, reply_to)
        for media_id in media_ids:
            c.execute(
                "UPDATE media SET used_by = ? WHERE platform = 'x' AND ext_id = ?",
                (tweet_id, media_id),
            )
    return json_reply(
        201, {"data": {"id": tweet_id, "text": text, "edit_history_tweet_ids": [tweet_id]}}
    )


def _delete(store: Store, account: Account, tweet_id: str) -> Reply:
    row = store.item("x", tweet_id)
    if row is None:
        return _not_found(f"Could not find tweet with id: [{tweet_id}].")
    if row["author_id"] != account.external_id:
        return _forbidden("You are not allowed to delete a Tweet that is not authored by you.")
    with store.tx() as c:
        c.execute("UPDATE items SET deleted = 1 WHERE platform = 'x' AND ext_id = ?", (tweet_id,))
    return json_reply(200, {"data": {"deleted": True}})


def _hide(store: Store, account: Account, tweet_id: str, req: Request) -> Reply:
    row = store.item("x", tweet_id)
    if row is None or row["created_at"] > store.now():
        return _not_found(f"Could not find tweet with id: [{tweet_id}].")
    root = store.item("x", row["conversation_id"]) if row["conversation_id"] else None
    if row["in_reply_to_id"] is None or root is None or root["author_id"] != account.external_id:
        return _forbidden("You can only hide replies to conversations you started.")
    try:
        hidden = bool(req.json().get("hidden", True))
    except ValueError:
        return _invalid("Request body is not valid JSON.")
    with store.tx() as c:
        c.execute(
            "UPDATE items SET hidden = ? WHERE platform = 'x' AND ext_id = ?",
            (int(hidden), tweet_id),
        )
    return json_reply(200, {"data": {"hidden": hidden}})


def _upload(store: Store, account: Account, req: Request) -> Reply:
    upload = req.files().get("media")
    if upload is None or not upload.data:
        return _invalid("A media file is required in the 'media' field.")
    with store.tx() as c:
        media_id = str(store.x_num(store.now()))
        store.add_media(
            c,
            platform="x",
            ext_id=media_id,
            account=account.external_id,
            mime_type=upload.content_type or req.form().get("media_type", ""),
            size=len(upload.data),
            filename=upload.filename,
            created_at=store.now(),
        )
    return json_reply(
        200,
        {
            "data": {
                "id": media_id,
                "media_key": f"3_{media_id}",
                "size": len(upload.data),
                "expires_after_secs": 86400,
            }
        },
    )


def _metadata(store: Store, account: Account, req: Request) -> Reply:
    try:
        body = req.json()
    except ValueError:
        return _invalid("Request body is not valid JSON.")
    media_id = str(body.get("id", ""))
    alt = str(((body.get("metadata") or {}).get("alt_text") or {}).get("text", ""))
    if len(alt) > 1000:
        return _invalid("Alt text must be at most 1000 characters.")
    with store.tx() as c:
        updated = c.execute(
            "UPDATE media SET alt_text = ? WHERE platform = 'x' AND ext_id = ? AND account = ?",
            (alt, media_id, account.external_id),
        ).rowcount
    if not updated:
        return _invalid(f"Your media IDs are invalid: {media_id}.")
    return json_reply(
        200, {"data": {"id": media_id, "associated_metadata": {"alt_text": {"text": alt}}}}
    )


# -- reads ----------------------------------------------------------------------------------


def tweet_json(store: Store, row: Row, fields: set[str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": row["ext_id"],
        "text": row["text"],
        "edit_history_tweet_ids": [row["ext_id"]],
        "author_id": row["author_id"],
        "conversation_id": row["conversation_id"],
        "created_at": iso(row["created_at"]),
    }
    if row["in_reply_to_user_id"]:
        data["in_reply_to_user_id"] = row["in_reply_to_user_id"]
    if row["in_reply_to_id"]:
        data["referenced_tweets"] = [{"type": "replied_to", "id": row["in_reply_to_id"]}]
    if row["media"]:
        data["attachments"] = {"media_keys": [f"3_{m}" for m in json.loads(row["media"])]}
    if "public_metrics" in fields:
        m = store.post_metrics(row)
        data["public_metrics"] = {
            "retweet_count": m["shares"],
            "reply_count": m["replies"],
            "like_count": m["likes"],
            "quote_count": m["quotes"],
            "bookmark_count": m["bookmarks"],
            "impression_count": m["impressions"],
        }
    return data


def user_json(store: Store, account: Account, fields: set[str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": account.external_id,
        "name": account.name,
        "username": account.handle,
    }
    if "public_metrics" in fields:
        audience = store.audience(account)
        data["public_metrics"] = {
            "followers_count": audience["followers"],
            "following_count": audience["following"],
            "tweet_count": store.post_count(account),
            "listed_count": audience["followers"] // 150,
        }
    return data


def _user_fields(req: Request) -> set[str]:
    return set(filter(None, req.query.get("user.fields", "").split(",")))


def _user_lookup(store: Store, caller: Account, req: Request, user_id: str) -> Reply:
    """`GET /2/users/:id`: the sandbox's registered X accounts are its only known users."""
    if not user_id.isdigit():
        return _invalid(f"The `id` query parameter value [{user_id}] is not valid")
    user = caller if user_id == caller.external_id else store.account("x", user_id)
    if user is None:
        # X answers a lookup of an unknown user with 200 and only an `errors` list.
        return json_reply(
            200,
            {
                "errors": [
                    {
                        "value": user_id,
                        "detail": f"Could not find user with id: [{user_id}].",
                        "title": "Not Found Error",
                        "resource_type": "user",
                        "parameter": "id",
                        "resource_id": user_id,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                ]
            },
        )
    return json_reply(200, {"data": user_json(store, user, _user_fields(req))})


def _fields(req: Request) -> set[str]:
    return set(filter(None, req.query.get("tweet.fields", "").split(",")))


def _lookup(store: Store, req: Request) -> Reply:
    ids = [i for i in req.query.get("ids", "").split(",") if i]
    if not ids or len(ids) > 100 or not all(i.isdigit() for i in ids):
        return _invalid("The `ids` query parameter must hold 1 to 100 numeric Tweet ids.")
    fields = _fields(req)
    data, errors = [], []
    for tweet_id in ids:
        row = store.item("x", tweet_id)
        if row is None or row["created_at"] > store.now():
            errors.append(
                {
                    "value": tweet_id,
                    "detail": f"Could not find tweet with ids: [{tweet_id}].",
                    "title": "Not Found Error",
                    "resource_type": "tweet",
                    "parameter": "ids",
                    "resource_id": tweet_id,
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
            )
        else:
            data.append(tweet_json(store, row, fields))
    body: dict[str, Any] = {"data": data} if data else {}
    if errors:
        body["errors"] = errors
    return json_reply(200, body)


def _search(store: Store, req: Request) -> Reply:
    query = req.query.get("query", "").strip()
    if not query:
        return _invalid("The `query` parameter can not be empty.")
    clauses: list[str] = []
    params: list[Any] = []
    for token in query.split():
        if token.startswith("conversation_id:"):
            clauses.append("conversation_id = ?")
            params.append(token.split(":", 1)[1])
        elif token.startswith("from:"):
            clauses.append("author_handle = ?")
            params.append(token.split(":", 1)[1].lstrip("@"))
        elif token.startswith(("-", "is:", "lang:", "has:")):
            continue  # operators we do not model are ignored rather than rejected
        else:
            escaped = token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            clauses.append("text LIKE ? ESCAPE '\\'")
            params.append(f"%{escaped}%")
    if not clauses:
        return _invalid("The query has no searchable terms.")
    return _timeline(store, req, " AND ".join(clauses), tuple(params))


def _timeline(store: Store, req: Request, where: str, params: tuple[Any, ...]) -> Reply:
    """Newest-first tweets matching `where`, with since_id and token paging."""
    try:
        max_results = int(req.query.get("max_results", "10"))
        since = int(req.query.get("since_id") or 0)
        token = req.query.get("pagination_token") or req.query.get("next_token")
        before = int(token[1:]) if token else None
    except ValueError:
        return _invalid("since_id, max_results and pagination tokens must be numeric.")
    if not 5 <= max_results <= 100:
        return _invalid("The `max_results` query parameter value must be between 5 and 100.")
    sql = (
        f"SELECT * FROM items WHERE platform = 'x' AND deleted = 0 AND created_at <= ? "  # noqa: S608
        f"AND num > ? {'AND num < ?' if before else ''} AND ({where}) "
        f"ORDER BY num DESC LIMIT ?"
    )
    bound: tuple[Any, ...] = (store.now(), since, *((before,) if before else ()), *params)
    rows = store.query(sql, (*bound, max_results + 1))
    page, more = rows[:max_results], len(rows) > max_results
    fields = _fields(req)
    data = [tweet_json(store, r, fields) for r in page]
    meta: dict[str, Any] = {"result_count": len(data)}
    if data:
        meta["newest_id"], meta["oldest_id"] = data[0]["id"], data[-1]["id"]
    if more:
        meta["next_token"] = f"n{page[-1]['num']}"
    body: dict[str, Any] = {"meta": meta}
    if data:
        body["data"] = data
        users = {r["author_id"]: r for r in page}
        body["includes"] = {
            "users": [
                {"id": uid, "name": r["author_name"], "username": r["author_handle"]}
                for uid, r in users.items()
            ]
        }
    return json_reply(200, body)
