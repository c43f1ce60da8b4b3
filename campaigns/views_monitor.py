"""The monitoring board: the agency's live columns of keyword and hashtag searches.

Every form works without JavaScript (add, remove, move left or right); with it, each column
polls its fragment (static/js/campaigns_monitor.js) and a new match appears at the top without
a reload. Everyone in the campaigns section may watch; officers, supervisors and admins may
change the columns. Another agency's column is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import role_required
from accounts.forms import add_service_errors
from campaigns import selectors, services
from campaigns.forms import MonitorColumnForm

COLUMN_SIZE = 20  # matches shown in a column on the board; "Older" pages through the rest
REFRESH_SECONDS = 15
PAGE_SIZE = 50


def _role(request: HttpRequest) -> str | None:
    membership = getattr(request, "membership", None)
    return membership.role if membership is not None else None


def _require_editor(request: HttpRequest) -> None:
    if not services.may_edit_monitor(_role(request)):
        raise PermissionDenied


def _js_strings() -> dict[str, str]:
    return {
        "updated": _("Updated at %(time)s."),
        "refresh_failed": _("Could not refresh; trying again shortly."),
        "paused": _("Paused while this tab is hidden."),
        "signed_out": _("Signed out: reload the page to sign in again."),
        "new_one": _("%(n)s new match"),
        "new_other": _("%(n)s new matches"),
    }


def _board(request: HttpRequest, form: MonitorColumnForm, status: int = 200) -> HttpResponse:
    columns = [
        {
            "column": column,
            "matches": list(selectors.column_matches(column=column)[: COLUMN_SIZE + 1]),
        }
        for column in selectors.monitor_columns(agency=request.agency)
    ]
    for entry in columns:
        entry["more"] = len(entry["matches"]) > COLUMN_SIZE
        entry["matches"] = entry["matches"][:COLUMN_SIZE]
    return render(
        request,
        "campaigns/monitor.html",
        {
            "columns": columns,
            "form": form,
            "can_edit": services.may_edit_monitor(_role(request)),
            "refresh_seconds": REFRESH_SECONDS,
            "js_strings": _js_strings(),
        },
        status=status,
    )


@role_required(section="campaigns")
def monitor(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        _require_editor(request)
        form = MonitorColumnForm(request.POST, agency=request.agency)
        if form.is_valid():
            try:
                column = services.monitor_column_create(
                    agency=request.agency,
                    by=request.user,
                    query=form.cleaned_data["query"],
                    title=form.cleaned_data["title"],
                    accounts=list(form.cleaned_data["accounts"]),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Column “%(title)s” added.") % {"title": column})
                return redirect(f"{request.path}#column-{column.pk}")
        return _board(request, form, status=400)
    return _board(request, MonitorColumnForm(agency=request.agency))


@require_GET
@role_required(section="campaigns")
def column_matches(request: HttpRequest, column_id: int) -> HttpResponse:
    """Only the column's list: what campaigns_monitor.js swaps in."""
    column = selectors.monitor_column_get(agency=request.agency, column_id=column_id)
    matches = list(selectors.column_matches(column=column)[: COLUMN_SIZE + 1])
    return render(
        request,
        "campaigns/monitor_matches.html",
        {
            "column": column,
            "matches": matches[:COLUMN_SIZE],
            "more": len(matches) > COLUMN_SIZE,
        },
    )


@require_GET
@role_required(section="campaigns")
def column_page(request: HttpRequest, column_id: int) -> HttpResponse:
    """All of a column's matches, newest first, a page at a time (the column's "Older" link)."""
    column = selectors.monitor_column_get(agency=request.agency, column_id=column_id)
    page = Paginator(selectors.column_matches(column=column), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "campaigns/monitor_column.html", {"column": column, "page": page})


@require_POST
@role_required(section="campaigns")
def column_move(request: HttpRequest, column_id: int) -> HttpResponse:
    column = selectors.monitor_column_get(agency=request.agency, column_id=column_id)
    _require_editor(request)
    offset = {"left": -1, "right": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        return HttpResponse(_("Say left or right."), status=400, content_type="text/plain")
    services.monitor_column_move(column=column, by=request.user, offset=offset)
    return redirect(f"{_board_url()}#column-{column.pk}")


@require_POST
@role_required(section="campaigns")
def column_remove(request: HttpRequest, column_id: int) -> HttpResponse:
    column = selectors.monitor_column_get(agency=request.agency, column_id=column_id)
    _require_editor(request)
    title = column.title
    services.monitor_column_delete(column=column, by=request.user)
    messages.success(request, _("Column “%(title)s” removed.") % {"title": title})
    return redirect(_board_url())


def _board_url() -> str:
    return reverse("campaigns:monitor")
