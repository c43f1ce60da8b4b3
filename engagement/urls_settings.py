"""Routes of the inbox's settings pages (included by engagement/urls.py). Agency admins only."""

from django.urls import path

from engagement import views_settings

urlpatterns = [
    path("settings/inbox/", views_settings.inbox_settings, name="inbox_settings"),
    path("settings/inbox/triage/", views_settings.triage_rules, name="triage_rules"),
    path("settings/inbox/triage/test/", views_settings.triage_test, name="triage_test"),
    path(
        "settings/inbox/triage/<int:rule_id>/",
        views_settings.triage_rule_edit,
        name="triage_rule_edit",
    ),
    path(
        "settings/inbox/triage/<int:rule_id>/delete/",
        views_settings.triage_rule_delete,
        name="triage_rule_delete",
    ),
    path("settings/inbox/canned/", views_settings.canned_responses, name="canned_responses"),
    path(
        "settings/inbox/canned/<int:response_id>/",
        views_settings.canned_response_edit,
        name="canned_response_edit",
    ),
    path(
        "settings/inbox/canned/<int:response_id>/delete/",
        views_settings.canned_response_delete,
        name="canned_response_delete",
    ),
]
