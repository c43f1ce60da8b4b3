"""URLs of the posts app's editor pages (included by posts/urls.py)."""

from django.urls import path

from posts import views_editor as views

urlpatterns: list = [
    path("new/", views.post_new, name="new"),
    path("new/from-template/<int:template_id>/", views.from_template, name="from_template"),
    path("templates/choose/", views.choose_template, name="choose_template"),
    path("<int:post_id>/edit/", views.post_edit, name="edit"),
    path("<int:post_id>/autosave/", views.post_autosave, name="autosave"),
    path("<int:post_id>/duplicate/", views.post_duplicate, name="duplicate"),
    path("<int:post_id>/revisions/", views.revisions, name="revisions"),
    path("<int:post_id>/revisions/compare/", views.compare, name="compare"),
    path("<int:post_id>/media/add/", views.media_add, name="media_add"),
    path("<int:post_id>/media/<int:media_id>/alt/", views.media_alt, name="media_alt"),
    path("<int:post_id>/media/<int:media_id>/remove/", views.media_remove, name="media_remove"),
    path("media/<int:media_id>/", views.media_file, name="media"),
]
