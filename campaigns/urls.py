from django.urls import path

from campaigns import views, views_monitor

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("<int:campaign_id>/", views.campaign_detail, name="detail"),
    path("<int:campaign_id>/edit/", views.campaign_edit, name="edit"),
    path("<int:campaign_id>/delete/", views.campaign_delete, name="delete"),
    path("<int:campaign_id>/report/", views.campaign_report_page, name="report"),
    path("<int:campaign_id>/report.pdf", views.campaign_report_pdf, name="report_pdf"),
    path("monitor/", views_monitor.monitor, name="monitor"),
    path("monitor/<int:column_id>/", views_monitor.column_page, name="column"),
    path("monitor/<int:column_id>/matches/", views_monitor.column_matches, name="column_matches"),
    path("monitor/<int:column_id>/move/", views_monitor.column_move, name="column_move"),
    path("monitor/<int:column_id>/remove/", views_monitor.column_remove, name="column_remove"),
]
