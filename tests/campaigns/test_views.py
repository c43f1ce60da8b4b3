"""The campaign pages, the monitoring board and the report, per role and per agency."""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, PlatformAccount, Role
from campaigns import services
from campaigns.models import Campaign, ColumnMatch, MonitorColumn, PublicPost
from posts.services import post_create
from tests.campaigns.conftest import make_campaign
from tests.campaigns.figures_support import public_use, published_post

MANAGERS = [Role.SUPERVISOR, Role.ADMIN]
NOT_MANAGERS = [Role.OFFICER, Role.ANALYST]


@pytest.fixture
def x_account(cast):
    return PlatformAccount.objects.create(
        agency=cast.agency, platform="x", handle="@alphapolice", external_id="x-1"
    )


def form_data(**overrides) -> dict:
    today = timezone.localdate()
    data = {
        "name": "부산 안전 캠페인",
        "description": "Safer streets.",
        "hashtags": "#부산경찰 StaySafe",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=14)).isoformat(),
        "goal_kind": "reach",
        "goal_target": "20000",
    }
    data.update(overrides)
    return data


# --- who may manage campaigns -------------------------------------------------------------------


@pytest.mark.parametrize("role", MANAGERS)
def test_supervisors_and_admins_create_edit_and_delete_campaigns(cast, login, role, x_account):
    client = login(cast.by_role(role))
    assert client.get(reverse("campaigns:create")).status_code == 200
    data = form_data(target_accounts=[x_account.pk], owner=cast.officer.pk)

    response = client.post(reverse("campaigns:create"), data)

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:detail", args=[campaign.pk])
    assert campaign.hashtags == "#부산경찰 #StaySafe"
    assert (campaign.goal_kind, campaign.goal_target) == ("reach", 20000)
    assert list(campaign.target_accounts.all()) == [x_account]
    assert campaign.owner == cast.officer
    edit = client.post(
        reverse("campaigns:edit", args=[campaign.pk]),
        form_data(name="Renamed", hashtags="#부산경찰", goal_kind="public_uses", goal_target="40"),
    )
    assert edit.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.hashtags, campaign.goal_target) == ("Renamed", "#부산경찰", 40)
    assert not campaign.target_accounts.exists()
    confirm = client.get(reverse("campaigns:delete", args=[campaign.pk]))
    assert confirm.status_code == 200 and "Renamed" in confirm.content.decode()
    assert Campaign.objects.exists()  # asking is not deleting
    assert client.post(reverse("campaigns:delete", args=[campaign.pk])).status_code == 302
    assert not Campaign.objects.exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="campaigns.campaign.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "campaigns.campaign.created",
        "campaigns.campaign.updated",
        "campaigns.campaign.deleted",
    ]


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_officers_and_analysts_see_campaigns_but_may_not_manage_them(cast, login, role):
    campaign = make_campaign(cast)
    client = login(cast.by_role(role))
    assert client.get(reverse("campaigns:list")).status_code == 200
    page = client.get(reverse("campaigns:detail", args=[campaign.pk]))
    assert page.status_code == 200
    assert reverse("campaigns:edit", args=[campaign.pk]) not in page.content.decode()
    assert client.get(reverse("campaigns:create")).status_code == 403
    assert client.post(reverse("campaigns:create"), form_data()).status_code == 403
    for name in ("campaigns:edit", "campaigns:delete"):
        url = reverse(name, args=[campaign.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, form_data(name="Mine now")).status_code == 403
    campaign.refresh_from_db()
    assert campaign.name == "Lock it up" and Campaign.objects.count() == 1
    with pytest.raises(PermissionDenied):
        services.campaign_update(campaign=campaign, by=cast.by_role(role), name="No")
    with pytest.raises(PermissionDenied):
        services.campaign_delete(campaign=campaign, by=cast.by_role(role))


def test_an_invalid_hashtag_is_shown_on_the_form(cast, login):
    response = login(cast.supervisor).post(
        reverse("campaigns:create"), form_data(hashtags="#부산경찰 #2026 #stay-safe")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "“#2026” is not a hashtag: it needs at least one letter" in html
    assert "“#stay-safe” is not a hashtag" in html
    assert not Campaign.objects.exists()


def test_the_period_must_be_in_order_and_accounts_must_be_our_own(cast, other, login):
    theirs = PlatformAccount.objects.create(
        agency=other.agency, platform="x", handle="@bravo", external_id="x-9"
    )
    today = timezone.localdate()
    response = login(cast.admin).post(
        reverse("campaigns:create"),
        form_data(ends_on=(today - timedelta(days=1)).isoformat(), target_accounts=[theirs.pk]),
    )
    assert response.status_code == 400
    assert response.context["form"].errors.keys() == {"ends_on", "target_accounts"}
    with pytest.raises(Exception, match="own agency"):
        services.campaign_create(
            agency=cast.agency,
            by=cast.admin,
            name="x",
            hashtags="#x",
            starts_on=today,
            ends_on=today,
            target_accounts=[theirs],
        )


def test_officers_still_attach_posts_to_a_campaign(cast):
    campaign = make_campaign(cast)
    post = post_create(agency=cast.agency, author=cast.officer, body="Hi", campaign=campaign)
    assert post.campaign == campaign


# --- other agencies --------------------------------------------------------------------------


def test_another_agencys_campaigns_and_columns_are_404(cast, other, login):
    campaign = make_campaign(other, by=other.admin)
    column = services.monitor_column_create(agency=other.agency, by=other.officer, query="#Bravo")
    client = login(cast.admin)
    for name in (
        "campaigns:detail",
        "campaigns:edit",
        "campaigns:delete",
        "campaigns:report",
        "campaigns:report_pdf",
    ):
        assert client.get(reverse(name, args=[campaign.pk])).status_code == 404, name
    assert client.post(reverse("campaigns:delete", args=[campaign.pk])).status_code == 404
    for name in ("campaigns:column", "campaigns:column_matches"):
        assert client.get(reverse(name, args=[column.pk])).status_code == 404, name
    for name in ("campaigns:column_move", "campaigns:column_remove"):
        response = client.post(reverse(name, args=[column.pk]), {"direction": "left"})
        assert response.status_code == 404, name
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    assert MonitorColumn.objects.filter(pk=column.pk).exists()
    listing = client.get(reverse("campaigns:list")).content.decode()
    board = client.get(reverse("campaigns:monitor")).content.decode()
    assert campaign.name not in listing and "#Bravo" not in board


def test_a_campaign_page_shows_only_its_own_agencys_public_uses(cast, other, login):
    mine = make_campaign(cast, hashtags="#Shared")
    theirs = make_campaign(other, hashtags="#Shared", by=other.admin)
    public_use(theirs, 1, author="bravo_citizen")
    page = login(cast.officer).get(reverse("campaigns:detail", args=[mine.pk]))
    assert "bravo_citizen" not in page.content.decode()


# --- the campaign page and the report ---------------------------------------------------------


def test_the_campaign_page_shows_the_goal_timeline_contributors_and_best_posts(
    cast, login, x_account
):
    campaign = make_campaign(cast, goal_kind="public_uses", goal_target=8)
    for n in range(3):
        public_use(campaign, n, author="harbourwatch")
    public_use(campaign, 9, author="<script>x</script>")
    published_post(cast, campaign, x_account, impressions=5000, engagements=250)

    response = login(cast.analyst).get(reverse("campaigns:detail", args=[campaign.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<progress [^>]*max="8" value="4"', html)
    assert "4 of 8 (50.0%)." in html and "4 to go." in html
    assert 'data-chart="campaign-timeline"' in html and 'id="campaign-timeline"' in html
    assert 'data-chart="campaign-goal"' in html and "vendor/chartjs/chart.umd.min.js" in html
    assert "@harbourwatch" in html and "Lock your shed." in html
    assert "<script>x</script>" not in html  # the public's text is escaped


def test_the_report_page_is_one_print_friendly_page(cast, login, x_account):
    campaign = make_campaign(cast)
    public_use(campaign, 1)
    response = login(cast.analyst).get(reverse("campaigns:report", args=[campaign.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "css/campaigns.css" in html and 'class="campaign-report"' in html
    assert reverse("campaigns:report_pdf", args=[campaign.pk]) in html


def test_the_report_as_csv_is_utf8_with_a_bom(cast, login, x_account):
    campaign = make_campaign(cast, name="부산 안전", hashtags="#부산경찰", goal_target=10)
    public_use(campaign, 1, author="=cmd")
    published_post(cast, campaign, x_account, impressions=700, engagements=35)

    response = login(cast.analyst).get(
        reverse("campaigns:report", args=[campaign.pk]) + "?format=csv"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["Campaign report", "부산 안전"]
    summary = {r[0]: r[1] for r in rows if len(r) == 2}
    assert summary["Reach (impressions)"] == "700"
    assert summary["Public uses of the hashtags"] == "1"
    assert summary["Goal reached (%)"] == "10.0"
    assert ["'=cmd", "x", "1", "0", "1"] in rows  # a formula from the public is made inert
    today = timezone.localdate().isoformat()
    assert any(r[:1] == [today] for r in rows)


def test_the_report_as_pdf_has_one_page_even_in_korean(cast, login, x_account):
    campaign = make_campaign(cast, name="부산 안전 캠페인", hashtags="#부산경찰")
    for n in range(12):
        public_use(campaign, n, author=f"시민{n}")
    published_post(
        cast, campaign, x_account, impressions=700, engagements=35, body="안녕 #부산경찰"
    )

    response = login(cast.analyst).get(reverse("campaigns:report_pdf", args=[campaign.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 1


def test_the_report_of_a_campaign_that_has_not_started(cast, login):
    today = timezone.localdate()
    campaign = make_campaign(
        cast, starts_on=today + timedelta(days=3), ends_on=today + timedelta(days=4)
    )
    client = login(cast.analyst)
    assert (
        "not started yet"
        in client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    )
    assert client.get(reverse("campaigns:report_pdf", args=[campaign.pk])).content.startswith(
        b"%PDF"
    )


# --- the monitoring board -----------------------------------------------------------------------


def match(column: MonitorColumn, n: int, text: str) -> ColumnMatch:
    post = PublicPost.objects.create(
        agency=column.agency,
        platform="x",
        external_id=f"9{n:05d}",
        author_handle=f"person{n}",
        text=text,
        created_at=timezone.now() - timedelta(minutes=100 - n),
    )
    return ColumnMatch.objects.create(
        agency=column.agency, column=column, public_post=post, created_at=post.created_at
    )


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR, Role.ADMIN])
def test_people_on_duty_add_move_and_remove_columns(cast, login, role, x_account):
    client = login(cast.by_role(role))
    board = reverse("campaigns:monitor")
    for query, title in (("#부산경찰", ""), ("road closed", "March"), ("#Third", "")):
        response = client.post(board, {"query": query, "title": title, "accounts": [x_account.pk]})
        assert response.status_code == 302
    columns = list(MonitorColumn.objects.order_by("position"))
    assert [(c.title, c.kind) for c in columns] == [
        ("#부산경찰", "hashtag"),
        ("March", "keyword"),
        ("#Third", "hashtag"),
    ]
    client.post(reverse("campaigns:column_move", args=[columns[2].pk]), {"direction": "left"})
    client.post(reverse("campaigns:column_move", args=[columns[0].pk]), {"direction": "left"})
    assert list(MonitorColumn.objects.order_by("position").values_list("title", flat=True)) == [
        "#부산경찰",
        "#Third",
        "March",
    ]
    assert client.post(reverse("campaigns:column_remove", args=[columns[1].pk])).status_code == 302
    assert MonitorColumn.objects.count() == 2
    html = client.get(board).content.decode()
    assert html.index("#부산경찰") < html.index("#Third")
    assert "js/campaigns_monitor.js" in html


def test_analysts_watch_the_board_but_do_not_change_it(cast, login):
    column = services.monitor_column_create(agency=cast.agency, by=cast.officer, query="#Tag")
    client = login(cast.analyst)
    html = client.get(reverse("campaigns:monitor")).content.decode()
    assert "#Tag" in html and "Add a column" not in html
    assert client.post(reverse("campaigns:monitor"), {"query": "#More"}).status_code == 403
    assert client.post(reverse("campaigns:column_remove", args=[column.pk])).status_code == 403
    assert MonitorColumn.objects.count() == 1


def test_an_invalid_column_query_is_explained(cast, login):
    response = login(cast.officer).post(reverse("campaigns:monitor"), {"query": "#2026"})
    assert response.status_code == 400
    assert "needs at least one letter" in response.content.decode()


def test_the_column_fragment_shows_a_new_match_at_the_top(cast, login):
    column = services.monitor_column_create(agency=cast.agency, by=cast.officer, query="#Tag")
    client = login(cast.officer)
    url = reverse("campaigns:column_matches", args=[column.pk])
    match(column, 1, "First #Tag")
    before = client.get(url).content.decode()
    assert "First #Tag" in before and "<html" not in before

    newest = match(column, 2, "Just now #Tag")
    after = client.get(url).content.decode()

    assert after.index("Just now #Tag") < after.index("First #Tag")
    assert f'data-key="match-{newest.pk}"' in after


def test_a_column_shows_twenty_and_links_to_the_older_ones(
    cast, login, django_assert_max_num_queries
):
    column = services.monitor_column_create(agency=cast.agency, by=cast.officer, query="#Tag")
    for n in range(25):
        match(column, n, f"Post number {n} #Tag")
    client = login(cast.officer)
    with django_assert_max_num_queries(12):
        fragment = client.get(
            reverse("campaigns:column_matches", args=[column.pk])
        ).content.decode()
    assert fragment.count("<li data-key=") == 20
    assert "Post number 24 " in fragment and "Post number 4 " not in fragment
    assert reverse("campaigns:column", args=[column.pk]) in fragment
    older = client.get(reverse("campaigns:column", args=[column.pk])).content.decode()
    assert "Post number 0 " in older and "25 matches" in older


def test_a_hangul_font_on_the_server_is_embedded_in_the_pdf(cast, login, settings, monkeypatch):
    from campaigns import report_pdf

    font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # stands in for NanumGothic
    if not os.path.isfile(font):
        pytest.skip("no TrueType font to embed here")
    monkeypatch.setattr(report_pdf, "_cjk_font", [])
    settings.BEAT_PDF_FONT = font
    campaign = make_campaign(cast, name="부산 안전", hashtags="#부산경찰")
    try:
        pdf = login(cast.analyst).get(reverse("campaigns:report_pdf", args=[campaign.pk])).content
    finally:
        report_pdf._cjk_font.clear()  # not kept for the reports of later tests
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf
