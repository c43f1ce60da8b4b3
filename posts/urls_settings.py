"""URLs of the posts app's settings pages (included by posts/urls.py). Agency admins only."""

from django.urls import path

from posts import views_settings

urlpatterns = [
    path("settings/policy/", views_settings.policy_rules, name="policy_rules"),
    path("settings/policy/test/", views_settings.policy_test, name="policy_test"),
    path(
        "settings/policy/detector/<slug:kind>/",
        views_settings.policy_detector,
        name="policy_detector",
    ),
    path(
        "settings/policy/<int:rule_id>/", views_settings.policy_rule_edit, name="policy_rule_edit"
    ),
    path(
        "settings/policy/<int:rule_id>/delete/",
        views_settings.policy_rule_delete,
        name="policy_rule_delete",
    ),
    path("settings/templates/", views_settings.post_templates, name="post_templates"),
    path(
        "settings/templates/<int:template_id>/",
        views_settings.post_template_edit,
        name="post_template_edit",
    ),
    path(
        "settings/templates/<int:template_id>/delete/",
        views_settings.post_template_delete,
        name="post_template_delete",
    ),
    path("settings/approval/", views_settings.approval_settings, name="approval_settings"),
]
