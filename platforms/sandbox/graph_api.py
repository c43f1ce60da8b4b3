"""Facebook Graph API endpoints for Pages, as called by pyfacebook.GraphAPI."""

from __future__ import annotations

import base64
import json
import math
import re
import secrets
import time
from datetime import UTC, datetime
from sqlite3 import Row
from typing import Any
from urllib.parse import urlencode

from platforms.sandbox import content
from platforms.sandbox.store import Account, Store
from platforms.sandbox.wire import Reply, Request, json_reply

PATH_RE = re.compile(r"^/(v\d+\.\d+)/(.+)$")
RATE_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
}
INSIGHT_METRICS = {
    "post_media_view": "Media views",
    "post_media_viewers": "Media viewers",
    "post_reactions_by_type_total": "Total post reactions by type",
    "post_clicks": "Post clicks",
}


def graph_error(
    status: int, code: int, message: str, subcode: int | None = None, **extra: Any
) -> Reply:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error.update(extra)
    error["fbtrace_id"] = secrets.token_urlsafe(8)
    return json_reply(status, {"error": error})


def _bad(message: str) -> Reply:
    return graph_error(400, 100, message)


def _missing(object_id: str) -> Reply:
    return graph_error(
        400,
        100,
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation.",
        subcode=33,
    )


def fb_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def handle(store: Store, req: Request) -> Reply:
    match = PATH_RE.match(req.path)
    assert match is not None  # noqa: S101 - routed here only on a match
    version, path = match.groups()
    token = req.param("access_token")
    account = store.account_by_token("facebook", token) if token else None
    if account is None:
        return graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
    if account.slow_ms:
        time.sleep(account.slow_ms / 1000)
    if account.token_expired:
        return graph_error(
            400,
            190,
            "Error validating access token: Session has expired on Thursday, 01-Jan-25 "
            "00:00:00 PST.",
            subcode=463,
        )
    fault = store.consume_fault(account)
    if fault == "rate_limited":
        return _throttled(account)
    if fault == "error_5xx":
        return graph_error(
            503,
            2,
            "An unexpected error has occurred. Please retry your request later.",
            is_transient=True,
        )
    return _route(store, account, req, version, path.strip("/").split("/"))


def _throttled(account: Account) -> Reply:
    code = account.rl_code or 32
    reset = account.rl_reset or int(time.time()) + 60
    minutes = max(1, math.ceil((reset - time.time()) / 60))
    reply = graph_error(400, code, RATE_MESSAGES.get(code, RATE_MESSAGES[4]), is_transient=True)
    usage = {"call_count": 100, "total_cputime": 10, "total_time": 10}
    reply.headers["x-app-usage"] = json.dumps(usage)
    reply.headers["x-business-use-case-usage"] = json.dumps(
        {
            account.external_id: [
                {"type": "pages", **usage, "estimated_time_to_regain_access": minutes}
            ]
        }
    )
    return reply


def _route(store: Store, account: Account, req: Request, version: str, parts: list[str]) -> Reply:
    object_id = parts[0]
    edge = parts[1] if len(parts) > 1 else None
    is_page = object_id == account.external_id
    item = None if is_page else _owned_item(store, account, object_id)
    if not is_page and item is None:
        return _missing(object_id)
    method = req.method
    if method == "GET":
        if edge is None:
            return _get_object(store, account, item, req)
        if edge == "comments" and item is not None:
            return _comments(store, req, version, item)
        if edge in ("posts", "feed", "published_posts") and is_page:
            return _posts(store, account, req, version)
        if edge == "insights" and item is not None and item["kind"] == "post":
            return _insights(store, item, req)
    if method == "POST":
        if edge == "feed" and is_page:
            return _create_post(store, account, req)
        if edge == "photos" and is_page:
            return _create_photo(store, account, req)
        if edge == "comments" and item is not None:
            return _create_comment(store, account, req, item)
        if edge is None and item is not None:
            return _update(store, item, req)
    if method == "DELETE" and edge is None and item is not None:
        with store.tx() as c:
            c.execute(
                "UPDATE items SET deleted = 1 WHERE platform = 'facebook' AND ext_id = ?",
                (item["ext_id"],),
            )
        return json_reply(200, {"success": True})
    return graph_error(
        400, 100, f"Unsupported {method.lower()} request. Unknown path components: /{edge}"
    )


