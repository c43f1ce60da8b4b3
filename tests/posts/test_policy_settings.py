"""The agency admin's settings pages: policy rules, detectors, post templates, approval."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import AuditEvent, Role
from posts import settings_services
from posts.checks import rules_for_agency
from posts.models import ApprovalSettings, PolicyRule, PostTemplate

PHONE_TEXT = "Anyone with information, call DC Smith on 07700 900123."


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def rule_of(cast, **fields) -> PolicyRule:
    data = {"name": "No slang", "kind": "blocked_term", "severity": "warn", "terms": ["perp"]}
    return settings_services.policy_rule_create(
        agency=cast.agency, by=cast.admin, **(data | fields)
    )


def template_of(cast, **fields) -> PostTemplate:
    data = {"name": "Missing person", "body": "Have you seen {name}? Last seen in {place}."}
    return settings_services.template_create(agency=cast.agency, by=cast.admin, **(data | fields))


def form(**fields) -> dict:
    data = {
        "name": "Blocked words",
        "kind": "blocked_term",
        "severity": "block",
        "terms": "perp\n\n  scumbag  \n",
        "pattern": "",
        "message": "",
        "enabled": "on",
    }
    return data | fields


# --- Who may open them -------------------------------------------------------------------------

PAGES = [
    ("posts:policy_rules", []),
    ("posts:policy_test", []),
    ("posts:policy_detector", ["detector_phone"]),
    ("posts:post_templates", []),
    ("posts:approval_settings", []),
]


@pytest.mark.parametrize(("name", "args"), PAGES)
@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR, Role.ANALYST])
def test_settings_pages_are_for_agency_admins_only(cast, login, name, args, role):
    client = login(cast.by_role(role))
    assert client.get(reverse(name, args=args)).status_code == 403
    assert client.post(reverse(name, args=args), {}).status_code == 403


def test_rule_and_template_pages_are_for_agency_admins_only(cast, login):
    rule, template = rule_of(cast), template_of(cast)
    urls = [
        reverse("posts:policy_rule_edit", args=[rule.pk]),
        reverse("posts:policy_rule_delete", args=[rule.pk]),
        reverse("posts:post_template_edit", args=[template.pk]),
        reverse("posts:post_template_delete", args=[template.pk]),
    ]
    for role in (Role.OFFICER, Role.SUPERVISOR, Role.ANALYST):
        client = login(cast.by_role(role))
        for url in urls:
            assert client.get(url).status_code == 403
            assert client.post(url, {"toggle": "off"}).status_code == 403
    assert PolicyRule.objects.filter(pk=rule.pk, enabled=True).exists()
    assert PostTemplate.objects.filter(pk=template.pk).exists()


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_an_admin_opens_every_settings_page(cast, login, name, args):
    html = login(cast.admin).get(reverse(name, args=args)).content.decode()
    # The settings sub-navigation leads to each of them.
    for link in ("posts:policy_rules", "posts:post_templates", "posts:approval_settings"):
        assert f'href="{reverse(link)}"' in html


def test_another_agencys_rules_and_templates_are_not_found(cast, other, login):
    rule, template = rule_of(cast), template_of(cast)
    client = login(other.admin)
    for name, obj in [
        ("posts:policy_rule_edit", rule),
        ("posts:policy_rule_delete", rule),
        ("posts:post_template_edit", template),
        ("posts:post_template_delete", template),
    ]:
        assert client.get(reverse(name, args=[obj.pk])).status_code == 404
        assert client.post(reverse(name, args=[obj.pk]), {"toggle": "off"}).status_code == 404
    assert "No slang" not in client.get(reverse("posts:policy_rules")).content.decode()
    assert "Missing person" not in client.get(reverse("posts:post_templates")).content.decode()
    assert PolicyRule.objects.filter(pk=rule.pk, enabled=True).exists()


def test_services_refuse_anyone_but_the_agencys_admin(cast, other):
    with pytest.raises(PermissionDenied):
        settings_services.policy_rule_create(
            agency=cast.agency, by=cast.supervisor, name="x", kind="blocked_term", terms=["a"]
        )
    rule = rule_of(cast)
    with pytest.raises(PermissionDenied):
        settings_services.policy_rule_update(rule=rule, by=other.admin, enabled=False)
    with pytest.raises(PermissionDenied):
        settings_services.approval_settings_update(
            agency=cast.agency,
            by=other.admin,
            two_approvals_for_warnings=True,
            two_approvals_for_campaigns=True,
            late_warning_minutes=5,
        )


# --- Policy rules ------------------------------------------------------------------------------


def test_admin_adds_a_rule_with_one_term_per_line_and_it_is_audited(cast, login):
    client = login(cast.admin)
    response = client.post(reverse("posts:policy_rules"), form(), follow=True)
    assert "Rule “Blocked words” added." in response.content.decode()
    rule = PolicyRule.objects.get(agency=cast.agency)
    assert rule.terms == ["perp", "scumbag"] and rule.severity == "block" and rule.enabled
    [event] = events("posts.policy_rule.created")
    assert event.actor == cast.admin and event.agency == cast.agency
    assert event.data["terms"] == ["perp", "scumbag"]
    assert any(spec.name == "Blocked words" for spec in rules_for_agency(cast.agency))


def test_a_bad_regular_expression_is_shown_on_the_form(cast, login):
    response = login(cast.admin).post(
        reverse("posts:policy_rules"), form(kind="regex", pattern="([A-Z", terms="")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The pattern is not a valid regular expression" in html and 'role="alert"' in html
    assert not PolicyRule.objects.exists() and not events("posts.policy_rule.created")


def test_a_term_rule_without_terms_is_refused(cast, login):
    response = login(cast.admin).post(reverse("posts:policy_rules"), form(terms="\n  \n"))
    assert response.status_code == 400
    assert "List at least one term." in response.content.decode()
    assert not PolicyRule.objects.exists()


def test_a_pattern_rule_keeps_only_its_pattern(cast):
    rule = rule_of(cast, kind="regex", pattern=r"\bcase\s+\d+\b", terms=["stray"])
    assert rule.terms == [] and rule.pattern == r"\bcase\s+\d+\b"


def test_admin_edits_a_rule_and_the_changes_are_audited(cast, login):
    rule = rule_of(cast)
    client = login(cast.admin)
    page = client.get(reverse("posts:policy_rule_edit", args=[rule.pk])).content.decode()
    assert "perp</textarea>" in page
    response = client.post(
        reverse("posts:policy_rule_edit", args=[rule.pk]),
        form(name="No slang", kind="blocked_term", severity="block", terms="perp\nlowlife"),
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.severity == "block" and rule.terms == ["perp", "lowlife"]
    [event] = events("posts.policy_rule.updated")
    assert event.data["changes"] == {
        "severity": ["warn", "block"],
        "terms": [["perp"], ["perp", "lowlife"]],
    }


def test_editing_to_a_bad_pattern_keeps_the_rule_as_it_was(cast, login):
    rule = rule_of(cast, kind="regex", pattern=r"\d+", terms=[])
    response = login(cast.admin).post(
        reverse("posts:policy_rule_edit", args=[rule.pk]), form(kind="regex", pattern="*oops")
    )
    assert response.status_code == 400
    assert "not a valid regular expression" in response.content.decode()
    rule.refresh_from_db()
    assert rule.pattern == r"\d+" and not events("posts.policy_rule.updated")


def test_admin_switches_a_rule_off_and_on_from_the_list(cast, login):
    rule = rule_of(cast)
    client = login(cast.admin)
    client.post(reverse("posts:policy_rule_edit", args=[rule.pk]), {"toggle": "off"})
    rule.refresh_from_db()
    assert not rule.enabled
    assert all(spec.name != "No slang" for spec in rules_for_agency(cast.agency))
    client.post(reverse("posts:policy_rule_edit", args=[rule.pk]), {"toggle": "on"})
    rule.refresh_from_db()
    assert rule.enabled
    changes = [e.data["changes"] for e in events("posts.policy_rule.updated")]
    assert changes == [{"enabled": [True, False]}, {"enabled": [False, True]}]


def test_deleting_a_rule_asks_first_and_is_audited(cast, login):
    rule = rule_of(cast)
    client = login(cast.admin)
    url = reverse("posts:policy_rule_delete", args=[rule.pk])
    confirm = client.get(url).content.decode()
    assert "Delete the rule “No slang”?" in confirm and 'method="post"' in confirm
    assert PolicyRule.objects.filter(pk=rule.pk).exists()
    response = client.post(url, follow=True)
    assert "Rule “No slang” deleted." in response.content.decode()
    assert not PolicyRule.objects.filter(pk=rule.pk).exists()
    [event] = events("posts.policy_rule.deleted")
    assert event.target_id == str(rule.pk) and event.data["name"] == "No slang"


# --- Built-in detectors ------------------------------------------------------------------------


def test_the_policy_page_lists_the_built_in_detectors(cast, login):
    html = login(cast.admin).get(reverse("posts:policy_rules")).content.decode()
    for name in ("Phone numbers", "E-mail addresses", "Street addresses"):
        assert name in html
    assert reverse("posts:policy_detector", args=["detector_phone"]) in html


def test_the_test_page_shows_a_phone_number_finding(cast, login):
    client = login(cast.admin)
    assert 'name="text"' in client.get(reverse("posts:policy_test")).content.decode()
    html = client.post(reverse("posts:policy_test"), {"text": PHONE_TEXT}).content.decode()
    assert "Phone numbers" in html
    assert "<mark>07700 900123</mark>" in html
    assert "This looks like a private phone number." in html


def test_admin_adjusts_a_detector_to_let_a_public_number_through(cast, login):
    client = login(cast.admin)
    url = reverse("posts:policy_detector", args=["detector_phone"])
    response = client.post(
        url,
        {
            "severity": "warn",
            "terms": "07700 900 123",
            "message": "Is this number public?",
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    rule = PolicyRule.objects.get(agency=cast.agency, kind="detector_phone")
    assert rule.severity == "warn" and rule.terms == ["07700 900 123"]
    assert events("posts.policy_rule.created")[0].data["kind"] == "detector_phone"
    html = client.post(reverse("posts:policy_test"), {"text": PHONE_TEXT}).content.decode()
    assert "07700 900123" not in html.split('id="findings"')[1]
    html = client.post(
        reverse("posts:policy_test"), {"text": "Ring 07700 900456."}
    ).content.decode()
    assert "Is this number public?" in html
    # Once adjusted, the detector's link leads to the adjustment.
    assert client.get(url)["Location"] == reverse("posts:policy_rule_edit", args=[rule.pk])


def test_admin_switches_a_detector_off(cast, login):
    client = login(cast.admin)
    client.post(
        reverse("posts:policy_detector", args=["detector_phone"]),
        {"severity": "block", "terms": "", "message": ""},
    )
    html = client.post(reverse("posts:policy_test"), {"text": PHONE_TEXT}).content.decode()
    assert "Nothing found" in html
    listing = client.get(reverse("posts:policy_rules")).content.decode()
    assert "Reset…" in listing


def test_a_detector_is_adjusted_once(cast):
    rule_of(cast, name="Phones", kind="detector_phone", terms=[])
    with pytest.raises(ValidationError, match="already adjusted"):
        rule_of(cast, name="Phones again", kind="detector_phone", terms=[])


def test_an_unknown_detector_is_not_found(cast, login):
    url = reverse("posts:policy_detector", args=["blocked_term"])
    assert login(cast.admin).get(url).status_code == 404


# --- Post templates ----------------------------------------------------------------------------


def test_templates_are_added_edited_and_deleted_with_audit(cast, login):
    client = login(cast.admin)
    body = "Have you seen {name}? {name} was last seen near {장소} at {time}."
    response = client.post(
        reverse("posts:post_templates"),
        {"name": "Missing person", "style": "appeal", "body": body},
        follow=True,
    )
    html = response.content.decode()
    assert "Template “Missing person” added." in html
    assert (
        "<code>&#123;name&#125;</code> <code>&#123;장소&#125;</code> <code>&#123;time&#125;</code>"
        in html
    )
    template = PostTemplate.objects.get(agency=cast.agency)
    assert template.created_by == cast.admin and template.style == "appeal"
    assert events("posts.template.created")[0].data["placeholders"] == ["name", "장소", "time"]

    edit = reverse("posts:post_template_edit", args=[template.pk])
    assert "{장소}" in client.get(edit).content.decode()
    response = client.post(
        edit, {"name": "Missing person appeal", "style": "appeal", "body": "Seen {name}?"}
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.name == "Missing person appeal" and template.body == "Seen {name}?"
    [event] = events("posts.template.updated")
    assert event.data["changed"] == ["name", "body"]

    delete = reverse("posts:post_template_delete", args=[template.pk])
    assert "Delete the template" in client.get(delete).content.decode()
    client.post(delete)
    assert not PostTemplate.objects.exists()
    assert len(events("posts.template.deleted")) == 1


def test_a_template_name_is_used_once_per_agency(cast, other, login):
    template_of(cast)
    template_of(other)  # another agency may use the same name
    response = login(cast.admin).post(
        reverse("posts:post_templates"),
        {"name": "missing person", "style": "narrative", "body": "x"},
    )
    assert response.status_code == 400
    assert "already has a template of that name" in response.content.decode()
    assert PostTemplate.objects.filter(agency=cast.agency).count() == 1


# --- Approval settings -------------------------------------------------------------------------


def test_approval_settings_are_saved_and_audited(cast, login):
    client = login(cast.admin)
    page = client.get(reverse("posts:approval_settings")).content.decode()
    assert 'value="30"' in page
    assert not ApprovalSettings.objects.exists()  # reading the page stores nothing

    response = client.post(
        reverse("posts:approval_settings"),
        {"two_approvals_for_warnings": "on", "late_warning_minutes": "45"},
        follow=True,
    )
    assert "Approval settings saved." in response.content.decode()
    saved = ApprovalSettings.objects.get(agency=cast.agency)
    assert saved.two_approvals_for_warnings and not saved.two_approvals_for_campaigns
    assert saved.late_warning_minutes == 45
    [event] = events("posts.approval_settings.updated")
    assert event.data["changes"] == {
        "two_approvals_for_warnings": [False, True],
        "late_warning_minutes": [30, 45],
    }
    assert 'value="45"' in client.get(reverse("posts:approval_settings")).content.decode()


def test_approval_settings_refuse_a_negative_warning(cast, login):
    response = login(cast.admin).post(
        reverse("posts:approval_settings"), {"late_warning_minutes": "-5"}
    )
    assert response.status_code == 400
    assert not ApprovalSettings.objects.exists()
