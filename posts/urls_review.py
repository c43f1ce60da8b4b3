"""URLs of the posts app's review pages (included by posts/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
