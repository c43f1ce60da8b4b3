"""POST /api/v1/posts/preview: the editor's live check."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import PlatformAccount
from campaigns.models import Campaign

URL = "/api/v1/posts/preview"


@pytest.fixture
def x_account(cast):
    return PlatformAccount.objects.create(
        agency=cast.agency,
        platform="x",
        handle="@alphapolice",
        external_id="x-1",
        display_name="Alpha Police",
    )


@pytest.fixture
def fb_account(cast):
    return PlatformAccount.objects.create(
        agency=cast.agency, platform="facebook", handle="Alpha Police", external_id="fb-1"
    )


def preview(client, payload, url=URL, **extra):
    return client.post(url, payload, content_type="application/json", **extra)


def test_the_response_has_the_documented_shape(cast, login):
    response = preview(login(cast.officer), {"text": "Road closed.\nUse the bypass."})
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"platforms", "findings"}
    assert set(data["platforms"]) == {"x", "facebook"}  # every platform when none is chosen
    x = data["platforms"]["x"]
    assert {
        "weighted_length",
        "max",
        "valid",
        "remaining",
        "over_from",
        "media_errors",
        "accounts",
    } <= set(x)
    assert (x["weighted_length"], x["max"], x["valid"], x["over_from"]) == (28, 280, True, None)
    facebook = data["platforms"]["facebook"]
    assert {"length", "max", "valid", "remaining", "media_errors"} <= set(facebook)
    assert facebook["length"] == 28 and facebook["valid"] is True
    assert data["findings"] == []


def test_korean_text_counts_double_on_x_and_the_cut_is_given(cast, login):
    client = login(cast.officer)
    x = preview(client, {"text": "부산경찰입니다"}).json()["platforms"]["x"]
    assert (x["weighted_length"], x["valid"]) == (14, True)
    x = preview(client, {"text": "가" * 141}).json()["platforms"]["x"]
    assert (x["weighted_length"], x["valid"], x["over_from"]) == (282, False, 140)


def test_a_phone_number_is_found_at_its_code_point_offsets(cast, login):
    text = "🚓 제보: 010-1234-5678 로 연락주세요"
    data = preview(login(cast.officer), {"text": text}).json()
    (finding,) = data["findings"]
    assert set(finding) >= {"rule", "kind", "severity", "start", "end", "message", "excerpt"}
    assert finding["kind"] == "detector_phone"
    assert (finding["start"], finding["end"]) == (6, 19)
    assert text[finding["start"] : finding["end"]] == finding["excerpt"] == "010-1234-5678"
    assert finding["message"] == "This looks like a private phone number."


def test_chosen_accounts_decide_the_platforms_and_give_the_handles(cast, login, x_account):
    data = preview(login(cast.officer), {"text": "Hi", "accounts": [x_account.pk]}).json()
    assert list(data["platforms"]) == ["x"]
    assert data["platforms"]["x"]["accounts"] == [
        {"id": x_account.pk, "handle": "@alphapolice", "name": "Alpha Police"}
    ]


def test_each_platform_is_checked_on_its_own_text(cast, login, x_account, fb_account):
    data = preview(
        login(cast.officer),
        {
            "text": "Short.",
            "accounts": [x_account.pk, fb_account.pk],
            "platform_texts": {"x": "x" * 300, "facebook": ""},
        },
    ).json()
    assert data["platforms"]["x"]["valid"] is False and data["platforms"]["x"]["over_from"] == 280
    assert data["platforms"]["facebook"]["length"] == 6


def test_campaign_hashtags_and_media_are_checked(cast, login):
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        agency=cast.agency, name="Signs", hashtags="#KnowTheSigns", starts_on=today, ends_on=today
    )
    data = preview(
        login(cast.officer),
        {
            "text": "Spot the signs.",
            "campaign": campaign.pk,
            "media": [{"content_type": "image/png", "size_bytes": 1000, "alt_text": ""}],
        },
    ).json()
    assert [f["kind"] for f in data["findings"]] == ["required_hashtag"]
    assert any("no alt text" in e for e in data["platforms"]["x"]["media_errors"])


def test_another_agencys_account_is_refused_with_the_error_shape(cast, other, login, x_account):
    theirs = PlatformAccount.objects.create(
        agency=other.agency, platform="x", handle="@bravopolice", external_id="x-9"
    )
    response = preview(login(cast.officer), {"text": "Hi", "accounts": [x_account.pk, theirs.pk]})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and isinstance(error["message"], str)
    assert list(error["fields"]) == ["accounts"]
    assert error["fields"]["accounts"] == ["Choose accounts of your own agency."]


def test_other_invalid_requests_have_the_same_shape(cast, other, login):
    client = login(cast.officer)
    too_long = preview(client, {"text": "a" * 10001}).json()["error"]
    assert too_long["code"] == "invalid" and list(too_long["fields"]) == ["text"]
    missing = preview(client, {}).json()["error"]
    assert list(missing["fields"]) == ["text"]
    today = timezone.localdate()
    theirs = Campaign.objects.create(
        agency=other.agency, name="Theirs", starts_on=today, ends_on=today
    )
    wrong = preview(client, {"text": "x", "campaign": theirs.pk, "platform_texts": {"tiktok": "x"}})
    assert wrong.status_code == 400
    assert set(wrong.json()["error"]["fields"]) == {"campaign", "platform_texts"}
    broken = client.post(URL, "{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "parse_error"


def test_the_trailing_slash_spelling_answers_too(cast, login):
    response = preview(login(cast.officer), {"text": "Hi"}, url=URL + "/")
    assert response.status_code == 200 and "platforms" in response.json()


def test_analyst_is_refused(cast, login):
    response = preview(login(cast.analyst), {"text": "Hi"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_anonymous_is_refused_with_json(client):
    response = preview(client, {"text": "Hi"})
    assert response.status_code in (401, 403)
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_authenticated"


def test_the_browser_session_needs_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.officer, backend="django.contrib.auth.backends.ModelBackend")
    refused = preview(client, {"text": "Hi"})
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]["message"]
    client.get("/posts/new/")  # the editor page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    assert preview(client, {"text": "Hi"}, HTTP_X_CSRFTOKEN=token).status_code == 200
