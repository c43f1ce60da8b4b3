"""The Facebook Page client against the sandbox, through the real pyfacebook GraphAPI."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests

from platforms.base import AuthExpired, Media, RateLimited, Rejected, Unavailable, utcnow
from tests.platforms.conftest import FB_PAGE, make_fb

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_publish_text_returns_page_scoped_id(sandbox, fb_client):
    ref = fb_client.publish("Road closed on the A1 northbound until 6pm.")

    assert re.fullmatch(rf"{FB_PAGE}_\d+", ref.external_id)
    [post] = sandbox.posts("facebook", FB_PAGE)
    assert post["text"] == "Road closed on the A1 northbound until 6pm."
    assert post["client_time"] is not None


def test_publish_single_photo_keeps_caption_and_alt_text(sandbox, fb_client):
    ref = fb_client.publish("Lost dog", media=[Media(PNG, "image/png", "Brown terrier", "d.png")])

    [post] = sandbox.posts("facebook", FB_PAGE)
    assert post["id"] == ref.external_id
    assert post["text"] == "Lost dog"
    assert [m["alt_text"] for m in post["media"]] == ["Brown terrier"]


def test_publish_several_photos_makes_one_post(sandbox, fb_client):
    media = [Media(PNG, "image/png", f"Photo {n}", f"{n}.png") for n in range(3)]
    fb_client.publish("Open day", media=media)

    [post] = sandbox.posts("facebook", FB_PAGE)
    assert [m["alt_text"] for m in post["media"]] == ["Photo 0", "Photo 1", "Photo 2"]
    assert [p.text for p in fb_client.recent_posts()] == ["Open day"]


def test_comments_arrive_over_time_with_threads(sandbox, fb_client):
    refs = [fb_client.publish(f"Appeal {n}") for n in range(3)]
    ids = [r.external_id for r in refs]
    assert fb_client.fetch_inbound(None, ids).items == []

    sandbox.advance(3600)
    page = fb_client.fetch_inbound(None, ids)

    assert page.items
    assert all(i.kind == "comment" and i.our_post_id in ids for i in page.items)
    assert all(i.created_at.tzinfo is not None for i in page.items)
    nested = [i for i in page.items if i.in_reply_to_id not in ids]
    assert nested, "some people answer other commenters"
    comment_ids = {i.external_id for i in page.items}
    assert all(i.in_reply_to_id in comment_ids for i in nested)
    assert page.next_cursor == max(i.created_at for i in page.items).isoformat()


def test_fetch_inbound_without_ids_uses_recent_posts(sandbox, fb_client):
    fb_client.publish("Any post")
    sandbox.advance(3600)

    assert fb_client.fetch_inbound(None).items


def test_cursor_skips_older_comments(sandbox, fb_client):
    ref = fb_client.publish("Cursor")
    sandbox.advance(400)
    first = fb_client.fetch_inbound(None, [ref.external_id])
    sandbox.advance(3600)
    later = fb_client.fetch_inbound(first.next_cursor, [ref.external_id])

    cursor = first.next_cursor
    assert cursor is not None
    # Graph's `since` has one-second resolution, so the boundary may repeat; never older.
    assert all(i.created_at.isoformat() >= cursor for i in later.items)
    assert {i.external_id for i in later.items} - {i.external_id for i in first.items}


def test_paging_over_comments_matches_one_big_page(sandbox, fb_client):
    ref = fb_client.publish("Lots of comments")
    sandbox.advance(3600)

    small = make_fb(sandbox.url, page_size=2).fetch_inbound(None, [ref.external_id])
    big = fb_client.fetch_inbound(None, [ref.external_id])

    assert len(small.items) > 2
    assert [i.external_id for i in small.items] == [i.external_id for i in big.items]


def test_reply_to_comment_is_threaded_and_not_inbound(sandbox, fb_client):
    ref = fb_client.publish("Question time")
    sandbox.advance(3600)
    comment = fb_client.fetch_inbound(None, [ref.external_id]).items[0]

    ours = fb_client.publish("Thanks, we have passed this on.", reply_to=comment.external_id)

    recorded = {p["id"]: p for p in sandbox.posts("facebook", FB_PAGE)}
    assert recorded[ours.external_id]["in_reply_to_id"] in (
        comment.external_id,
        comment.in_reply_to_id,
    )
    after = fb_client.fetch_inbound(None, [ref.external_id])
    assert ours.external_id not in {i.external_id for i in after.items}


def test_hide_comment(sandbox, fb_client):
    ref = fb_client.publish("Hide test")
    sandbox.advance(3600)
    comment = fb_client.fetch_inbound(None, [ref.external_id]).items[0]

    fb_client.hide(comment.external_id)

    html = requests.get(f"{sandbox.url}/_sandbox/public/facebook/{FB_PAGE}", timeout=5).text
    assert "(hidden by the account)" in html


def test_metrics_grow_over_time(sandbox, fb_client):
    ref = fb_client.publish("Metrics")
    sandbox.advance(120)
    [early] = fb_client.fetch_metrics([ref.external_id])
    sandbox.advance(3 * 3600)
    [late] = fb_client.fetch_metrics([ref.external_id])

    assert late.impressions > early.impressions > 0
    assert late.likes >= early.likes
    assert late.replies > 0


def test_delete_post(sandbox, fb_client):
    ref = fb_client.publish("Oops")
    fb_client.delete(ref.external_id)

    assert fb_client.recent_posts() == []
    with pytest.raises(Rejected):
        fb_client.delete(ref.external_id)


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_throttling_codes_are_rate_limited(sandbox, fb_client, code):
    sandbox.faults(
        "facebook", FB_PAGE, {"rate_limit": {"remaining": 0, "reset_in_s": 90, "code": code}}
    )

    with pytest.raises(RateLimited) as caught:
        fb_client.publish("throttled")

    # Meta reports whole minutes until access returns: 90 s rounds up to 2 minutes.
    assert utcnow() + timedelta(seconds=100) < caught.value.retry_at
    assert caught.value.retry_at <= utcnow() + timedelta(minutes=2, seconds=5)
    assert f"(#{code})" in str(caught.value)
    assert sandbox.posts("facebook", FB_PAGE) == []


def test_expired_or_unknown_token_is_auth_expired(sandbox, fb_client):
    sandbox.faults("facebook", FB_PAGE, {"token_expired": True})
    with pytest.raises(AuthExpired):
        fb_client.publish("nope")
    with pytest.raises(AuthExpired):
        make_fb(sandbox.url, token="unknown").recent_posts()


def test_server_errors_are_unavailable(sandbox, fb_client):
    sandbox.faults("facebook", FB_PAGE, {"error_5xx": 1})
    with pytest.raises(Unavailable):
        fb_client.publish("flaky")
    fb_client.publish("fine now")
    assert [p["text"] for p in sandbox.posts("facebook", FB_PAGE)] == ["fine now"]


def test_empty_post_is_rejected_with_graph_message(sandbox, fb_client):
    with pytest.raises(Rejected) as caught:
        fb_client.publish("")
    assert caught.value.message == "(#100) Missing message or attachment"


def test_unknown_object_is_rejected(sandbox, fb_client):
    with pytest.raises(Rejected) as caught:
        fb_client.hide("999_999")
    assert "does not exist" in caught.value.message


def test_other_graph_versions_are_accepted(sandbox, fb_account):
    client = make_fb(sandbox.url, api_version="v23.0")
    ref = client.publish("Versioned")
    assert [p.external_id for p in client.recent_posts()] == [ref.external_id]


def test_hashtag_search_is_empty_on_pages(sandbox, fb_client):
    page = fb_client.search_hashtag("#anything", "2025-01-01T00:00:00+00:00")
    assert page.items == []
    assert page.next_cursor == "2025-01-01T00:00:00+00:00"


def test_korean_page_gets_korean_comments(sandbox):
    sandbox.account(
        "facebook", "777", "ko-page", handle="seoulpolice", name="서울경찰", language="ko"
    )
    client = make_fb(sandbox.url, token="ko-page", page_id="777")
    ref = client.publish("교통 통제 안내입니다.")
    sandbox.advance(3600)

    items = client.fetch_inbound(None, [ref.external_id]).items

    assert items
    assert all(HANGUL.search(i.text) for i in items)


def test_slow_graph_times_out_as_unavailable(sandbox, fb_account):
    sandbox.faults("facebook", FB_PAGE, {"slow_ms": 1500})
    with pytest.raises(Unavailable):
        make_fb(sandbox.url, timeout=0.3).recent_posts()


def test_deleting_a_post_that_is_not_there_is_not_found(fb_client):
    from platforms.base import NotFound

    with pytest.raises(NotFound):
        fb_client.delete("100200300_999999")
