"""The inbox and dashboards API's routes, under /api/v1/ (see engagement/api.py and
engagement/api_dashboards.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from engagement import api_dashboards as dash
from engagement.api import CannedResponseList, ConversationViewSet, InboxPeopleList

app_name = "engagement_api"

router = SimpleRouter()
router.register("inbox/conversations", ConversationViewSet, basename="conversation")

urlpatterns: list = [
    path("inbox/canned-responses/", CannedResponseList.as_view(), name="canned_responses"),
    path("inbox/people/", InboxPeopleList.as_view(), name="inbox_people"),
    path("dashboards/overview/", dash.OverviewView.as_view(), name="dashboard_overview"),
    path("dashboards/accounts/<str:pk>/", dash.AccountView.as_view(), name="dashboard_account"),
    path("dashboards/posts/<str:pk>/", dash.PostView.as_view(), name="dashboard_post"),
    path("dashboards/styles/", dash.StylesView.as_view(), name="dashboard_styles"),
    path("dashboards/inbox/", dash.InboxView.as_view(), name="dashboard_inbox"),
    path("dashboards/campaigns/", dash.CampaignsView.as_view(), name="dashboard_campaigns"),
    path("dashboards/audience/", dash.AudienceView.as_view(), name="dashboard_audience"),
    *router.urls,
]
