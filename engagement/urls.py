from django.urls import include, path

from engagement import views, views_inbox

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
    path("dashboards/", views.dashboards, name="dashboards"),
    path("", include("engagement.urls_settings")),
]
