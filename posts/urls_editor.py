"""URLs of the posts app's editor pages (included by posts/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
