"""The posts API under /api/v1/posts/ (the full REST API arrives with its own issue)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
