from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import role_required
from accounts.selectors import platform_accounts_for_agency
from engagement import selectors
from posts.models import PostStatus


@role_required(section="inbox")
def inbox(request: HttpRequest) -> HttpResponse:
    # Conversations are pulled from the platforms by the inbox issue; until then the page lists
    # the accounts it will watch, so nobody mistakes an empty inbox for a quiet one.
    accounts = platform_accounts_for_agency(agency=request.agency)
    return render(request, "engagement/inbox.html", {"accounts": accounts})


@role_required(section="dashboards")
def dashboards(request: HttpRequest) -> HttpResponse:
    overview = selectors.agency_overview(agency=request.agency)
    rows = [
        (label, overview["posts_by_status"].get(value, 0)) for value, label in PostStatus.choices
    ]
    return render(request, "engagement/dashboards.html", {"overview": overview, "rows": rows})
