"""Creating content in the sandbox: our publishes, and the public's scheduled reactions.

Reactions are written at publish time with future `created_at` values; every read filters
on `created_at <= now`, so they "arrive" as the sandbox clock passes them. That keeps the
simulation lazy (no background thread) and deterministic.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from dataclasses import dataclass

from platforms.sandbox import public
from platforms.sandbox.store import Account, Store


@dataclass(frozen=True)
class Publish:
    """What a client asked to publish, as recorded for duplicate and loss counting."""

    text: str
    media_ids: tuple[str, ...] = ()
    client_time: str | None = None


def _recorded(publish: Publish) -> dict[str, object]:
    return {
        "by_us": 1,
        "media": json.dumps(list(publish.media_ids)) if publish.media_ids else None,
        "client_time": publish.client_time,
        "received_at": time.time(),
    }


# -- X ------------------------------------------------------------------------------------


def x_create(
    store: Store,
    c: sqlite3.Connection,
    account: Account,
    publish: Publish,
    reply_to: sqlite3.Row | None,
) -> str:
    """Insert our tweet (and schedule the public's reaction to a new post); return its id."""
    at = store.now()
    tweet_id = str(store.x_num(at))
    conversation = reply_to["conversation_id"] if reply_to is not None else tweet_id
    ordinal = store.next_ordinal(c, account) if reply_to is None else None
    store.insert_item(
        c,
        platform="x",
        num=int(tweet_id),
        ext_id=tweet_id,
        account=account.external_id,
        kind="reply" if reply_to is not None else "post",
        author_id=account.external_id,
        author_handle=account.handle,
        author_name=account.name,
        text=publish.text,
        created_at=at,
        conversation_id=conversation,
        in_reply_to_id=reply_to["ext_id"] if reply_to is not None else None,
        in_reply_to_user_id=reply_to["author_id"] if reply_to is not None else None,
        post_id=conversation,
        ordinal=ordinal,
        **_recorded(publish),
    )
    if ordinal is not None:
        _x_schedule_public(
            store, c, account, tweet_id, at, ordinal, public.hashtags_of(publish.text)
        )
    return tweet_id


def _x_schedule_public(
    store: Store,
    c: sqlite3.Connection,
    account: Account,
    post_id: str,
    at: float,
    ordinal: int,
    hashtags: list[str] | None = None,
) -> None:
    rng = store.rng("public", "x", account.external_id, ordinal)
    # A separate stream, so a post without hashtags gets exactly the public it always got.
    tag_rng = store.rng("public-hashtags", "x", account.external_id, ordinal)
    plans = public.plan_reactions(rng, account.language, account.handle)
    ids: list[str] = []
    for plan in plans:
        when = at + plan.delay_s
        tweet_id = str(store.x_num(when))
        ids.append(tweet_id)
        person = plan.person
        if plan.mention_only:
            conversation, parent_id, parent_user, mentions = (
                tweet_id,
                None,
                None,
                account.external_id,
            )
            text = plan.text
        elif plan.parent is None:
            # Replies to the account's post mention it, so they also show in its mentions.
            conversation, parent_id, parent_user = post_id, post_id, account.external_id
            mentions, text = account.external_id, f"@{account.handle} {plan.text}"
        else:
            parent = plans[plan.parent].person
            conversation, parent_id, parent_user = post_id, ids[plan.parent], parent.user_id
            mentions, text = None, f"@{parent.handle} {plan.text}"
        if not plan.mention_only:
            text = public.echo_hashtags(tag_rng, text, hashtags or [])
        store.insert_item(
            c,
            platform="x",
            num=int(tweet_id),
            ext_id=tweet_id,
            account=account.external_id,
            kind="public" if plan.mention_only else "reply",
            author_id=person.user_id,
            author_handle=person.handle,
            author_name=person.name,
            text=text,
            created_at=when,
            conversation_id=conversation,
            in_reply_to_id=parent_id,
            in_reply_to_user_id=parent_user,
            post_id=conversation,
            mentions=mentions,
            category=plan.category,
        )


def x_follow_searched_hashtags(store: Store, query: str, language: str) -> None:
    """The public picks up a hashtag once someone searches for it.

    Campaign monitoring searches its hashtags every minute, so in the demo and in training the
    public starts using a campaign's tag (and a monitoring column's) as soon as it is watched,
    without a separate call to /_sandbox/hashtags. Keywords are left alone.
    """
    for token in query.split():
        if token[:1] in "#＃" and len(token) > 1:
            x_register_hashtag(store, "#" + token[1:], language)


def x_register_hashtag(store: Store, tag: str, language: str) -> bool:
    """Schedule the public's use of a campaign tag; False if it was already registered."""
    with store.tx() as c:
        if c.execute("SELECT 1 FROM hashtags WHERE tag = ?", (tag,)).fetchone():
            return False
        at = store.now()
        c.execute(
            "INSERT INTO hashtags (tag, language, created_at) VALUES (?, ?, ?)",
            (tag, public.language_of(language), at),
        )
        for delay, text, person in public.plan_hashtag_posts(
            store.rng("hashtag", tag), language, tag
        ):
            tweet_id = str(store.x_num(at + delay))
            store.insert_item(
                c,
                platform="x",
                num=int(tweet_id),
                ext_id=tweet_id,
                account="",
                kind="public",
                author_id=person.user_id,
                author_handle=person.handle,
                author_name=person.name,
                text=text,
                created_at=at + delay,
                conversation_id=tweet_id,
                post_id=tweet_id,
                category="hashtag",
            )
    return True


# -- Facebook -----------------------------------------------------------------------------


def fb_create_post(store: Store, c: sqlite3.Connection, account: Account, publish: Publish) -> str:
    at = store.now()
    num = store.fb_num()
    post_id = f"{account.external_id}_{num}"
    ordinal = store.next_ordinal(c, account)
    store.insert_item(
        c,
        platform="facebook",
        num=num,
        ext_id=post_id,
        account=account.external_id,
        kind="post",
        author_id=account.external_id,
        author_handle=account.handle,
        author_name=account.name,
        text=publish.text,
        created_at=at,
        conversation_id=post_id,
        post_id=post_id,
        ordinal=ordinal,
        **_recorded(publish),
    )
    _fb_schedule_public(
        store, c, account, post_id, num, at, ordinal, public.hashtags_of(publish.text)
    )
    return post_id


def fb_create_comment(
    store: Store,
    c: sqlite3.Connection,
    account: Account,
    publish: Publish,
    target: sqlite3.Row,
) -> str:
    """Our comment on a post, or our reply under a comment (Graph nests one level only)."""
    at = store.now()
    post_num = target["post_id"].rsplit("_", 1)[-1]
    num = store.fb_num()
    comment_id = f"{post_num}_{num}"
    if target["kind"] == "post":
        parent = None
    else:
        parent = target["in_reply_to_id"] or target["ext_id"]
    store.insert_item(
        c,
        platform="facebook",
        num=num,
        ext_id=comment_id,
        account=account.external_id,
        kind="comment",
        author_id=account.external_id,
        author_handle=account.handle,
        author_name=account.name,
        text=publish.text,
        created_at=at,
        conversation_id=target["post_id"],
        in_reply_to_id=parent,
        post_id=target["post_id"],
        **_recorded(publish),
    )
    return comment_id


def _fb_schedule_public(
    store: Store,
    c: sqlite3.Connection,
    account: Account,
    post_id: str,
    post_num: int,
    at: float,
    ordinal: int,
    hashtags: list[str] | None = None,
) -> None:
    rng = store.rng("public", "facebook", account.external_id, ordinal)
    tag_rng = store.rng("public-hashtags", "facebook", account.external_id, ordinal)
    plans = public.plan_reactions(rng, account.language, account.handle)
    ids: list[str] = []
    tops: list[str | None] = []  # the top-level comment each plan hangs under
    for plan in plans:
        comment_id = f"{post_num}_{store.fb_num()}"
        ids.append(comment_id)
        if plan.parent is None:
            parent = None
            text = plan.text.removeprefix(f"@{account.handle} ")
        else:
            parent = tops[plan.parent] or ids[plan.parent]
            text = plan.text
        text = public.echo_hashtags(tag_rng, text, hashtags or [])
        tops.append(parent)
        person = plan.person
        store.insert_item(
            c,
            platform="facebook",
            num=int(comment_id.rsplit("_", 1)[-1]),
            ext_id=comment_id,
            account=account.external_id,
            kind="comment",
            author_id=person.user_id,
            author_handle=person.handle,
            author_name=person.name,
            text=text,
            created_at=at + plan.delay_s,
            conversation_id=post_id,
            in_reply_to_id=parent,
            post_id=post_id,
            category=plan.category,
        )


# -- Bulk inbound (benchmarks and load tests) -----------------------------------------------

INBOUND_COLUMNS = (
    "platform, num, ext_id, account, kind, by_us, author_id, author_handle, author_name, text, "
    "created_at, conversation_id, in_reply_to_id, in_reply_to_user_id, post_id, mentions, "
    "category, ordinal, client_time, received_at"
)


@dataclass(frozen=True)
class InboundPlan:
    """How `seed_inbound` shapes an account's backlog.

    `count` public items over the last `span_s` seconds, under `posts` posts of ours: a share
    `mention_share` (X only) are standalone mentions, a share `thread_share` answer an earlier
    item of the same thread, the rest reply to (X) or comment on (Facebook) one of our posts.
    """

    count: int
    posts: int = 20
    span_s: float = 86400.0
    mention_share: float = 0.1
    thread_share: float = 0.35


def seed_inbound(store: Store, account: Account, plan: InboundPlan) -> dict[str, object]:
    """Write an account's posts and a backlog of public replies, comments and mentions, all
    already visible, in one transaction (one executemany), deterministic for the seed.

    Faster by orders of magnitude than publishing and advancing the clock, and shaped so each
    client's ordinary inbound read finds every item: on X every item mentions the account (a
    reply further down a thread keeps the account's @handle, as X's reply box does by
    default), so the mentions timeline holds them all; on Facebook every item is a comment
    under one of the posts, one level deep as Graph nests them.
    """
    if plan.count < 0 or plan.posts < 1:
        raise ValueError("count must be >= 0 and posts >= 1")
    rng = store.rng("inbound", account.platform, account.external_id, plan.count, plan.posts)
    lang = public.language_of(account.language)
    rows: list[tuple[object, ...]] = []
    with store.tx() as c:
        start = store.now() - plan.span_s
        posts = [_seed_post(store, c, account, start + i * 0.001, rows) for i in range(plan.posts)]
        # Ascending times, so X ids (time-ordered snowflakes) and Facebook nums both ascend.
        times = sorted(rng.uniform(start + 1, store.now() - 1) for _ in range(plan.count))
        # (ext_id, conversation / post id, author id, author handle, top-level comment id)
        earlier: list[tuple[str, str, str, str, str | None]] = []
        for at in times:
            person = public.person(rng, lang)
            cat = public.category(rng)
            text = rng.choice(public.TEXTS[lang][cat])
            answers = earlier and rng.random() < plan.thread_share
            parent = rng.choice(earlier) if answers else None
            if account.platform == "x":
                row, ref = _x_inbound(store, account, plan, at, person, text, posts, parent, rng)
            else:
                row, ref = _fb_inbound(store, account, at, person, text, posts, parent, rng)
            rows.append((*row, cat, None, None, None))  # category, ordinal, client, received
            earlier.append(ref)
        c.executemany(
            f"INSERT INTO items ({INBOUND_COLUMNS}) VALUES ({', '.join('?' * 20)})",  # noqa: S608
            rows,
        )
    return {"created": plan.count, "posts": [p[0] for p in posts]}


def _seed_post(
    store: Store, c: sqlite3.Connection, account: Account, at: float, rows: list[tuple[object, ...]]
) -> tuple[str, int]:
    ordinal = store.next_ordinal(c, account)
    text = f"Update {ordinal} from {account.name}."
    if account.platform == "x":
        num = store.x_num(at)
        ext_id = str(num)
    else:
        num = store.fb_num()
        ext_id = f"{account.external_id}_{num}"
    rows.append(
        (
            account.platform,
            num,
            ext_id,
            account.external_id,
            "post",
            1,
            account.external_id,
            account.handle,
            account.name,
            text,
            at,
            ext_id,
            None,
            None,
            ext_id,
            None,
            None,
            ordinal,
            None,
            at,
        )
    )
    return ext_id, num


def _x_inbound(
    store: Store,
    account: Account,
    plan: InboundPlan,
    at: float,
    person: public.Person,
    text: str,
    posts: list[tuple[str, int]],
    parent: tuple[str, str, str, str, str | None] | None,
    rng: random.Random,
) -> tuple[tuple[object, ...], tuple[str, str, str, str, str | None]]:
    num = store.x_num(at)
    ext_id = str(num)
    if parent is not None:
        parent_id, conversation, parent_user, parent_handle, _top = parent
        kind, text = "reply", f"@{parent_handle} @{account.handle} {text}"
    elif rng.random() < plan.mention_share:
        parent_id, conversation, parent_user = None, ext_id, None
        kind, text = "public", f"@{account.handle} {text}"
    else:
        post_id = rng.choice(posts)[0]
        parent_id, conversation, parent_user = post_id, post_id, account.external_id
        kind, text = "reply", f"@{account.handle} {text}"
    row = (
        "x",
        num,
        ext_id,
        account.external_id,
        kind,
        0,
        person.user_id,
        person.handle,
        person.name,
        text,
        at,
        conversation,
        parent_id,
        parent_user,
        conversation,
        account.external_id,
    )
    return row, (ext_id, conversation, person.user_id, person.handle, None)


def _fb_inbound(
    store: Store,
    account: Account,
    at: float,
    person: public.Person,
    text: str,
    posts: list[tuple[str, int]],
    parent: tuple[str, str, str, str, str | None] | None,
    rng: random.Random,
) -> tuple[tuple[object, ...], tuple[str, str, str, str, str | None]]:
    num = store.fb_num()
    if parent is not None:
        parent_id, post_id, _user, _handle, top = parent
        top_id = top or parent_id  # Graph nests one level: answer the top-level comment
        post_num = post_id.rsplit("_", 1)[-1]
    else:
        post_id, post_num_int = rng.choice(posts)
        post_num, top_id = str(post_num_int), None
    ext_id = f"{post_num}_{num}"
    row = (
        "facebook",
        num,
        ext_id,
        account.external_id,
        "comment",
        0,
        person.user_id,
        person.handle,
        person.name,
        text,
        at,
        post_id,
        top_id,
        None,
        post_id,
        None,
    )
    return row, (ext_id, post_id, person.user_id, person.handle, top_id)
