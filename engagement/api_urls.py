"""The inbox API's routes, under /api/v1/ (see engagement/api.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from engagement.api import CannedResponseList, ConversationViewSet, InboxPeopleList

app_name = "engagement_api"

router = SimpleRouter()
router.register("inbox/conversations", ConversationViewSet, basename="conversation")

urlpatterns: list = [
    path("inbox/canned-responses/", CannedResponseList.as_view(), name="canned_responses"),
    path("inbox/people/", InboxPeopleList.as_view(), name="inbox_people"),
    *router.urls,
]
