"""Triage rules agency admins edit, inbox settings, and the response-time target."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent
from engagement import selectors, services
from engagement.models import Message, TriageRule
from engagement.response_times import response_due_at
from engagement.triage import DEFAULT_RULES
from tests.engagement.conftest import publish, pull

LONDON = zoneinfo.ZoneInfo("Europe/London")


def test_default_rules_are_created_once_per_agency(cast, other):
    services.inbox_settings_ensure(agency=cast.agency)
    services.inbox_settings_ensure(agency=cast.agency)
    assert TriageRule.objects.filter(agency=cast.agency).count() == len(DEFAULT_RULES)
    assert not TriageRule.objects.filter(agency=other.agency).exists()
    languages = set(TriageRule.objects.values_list("language", flat=True))
    assert {"en", "ko"} <= languages


def test_an_agency_that_deletes_the_defaults_does_not_get_them_back(cast):
    services.inbox_settings_ensure(agency=cast.agency)
    for rule in TriageRule.objects.filter(agency=cast.agency):
        services.triage_rule_delete(rule=rule, by=cast.admin)
    services.inbox_settings_ensure(agency=cast.agency)
    assert not TriageRule.objects.filter(agency=cast.agency).exists()
    assert AuditEvent.objects.filter(action="engagement.triage_rule.deleted").count() == len(
        DEFAULT_RULES
    )


def test_an_admin_adds_a_rule_and_the_next_pull_uses_it(cast, accounts, sandbox):
    rule = services.triage_rule_save(
        agency=cast.agency, by=cast.admin, category="tip", terms=[" appeal ", "appeal", "witnesses"]
    )
    assert rule.terms == ["appeal", "witnesses"] and rule.priority == 50
    event = AuditEvent.objects.get(action="engagement.triage_rule.created")
    assert event.actor == cast.admin and event.data["terms"] == ["appeal", "witnesses"]

    publish(cast, accounts.x)
    sandbox.advance(3600)
    pull(accounts.x)
    witnesses = Message.objects.filter(text__icontains="witnesses")
    assert witnesses.exists()
    assert all(m.category == "tip" for m in witnesses)
    assert all(["tip", "witnesses"] in m.triage_terms for m in witnesses)


def test_an_admin_changes_a_rule(cast):
    services.inbox_settings_ensure(agency=cast.agency)
    rule = TriageRule.objects.filter(agency=cast.agency, category="praise", language="en").get()
    services.triage_rule_save(
        agency=cast.agency,
        by=cast.admin,
        rule=rule,
        category="praise",
        terms=["ta", "cheers"],
        language="en",
        priority=20,
        enabled=False,
    )
    rule.refresh_from_db()
    assert (rule.terms, rule.priority, rule.enabled) == (["ta", "cheers"], 20, False)
    event = AuditEvent.objects.get(action="engagement.triage_rule.updated")
    assert "thank*" in event.data["before"]["terms"]


@pytest.mark.parametrize("role", ["officer", "supervisor", "analyst"])
def test_only_admins_edit_rules_and_settings(cast, role):
    person = cast.by_role(role)
    with pytest.raises(PermissionDenied):
        services.triage_rule_save(agency=cast.agency, by=person, category="tip", terms=["x"])
    with pytest.raises(PermissionDenied):
        services.inbox_settings_update(agency=cast.agency, by=person, require_reply_approval=True)


def test_an_admin_of_another_agency_cannot_edit_rules(cast, outsider):
    services.inbox_settings_ensure(agency=cast.agency)
    rule = TriageRule.objects.filter(agency=cast.agency).first()
    with pytest.raises(PermissionDenied):
        services.triage_rule_save(
            agency=outsider.memberships.get().agency,
            by=outsider,
            rule=rule,
            category="tip",
            terms=["x"],
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"category": "urgent", "terms": ["x"], "priority": 50}, "priority"),
        ({"category": "praise", "terms": ["x"], "priority": 100}, "priority"),
        ({"category": "other", "terms": ["x"]}, "category"),
        ({"category": "tip", "terms": ["  "]}, "terms"),
        ({"category": "tip", "terms": ["x"], "language": "fr"}, "language"),
    ],
)
def test_invalid_rules_are_refused(cast, changes, field):
    with pytest.raises(ValidationError) as info:
        services.triage_rule_save(agency=cast.agency, by=cast.admin, **changes)
    assert field in info.value.message_dict


def test_inbox_settings_default_and_update(cast):
    unsaved = selectors.inbox_settings_for(agency=cast.agency)
    assert unsaved.pk is None and unsaved.first_response_target_minutes == 60
    assert "112" in unsaved.guidance_for("ko") and "999" in unsaved.guidance_for("en")
    assert unsaved.guidance_for("fr") == unsaved.guidance_for("en")

    services.inbox_settings_update(
        agency=cast.agency,
        by=cast.admin,
        first_response_target_minutes=30,
        emergency_guidance={"en": "Not monitored 24/7: call 999.", "ko": "112에 신고하세요."},
        office_days=[0, 1, 2, 3, 4, 5],
    )
    saved = selectors.inbox_settings_for(agency=cast.agency)
    assert saved.first_response_target_minutes == 30
    assert saved.guidance_for("en") == "Not monitored 24/7: call 999."
    assert AuditEvent.objects.filter(action="engagement.inbox_settings.updated").exists()
    with pytest.raises(ValidationError):
        services.inbox_settings_update(agency=cast.agency, by=cast.admin, office_days=[7])
    with pytest.raises(ValidationError):
        services.inbox_settings_update(
            agency=cast.agency, by=cast.admin, office_hours_start=dt.time(18, 0)
        )


def london(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=LONDON)


def due(start: dt.datetime, urgent: bool = False) -> dt.datetime:
    return response_due_at(
        start=start,
        target_minutes=60,
        office_start=dt.time(9, 0),
        office_end=dt.time(17, 0),
        office_days=[0, 1, 2, 3, 4],
        tz=LONDON,
        urgent=urgent,
    ).astimezone(LONDON)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (london("2025-03-12 10:00"), london("2025-03-12 11:00")),  # Wednesday morning
        (london("2025-03-12 16:30"), london("2025-03-13 09:30")),  # runs over
        (london("2025-03-12 07:00"), london("2025-03-12 10:00")),  # before opening
        (london("2025-03-14 16:30"), london("2025-03-17 09:30")),  # Friday → Monday
        (london("2025-03-15 12:00"), london("2025-03-17 10:00")),  # Saturday
    ],
)
def test_the_response_target_counts_office_hours_only(start, expected):
    assert due(start) == expected


def test_an_urgent_conversation_is_due_within_the_target_at_any_hour():
    saturday_night = london("2025-03-15 23:00")
    assert due(saturday_night, urgent=True) == saturday_night + dt.timedelta(minutes=60)


def test_pulled_conversations_get_a_due_time_and_no_response_yet(cast, accounts, sandbox):
    publish(cast, accounts.fb)
    sandbox.advance(3600)
    pull(accounts.fb)
    for conversation in selectors.conversations_for_agency(agency=cast.agency):
        assert conversation.response_due_at > conversation.first_inbound_at
        assert conversation.first_response_at is None
        assert conversation.first_response_seconds is None
