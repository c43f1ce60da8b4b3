"""The sandbox itself: persistence, determinism, bookkeeping, pages and concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from platforms.facebook import FacebookPageClient
from platforms.registry import client_for
from platforms.x import XClient
from tests.platforms.conftest import FB_PAGE, FB_TOKEN, X_ID, X_TOKEN, make_fb, make_x


def test_state_survives_a_restart(tmp_path, start_subprocess_sandbox):
    state = tmp_path / "state.sqlite3"
    box, proc = start_subprocess_sandbox(state)
    box.account("x", X_ID, X_TOKEN, handle="northpolice")
    ref = make_x(box.url).publish("Before the restart")
    box.advance(3600)
    before = make_x(box.url).fetch_inbound(None, [ref.external_id])
    proc.terminate()
    proc.wait(timeout=10)

    box2, _ = start_subprocess_sandbox(state)
    client = make_x(box2.url)

    assert [p.external_id for p in client.recent_posts()] == [ref.external_id]
    # the shifted clock persisted too, so the same replies are visible
    after = client.fetch_inbound(None, [ref.external_id])
    assert [i.external_id for i in after.items] == [i.external_id for i in before.items]


def _public_replies(box) -> list[tuple[str, str, str]]:
    box.account("x", X_ID, X_TOKEN, handle="northpolice")
    box.account("facebook", FB_PAGE, FB_TOKEN, handle="northpolice")
    x_ref = make_x(box.url).publish("Same post")
    fb_ref = make_fb(box.url).publish("Same post")
    box.advance(7200)
    x_items = make_x(box.url).fetch_inbound(None, [x_ref.external_id]).items
    fb_items = make_fb(box.url).fetch_inbound(None, [fb_ref.external_id]).items
    return [(i.kind, i.author_name, i.text) for i in [*x_items, *fb_items]]


def test_same_seed_gives_the_same_public(tmp_path, start_subprocess_sandbox):
    one, _ = start_subprocess_sandbox(tmp_path / "a.sqlite3", seed=7)
    two, _ = start_subprocess_sandbox(tmp_path / "b.sqlite3", seed=7)
    other, _ = start_subprocess_sandbox(tmp_path / "c.sqlite3", seed=8)

    first = _public_replies(one)
    assert first
    assert _public_replies(two) == first
    assert _public_replies(other) != first


def test_stats_count_publishes_and_duplicates(sandbox, x_client):
    x_client.publish("Same text")
    x_client.publish("Same text")
    x_client.publish("Different")

    stats = sandbox.call("GET", "/_sandbox/stats")

    assert stats["publishes"] == 3
    assert stats["duplicates"] == 1
    assert stats["accounts"] == [
        {"platform": "x", "account": X_ID, "publishes": 3, "duplicates": 1}
    ]


def test_concurrent_publishes_are_all_recorded_once(sandbox, x_account, fb_account):
    def publish(n: int) -> str:
        client = make_x(sandbox.url) if n % 2 else make_fb(sandbox.url)
        return client.publish(f"Concurrent {n}").external_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(publish, range(120)))

    assert len(set(ids)) == 120
    stats = sandbox.call("GET", "/_sandbox/stats")
    assert stats["publishes"] == 120
    assert stats["duplicates"] == 0


def test_public_page_escapes_text_and_threads_replies(sandbox, x_client):
    x_client.publish("<script>alert('x')</script> & more")
    sandbox.advance(3600)

    resp = requests.get(f"{sandbox.url}/_sandbox/public/x/{X_ID}", timeout=5)

    assert resp.status_code == 200
    assert "<script>alert" not in resp.text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in resp.text
    assert resp.text.count("<li") >= 3  # replies listed under the post


def test_index_links_each_account(sandbox, x_account, fb_account):
    html = requests.get(sandbox.url + "/", timeout=5).text

    assert f"/_sandbox/public/x/{X_ID}" in html
    assert f"/_sandbox/public/facebook/{FB_PAGE}" in html


def test_ping_and_reset(sandbox, x_client):
    x_client.publish("to be wiped")
    assert requests.get(sandbox.url + "/_sandbox/ping", timeout=5).json() == {"ok": True}

    sandbox.call("POST", "/_sandbox/reset")

    assert sandbox.call("GET", "/_sandbox/stats")["publishes"] == 0
    assert sandbox.call("GET", "/_sandbox/accounts") == {"accounts": []}


def test_account_upsert_is_idempotent(sandbox):
    sandbox.account("x", "5", "t1", handle="a")
    sandbox.account("x", "5", "t2", handle="b", language="ko")

    [account] = sandbox.call("GET", "/_sandbox/accounts")["accounts"]
    assert (account["handle"], account["language"]) == ("b", "ko")


def test_control_api_rejects_bad_input(sandbox):
    bad = requests.post(sandbox.url + "/_sandbox/accounts", json={"platform": "myspace"}, timeout=5)
    missing = requests.get(sandbox.url + "/_sandbox/accounts/x/nope/posts", timeout=5)

    assert bad.status_code == 400
    assert missing.status_code == 404


def test_registry_builds_working_clients(sandbox, x_account, fb_account):
    base_urls = {"x": sandbox.url, "facebook": sandbox.url}
    x = client_for(
        platform="x",
        external_id=X_ID,
        credentials={
            "consumer_key": "ck",
            "consumer_secret": "cs",
            "access_token": X_TOKEN,
            "access_token_secret": "ats",
        },
        base_urls=base_urls,
    )
    fb = client_for(
        platform="facebook",
        external_id=FB_PAGE,
        credentials={"page_access_token": FB_TOKEN},
        base_urls=base_urls,
    )

    assert isinstance(x, XClient) and isinstance(fb, FacebookPageClient)
    assert x.publish("via registry").external_id
    assert fb.publish("via registry").external_id


def test_registry_refuses_unknown_platforms():
    with pytest.raises(ValueError, match="myspace"):
        client_for(platform="myspace", external_id="1", credentials={}, base_urls={})
