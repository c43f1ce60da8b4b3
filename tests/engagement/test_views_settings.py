"""The agency admin's inbox settings pages: settings and inbox health, triage rules (with the
test box), canned responses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Role
from accounts.services import platform_account_connect
from engagement import selectors, services, threads
from engagement.models import CannedResponse, InboxSettings, PullCursor, TriageRule
from engagement.triage import DEFAULT_RULES


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def rule_of(cast, **fields) -> TriageRule:
    data = {"category": "tip", "terms": ["burglary", "break-in"], "language": "en"}
    return services.triage_rule_save(agency=cast.agency, by=cast.admin, **(data | fields))


def canned_of(cast, **fields) -> CannedResponse:
    data = {"title": "Thanks", "text": "Thank you {handle}, we have passed this on."}
    return threads.canned_response_save(agency=cast.agency, by=cast.admin, **(data | fields))


def settings_form(**fields) -> dict:
    data = {
        "first_response_target_minutes": "45",
        "office_hours_start": "08:00",
        "office_hours_end": "18:00",
        "office_days": ["0", "1", "2", "3", "4", "5"],
        "guidance_en": "Not monitored 24/7. Call 999 now.",
        "guidance_ko": "24시간 모니터링되지 않습니다. 112에 신고하세요.",
        "require_reply_approval": "on",
    }
    return data | fields


def rule_form(**fields) -> dict:
    data = {
        "category": "tip",
        "language": "en",
        "terms": "stolen bike, bike theft\nsaw him",
        "priority": "",
        "enabled": "on",
    }
    return data | fields


# --- Who may open them -------------------------------------------------------------------------

PAGES = [
    "engagement:inbox_settings",
    "engagement:triage_rules",
    "engagement:triage_test",
    "engagement:canned_responses",
]


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR, Role.ANALYST])
def test_inbox_settings_pages_are_for_agency_admins_only(cast, login, name, role):
    client = login(cast.by_role(role))
    assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse(name), {}).status_code == 403


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR, Role.ANALYST])
def test_rule_and_response_pages_are_for_agency_admins_only(cast, login, role):
    rule, response = rule_of(cast), canned_of(cast)
    urls = [
        reverse("engagement:triage_rule_edit", args=[rule.pk]),
        reverse("engagement:triage_rule_delete", args=[rule.pk]),
        reverse("engagement:canned_response_edit", args=[response.pk]),
        reverse("engagement:canned_response_delete", args=[response.pk]),
    ]
    client = login(cast.by_role(role))
    for url in urls:
        assert client.get(url).status_code == 403
        assert client.post(url, {"toggle": "off"}).status_code == 403
    assert TriageRule.objects.filter(pk=rule.pk, enabled=True).exists()
    assert CannedResponse.objects.filter(pk=response.pk).exists()


@pytest.mark.parametrize("name", PAGES)
def test_an_admin_opens_every_inbox_settings_page_from_the_tabs(cast, login, name):
    html = login(cast.admin).get(reverse(name)).content.decode()
    for link in (
        "engagement:inbox_settings",
        "engagement:triage_rules",
        "engagement:canned_responses",
        # The tabs that were there before are still there.
        "accounts:members",
        "posts:policy_rules",
        "posts:approval_settings",
    ):
        assert f'href="{reverse(link)}"' in html


def test_the_current_tab_is_marked(cast, login):
    client = login(cast.admin)
    html = client.get(reverse("engagement:triage_test")).content.decode()
    assert f'href="{reverse("engagement:triage_rules")}" aria-current="page"' in html
    assert html.count('aria-current="page"') == 1
    html = client.get(reverse("engagement:canned_responses")).content.decode()
    assert f'href="{reverse("engagement:canned_responses")}" aria-current="page"' in html


def test_another_agencys_rules_and_responses_are_not_found(cast, other, login):
    rule, response = rule_of(cast), canned_of(cast)
    client = login(other.admin)
    for name, obj in [
        ("engagement:triage_rule_edit", rule),
        ("engagement:triage_rule_delete", rule),
        ("engagement:canned_response_edit", response),
        ("engagement:canned_response_delete", response),
    ]:
        assert client.get(reverse(name, args=[obj.pk])).status_code == 404
        assert client.post(reverse(name, args=[obj.pk]), {"toggle": "off"}).status_code == 404
    assert "burglary" not in client.get(reverse("engagement:triage_rules")).content.decode()
    assert "Thanks" not in client.get(reverse("engagement:canned_responses")).content.decode()
    assert TriageRule.objects.filter(pk=rule.pk, enabled=True).exists()
    assert CannedResponse.objects.filter(pk=response.pk).exists()
    assert not events("engagement.triage_rule.updated")


# --- Inbox settings ----------------------------------------------------------------------------


def test_the_settings_page_shows_the_defaults_and_stores_nothing(cast, login):
    html = login(cast.admin).get(reverse("engagement:inbox_settings")).content.decode()
    assert 'value="60"' in html and 'value="09:00"' in html and 'value="17:00"' in html
    assert "112 / 999 / 911" in html and "119(구급·화재)" in html
    assert 'type="checkbox" name="office_days" value="0"' in html
    assert "<legend>Office days</legend>" in html
    assert not InboxSettings.objects.exists()


def test_admin_saves_the_inbox_settings_and_it_is_audited(cast, login):
    client = login(cast.admin)
    response = client.post(reverse("engagement:inbox_settings"), settings_form(), follow=True)
    assert "Inbox settings saved." in response.content.decode()
    saved = InboxSettings.objects.get(agency=cast.agency)
    assert saved.first_response_target_minutes == 45
    assert (saved.office_hours_start, saved.office_hours_end) == (dt.time(8), dt.time(18))
    assert saved.office_days == [0, 1, 2, 3, 4, 5]
    assert saved.require_reply_approval
    assert saved.guidance_for("en") == "Not monitored 24/7. Call 999 now."
    assert saved.guidance_for("ko") == "24시간 모니터링되지 않습니다. 112에 신고하세요."
    [event] = events("engagement.inbox_settings.updated")
    assert event.actor == cast.admin and event.agency == cast.agency
    assert event.data["changed"] == sorted(
        [
            "emergency_guidance",
            "first_response_target_minutes",
            "office_days",
            "office_hours_end",
            "office_hours_start",
            "require_reply_approval",
        ]
    )
    page = client.get(reverse("engagement:inbox_settings")).content.decode()
    assert 'value="45"' in page and 'value="08:00"' in page
    assert 'name="office_days" value="5" id="id_office_days_5" checked' in page


def test_only_what_changed_is_saved_and_audited(cast, login):
    client = login(cast.admin)
    client.post(reverse("engagement:inbox_settings"), settings_form())
    client.post(reverse("engagement:inbox_settings"), settings_form(require_reply_approval=""))
    response = client.post(reverse("engagement:inbox_settings"), settings_form(), follow=True)
    changed = [e.data["changed"] for e in events("engagement.inbox_settings.updated")]
    assert changed[1:] == [["require_reply_approval"], ["require_reply_approval"]]
    response = client.post(
        reverse("engagement:inbox_settings"), settings_form(guidance_ko=""), follow=True
    )
    assert InboxSettings.objects.get().emergency_guidance == {
        "en": "Not monitored 24/7. Call 999 now."
    }
    response = client.post(
        reverse("engagement:inbox_settings"), settings_form(guidance_ko=""), follow=True
    )
    assert "Nothing changed." in response.content.decode()
    assert len(events("engagement.inbox_settings.updated")) == 4


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (
            {"office_hours_start": "18:00", "office_hours_end": "08:00"},
            "Office hours end after they start.",
        ),
        (
            {"guidance_en": "  ", "guidance_ko": ""},
            "Write the emergency guidance in at least one language.",
        ),
        ({"first_response_target_minutes": "0"}, "greater than or equal to 1"),
        ({"office_days": ["7"]}, "Select a valid choice."),
    ],
)
def test_invalid_settings_show_an_error_and_keep_the_input(cast, login, fields, error):
    response = login(cast.admin).post(reverse("engagement:inbox_settings"), settings_form(**fields))
    assert response.status_code == 400
    html = response.content.decode()
    assert error in html and 'role="alert"' in html
    assert "Not monitored 24/7. Call 999 now." in html or fields.get("guidance_en") == "  "
    assert "112에 신고하세요" in html or fields.get("guidance_ko") == ""
    assert not InboxSettings.objects.exists()
    assert not events("engagement.inbox_settings.updated")


def test_the_settings_page_shows_inbox_health_in_the_agency_time_zone(cast, other, login):
    account = platform_account_connect(
        agency=cast.agency,
        by=None,
        platform="x",
        handle="alphapolice",
        external_id="1600000000000000001",
        credentials={"access_token": "t"},
    )
    cursor = services.pull_cursor_for(account=account)
    PullCursor.objects.filter(pk=cursor.pk).update(
        last_pulled_at=dt.datetime(2025, 7, 1, 11, 5, tzinfo=dt.UTC),
        next_pull_at=dt.datetime(2025, 7, 1, 11, 20, tzinfo=dt.UTC),
        last_error="Rate limited until 12:20",
        failures=2,
    )
    bravo = platform_account_connect(
        agency=other.agency,
        by=None,
        platform="x",
        handle="bravopolice",
        external_id="1700000000000000001",
        credentials={"access_token": "t"},
    )
    services.pull_cursor_for(account=bravo)
    html = login(cast.admin).get(reverse("engagement:inbox_settings")).content.decode()
    health = html.split('id="inbox-health"')[1]
    assert "alphapolice" in health and "bravopolice" not in health
    # Europe/London is UTC+1 in July.
    assert "2025-07-01 12:05" in health and "2025-07-01 12:20" in health
    assert "Rate limited until 12:20" in health and "2 failures in a row" in health


# --- Triage rules ------------------------------------------------------------------------------


def test_the_rules_page_lists_the_default_rules_in_english_and_korean(cast, login):
    html = login(cast.admin).get(reverse("engagement:triage_rules")).content.decode()
    assert TriageRule.objects.filter(agency=cast.agency).count() == len(DEFAULT_RULES)
    assert "bleeding" in html and "도와주세요" in html
    assert "English" in html and "Korean" in html
    assert 'action="{}"'.format(reverse("engagement:triage_test")) in html


def test_the_rules_page_uses_a_fixed_number_of_queries(cast, login, django_assert_max_num_queries):
    client = login(cast.admin)
    client.get(reverse("engagement:triage_rules"))  # creates the defaults
    with django_assert_max_num_queries(12):
        client.get(reverse("engagement:triage_rules"))


def test_admin_adds_a_rule_with_terms_per_line_or_comma_and_it_is_audited(cast, login):
    client = login(cast.admin)
    response = client.post(reverse("engagement:triage_rules"), rule_form(), follow=True)
    assert "Rule for “Tip-off” added." in response.content.decode()
    rule = TriageRule.objects.filter(agency=cast.agency).latest("pk")
    assert rule.terms == ["stolen bike", "bike theft", "saw him"]
    assert rule.priority == 50 and rule.enabled and rule.language == "en"
    [event] = events("engagement.triage_rule.created")
    assert event.actor == cast.admin and event.data["terms"] == rule.terms


def test_an_invalid_rule_shows_the_error_and_keeps_the_input(cast, login):
    response = login(cast.admin).post(
        reverse("engagement:triage_rules"), rule_form(category="urgent", priority="50")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Urgent rules have priority 100 or more." in html and 'role="alert"' in html
    assert "stolen bike, bike theft\nsaw him</textarea>" in html
    assert 'value="50"' in html
    assert not events("engagement.triage_rule.created")


def test_a_rule_without_terms_is_refused(cast, login):
    response = login(cast.admin).post(reverse("engagement:triage_rules"), rule_form(terms=" , \n"))
    assert response.status_code == 400
    assert "Give at least one term." in response.content.decode()


def test_admin_edits_a_rule(cast, login):
    rule = rule_of(cast)
    client = login(cast.admin)
    url = reverse("engagement:triage_rule_edit", args=[rule.pk])
    assert "burglary\nbreak-in</textarea>" in client.get(url).content.decode()
    response = client.post(url, rule_form(terms="burglary, burglar*", priority="55"))
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.terms == ["burglary", "burglar*"] and rule.priority == 55
    [event] = events("engagement.triage_rule.updated")
    assert event.data["before"]["terms"] == ["burglary", "break-in"]


def test_a_refused_edit_leaves_the_rule_as_it_was(cast, login):
    rule = rule_of(cast)
    url = reverse("engagement:triage_rule_edit", args=[rule.pk])
    response = login(cast.admin).post(url, rule_form(category="praise", priority="120"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Priority is between 0 and 99." in html
    assert "Triage rule: Tip-off (English)" in html
    rule.refresh_from_db()
    assert rule.category == "tip" and rule.priority == 50


def test_admin_switches_a_rule_off_and_on_from_the_list(cast, login):
    rule = rule_of(cast)
    client = login(cast.admin)
    url = reverse("engagement:triage_rule_edit", args=[rule.pk])
    client.post(url, {"toggle": "off"})
    rule.refresh_from_db()
    assert not rule.enabled and rule.terms == ["burglary", "break-in"]
    client.post(url, {"toggle": "on"})
    rule.refresh_from_db()
    assert rule.enabled
    assert [e.data["enabled"] for e in events("engagement.triage_rule.updated")] == [False, True]


def test_deleting_a_rule_asks_first_and_is_audited(cast, login):
    rule = rule_of(cast)
    client = login(cast.admin)
    url = reverse("engagement:triage_rule_delete", args=[rule.pk])
    confirm = client.get(url).content.decode()
    assert "Delete the “Tip-off” rule (English)?" in confirm and 'method="post"' in confirm
    assert TriageRule.objects.filter(pk=rule.pk).exists()
    response = client.post(url, follow=True)
    assert "Rule for “Tip-off” deleted." in response.content.decode()
    assert not TriageRule.objects.filter(pk=rule.pk).exists()
    [event] = events("engagement.triage_rule.deleted")
    assert event.target_id == str(rule.pk) and event.actor == cast.admin


# --- The test box ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category", "term"),
    [
        ("Someone is bleeding outside the station, please come", "Urgent", "bleeding"),
        ("칼을 들고 있는 사람이 있어요", "Urgent", "칼을"),
        ("Thanks for finding my bike, brilliant work", "Praise", "thank*"),
    ],
)
def test_the_test_box_shows_the_matched_category_and_terms(cast, login, text, category, term):
    client = login(cast.admin)
    client.get(reverse("engagement:triage_rules"))
    before = AuditEvent.objects.count()
    html = client.post(reverse("engagement:triage_test"), {"text": text}).content.decode()
    result = html.split('id="result"')[1]
    assert f"<dd>{category}</dd>" in result or f'<strong class="bad">{category}</strong>' in result
    assert f"<mark>{term}</mark>" in result
    assert text in html  # the box keeps the text
    assert AuditEvent.objects.count() == before  # nothing is stored


def test_the_test_box_uses_the_rules_as_they_stand(cast, login):
    rule = rule_of(cast, category="complaint", terms=["parking"], priority=45)
    client = login(cast.admin)
    html = client.post(reverse("engagement:triage_test"), {"text": "Parking again!"})
    assert "<dd>Complaint</dd>" in html.content.decode()
    client.post(reverse("engagement:triage_rule_edit", args=[rule.pk]), {"toggle": "off"})
    html = client.post(reverse("engagement:triage_test"), {"text": "Parking again!"})
    assert "No rule matched: the message would be filed as “Other”." in html.content.decode()


def test_the_test_box_needs_a_text(cast, login):
    response = login(cast.admin).post(reverse("engagement:triage_test"), {"text": ""})
    assert "This field is required." in response.content.decode()
    assert 'id="result"' not in response.content.decode()


# --- Canned responses --------------------------------------------------------------------------


def test_canned_responses_are_added_edited_and_deleted_with_audit(cast, login):
    client = login(cast.admin)
    listing = client.get(reverse("engagement:canned_responses")).content.decode()
    assert "{handle} is replaced by the citizen" in listing
    response = client.post(
        reverse("engagement:canned_responses"),
        {"title": "Report online", "language": "en", "text": "Hi {handle}, report it online."},
        follow=True,
    )
    assert "Canned response “Report online” added." in response.content.decode()
    canned = CannedResponse.objects.get(agency=cast.agency)
    assert canned.text == "Hi {handle}, report it online." and canned.language == "en"
    assert len(events("engagement.canned_response.created")) == 1

    edit = reverse("engagement:canned_response_edit", args=[canned.pk])
    assert "Hi {handle}, report it online.</textarea>" in client.get(edit).content.decode()
    response = client.post(
        edit,
        {"title": "온라인 신고", "language": "ko", "text": "{handle}님, 온라인으로 신고해 주세요."},
    )
    assert response.status_code == 302
    canned.refresh_from_db()
    assert (canned.title, canned.language) == ("온라인 신고", "ko")
    assert len(events("engagement.canned_response.updated")) == 1

    delete = reverse("engagement:canned_response_delete", args=[canned.pk])
    confirm = client.get(delete).content.decode()
    assert "Delete the canned response “온라인 신고”?" in confirm
    assert CannedResponse.objects.filter(pk=canned.pk).exists()
    client.post(delete)
    assert not CannedResponse.objects.exists()
    assert len(events("engagement.canned_response.deleted")) == 1
    assert not selectors.canned_responses_for_agency(agency=cast.agency).exists()


def test_a_canned_title_is_used_once_per_agency_and_the_input_is_kept(cast, other, login):
    canned_of(cast)
    canned_of(other)  # another agency may use the same title
    response = login(cast.admin).post(
        reverse("engagement:canned_responses"),
        {"title": "thanks", "language": "any", "text": "Cheers {handle}!"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Another canned response already has this title." in html
    assert 'value="thanks"' in html and "Cheers {handle}!</textarea>" in html
    assert CannedResponse.objects.filter(agency=cast.agency).count() == 1


def test_the_canned_list_uses_a_fixed_number_of_queries(cast, login, django_assert_max_num_queries):
    client = login(cast.admin)
    client.get(reverse("engagement:canned_responses"))
    for n in range(10):
        canned_of(cast, title=f"Response {n}")
    with django_assert_max_num_queries(9):
        client.get(reverse("engagement:canned_responses"))
