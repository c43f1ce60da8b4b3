"""The accounts API's routes, under /api/v1/ (see accounts/api.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api import MeView, PlatformAccountViewSet

app_name = "accounts_api"

router = SimpleRouter()
router.register("platform-accounts", PlatformAccountViewSet, basename="platform_account")

urlpatterns: list = [
    path("me/", MeView.as_view(), name="me"),
    *router.urls,
]
