"""Agency admin's settings of the posts app: policy rules, post templates, approval rules.

Thin views: read a form, call one service from posts.settings_services, render or redirect.
A service's ValidationError is shown on the form, beside the field it names.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.access import role_required
from accounts.forms import add_service_errors
from posts import checks, policy, settings_services, workflow
from posts.forms_settings import (
    ApprovalSettingsForm,
    DetectorRuleForm,
    PolicyRuleForm,
    PolicyTestForm,
    PostTemplateForm,
)
from posts.models import PolicyRule
from posts.services import template_placeholders

# --- Policy rules ------------------------------------------------------------------------------


@role_required(section="settings")
def policy_rules(request: HttpRequest) -> HttpResponse:
    """The agency's rules, the built-in detectors as adjusted, and a form for a new rule."""
    form = PolicyRuleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                rule = settings_services.policy_rule_create(
                    agency=request.agency, by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Rule “%(name)s” added.") % {"name": rule.name})
                return redirect("posts:policy_rules")
        status = 400
    rules = list(settings_services.policy_rules_for_agency(agency=request.agency))
    context = {
        "rules": [r for r in rules if r.kind not in policy.DETECTOR_KINDS],
        "detectors": settings_services.detectors_for_agency(agency=request.agency, rules=rules),
        "form": form,
    }
    return render(request, "posts/settings_policy.html", context, status=status)


def _rule_form(rule: PolicyRule, data=None) -> Form:
    if rule.kind in policy.DETECTOR_KINDS:
        initial = {k: getattr(rule, k) for k in ("severity", "terms", "message", "enabled")}
        return DetectorRuleForm(data, initial=initial)
    initial = {k: getattr(rule, k) for k in settings_services.RULE_FIELDS}
    return PolicyRuleForm(data, initial=initial)


@role_required(section="settings")
def policy_rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    """Edit a rule; a POST with `toggle` (from the list) only switches it on or off."""
    rule = settings_services.policy_rule_get(agency=request.agency, rule_id=rule_id)
    if request.method == "POST" and "toggle" in request.POST:
        enabled = request.POST["toggle"] == "on"
        rule = settings_services.policy_rule_update(rule=rule, by=request.user, enabled=enabled)
        text = _("“%(name)s” is on.") if enabled else _("“%(name)s” is off.")
        messages.success(request, text % {"name": rule.name})
        return redirect("posts:policy_rules")
    form = _rule_form(rule, request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                rule = settings_services.policy_rule_update(
                    rule=rule, by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Rule “%(name)s” saved.") % {"name": rule.name})
                return redirect("posts:policy_rules")
        status = 400
    context = {
        "rule": rule,
        "form": form,
        "detector": rule.kind in policy.DETECTOR_KINDS,
    }
    return render(request, "posts/settings_policy_edit.html", context, status=status)


@role_required(section="settings")
def policy_detector(request: HttpRequest, kind: str) -> HttpResponse:
    """Adjust a built-in detector: creates the agency's rule of that detector's kind."""
    default = settings_services.default_detector(kind)
    if default is None:
        raise Http404
    existing = (
        settings_services.policy_rules_for_agency(agency=request.agency).filter(kind=kind).first()
    )
    if existing is not None:
        return redirect("posts:policy_rule_edit", rule_id=existing.pk)
    form = DetectorRuleForm(
        request.POST or None, initial={"severity": default.severity, "enabled": True}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                settings_services.policy_rule_create(
                    agency=request.agency,
                    by=request.user,
                    name=default.name,
                    kind=kind,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Detector “%(name)s” adjusted.") % {"name": default.name}
                )
                return redirect("posts:policy_rules")
        status = 400
    context = {"default": default, "form": form}
    return render(request, "posts/settings_policy_detector.html", context, status=status)


@role_required(section="settings")
def policy_rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = settings_services.policy_rule_get(agency=request.agency, rule_id=rule_id)
    if request.method == "POST":
        settings_services.policy_rule_delete(rule=rule, by=request.user)
        messages.success(request, _("Rule “%(name)s” deleted.") % {"name": rule.name})
        return redirect("posts:policy_rules")
    context = {"rule": rule, "detector": rule.kind in policy.DETECTOR_KINDS}
    return render(request, "posts/settings_policy_delete.html", context)


@role_required(section="settings")
def policy_test(request: HttpRequest) -> HttpResponse:
    """Paste a text, see what the agency's rules as they stand now find in it.

    POST, so the text (which may hold the very personal data the rules look for) stays out of
    URLs, browser history and access logs. Nothing is stored.
    """
    form = PolicyTestForm(request.POST or None)
    findings = None
    if request.method == "POST" and form.is_valid():
        findings = checks.findings_for(agency=request.agency, text=form.cleaned_data["text"])
    context = {"form": form, "findings": findings}
    return render(request, "posts/settings_policy_test.html", context)


# --- Post templates ----------------------------------------------------------------------------


@role_required(section="settings")
def post_templates(request: HttpRequest) -> HttpResponse:
    form = PostTemplateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                template = settings_services.template_create(
                    agency=request.agency, by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Template “%(name)s” added.") % {"name": template.name})
                return redirect("posts:post_templates")
        status = 400
    rows = [
        (t, template_placeholders(t.body))
        for t in settings_services.templates_for_agency(agency=request.agency)
    ]
    context = {"rows": rows, "form": form}
    return render(request, "posts/settings_templates.html", context, status=status)


@role_required(section="settings")
def post_template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    template = settings_services.template_get(agency=request.agency, template_id=template_id)
    initial = {"name": template.name, "style": template.style, "body": template.body}
    form = PostTemplateForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                template = settings_services.template_update(
                    template=template, by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Template “%(name)s” saved.") % {"name": template.name})
                return redirect("posts:post_template_edit", template_id=template.pk)
        status = 400
    context = {
        "template": template,
        "form": form,
        "placeholders": template_placeholders(template.body),
    }
    return render(request, "posts/settings_template_edit.html", context, status=status)


@role_required(section="settings")
def post_template_delete(request: HttpRequest, template_id: int) -> HttpResponse:
    template = settings_services.template_get(agency=request.agency, template_id=template_id)
    if request.method == "POST":
        settings_services.template_delete(template=template, by=request.user)
        messages.success(request, _("Template “%(name)s” deleted.") % {"name": template.name})
        return redirect("posts:post_templates")
    return render(request, "posts/settings_template_delete.html", {"template": template})


# --- Approval settings -------------------------------------------------------------------------


@role_required(section="settings")
def approval_settings(request: HttpRequest) -> HttpResponse:
    # The defaults, unsaved, until an admin saves them: opening the page stores nothing.
    current = workflow.approval_settings(request.agency)
    initial = {name: getattr(current, name) for name in settings_services.APPROVAL_FIELDS}
    form = ApprovalSettingsForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                settings_services.approval_settings_update(
                    agency=request.agency, by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Approval settings saved."))
                return redirect("posts:approval_settings")
        status = 400
    return render(request, "posts/settings_approval.html", {"form": form}, status=status)
