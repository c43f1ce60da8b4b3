"""Routes of the inbox's settings pages (agency admins)."""

urlpatterns: list = []
