"""Account audiences (`fetch_account_stats`) and metric lookups of deleted posts, through the
real tweepy and pyfacebook clients against the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from requests_oauthlib import OAuth1

from platforms.base import AuthExpired, NotFound, RateLimited, Unavailable, utcnow
from platforms.sandbox import public
from tests.platforms.conftest import FB_PAGE, FB_TOKEN, X_ID, X_TOKEN, make_x


def test_x_reports_followers_and_following_from_public_metrics(sandbox, x_client):
    stats = x_client.fetch_account_stats()

    assert stats.followers > 1000 and stats.following > 0
    assert stats.raw["id"] == X_ID and stats.raw["username"] == "northpolice"
    assert stats.raw["public_metrics"]["followers_count"] == stats.followers
    assert stats.raw["public_metrics"]["following_count"] == stats.following


def test_x_user_lookup_speaks_the_v2_wire_format(sandbox, x_account):
    auth = OAuth1("ck", "cs", X_TOKEN, "ats")
    url = f"{sandbox.url}/2/users/{X_ID}"

    plain = requests.get(url, auth=auth, timeout=5)
    with_metrics = requests.get(url, params={"user.fields": "public_metrics"}, auth=auth, timeout=5)
    unknown = requests.get(f"{sandbox.url}/2/users/42", auth=auth, timeout=5)

    assert plain.json() == {"data": {"id": X_ID, "name": "North Police", "username": "northpolice"}}
    assert set(with_metrics.json()["data"]["public_metrics"]) == {
        "followers_count",
        "following_count",
        "tweet_count",
        "listed_count",
    }
    assert "x-rate-limit-remaining" in with_metrics.headers
    # X answers an unknown user with 200 and only errors.
    assert unknown.status_code == 200
    assert unknown.json()["errors"][0]["title"] == "Not Found Error"


def test_facebook_reports_page_followers(sandbox, fb_client):
    stats = fb_client.fetch_account_stats()
    graph = requests.get(
        f"{sandbox.url}/v21.0/{FB_PAGE}",
        params={"fields": "followers_count,fan_count", "access_token": FB_TOKEN},
        timeout=5,
    ).json()

    assert stats.followers == graph["followers_count"] > 1000
    assert 0 < graph["fan_count"] < graph["followers_count"]
    assert stats.following == 0  # a page follows no one
    assert set(graph) == {"id", "followers_count", "fan_count"}
    # Without fields the page node is still just its id and name.
    bare = requests.get(
        f"{sandbox.url}/v21.0/{FB_PAGE}", params={"access_token": FB_TOKEN}, timeout=5
    ).json()
    assert bare == {"id": FB_PAGE, "name": "North Police"}


def test_followers_grow_with_time_and_with_posts(sandbox, x_client, fb_client):
    start = (x_client.fetch_account_stats().followers, fb_client.fetch_account_stats().followers)
    sandbox.advance(3 * 86400)
    later = (x_client.fetch_account_stats().followers, fb_client.fetch_account_stats().followers)
    x_client.publish("A post brings a few followers")
    fb_client.publish("A post brings a few followers")
    after_post = (
        x_client.fetch_account_stats().followers,
        fb_client.fetch_account_stats().followers,
    )

    assert all(b > a for a, b in zip(start, later, strict=True))
    assert all(b > a for a, b in zip(later, after_post, strict=True))
    # Plausible: a few days add tens or hundreds, not thousands.
    assert all(b - a < 1000 for a, b in zip(start, later, strict=True))


def test_audience_is_a_function_of_seed_account_and_time():
    at = datetime(2026, 3, 1, tzinfo=UTC).timestamp()

    def followers(seed: int, account: str, when: float, posts: int = 0) -> int:
        return public.audience(public.seeded(seed, "audience", "x", account), when, posts)[
            "followers"
        ]

    assert followers(42, X_ID, at) == followers(42, X_ID, at)
    assert followers(42, X_ID, at) != followers(7, X_ID, at)
    assert followers(42, X_ID, at) != followers(42, "99", at)
    # Day by day over a year it never falls, and the daily gain varies through the week.
    days = [followers(42, X_ID, at + d * 86400) for d in range(365)]
    gains = [b - a for a, b in zip(days, days[1:], strict=False)]
    assert min(gains) >= 0 and max(gains) > min(gains)


def test_audience_survives_a_restart(tmp_path, start_subprocess_sandbox):
    state = tmp_path / "state.sqlite3"
    box, proc = start_subprocess_sandbox(state)
    box.account("x", X_ID, X_TOKEN, handle="northpolice")
    make_x(box.url).publish("Counted among the posts")
    box.advance(10 * 86400)
    before = make_x(box.url).fetch_account_stats()
    proc.terminate()
    proc.wait(timeout=10)

    box2, _ = start_subprocess_sandbox(state)
    after = make_x(box2.url).fetch_account_stats()

    # The clock offset and the post count are stored; only wall time moved on (seconds).
    assert 0 <= after.followers - before.followers <= 1
    assert after.following == before.following


def test_x_rate_limit_on_account_stats_carries_the_reset(sandbox, x_client):
    faults = sandbox.faults("x", X_ID, {"rate_limit": {"remaining": 0, "reset_in_s": 120}})

    with pytest.raises(RateLimited) as caught:
        x_client.fetch_account_stats()

    reset = faults["faults"]["rate_limit"]["reset"]
    assert caught.value.retry_at == datetime.fromtimestamp(reset, tz=UTC)


def test_facebook_throttle_on_account_stats_is_rate_limited(sandbox, fb_client):
    sandbox.faults("facebook", FB_PAGE, {"rate_limit": {"remaining": 0, "reset_in_s": 290}})

    with pytest.raises(RateLimited) as caught:
        fb_client.fetch_account_stats()

    # Meta gives whole minutes until access returns: 290 s is 5 minutes.
    assert utcnow() + timedelta(minutes=4) < caught.value.retry_at
    assert caught.value.retry_at <= utcnow() + timedelta(minutes=5, seconds=5)


@pytest.mark.parametrize("platform", ["x", "facebook"])
def test_expired_token_on_account_stats_is_auth_expired(sandbox, x_client, fb_client, platform):
    sandbox.faults(platform, X_ID if platform == "x" else FB_PAGE, {"token_expired": True})
    client = x_client if platform == "x" else fb_client

    with pytest.raises(AuthExpired):
        client.fetch_account_stats()


@pytest.mark.parametrize("platform", ["x", "facebook"])
def test_server_error_on_account_stats_is_unavailable(sandbox, x_client, fb_client, platform):
    sandbox.faults(platform, X_ID if platform == "x" else FB_PAGE, {"error_5xx": 1})
    client = x_client if platform == "x" else fb_client

    with pytest.raises(Unavailable):
        client.fetch_account_stats()
    assert client.fetch_account_stats().followers > 0


def test_x_account_unknown_to_the_platform_is_not_found(sandbox, x_account):
    # Signed as a known account, asking about a user X does not have.
    with pytest.raises(NotFound):
        make_x(sandbox.url, user_id="42").fetch_account_stats()


@pytest.mark.parametrize("platform", ["x", "facebook"])
def test_metrics_leave_out_a_post_deleted_on_the_platform(sandbox, x_client, fb_client, platform):
    client = x_client if platform == "x" else fb_client
    kept = client.publish("Still there")
    gone = client.publish("Deleted by hand")
    client.delete(gone.external_id)
    sandbox.advance(600)

    readings = client.fetch_metrics([kept.external_id, gone.external_id])

    assert [m.external_id for m in readings] == [kept.external_id]
    assert readings[0].impressions > 0
