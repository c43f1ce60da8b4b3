from django.urls import include, path

from engagement import views

app_name = "engagement"

# The inbox and thread pages live here; the admins' inbox settings (triage rules, canned
# responses, targets) in urls_settings. All share the "engagement" namespace.
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("dashboards/", views.dashboards, name="dashboards"),
    path("", include("engagement.urls_settings")),
]
