"""An agency admin's settings of the posts app: policy rules, post templates, approval rules.

Every change is one transaction with one audit event, scoped to the agency of the object (and
allowed only to that agency's admins). Reads used by the settings pages are here too, each
taking the agency explicitly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import Agency, User
from accounts.services import require_admin
from posts import policy
from posts.models import ApprovalSettings, PolicyRule, PolicySeverity, PostStyle, PostTemplate
from posts.services import template_placeholders

RULE_FIELDS = ("name", "kind", "severity", "message", "terms", "pattern", "enabled")


def clean_terms(terms: Sequence[str]) -> list[str]:
    """Terms without surrounding spaces, blanks or repeats, in the order given."""
    return list(dict.fromkeys(t.strip() for t in terms if t and t.strip()))


# --- Reads -------------------------------------------------------------------------------------


def policy_rules_for_agency(*, agency: Agency) -> QuerySet[PolicyRule]:
    return PolicyRule.objects.filter(agency=agency).order_by("kind", "name", "pk")


def policy_rule_get(*, agency: Agency, rule_id: int) -> PolicyRule:
    """One rule of this agency; 404 for another agency's."""
    return get_object_or_404(PolicyRule, agency=agency, pk=rule_id)


@dataclass(frozen=True)
class Detector:
    """A built-in detector as it applies to an agency: as shipped, adjusted, or switched off."""

    default: policy.RuleSpec
    rule: PolicyRule | None  # the agency's adjustment, if any

    @property
    def kind(self) -> str:
        return self.default.kind

    @property
    def severity_label(self) -> str:
        severity = self.rule.severity if self.rule else self.default.severity
        return str(PolicySeverity(severity).label)


def detectors_for_agency(*, agency: Agency, rules: Sequence[PolicyRule]) -> list[Detector]:
    """Each built-in detector with the agency's adjustment (from `rules`, already loaded)."""
    adjusted: dict[str, PolicyRule] = {}
    for rule in rules:
        if rule.agency_id == agency.pk and rule.kind in policy.DETECTOR_KINDS:
            adjusted.setdefault(rule.kind, rule)
    return [Detector(spec, adjusted.get(spec.kind)) for spec in policy.default_rules()]


def default_detector(kind: str) -> policy.RuleSpec | None:
    return next((spec for spec in policy.default_rules() if spec.kind == kind), None)


def templates_for_agency(*, agency: Agency) -> QuerySet[PostTemplate]:
    return PostTemplate.objects.filter(agency=agency).order_by("name", "pk")


def template_get(*, agency: Agency, template_id: int) -> PostTemplate:
    """One template of this agency; 404 for another agency's."""
    return get_object_or_404(PostTemplate, agency=agency, pk=template_id)


# --- Policy rules ------------------------------------------------------------------------------


def _checked_rule(rule: PolicyRule) -> None:
    """Normalise a rule's fields for its kind and refuse it with every reason at once."""
    rule.name = rule.name.strip()
    rule.message = rule.message.strip()
    # A pattern means something only to a pattern rule, terms to every other kind; keeping
    # the other would show an admin a setting that does nothing.
    rule.terms = [] if rule.kind == policy.REGEX else clean_terms(rule.terms or [])
    rule.pattern = rule.pattern.strip() if rule.kind == policy.REGEX else ""
    problems = policy.validate_rule(
        policy.RuleSpec(
            name=rule.name,
            kind=rule.kind,
            severity=rule.severity,
            message=rule.message,
            terms=tuple(rule.terms),
            pattern=rule.pattern,
        )
    )
    if rule.kind in policy.DETECTOR_KINDS:
        others = PolicyRule.objects.filter(agency_id=rule.agency_id, kind=rule.kind)
        if rule.pk:
            others = others.exclude(pk=rule.pk)
        if others.exists():
            # rules_for_agency would apply both; one adjustment per detector keeps it clear.
            problems.append(_("This detector is already adjusted: change that rule instead."))
    if problems:
        raise ValidationError(problems)
    rule.full_clean(exclude=["agency"])


def _rule_data(rule: PolicyRule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in RULE_FIELDS}


@transaction.atomic
def policy_rule_create(
    *,
    agency: Agency,
    by: User,
    name: str,
    kind: str,
    severity: str = policy.WARN,
    message: str = "",
    terms: Sequence[str] = (),
    pattern: str = "",
    enabled: bool = True,
) -> PolicyRule:
    """Add a rule to the agency's policy, or adjust a built-in detector (a rule of its kind).

    Raises ValidationError with what is wrong (posts.policy.validate_rule's words).
    """
    require_admin(agency=agency, by=by)
    rule = PolicyRule(
        agency=agency,
        name=name,
        kind=kind,
        severity=severity,
        message=message,
        terms=list(terms),
        pattern=pattern,
        enabled=enabled,
    )
    _checked_rule(rule)
    rule.save()
    audit_record(
        action="posts.policy_rule.created",
        actor=by,
        agency=agency,
        target=rule,
        data=_rule_data(rule),
    )
    return rule


