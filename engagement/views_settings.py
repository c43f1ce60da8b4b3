"""Agency admin's settings of the inbox: targets and office hours, emergency guidance, triage
rules and canned responses.

Thin views: read a form, call one service (engagement.services, engagement.threads), render or
redirect. A service's ValidationError is shown on the form, beside the field it names.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.access import role_required
from accounts.forms import add_service_errors
from engagement import selectors, services, threads, triage
from engagement.forms_settings import (
    CannedResponseForm,
    InboxSettingsForm,
    TriageRuleForm,
    TriageTestForm,
)
from engagement.models import CATEGORY_PRIORITY, Category, InboxSettings, TriageRule

# Where a service's error about emergency_guidance (one dict on the model) is shown.
FIELD_FOR_ERROR = {"emergency_guidance": "guidance_en"}


# --- Inbox settings ----------------------------------------------------------------------------


def _settings_initial(current: InboxSettings) -> dict:
    guidance = current.emergency_guidance or {}
    return {
        "first_response_target_minutes": current.first_response_target_minutes,
        "office_hours_start": current.office_hours_start,
        "office_hours_end": current.office_hours_end,
        "office_days": list(current.office_days or []),
        "guidance_en": guidance.get("en", ""),
        "guidance_ko": guidance.get("ko", ""),
        "require_reply_approval": current.require_reply_approval,
    }


def _changes(current: InboxSettings, wanted: dict) -> dict:
    """Only what differs, so the audit event names what the admin actually changed."""
    now = {
        **{name: getattr(current, name) for name in wanted},
        "office_days": sorted(set(current.office_days or [])),
        "emergency_guidance": {k: v for k, v in (current.emergency_guidance or {}).items() if v},
    }
    return {name: value for name, value in wanted.items() if now[name] != value}


@role_required(section="settings")
def inbox_settings(request: HttpRequest) -> HttpResponse:
    """Response-time target, office hours, emergency guidance, reply approval; inbox health."""
    # Unsaved defaults until an admin saves: opening the page stores nothing.
    current = selectors.inbox_settings_for(agency=request.agency)
    form = InboxSettingsForm(request.POST or None, initial=_settings_initial(current))
    status = 200
    if request.method == "POST":
        changes = _changes(current, form.settings_values()) if form.is_valid() else None
        if changes == {}:
            messages.info(request, _("Nothing changed."))
            return redirect("engagement:inbox_settings")
        if changes:
            try:
                services.inbox_settings_update(agency=request.agency, by=request.user, **changes)
            except ValidationError as exc:
                add_service_errors(form, exc, FIELD_FOR_ERROR)
            else:
                messages.success(request, _("Inbox settings saved."))
                return redirect("engagement:inbox_settings")
        status = 400
    cursors = selectors.pull_cursors_for_agency(agency=request.agency).order_by(
        "account__platform", "account__handle", "pk"
    )
    context = {"form": form, "cursors": cursors}
    return render(request, "engagement/settings_inbox.html", context, status=status)


# --- Triage rules ------------------------------------------------------------------------------


def _rule_get(request: HttpRequest, rule_id: int) -> TriageRule:
    # Scoped to the agency by the selector: another agency's rule is not found.
    return get_object_or_404(
        selectors.triage_rules_for_agency(agency=request.agency).select_related("agency"),
        pk=rule_id,
    )


def _usual_priorities() -> list[tuple[str, int]]:
    return [
        (label, CATEGORY_PRIORITY[value])
        for value, label in Category.choices
        if value != Category.OTHER
    ]


@role_required(section="settings")
def triage_rules(request: HttpRequest) -> HttpResponse:
    """The agency's triage rules, a form for a new one, and the box to test a message."""
    # The defaults are created here, as on the first pull, so the admin edits the rules the
    # inbox will use rather than an empty list that fills up on the first save.
    services.inbox_settings_ensure(agency=request.agency)
    form = TriageRuleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                rule = services.triage_rule_save(
                    agency=request.agency, by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc, FIELD_FOR_ERROR)
            else:
                messages.success(
                    request,
                    _("Rule for “%(category)s” added.") % {"category": rule.get_category_display()},
                )
                return redirect("engagement:triage_rules")
        status = 400
    context = {
        "rules": selectors.triage_rules_for_agency(agency=request.agency),
        "form": form,
        "test_form": TriageTestForm(),
        "usual_priorities": _usual_priorities(),
    }
    return render(request, "engagement/settings_triage.html", context, status=status)