def _owned_item(store: Store, account: Account, object_id: str) -> Row | None:
    """A visible post or comment on this page; other pages' objects look missing."""
    row = store.item("facebook", object_id)
    if row is None or row["account"] != account.external_id or row["created_at"] > store.now():
        return None
    return row


# -- reads ------------------------------------------------------------------------------


def _wanted(req: Request) -> set[str]:
    """Top-level field names from `fields=a,b.summary(true),c{d}`."""
    names = set()
    depth = 0
    current = ""
    for ch in req.query.get("fields", "") + ",":
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        elif ch == "," and depth == 0:
            names.add(current.split(".")[0].strip())
            current = ""
            continue
        if depth == 0 and ch not in ")}":
            current += ch
    return {n for n in names if n}


def comment_json(row: Row, wanted: set[str]) -> dict[str, Any]:
    full: dict[str, Any] = {
        "id": row["ext_id"],
        "message": row["text"],
        "created_time": fb_time(row["created_at"]),
        "from": {"id": row["author_id"], "name": row["author_name"]},
    }
    if row["in_reply_to_id"]:
        full["parent"] = {"id": row["in_reply_to_id"]}
    full["is_hidden"] = bool(row["hidden"])
    if not wanted:
        return {k: full[k] for k in ("id", "message", "created_time")}
    return {k: v for k, v in full.items() if k == "id" or k in wanted}


def page_json(store: Store, account: Account, wanted: set[str]) -> dict[str, Any]:
    """The page node: `id` always, `name` by default, the audience counts when asked for."""
    full: dict[str, Any] = {"id": account.external_id, "name": account.name}
    if wanted & {"followers_count", "fan_count"}:
        followers = store.audience(account)["followers"]
        full["followers_count"] = followers
        # Page likes trail followers a little: some follow without liking.
        full["fan_count"] = int(followers * 0.92)
    wanted = wanted or {"name"}
    return {k: v for k, v in full.items() if k == "id" or k in wanted}


def _get_object(store: Store, account: Account, item: Row | None, req: Request) -> Reply:
    wanted = _wanted(req)
    if item is None:
        return json_reply(200, page_json(store, account, wanted))
    if item["kind"] != "post":
        return json_reply(200, comment_json(item, wanted))
    m = store.post_metrics(item)
    full: dict[str, Any] = {
        "id": item["ext_id"],
        "message": item["text"],
        "created_time": fb_time(item["created_at"]),
        "from": {"id": account.external_id, "name": account.name},
        "permalink_url": f"https://www.facebook.com/{item['ext_id']}",
        "shares": {"count": m["shares"]},
        "comments": {
            "data": [],
            "summary": {"order": "ranked", "total_count": m["replies"], "can_comment": True},
        },
        "reactions": {"data": [], "summary": {"total_count": m["likes"]}},
    }
    if not wanted:
        wanted = {"message", "created_time"}
    return json_reply(200, {k: v for k, v in full.items() if k == "id" or k in wanted})


def _cursor(row: Row) -> str:
    return base64.urlsafe_b64encode(f"{row['created_at']!r}:{row['num']}".encode()).decode()


def _uncursor(value: str) -> tuple[float, int]:
    created, num = base64.urlsafe_b64decode(value.encode()).decode().split(":")
    return float(created), int(num)


