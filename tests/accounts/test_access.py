"""Which role sees which page, and 404 for another agency's objects."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.roles import SECTIONS
from campaigns.services import campaign_create
from posts.services import post_create

ROLES = [Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.ADMIN]
SETTINGS_PAGES = ["accounts:members", "accounts:platform_accounts", "accounts:audit_log"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: s.key)
def test_each_role_sees_exactly_its_sections(cast, login, role, section):
    client = login(cast.by_role(role))
    response = client.get(reverse(section.url_name))
    expected = 200 if role in section.roles else 403
    assert response.status_code == expected


def test_the_role_table_is_what_the_desk_expects():
    allowed = {s.key: set(s.roles) for s in SECTIONS}
    assert allowed["approvals"] == {Role.SUPERVISOR, Role.ADMIN}
    assert Role.ANALYST not in allowed["drafts"] and Role.ANALYST not in allowed["inbox"]
    assert allowed["dashboards"] == {Role.ANALYST, Role.SUPERVISOR, Role.ADMIN}
    assert allowed["settings"] == {Role.ADMIN}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", SETTINGS_PAGES)
def test_only_admins_open_settings_pages(cast, login, role, page):
    response = login(cast.by_role(role)).get(reverse(page))
    assert response.status_code == (200 if role == Role.ADMIN else 403)


@pytest.mark.parametrize("role", ROLES)
def test_navigation_lists_only_permitted_sections(cast, login, role):
    response = login(cast.by_role(role)).get(reverse("posts:calendar"))
    html = response.content.decode()
    for section in SECTIONS:
        link = f'href="{reverse(section.url_name)}"'
        assert (link in html) == (role in section.roles), section.key


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("posts:drafts"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_home_sends_each_role_to_its_first_section(cast, login):
    assert login(cast.analyst).get("/")["Location"] == reverse("posts:calendar")
    assert login(cast.officer).get("/")["Location"] == reverse("posts:drafts")


def test_objects_of_another_agency_are_404(cast, other, login):
    post = post_create(agency=other.agency, author=other.officer, body="Their post")
    import datetime as dt

    campaign = campaign_create(
        agency=other.agency,
        by=other.admin,
        name="Theirs",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 2, 1),
    )
    from accounts.services import platform_account_connect

    account = platform_account_connect(
        agency=other.agency,
        by=None,
        platform="x",
        handle="@them",
        external_id="42",
        credentials={
            "consumer_key": "a",
            "consumer_secret": "b",
            "access_token": "c",
            "access_token_secret": "d",
        },
    )
    their_membership = other.officer.memberships.get()
    client = login(cast.admin)
    urls = [
        ("get", reverse("posts:detail", args=[post.pk])),
        ("get", reverse("campaigns:detail", args=[campaign.pk])),
        ("get", reverse("accounts:platform_account_status", args=[account.pk])),
        ("get", reverse("accounts:member_remove", args=[their_membership.pk])),
        ("post", reverse("accounts:member_remove", args=[their_membership.pk])),
        ("post", reverse("accounts:member_role", args=[their_membership.pk])),
        ("post", reverse("accounts:member_unlock", args=[their_membership.pk])),
    ]
    for method, url in urls:
        response = getattr(client, method)(url, {"role": "admin"})
        assert response.status_code == 404, url
    # And nothing changed.
    their_membership.refresh_from_db()
    assert their_membership.role == Role.OFFICER


def test_lists_show_only_the_current_agency(cast, other, login):
    post_create(agency=cast.agency, author=cast.officer, body="Ours: lost dog found")
    post_create(agency=other.agency, author=other.officer, body="Theirs: road closed")
    html = login(cast.officer).get(reverse("posts:drafts")).content.decode()
    assert "Ours: lost dog found" in html
    assert "Theirs: road closed" not in html


def test_drafts_list_uses_a_fixed_number_of_queries(cast, login, django_assert_max_num_queries):
    for i in range(30):
        post_create(agency=cast.agency, author=cast.officer, body=f"Post {i}")
    client = login(cast.officer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("posts:drafts"))
    assert response.status_code == 200
    assert response.content.decode().count('class="badge status-draft"') == 30
