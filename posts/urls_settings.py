"""URLs of the posts app's settings pages (included by posts/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