def _unix(value: str) -> float:
    if value.lstrip("-").replace(".", "", 1).isdigit():
        return float(value)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _page(
    store: Store,
    req: Request,
    version: str,
    path: str,
    where: str,
    params: tuple[Any, ...],
    newest_first: bool,
    render: Any,
) -> Reply:
    """Keyset paging over (created_at, num) with Graph's cursors and `next` URL."""
    try:
        limit = max(1, min(100, int(req.query.get("limit", "25"))))
        since = _unix(req.query["since"]) if req.query.get("since") else None
        until = _unix(req.query["until"]) if req.query.get("until") else None
        after = _uncursor(req.query["after"]) if req.query.get("after") else None
    except (ValueError, KeyError):
        return _bad("(#100) Invalid since, until, limit or after parameter")
    clauses = [where, "deleted = 0", "created_at <= ?"]
    bound: list[Any] = [*params, store.now()]
    if since is not None:
        clauses.append("created_at >= ?")
        bound.append(since)
    if until is not None:
        clauses.append("created_at <= ?")
        bound.append(until)
    if after is not None:
        op = "<" if newest_first else ">"
        clauses.append(f"(created_at, num) {op} (?, ?)")
        bound.extend(after)
    order = "DESC" if newest_first else "ASC"
    rows = store.query(
        f"SELECT * FROM items WHERE platform = 'facebook' AND {' AND '.join(clauses)} "  # noqa: S608
        f"ORDER BY created_at {order}, num {order} LIMIT ?",
        (*bound, limit + 1),
    )
    page = rows[:limit]
    body: dict[str, Any] = {"data": [render(r) for r in page]}
    if page:
        paging: dict[str, Any] = {
            "cursors": {"before": _cursor(page[0]), "after": _cursor(page[-1])}
        }
        if len(rows) > limit:
            args = {k: v for k, v in req.query.items() if k != "after"}
            args["after"] = _cursor(page[-1])
            host = req.headers.get("host", "127.0.0.1")
            paging["next"] = f"http://{host}/{version}/{path}?{urlencode(args)}"
        body["paging"] = paging
    return json_reply(200, body)


def _comments(store: Store, req: Request, version: str, item: Row) -> Reply:
    wanted = _wanted(req)
    if item["kind"] == "post":
        where, params = "post_id = ? AND kind = 'comment'", (item["ext_id"],)
        if req.query.get("filter", "toplevel") != "stream":
            where += " AND in_reply_to_id IS NULL"
    else:
        where, params = "in_reply_to_id = ?", (item["ext_id"],)
    newest_first = req.query.get("order") == "reverse_chronological"
    return _page(
        store,
        req,
        version,
        f"{item['ext_id']}/comments",
        where,
        params,
        newest_first,
        lambda r: comment_json(r, wanted),
    )


def _posts(store: Store, account: Account, req: Request, version: str) -> Reply:
    wanted = _wanted(req) or {"message", "created_time"}

    def render(r: Row) -> dict[str, Any]:
        full = {"id": r["ext_id"], "message": r["text"], "created_time": fb_time(r["created_at"])}
        return {k: v for k, v in full.items() if k == "id" or k in wanted}

    return _page(
        store,
        req,
        version,
        f"{account.external_id}/posts",
        "account = ? AND kind = 'post' AND by_us = 1",
        (account.external_id,),
        True,
        render,
    )


def _insights(store: Store, item: Row, req: Request) -> Reply:
    names = [n for n in req.query.get("metric", "").split(",") if n]
    unknown = [n for n in names if n not in INSIGHT_METRICS]
    if not names or unknown:
        return _bad(f"(#100) The value must be a valid insights metric: {','.join(unknown)}")
    m = store.post_metrics(item)
    like = int(m["likes"] * 0.7)
    love = int(m["likes"] * 0.2)
    values: dict[str, Any] = {
        "post_media_view": m["impressions"],
        "post_media_viewers": int(m["impressions"] * 0.8),
        "post_reactions_by_type_total": {
            "like": like,
            "love": love,
            "care": m["likes"] - like - love,
        },
        "post_clicks": m["clicks"],
    }
    data = [
        {
            "name": n,
            "period": "lifetime",
            "values": [{"value": values[n]}],
            "title": INSIGHT_METRICS[n],
            "description": f"Lifetime: {INSIGHT_METRICS[n]}",
            "id": f"{item['ext_id']}/insights/{n}/lifetime",
        }
        for n in names
    ]
    return json_reply(200, {"data": data})


# -- writes -----------------------------------------------------------------------------


