"""URLs of the posts app's calendar pages (included by posts/urls.py)."""

from django.urls import path

from posts import views_calendar

urlpatterns = [
    path("calendar/month/", views_calendar.month, name="calendar_month"),
    path("calendar/week/", views_calendar.week, name="calendar_week"),
    path("calendar/day/", views_calendar.day, name="calendar_day"),
    path(
        "calendar/reschedule/<int:post_id>/",
        views_calendar.reschedule,
        name="calendar_reschedule",
    ),
]