@transaction.atomic
def policy_rule_update(
    *,
    rule: PolicyRule,
    by: User,
    name: str | None = None,
    kind: str | None = None,
    severity: str | None = None,
    message: str | None = None,
    terms: Sequence[str] | None = None,
    pattern: str | None = None,
    enabled: bool | None = None,
) -> PolicyRule:
    """Change a rule; arguments left as None keep their value (so enabling is `enabled=True`).

    Audits the fields that changed, with their old and new values; nothing changed, nothing
    written. Raises ValidationError like policy_rule_create.
    """
    rule = PolicyRule.objects.select_for_update().select_related("agency").get(pk=rule.pk)
    require_admin(agency=rule.agency, by=by)
    before = _rule_data(rule)
    given = {
        "name": name,
        "kind": kind,
        "severity": severity,
        "message": message,
        "terms": list(terms) if terms is not None else None,
        "pattern": pattern,
        "enabled": enabled,
    }
    for field_name, value in given.items():
        if value is not None:
            setattr(rule, field_name, value)
    _checked_rule(rule)
    after = _rule_data(rule)
    changes = {k: [before[k], after[k]] for k in RULE_FIELDS if before[k] != after[k]}
    if not changes:
        return rule
    rule.updated_at = timezone.now()
    rule.save(update_fields=[*changes, "updated_at"])
    audit_record(
        action="posts.policy_rule.updated",
        actor=by,
        agency=rule.agency,
        target=rule,
        data={"changes": changes},
    )
    return rule


@transaction.atomic
def policy_rule_delete(*, rule: PolicyRule, by: User) -> None:
    """Remove a rule; a detector's adjustment removed puts the detector back as shipped."""
    rule = PolicyRule.objects.select_for_update().select_related("agency").get(pk=rule.pk)
    require_admin(agency=rule.agency, by=by)
    # Recorded before the row goes, while the event can still name it.
    audit_record(
        action="posts.policy_rule.deleted",
        actor=by,
        agency=rule.agency,
        target=rule,
        data=_rule_data(rule),
    )
    rule.delete()


# --- Post templates ----------------------------------------------------------------------------


def _checked_template(template: PostTemplate) -> None:
    template.name = template.name.strip()
    same_name = PostTemplate.objects.filter(
        agency_id=template.agency_id, name__iexact=template.name
    )
    if template.pk:
        same_name = same_name.exclude(pk=template.pk)
    if same_name.exists():
        raise ValidationError({"name": _("The agency already has a template of that name.")})
    if template.style not in PostStyle.values:
        raise ValidationError({"style": _("Choose a style from the list.")})
    template.full_clean(exclude=["agency", "created_by"])


@transaction.atomic
def template_create(
    *, agency: Agency, by: User, name: str, body: str, style: str = PostStyle.NARRATIVE
) -> PostTemplate:
    """Add a reusable draft to the agency. Raises ValidationError (e.g. the name is taken)."""
    require_admin(agency=agency, by=by)
    template = PostTemplate(agency=agency, name=name, body=body, style=style, created_by=by)
    _checked_template(template)
    template.save()
    audit_record(
        action="posts.template.created",
        actor=by,
        agency=agency,
        target=template,
        data={"name": template.name, "style": style, "placeholders": template_placeholders(body)},
    )
    return template


@transaction.atomic
def template_update(
    *, template: PostTemplate, by: User, name: str, body: str, style: str
) -> PostTemplate:
    """Change a template's name, style and text; audits which of them changed."""
    template = PostTemplate.objects.select_for_update().select_related("agency").get(pk=template.pk)
    require_admin(agency=template.agency, by=by)
    before = {"name": template.name, "body": template.body, "style": template.style}
    template.name, template.body, template.style = name, body, style
    _checked_template(template)
    after = {"name": template.name, "body": template.body, "style": template.style}
    changed = [k for k in before if before[k] != after[k]]
    if not changed:
        return template
    template.updated_at = timezone.now()
    template.save(update_fields=[*changed, "updated_at"])
    audit_record(
        action="posts.template.updated",
        actor=by,
        agency=template.agency,
        target=template,
        # The name and style as they were and are; the text only as "changed" (it can be long).
        data={
            "changed": changed,
            "name": [before["name"], after["name"]],
            "style": [before["style"], after["style"]],
        },
    )
    return template


@transaction.atomic
def template_delete(*, template: PostTemplate, by: User) -> None:
    """Remove a template. Posts drafted from it keep their text."""
    template = PostTemplate.objects.select_for_update().select_related("agency").get(pk=template.pk)
    require_admin(agency=template.agency, by=by)
    audit_record(
        action="posts.template.deleted",
        actor=by,
        agency=template.agency,
        target=template,
        data={"name": template.name, "style": template.style},
    )
    template.delete()


# --- Approval settings -------------------------------------------------------------------------

APPROVAL_FIELDS = (
    "two_approvals_for_warnings",
    "two_approvals_for_campaigns",
    "late_warning_minutes",
)


@transaction.atomic
def approval_settings_update(
    *,
    agency: Agency,
    by: User,
    two_approvals_for_warnings: bool,
    two_approvals_for_campaigns: bool,
    late_warning_minutes: int,
) -> ApprovalSettings:
    """Save the agency's approval rules beyond four-eyes; audits the values that changed."""
    require_admin(agency=agency, by=by)
    if late_warning_minutes < 0:
        raise ValidationError({"late_warning_minutes": _("Give a number of minutes, 0 or more.")})
    current, created = ApprovalSettings.objects.select_for_update().get_or_create(agency=agency)
    wanted = {
        "two_approvals_for_warnings": two_approvals_for_warnings,
        "two_approvals_for_campaigns": two_approvals_for_campaigns,
        "late_warning_minutes": late_warning_minutes,
    }
    changes = {k: [getattr(current, k), v] for k, v in wanted.items() if getattr(current, k) != v}
    if not changes and not created:
        return current
    for field_name, value in wanted.items():
        setattr(current, field_name, value)
    current.save(update_fields=list(APPROVAL_FIELDS))
    audit_record(
        action="posts.approval_settings.updated",
        actor=by,
        agency=agency,
        target=current,
        data={"changes": changes},
    )
    return current