def _truthy(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.lower() not in ("false", "0", "")


def _create_post(store: Store, account: Account, req: Request) -> Reply:
    form = {**req.query, **req.form()}
    message = form.get("message", "")
    attached = sorted(
        (k for k in form if k.startswith("attached_media[")),
        key=lambda k: int(k[len("attached_media[") : -1] or 0),
    )
    if not message and not attached and not form.get("link"):
        return _bad("(#100) Missing message or attachment")
    if len(message) > 63206:
        return _bad("(#100) The message is too long")
    media_ids: list[str] = []
    for key in attached:
        try:
            media_ids.append(str(json.loads(form[key])["media_fbid"]))
        except (ValueError, KeyError, TypeError):
            return _bad(f"(#100) param {key} must be a JSON object with media_fbid")
    with store.tx() as c:
        for media_id in media_ids:
            row = c.execute(
                "SELECT used_by FROM media WHERE platform = 'facebook' AND ext_id = ? "
                "AND account = ?",
                (media_id, account.external_id),
            ).fetchone()
            if row is None or row["used_by"]:
                return _bad(f"(#100) param attached_media has invalid media_fbid {media_id}")
        publish = content.Publish(message, tuple(media_ids), req.headers.get("x-client-time"))
        post_id = content.fb_create_post(store, c, account, publish)
        for media_id in media_ids:
            c.execute(
                "UPDATE media SET used_by = ? WHERE platform = 'facebook' AND ext_id = ?",
                (post_id, media_id),
            )
    return json_reply(200, {"id": post_id})


def _create_photo(store: Store, account: Account, req: Request) -> Reply:
    form = {**req.query, **req.form()}
    upload = req.files().get("source")
    if (upload is None or not upload.data) and not form.get("url"):
        return _bad("(#324) Requires upload file")
    published = _truthy(form.get("published"), True)
    caption = form.get("caption", "")
    with store.tx() as c:
        photo_id = str(store.fb_num())
        store.add_media(
            c,
            platform="facebook",
            ext_id=photo_id,
            account=account.external_id,
            mime_type=upload.content_type if upload else "image/jpeg",
            size=len(upload.data) if upload else 0,
            filename=upload.filename if upload else form.get("url"),
            alt_text=form.get("alt_text_custom", ""),
            caption=caption,
            published=int(published),
            created_at=store.now(),
        )
        if not published:
            return json_reply(200, {"id": photo_id})
        publish = content.Publish(caption, (photo_id,), req.headers.get("x-client-time"))
        post_id = content.fb_create_post(store, c, account, publish)
        c.execute(
            "UPDATE media SET used_by = ? WHERE platform = 'facebook' AND ext_id = ?",
            (post_id, photo_id),
        )
    return json_reply(200, {"id": photo_id, "post_id": post_id})


def _create_comment(store: Store, account: Account, req: Request, item: Row) -> Reply:
    form = {**req.query, **req.form()}
    message = form.get("message", "")
    attachment = form.get("attachment_id")
    if not message and not attachment:
        return _bad("(#100) Missing message or attachment")
    with store.tx() as c:
        if attachment:
            row = c.execute(
                "SELECT used_by FROM media WHERE platform = 'facebook' AND ext_id = ? "
                "AND account = ?",
                (attachment, account.external_id),
            ).fetchone()
            if row is None:
                return _bad(f"(#100) Invalid attachment_id {attachment}")
        publish = content.Publish(
            message, (attachment,) if attachment else (), req.headers.get("x-client-time")
        )
        comment_id = content.fb_create_comment(store, c, account, publish, item)
        if attachment:
            c.execute(
                "UPDATE media SET used_by = ? WHERE platform = 'facebook' AND ext_id = ?",
                (comment_id, attachment),
            )
    return json_reply(200, {"id": comment_id})


def _update(store: Store, item: Row, req: Request) -> Reply:
    hidden = req.param("is_hidden")
    if hidden is None:
        return _bad("(#100) No supported field to update")
    if item["kind"] != "comment":
        return _bad("(#100) Only comments can be hidden")
    with store.tx() as c:
        c.execute(
            "UPDATE items SET hidden = ? WHERE platform = 'facebook' AND ext_id = ?",
            (int(_truthy(hidden, True)), item["ext_id"]),
        )
    return json_reply(200, {"success": True})
