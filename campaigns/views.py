"""Campaign pages: list, page, create, edit, delete, and the leadership report (HTML, CSV, PDF).

Thin views: validate a form, call one service in campaigns.services, render or redirect. Every
role sees campaigns; supervisors and admins manage them. Another agency's campaign is a 404.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.access import role_required
from accounts.forms import add_service_errors
from accounts.views import paginate
from campaigns import selectors, services
from campaigns.figures import campaign_figures
from campaigns.forms import CampaignForm
from campaigns.models import Campaign
from campaigns.report import campaign_report, report_csv
from posts.selectors import posts_for_agency


def _role(request: HttpRequest) -> str | None:
    membership = getattr(request, "membership", None)
    return membership.role if membership is not None else None


def _require_manager(request: HttpRequest) -> None:
    if not services.may_manage_campaigns(_role(request)):
        raise PermissionDenied


@role_required(section="campaigns")
def campaign_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.campaigns_for_agency(agency=request.agency))
    figures = campaign_figures(agency=request.agency, campaign_ids=[c.pk for c in page])
    rows = [(c, figures.get(c.pk)) for c in page]
    return render(
        request,
        "campaigns/list.html",
        {"page": page, "rows": rows, "can_manage": services.may_manage_campaigns(_role(request))},
    )


@role_required(section="campaigns")
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get(agency=request.agency, campaign_id=campaign_id)
    posts = (
        posts_for_agency(agency=request.agency)
        .filter(campaign=campaign)
        .order_by("-created_at", "-pk")[:50]
    )
    report = campaign_report(campaign=campaign)
    return render(
        request,
        "campaigns/detail.html",
        {
            "campaign": campaign,
            "posts": posts,
            "report": report,
            "recent_uses": selectors.recent_uses(campaign=campaign, limit=20),
            "target_accounts": list(campaign.target_accounts.all()),
            "can_manage": services.may_manage_campaigns(_role(request)),
        },
    )


def _form_fields(form: CampaignForm) -> dict:
    data = dict(form.cleaned_data)
    data["target_accounts"] = list(data["target_accounts"])
    return data


@role_required(section="campaigns")
def campaign_create(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = CampaignForm(
        request.POST if request.method == "POST" else None,
        agency=request.agency,
        initial={"owner": request.user.pk, "goal_kind": "public_uses"},
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                campaign = services.campaign_create(
                    agency=request.agency, by=request.user, **_form_fields(form)
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Campaign “%(name)s” created.") % {"name": campaign})
                return redirect("campaigns:detail", campaign_id=campaign.pk)
        return render(request, "campaigns/form.html", {"form": form}, status=400)
    return render(request, "campaigns/form.html", {"form": form})


@role_required(section="campaigns")
def campaign_edit(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get(agency=request.agency, campaign_id=campaign_id)
    _require_manager(request)
    if request.method == "POST":
        form = CampaignForm(request.POST, agency=request.agency)
        if form.is_valid():
            try:
                services.campaign_update(campaign=campaign, by=request.user, **_form_fields(form))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Campaign “%(name)s” saved.") % {"name": campaign})
                return redirect("campaigns:detail", campaign_id=campaign.pk)
        context = {"form": form, "campaign": campaign}
        return render(request, "campaigns/form.html", context, status=400)
    form = CampaignForm(initial=CampaignForm.initial_for(campaign), agency=request.agency)
    return render(request, "campaigns/form.html", {"form": form, "campaign": campaign})


@role_required(section="campaigns")
def campaign_delete(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get(agency=request.agency, campaign_id=campaign_id)
    _require_manager(request)
    if request.method == "POST":
        name = campaign.name
        services.campaign_delete(campaign=campaign, by=request.user)
        messages.success(request, _("Campaign “%(name)s” deleted.") % {"name": name})
        return redirect("campaigns:list")
    return render(
        request,
        "campaigns/delete.html",
        {
            "campaign": campaign,
            "post_count": campaign.posts.count(),
            "use_count": campaign.public_uses.count(),
        },
    )


# --- The report ----------------------------------------------------------------------------


def _filename(campaign: Campaign, extension: str) -> str:
    # ASCII for the plain filename; the name may be Korean, so the id keeps it unique.
    slug = re.sub(r"[^A-Za-z0-9]+", "-", campaign.name).strip("-").lower()[:40] or "campaign"
    return f"beat-campaign-{campaign.pk}-{slug}.{extension}"


@require_GET
@role_required(section="campaigns")
def campaign_report_page(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """One page for leadership: charts and tables; ?format=csv for a spreadsheet."""
    campaign = selectors.campaign_get(agency=request.agency, campaign_id=campaign_id)
    report = campaign_report(campaign=campaign)
    if request.GET.get("format") == "csv":
        response = HttpResponse(
            "\ufeff" + report_csv(report), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{_filename(campaign, "csv")}"'
        return response
    return render(request, "campaigns/report.html", {"campaign": campaign, "report": report})


@require_GET
@role_required(section="campaigns")
def campaign_report_pdf(request: HttpRequest, campaign_id: int) -> HttpResponse:
    from campaigns.report_pdf import report_pdf

    campaign = selectors.campaign_get(agency=request.agency, campaign_id=campaign_id)
    response = HttpResponse(
        report_pdf(campaign_report(campaign=campaign)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="{_filename(campaign, "pdf")}"'
    return response
