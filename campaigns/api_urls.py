"""The campaigns API's routes, under /api/v1/ (see campaigns/api.py)."""

from rest_framework.routers import SimpleRouter

from campaigns.api import CampaignViewSet, MonitorColumnViewSet

app_name = "campaigns_api"

router = SimpleRouter()
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("monitor/columns", MonitorColumnViewSet, basename="column")

urlpatterns: list = [*router.urls]
