"""The sandbox's own API (`/_sandbox/...`) and its HTML pages for trainees."""

from __future__ import annotations

import json
from html import escape
from sqlite3 import Row
from typing import Any

from platforms.sandbox import content
from platforms.sandbox.store import Account, Store
from platforms.sandbox.wire import Reply, Request, html_reply, json_reply

PLATFORMS = ("x", "facebook")


def _error(status: int, message: str) -> Reply:
    return json_reply(status, {"error": message})


def handle(store: Store, req: Request) -> Reply:
    parts = req.path.strip("/").split("/")[1:]  # drop "_sandbox"
    method = req.method
    try:
        return _route(store, req, method, parts)
    except (ValueError, KeyError, TypeError) as exc:
        return _error(400, f"bad request: {exc}")


def _route(store: Store, req: Request, method: str, parts: list[str]) -> Reply:
    if parts == ["ping"]:
        return Reply(200, b'{"ok":true}')
    if parts == ["stats"] and method == "GET":
        return json_reply(200, store.stats())
    if parts == ["reset"] and method == "POST":
        store.reset()
        return json_reply(200, {"ok": True})
    if parts == ["clock"]:
        if method == "POST":
            store.advance(float(req.json().get("advance_s", 0)))
        return json_reply(200, {"now": store.now()})
    if parts == ["hashtags"] and method == "POST":
        body = req.json()
        tag = str(body["tag"])
        tag = tag if tag.startswith("#") else f"#{tag}"
        created = content.x_register_hashtag(store, tag, str(body.get("language", "en")))
        return json_reply(201 if created else 200, {"tag": tag, "created": created})
    if parts == ["accounts"]:
        if method == "POST":
            return _upsert(store, req.json())
        return json_reply(200, {"accounts": [a.public_dict() for a in store.accounts()]})
    if len(parts) >= 3 and parts[0] == "accounts":
        account = store.account(parts[1], parts[2])
        if account is None:
            return _error(404, f"no {parts[1]} account {parts[2]}")
        return _account_route(store, req, method, account, parts[3:])
    if len(parts) == 3 and parts[0] == "public" and method == "GET":
        account = store.account(parts[1], parts[2])
        if account is None:
            return html_reply(404, "<!doctype html><p>No such account.</p>")
        return html_reply(200, public_page(store, account))
    return _error(404, f"no route for {method} {req.path}")


def _upsert(store: Store, body: dict[str, Any]) -> Reply:
    if body.get("platform") not in PLATFORMS:
        return _error(400, f"platform must be one of {', '.join(PLATFORMS)}")
    if not body.get("external_id") or not body.get("token"):
        return _error(400, "external_id and token are required")
    return json_reply(200, store.upsert_account(body).public_dict())


def _account_route(
    store: Store, req: Request, method: str, account: Account, rest: list[str]
) -> Reply:
    if not rest:
        return json_reply(200, account.public_dict())
    if rest == ["faults"]:
        if method == "POST":
            account = store.set_faults(account, req.json())
        elif method == "DELETE":
            store.clear_faults(account)
            account = store.account(account.platform, account.external_id) or account
        return json_reply(200, {"faults": account.faults()})
    if rest == ["posts"] and method == "GET":
        return json_reply(200, {"posts": _publishes(store, account)})
    if rest == ["inbound"] and method == "POST":
        return json_reply(201, content.seed_inbound(store, account, _inbound_plan(req.json())))
    return _error(404, f"no route for {method} {req.path}")


def _inbound_plan(body: dict[str, Any]) -> content.InboundPlan:
    """`{"count": 2000, "posts": 20, "span_s": 86400, "mention_share": 0.1, ...}`."""
    defaults = content.InboundPlan(count=0)
    plan = content.InboundPlan(
        count=int(body["count"]),
        posts=int(body.get("posts", defaults.posts)),
        span_s=float(body.get("span_s", defaults.span_s)),
        mention_share=float(body.get("mention_share", defaults.mention_share)),
        thread_share=float(body.get("thread_share", defaults.thread_share)),
    )
    if not 0 <= plan.count <= 1_000_000 or not 1 <= plan.posts <= 1000 or plan.span_s < 10:
        raise ValueError("count 0..1000000, posts 1..1000, span_s >= 10")
    return plan


