from django.urls import include, path

from posts import views, views_calendar

app_name = "posts"

# Each area of the posts app keeps its routes in its own module; all share the "posts" namespace.
urlpatterns = [
    path("", views.drafts, name="drafts"),
    path("<int:post_id>/", views.post_detail, name="detail"),
    path("<int:post_id>/schedule/", views.post_schedule, name="schedule"),
    path("calendar/", views_calendar.week, name="calendar"),
    path("", include("posts.urls_editor")),
    path("", include("posts.urls_review")),
    path("", include("posts.urls_calendar")),
    path("", include("posts.urls_settings")),
]
