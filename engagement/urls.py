from django.urls import path

from engagement import views

app_name = "engagement"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("dashboards/", views.dashboards, name="dashboards"),
]
