from django.urls import include, path

from engagement import views_dashboards, views_inbox

app_name = "engagement"

# The inbox and thread pages live here; the admins' inbox settings (triage rules, canned
# responses, targets) in urls_settings. All share the "engagement" namespace.
# Notifications link to /inbox/<pk>/ and /inbox/?conversation=<pk> (which redirects there).
urlpatterns = [
    path("inbox/", views_inbox.inbox, name="inbox"),
    path("inbox/list/", views_inbox.inbox_list, name="inbox_list"),
    path("inbox/<int:conversation_id>/", views_inbox.thread, name="thread"),
    path(
        "inbox/<int:conversation_id>/messages/",
        views_inbox.thread_messages,
        name="thread_messages",
    ),
    path("inbox/<int:conversation_id>/assign/", views_inbox.assign, name="thread_assign"),
    path("inbox/<int:conversation_id>/status/", views_inbox.set_status, name="thread_status"),
    path("inbox/<int:conversation_id>/labels/", views_inbox.set_labels, name="thread_labels"),
    path("inbox/<int:conversation_id>/notes/", views_inbox.add_note, name="thread_note"),
    path("inbox/<int:conversation_id>/reply/", views_inbox.reply, name="thread_reply"),
    path(
        "inbox/<int:conversation_id>/messages/<int:message_id>/hide/",
        views_inbox.hide,
        name="thread_hide",
    ),
    # The analyst dashboards (read-only; filters in the query string, format=csv for CSV).
    path("dashboards/", views_dashboards.overview, name="dashboards"),
    path(
        "dashboards/accounts/<int:account_id>/",
        views_dashboards.account,
        name="dashboard_account",
    ),
    path("dashboards/posts/<int:post_id>/", views_dashboards.post, name="dashboard_post"),
    path("dashboards/styles/", views_dashboards.styles, name="dashboard_styles"),
    path("dashboards/inbox/", views_dashboards.inbox, name="dashboard_inbox"),
    path("dashboards/campaigns/", views_dashboards.campaigns, name="dashboard_campaigns"),
    path("dashboards/audience/", views_dashboards.audience, name="dashboard_audience"),
    path("", include("engagement.urls_settings")),
]
