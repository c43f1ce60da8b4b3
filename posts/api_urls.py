"""The posts API's routes, under /api/v1/ (see posts/api.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from posts.api import CalendarView, PostViewSet, PreviewSlashView, PreviewView

app_name = "posts_api"

router = SimpleRouter()
router.register("posts", PostViewSet, basename="post")

urlpatterns: list = [
    # Both spellings answer directly: a POST must never meet a trailing-slash redirect.
    path("posts/preview", PreviewView.as_view(), name="preview"),
    path("posts/preview/", PreviewSlashView.as_view(), name="preview_slash"),
    path("calendar/", CalendarView.as_view(), name="calendar"),
    *router.urls,
]
