"""Analyst dashboards. The inbox and thread pages are in engagement/views_inbox.py."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import role_required
from engagement import selectors
from posts.models import PostStatus


@role_required(section="dashboards")
def dashboards(request: HttpRequest) -> HttpResponse:
    overview = selectors.agency_overview(agency=request.agency)
    rows = [
        (label, overview["posts_by_status"].get(value, 0)) for value, label in PostStatus.choices
    ]
    return render(request, "engagement/dashboards.html", {"overview": overview, "rows": rows})
