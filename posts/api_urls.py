"""The posts API under /api/v1/posts/ (the full REST API arrives with its own issue)."""

from django.urls import path

from posts.api import PreviewView

app_name = "posts_api"

# Both spellings answer directly: a POST must never meet a trailing-slash redirect.
urlpatterns: list = [
    path("preview", PreviewView.as_view(), name="preview"),
    path("preview/", PreviewView.as_view(), name="preview_slash"),
]