@role_required(section="settings")
def triage_rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    """Edit a rule; a POST with `toggle` (from the list) only switches it on or off."""
    rule = _rule_get(request, rule_id)
    if request.method == "POST" and "toggle" in request.POST:
        enabled = request.POST["toggle"] == "on"
        try:
            rule = services.triage_rule_save(
                agency=request.agency,
                by=request.user,
                rule=rule,
                category=rule.category,
                terms=rule.terms,
                language=rule.language,
                priority=rule.priority,
                enabled=enabled,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            name = rule.get_category_display()
            text = _("The “%(name)s” rule is on.") if enabled else _("The “%(name)s” rule is off.")
            messages.success(request, text % {"name": name})
        return redirect("engagement:triage_rules")
    initial = {
        "category": rule.category,
        "language": rule.language,
        "terms": rule.terms,
        "priority": rule.priority,
        "enabled": rule.enabled,
    }
    form = TriageRuleForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                rule = services.triage_rule_save(
                    agency=request.agency, by=request.user, rule=rule, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc, FIELD_FOR_ERROR)
                # The service set the typed values on the instance before refusing them.
                rule = _rule_get(request, rule_id)
            else:
                messages.success(
                    request,
                    _("Rule for “%(category)s” saved.") % {"category": rule.get_category_display()},
                )
                return redirect("engagement:triage_rules")
        status = 400
    context = {"rule": rule, "form": form, "usual_priorities": _usual_priorities()}
    return render(request, "engagement/settings_triage_edit.html", context, status=status)


@role_required(section="settings")
def triage_rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = _rule_get(request, rule_id)
    if request.method == "POST":
        services.triage_rule_delete(rule=rule, by=request.user)
        messages.success(
            request,
            _("Rule for “%(category)s” deleted.") % {"category": rule.get_category_display()},
        )
        return redirect("engagement:triage_rules")
    return render(request, "engagement/settings_triage_delete.html", {"rule": rule})


@role_required(section="settings")
def triage_test(request: HttpRequest) -> HttpResponse:
    """Paste a message, see how the agency's enabled rules as they stand now would triage it.

    POST, so the text (which may hold a citizen's personal data) stays out of URLs, browser
    history and access logs. Nothing is stored.
    """
    form = TriageTestForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        services.inbox_settings_ensure(agency=request.agency)
        rules = selectors.triage_rules_for_agency(agency=request.agency).filter(enabled=True)
        result = triage.classify(form.cleaned_data["text"], list(rules))
    labels = dict(Category.choices)
    context = {
        "form": form,
        "result": result,
        "category_label": labels.get(result.category, result.category) if result else "",
        "matches": [
            (labels.get(m.category, m.category), m.term)
            for m in (result.matched_terms if result else ())
        ],
    }
    return render(request, "engagement/settings_triage_test.html", context)


# --- Canned responses --------------------------------------------------------------------------


@role_required(section="settings")
def canned_responses(request: HttpRequest) -> HttpResponse:
    form = CannedResponseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                response = threads.canned_response_save(
                    agency=request.agency, by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc, FIELD_FOR_ERROR)
            else:
                messages.success(
                    request, _("Canned response “%(title)s” added.") % {"title": response.title}
                )
                return redirect("engagement:canned_responses")
        status = 400
    context = {
        "responses": selectors.canned_responses_for_agency(agency=request.agency),
        "form": form,
    }
    return render(request, "engagement/settings_canned.html", context, status=status)


@role_required(section="settings")
def canned_response_edit(request: HttpRequest, response_id: int) -> HttpResponse:
    response = selectors.canned_response_get(agency=request.agency, response_id=response_id)
    initial = {"title": response.title, "language": response.language, "text": response.text}
    form = CannedResponseForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                response = threads.canned_response_save(
                    agency=request.agency,
                    by=request.user,
                    response=response,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                add_service_errors(form, exc, FIELD_FOR_ERROR)
            else:
                messages.success(
                    request, _("Canned response “%(title)s” saved.") % {"title": response.title}
                )
                return redirect("engagement:canned_responses")
        status = 400
    context = {"response": response, "form": form}
    return render(request, "engagement/settings_canned_edit.html", context, status=status)


@role_required(section="settings")
def canned_response_delete(request: HttpRequest, response_id: int) -> HttpResponse:
    response = selectors.canned_response_get(agency=request.agency, response_id=response_id)
    if request.method == "POST":
        threads.canned_response_delete(response=response, by=request.user)
        messages.success(
            request, _("Canned response “%(title)s” deleted.") % {"title": response.title}
        )
        return redirect("engagement:canned_responses")
    return render(request, "engagement/settings_canned_delete.html", {"response": response})
