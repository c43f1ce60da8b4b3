"""The X client against the sandbox, through the real tweepy.Client over HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import requests
from requests_oauthlib import OAuth1

from platforms.base import AuthExpired, Media, RateLimited, Rejected, Unavailable
from tests.platforms.conftest import X_ID, X_TOKEN, free_port, make_x

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_publish_text_is_recorded_with_client_time(sandbox, x_client):
    ref = x_client.publish("Road closed on the A1 northbound until 6pm.")

    assert ref.external_id.isdigit()
    assert ref.url.endswith(ref.external_id)
    assert ref.published_at.tzinfo is not None
    [post] = sandbox.posts("x", X_ID)
    assert post["id"] == ref.external_id
    assert post["text"] == "Road closed on the A1 northbound until 6pm."
    assert post["client_time"] is not None


def test_ids_increase_like_snowflakes(sandbox, x_client):
    first = x_client.publish("one")
    second = x_client.publish("two")

    assert int(second.external_id) > int(first.external_id)


def test_publish_with_media_stores_alt_text(sandbox, x_client):
    media = [
        Media(PNG, "image/png", "Officers at the community fair", "fair.png"),
        Media(PNG, "image/png", "A lost dog, brown and white", "dog.png"),
    ]
    x_client.publish("Photos from today", media=media)

    [post] = sandbox.posts("x", X_ID)
    assert [m["alt_text"] for m in post["media"]] == [
        "Officers at the community fair",
        "A lost dog, brown and white",
    ]
    assert all(m["size"] == len(PNG) for m in post["media"])


def test_replies_appear_only_after_clock_advances(sandbox, x_client):
    ref = x_client.publish("Appeal for witnesses on Church Road.")

    assert x_client.fetch_inbound(None, [ref.external_id]).items == []
    sandbox.advance(3600)
    page = x_client.fetch_inbound(None, [ref.external_id])

    assert page.items
    assert all(i.conversation_id == ref.external_id for i in page.items if i.kind == "reply")
    assert all(i.our_post_id == ref.external_id for i in page.items if i.kind == "reply")
    assert all(i.created_at.tzinfo is not None and i.author_handle for i in page.items)
    assert page.next_cursor == max(i.external_id for i in page.items)


def test_conversation_search_finds_threaded_replies_mentions_miss(sandbox, x_client):
    refs = [x_client.publish(f"Update number {n}") for n in range(3)]
    sandbox.advance(3600)

    without_search = {i.external_id for i in x_client.fetch_inbound(None).items}
    page = x_client.fetch_inbound(None, [r.external_id for r in refs])
    threaded = [
        i
        for i in page.items
        if i.kind == "reply" and i.in_reply_to_id not in {r.external_id for r in refs}
    ]

    assert threaded, "the public should answer each other under our posts"
    assert all(i.external_id not in without_search for i in threaded)
    parents = {i.external_id for i in page.items}
    assert all(i.in_reply_to_id in parents for i in threaded)


def test_cursor_returns_only_new_items(sandbox, x_client):
    ref = x_client.publish("Missing person found safe, thank you for sharing.")
    sandbox.advance(300)
    first = x_client.fetch_inbound(None, [ref.external_id])
    again = x_client.fetch_inbound(first.next_cursor, [ref.external_id])
    sandbox.advance(3600)
    later = x_client.fetch_inbound(first.next_cursor, [ref.external_id])

    assert again.items == []
    assert again.next_cursor == first.next_cursor
    assert later.items
    assert all(int(i.external_id) > int(first.next_cursor or 0) for i in later.items)


def test_paging_over_many_mentions_matches_one_big_page(sandbox, x_client):
    refs = [x_client.publish(f"Post {n}") for n in range(5)]
    ids = [r.external_id for r in refs]
    sandbox.advance(7200)
    small = make_x(sandbox.url, page_size=5).fetch_inbound(None, ids)
    big = x_client.fetch_inbound(None, ids)

    assert len(small.items) > 10  # several pages of 5 mentions and of 10 search results
    assert [i.external_id for i in small.items] == [i.external_id for i in big.items]


def test_metrics_grow_over_time(sandbox, x_client):
    ref = x_client.publish("Metrics please")
    sandbox.advance(120)
    [early] = x_client.fetch_metrics([ref.external_id])
    sandbox.advance(3 * 3600)
    [late] = x_client.fetch_metrics([ref.external_id])

    assert late.impressions > early.impressions > 0
    assert late.likes >= early.likes
    assert late.replies > 0


def test_reply_to_a_citizen_stays_in_the_conversation(sandbox, x_client):
    ref = x_client.publish("Burglary warning for the east side.")
    sandbox.advance(3600)
    citizen = x_client.fetch_inbound(None, [ref.external_id]).items[0]

    ours = x_client.publish("Thanks, please call 101 with details.", reply_to=citizen.external_id)

    recorded = {p["id"]: p for p in sandbox.posts("x", X_ID)}
    assert recorded[ours.external_id]["in_reply_to_id"] == citizen.external_id
    assert recorded[ours.external_id]["kind"] == "reply"
    # our own reply is not inbox material
    after = x_client.fetch_inbound(None, [ref.external_id])
    assert ours.external_id not in {i.external_id for i in after.items}


def test_hide_reply_shows_as_hidden_on_public_page(sandbox, x_client):
    ref = x_client.publish("Please share this appeal.")
    sandbox.advance(3600)
    abusive = x_client.fetch_inbound(None, [ref.external_id]).items[0]

    x_client.hide(abusive.external_id)

    html = requests.get(f"{sandbox.url}/_sandbox/public/x/{X_ID}", timeout=5).text
    assert "(hidden by the account)" in html


def test_hide_own_post_is_rejected(sandbox, x_client):
    ref = x_client.publish("Not a reply")
    with pytest.raises(Rejected):
        x_client.hide(ref.external_id)


def test_recent_posts_finds_a_post_just_published(sandbox, x_client):
    ref = x_client.publish("Reconcile me")

    recent = x_client.recent_posts(limit=5)

    assert [(p.external_id, p.text) for p in recent] == [(ref.external_id, "Reconcile me")]
    assert recent[0].created_at.tzinfo is not None


def test_delete_removes_post(sandbox, x_client):
    ref = x_client.publish("Posted by mistake")
    x_client.delete(ref.external_id)

    assert x_client.recent_posts() == []
    with pytest.raises(Rejected):
        x_client.delete(ref.external_id)


def test_rate_limit_raises_with_the_sandbox_reset_time(sandbox, x_client):
    faults = sandbox.faults("x", X_ID, {"rate_limit": {"remaining": 0, "reset_in_s": 30}})
    reset = faults["faults"]["rate_limit"]["reset"]

    with pytest.raises(RateLimited) as caught:
        x_client.publish("Will not go out")

    assert caught.value.retry_at == datetime.fromtimestamp(reset, tz=UTC)
    assert sandbox.posts("x", X_ID) == []


def test_rate_limit_allows_remaining_calls_first(sandbox, x_client):
    sandbox.faults("x", X_ID, {"rate_limit": {"remaining": 1, "reset_in_s": 30}})

    x_client.publish("first goes through")
    with pytest.raises(RateLimited):
        x_client.publish("second is limited")
    sandbox.call("DELETE", f"/_sandbox/accounts/x/{X_ID}/faults")
    x_client.publish("after clearing")

    assert [p["text"] for p in sandbox.posts("x", X_ID)] == ["first goes through", "after clearing"]


def test_every_response_carries_rate_limit_headers(sandbox, x_account):
    auth = OAuth1("ck", "cs", X_TOKEN, "ats")
    ok = requests.get(f"{sandbox.url}/2/users/{X_ID}/tweets", auth=auth, timeout=5)
    bad = requests.get(f"{sandbox.url}/2/users/{X_ID}/tweets", timeout=5)

    for resp in (ok, bad):
        assert {"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"} <= set(
            k.lower() for k in resp.headers
        )
    assert bad.status_code == 401


def test_server_errors_are_unavailable_then_recover(sandbox, x_client):
    sandbox.faults("x", X_ID, {"error_5xx": 2})

    for _ in range(2):
        with pytest.raises(Unavailable):
            x_client.publish("flaky")
    x_client.publish("works again")

    assert [p["text"] for p in sandbox.posts("x", X_ID)] == ["works again"]


def test_expired_or_unknown_token_is_auth_expired(sandbox, x_client):
    sandbox.faults("x", X_ID, {"token_expired": True})
    with pytest.raises(AuthExpired):
        x_client.recent_posts()
    with pytest.raises(AuthExpired):
        make_x(sandbox.url, token="nobody").publish("hi")


def test_too_long_text_is_rejected_with_platform_message(sandbox, x_client):
    with pytest.raises(Rejected) as caught:
        x_client.publish("x" * 281)
    assert "too long" in caught.value.message


def test_reply_to_unknown_tweet_is_rejected_with_platform_message(sandbox, x_client):
    with pytest.raises(Rejected) as caught:
        x_client.publish("hello", reply_to="123")
    assert "replying to" in caught.value.message


def test_slow_platform_times_out_as_unavailable(sandbox, x_account):
    sandbox.faults("x", X_ID, {"slow_ms": 1500})
    with pytest.raises(Unavailable):
        make_x(sandbox.url, timeout=0.3).recent_posts()


def test_connection_refused_is_unavailable():
    client = make_x(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(Unavailable):
        client.publish("nobody listening")


def test_campaign_hashtag_is_used_by_the_public(sandbox, x_client):
    sandbox.call("POST", "/_sandbox/hashtags", {"tag": "#LockItUp", "language": "en"})
    assert x_client.search_hashtag("#LockItUp", None).items == []

    sandbox.advance(1800)
    page = x_client.search_hashtag("LockItUp", None)

    assert page.items
    assert all("#LockItUp" in i.text for i in page.items)
    sandbox.advance(1800)
    newer = x_client.search_hashtag("#LockItUp", page.next_cursor)
    assert newer.items
    assert min(int(i.external_id) for i in newer.items) > int(page.next_cursor or 0)


def test_korean_account_gets_korean_replies(sandbox):
    sandbox.account("x", "42", "ko-token", handle="seoulpolice", name="서울경찰", language="ko")
    client = make_x(sandbox.url, token="ko-token", user_id="42")
    ref = client.publish("교통 통제 안내입니다.")
    sandbox.advance(3600)

    items = client.fetch_inbound(None, [ref.external_id]).items

    assert items
    assert all(HANGUL.search(i.text) for i in items)


def test_deleting_a_tweet_that_is_not_there_is_not_found(x_client):
    from platforms.base import NotFound

    with pytest.raises(NotFound):
        x_client.delete("1999999999999999999")


def test_clients_of_different_accounts_share_one_connection_pool(sandbox):
    from platforms.base import shared_adapter
    from platforms.facebook import FacebookPageClient
    from platforms.x import TWEEPY_HOST, RewritingAdapter
    from tests.platforms.conftest import make_fb

    one, other = make_x(sandbox.url), make_x(sandbox.url, token="other", user_id="2")
    adapter = one._client.session.get_adapter(TWEEPY_HOST)
    assert isinstance(adapter, RewritingAdapter)
    assert other._client.session.get_adapter(TWEEPY_HOST) is adapter
    assert one._client.session is not other._client.session  # credentials stay per account
    assert make_x(sandbox.url, timeout=3)._client.session.get_adapter(TWEEPY_HOST) is not adapter

    page, other_page = make_fb(sandbox.url), make_fb(sandbox.url, token="t2", page_id="9")
    assert isinstance(page, FacebookPageClient)
    url = sandbox.url + "/"
    assert page._api.session.get_adapter(url) is other_page._api.session.get_adapter(url)
    assert shared_adapter(RewritingAdapter, sandbox.url, 10) is adapter
