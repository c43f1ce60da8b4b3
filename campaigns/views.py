from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import role_required
from accounts.views import paginate
from campaigns import selectors
from posts.selectors import posts_for_agency


@role_required(section="campaigns")
def campaign_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.campaigns_for_agency(agency=request.agency))
    return render(request, "campaigns/list.html", {"page": page})


@role_required(section="campaigns")
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = selectors.campaign_get(agency=request.agency, campaign_id=campaign_id)
    posts = posts_for_agency(agency=request.agency).filter(campaign=campaign)[:50]
    return render(request, "campaigns/detail.html", {"campaign": campaign, "posts": posts})
