"""The editor's previews show a campaign's missing hashtags appended, marked as added by the
campaign; the "required hashtag" warning stays when the officer leaves one out."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from posts.models import PostStyle
from posts.services import post_create
from tests.campaigns.conftest import make_campaign

EDITOR_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "editor.js"


def editor_data(post, **overrides) -> dict:
    data = {
        "body": post.body,
        "style": PostStyle.CAMPAIGN,
        "location": "",
        "internal_notes": "",
        "campaign": post.campaign_id or "",
        "text_x": "",
        "text_facebook": "",
    }
    data.update(overrides)
    return data


def test_missing_campaign_hashtags_are_shown_appended_and_still_warned_about(cast, login):
    campaign = make_campaign(cast, hashtags="#KnowTheSigns #부산경찰")
    post = post_create(
        agency=cast.agency,
        author=cast.officer,
        body="Know the signs, and know who to call. #KnowTheSigns",
        campaign=campaign,
    )
    client = login(cast.officer)

    html = client.get(reverse("posts:edit", args=[post.pk])).content.decode()

    # Only the missing one is appended, on each platform's card, marked as the campaign's.
    assert html.count('<ins class="campaign-tag"') == 2
    assert (
        '<ins class="campaign-tag" title="Added by the campaign: not in your text yet.">#부산경찰</ins>'
        in html
    )
    assert ">#KnowTheSigns</ins>" not in html
    assert "The campaign&#x27;s hashtag #부산경찰 is missing." in html
    # The live preview gets every campaign's hashtags to do the same as the officer types.
    found = re.search(r'<script id="editor-campaigns" type="application/json">(.*?)</script>', html)
    assert json.loads(found.group(1)) == {str(campaign.pk): ["#KnowTheSigns", "#부산경찰"]}


def test_removing_a_campaign_hashtag_raises_the_warning_and_shows_it_appended(cast, login):
    campaign = make_campaign(cast, hashtags="#KnowTheSigns")
    post = post_create(
        agency=cast.agency, author=cast.officer, body="Spot it. #KnowTheSigns", campaign=campaign
    )
    client = login(cast.officer)
    clean = client.get(reverse("posts:edit", args=[post.pk])).content.decode()
    assert "campaign-tag" not in clean.split('id="preview-cards"')[1].split("</div>")[0]

    preview = client.post(
        reverse("posts_api:preview"),
        {"text": "Spot it.", "campaign": campaign.pk},
        content_type="application/json",
    ).json()
    assert [f["kind"] for f in preview["findings"]] == ["required_hashtag"]

    response = client.post(
        reverse("posts:edit", args=[post.pk]), editor_data(post, body="Spot it.")
    )
    assert response.status_code == 302
    page = client.get(reverse("posts:edit", args=[post.pk])).content.decode()
    assert ">#KnowTheSigns</ins>" in page
    assert "The campaign&#x27;s hashtag #KnowTheSigns is missing." in page


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_live_preview_finds_the_same_missing_hashtags():
    script = (
        f"const h = require({json.dumps(str(EDITOR_JS))});"
        "console.log(JSON.stringify(["
        "h.missingTags('Spot it #KnowTheSigns', ['#KnowTheSigns', '#부산경찰']),"
        "h.missingTags('#knowthesigns! #부산경찰', ['#KnowTheSigns', '#부산경찰']),"
        "h.missingTags('#KnowTheSignsNow and x#부산경찰', ['#KnowTheSigns', '#부산경찰']),"
        "h.missingTags('anything', undefined)"
        "]));"
    )
    out = subprocess.run(
        ["node", "-e", script], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    assert json.loads(out) == [["#부산경찰"], [], ["#KnowTheSigns", "#부산경찰"], []]
