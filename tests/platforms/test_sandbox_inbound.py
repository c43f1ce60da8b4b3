"""The sandbox's bulk inbound backlog (`POST /_sandbox/accounts/<platform>/<id>/inbound`),
read through the real clients: what `make bench-inbox` relies on."""

from __future__ import annotations

import requests

from tests.platforms.conftest import FB_PAGE, X_ID, make_fb, make_x


def seed(sandbox, platform: str, external_id: str, **plan) -> dict:
    return sandbox.call("POST", f"/_sandbox/accounts/{platform}/{external_id}/inbound", plan)


def test_an_x_backlog_is_all_in_the_mentions_timeline_at_once(sandbox, x_account, x_client):
    made = seed(sandbox, "x", X_ID, count=400, posts=5)

    page = x_client.fetch_inbound(None)

    assert made["created"] == 400 and len(made["posts"]) == 5
    assert len(page.items) == 400
    kinds = {i.kind for i in page.items}
    assert kinds == {"reply", "mention"}
    posts = set(made["posts"])
    # Replies to our posts, replies further down those threads, and threads under mentions.
    assert any(i.in_reply_to_id in posts for i in page.items)
    deeper = [i for i in page.items if i.in_reply_to_id and i.in_reply_to_id not in posts]
    assert deeper and all(i.conversation_id != i.external_id for i in deeper)
    assert all(i.conversation_id for i in page.items)
    assert all(i.text.count("@northpolice") == 1 for i in page.items)


def test_a_facebook_backlog_is_comments_one_level_deep_under_our_posts(
    sandbox, fb_account, fb_client
):
    made = seed(sandbox, "facebook", FB_PAGE, count=300, posts=4)

    page = fb_client.fetch_inbound(None)  # no post ids: the page's recent posts are read

    assert len(page.items) == 300
    posts = set(made["posts"])
    assert {i.our_post_id for i in page.items} <= posts
    top = {i.external_id for i in page.items if i.in_reply_to_id in posts}
    replies = [i for i in page.items if i.in_reply_to_id not in posts]
    assert top and replies
    assert all(r.in_reply_to_id in top for r in replies)  # Graph nests one level only


def test_paging_and_the_cursor_over_a_backlog(sandbox, x_account, fb_account):
    seed(sandbox, "x", X_ID, count=230)
    seed(sandbox, "facebook", FB_PAGE, count=230)

    for big, small in (
        (make_x(sandbox.url), make_x(sandbox.url, page_size=7)),
        (make_fb(sandbox.url), make_fb(sandbox.url, page_size=9)),
    ):
        whole = big.fetch_inbound(None)
        assert len(whole.items) == 230
        paged = small.fetch_inbound(None)
        assert [i.external_id for i in paged.items] == [i.external_id for i in whole.items]
        assert big.fetch_inbound(whole.next_cursor).next_cursor == whole.next_cursor


def test_a_backlog_is_the_same_for_the_same_seed(tmp_path, start_subprocess_sandbox):
    texts = []
    for name in ("a", "b"):
        box, _proc = start_subprocess_sandbox(tmp_path / f"{name}.sqlite3", seed=3)
        box.account("x", X_ID, "x-token-alice", handle="northpolice")
        seed(box, "x", X_ID, count=50)
        texts.append([(i.author_name, i.text) for i in make_x(box.url).fetch_inbound(None).items])
    assert texts[0] == texts[1]


def test_bad_backlog_requests_are_refused(sandbox, x_account):
    url = f"{sandbox.url}/_sandbox/accounts/x/{X_ID}/inbound"

    assert requests.post(url, json={"count": -1}, timeout=5).status_code == 400
    assert requests.post(url, json={"count": 5, "posts": 0}, timeout=5).status_code == 400
    assert requests.post(url, json={}, timeout=5).status_code == 400
    missing = f"{sandbox.url}/_sandbox/accounts/x/404/inbound"
    assert requests.post(missing, json={"count": 5}, timeout=5).status_code == 404
    assert sandbox.call("GET", "/_sandbox/stats")["public_items_visible"] == 0