def _publishes(store: Store, account: Account) -> list[dict[str, Any]]:
    rows = store.query(
        "SELECT * FROM items WHERE platform = ? AND account = ? AND by_us = 1 ORDER BY num",
        (account.platform, account.external_id),
    )
    out = []
    for row in rows:
        media_ids = json.loads(row["media"]) if row["media"] else []
        out.append(
            {
                "id": row["ext_id"],
                "kind": row["kind"],
                "text": row["text"],
                "created_at": row["created_at"],
                "received_at": row["received_at"],
                "client_time": row["client_time"],
                "in_reply_to_id": row["in_reply_to_id"],
                "deleted": bool(row["deleted"]),
                "media": store.media_for(account.platform, media_ids),
            }
        )
    return out


# -- HTML -------------------------------------------------------------------------------

STYLE = """
body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
.post{border:1px solid #ccc;border-radius:8px;padding:1rem;margin:1rem 0}
.who{font-weight:600}.meta{color:#666;font-size:.85rem}
ul{list-style:none;padding-left:1.2rem;border-left:2px solid #eee}
li{margin:.6rem 0}.hidden{opacity:.45}.ours{background:#eef6ff;border-radius:4px;padding:.2rem}
"""


def _doc(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )


def index_page(store: Store) -> str:
    links = "".join(
        f"<li><a href='/_sandbox/public/{escape(a.platform)}/{escape(a.external_id)}'>"
        f"{escape(a.name)}</a> <span class='meta'>{escape(a.platform)} @{escape(a.handle)} "
        f"({escape(a.language)})</span></li>"
        for a in store.accounts()
    )
    return _doc(
        "Platform sandbox",
        "<h1>Platform sandbox</h1><p>How each account's posts look to the public.</p>"
        f"<ul>{links or '<li>No accounts registered yet.</li>'}</ul>",
    )


def public_page(store: Store, account: Account) -> str:
    now = store.now()
    posts = store.query(
        "SELECT * FROM items WHERE platform = ? AND account = ? AND kind = 'post' "
        "AND deleted = 0 ORDER BY created_at DESC LIMIT 50",
        (account.platform, account.external_id),
    )
    blocks = [_post_block(store, account, post, now) for post in posts]
    followers = store.audience(account)["followers"]
    head = (
        f"<p><a href='/'>All accounts</a></p><h1>{escape(account.name)}</h1>"
        f"<p class='meta'>@{escape(account.handle)} on {escape(account.platform)} · "
        f"{followers} followers</p>"
    )
    return _doc(account.name, head + ("".join(blocks) or "<p>No posts yet.</p>"))


def _post_block(store: Store, account: Account, post: Row, now: float) -> str:
    replies = store.query(
        "SELECT * FROM items WHERE platform = ? AND post_id = ? AND ext_id != post_id "
        "AND deleted = 0 AND created_at <= ? ORDER BY created_at",
        (post["platform"], post["ext_id"], now),
    )
    children: dict[str | None, list[Row]] = {}
    for reply in replies:
        parent = reply["in_reply_to_id"]
        parent = None if parent in (None, post["ext_id"]) else parent
        children.setdefault(parent, []).append(reply)
    m = store.post_metrics(post)
    media = store.media_for(post["platform"], json.loads(post["media"]) if post["media"] else [])
    pictures = "".join(
        f"<p class='meta'>[image: {escape(x['alt_text'] or 'no description')}]</p>" for x in media
    )
    return (
        f"<div class='post'><div class='who'>{escape(account.name)}</div>"
        f"<p>{escape(post['text'])}</p>{pictures}"
        f"<p class='meta'>{_age(now - post['created_at'])} · {m['impressions']} views · "
        f"{m['likes']} likes · {m['replies']} replies · {m['shares']} shares</p>"
        f"{_thread(children, None, account, now)}</div>"
    )


def _thread(
    children: dict[str | None, list[Row]], parent: str | None, account: Account, now: float
) -> str:
    rows = children.get(parent, [])
    if not rows:
        return ""
    items = []
    for row in rows:
        classes = " ".join(c for c, on in (("hidden", row["hidden"]), ("ours", row["by_us"])) if on)
        note = " <span class='meta'>(hidden by the account)</span>" if row["hidden"] else ""
        items.append(
            f"<li class='{classes}'><span class='who'>{escape(row['author_name'])}</span> "
            f"<span class='meta'>@{escape(row['author_handle'])} · "
            f"{_age(now - row['created_at'])}</span>{note}<br>{escape(row['text'])}"
            f"{_thread(children, row['ext_id'], account, now)}</li>"
        )
    return f"<ul>{''.join(items)}</ul>"


def _age(seconds: float) -> str:
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"
