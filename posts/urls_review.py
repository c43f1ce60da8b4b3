"""URLs of the posts app's review pages (included by posts/urls.py, "posts" namespace)."""

from django.urls import path

from posts import views_review

urlpatterns: list = [
    path("review/", views_review.review_queue, name="review_queue"),
    path("<int:post_id>/review/", views_review.review, name="review"),
    path("<int:post_id>/submit/", views_review.submit, name="submit"),
    path("<int:post_id>/approve/", views_review.approve, name="approve"),
    path("<int:post_id>/request-changes/", views_review.request_changes, name="request_changes"),
    path("<int:post_id>/reject/", views_review.reject, name="reject"),
    path("<int:post_id>/cancel/", views_review.cancel, name="cancel"),
    path("<int:post_id>/reschedule/", views_review.reschedule, name="reschedule"),
    path("<int:post_id>/delete/", views_review.delete_published, name="delete_published"),
]
