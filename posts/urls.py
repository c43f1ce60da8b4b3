from django.urls import path

from posts import views

app_name = "posts"

urlpatterns = [
    path("", views.drafts, name="drafts"),
    path("<int:post_id>/", views.post_detail, name="detail"),
    path("<int:post_id>/schedule/", views.post_schedule, name="schedule"),
    path("approvals/", views.approvals, name="approvals"),
    path("calendar/", views.calendar, name="calendar"),
]
