"""The posts API does what the editor, the review page, the post page and the calendar do,
through the same services."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent, PlatformAccountStatus
from posts.models import Post, PostStatus, PostTarget, Review
from tests.api.conftest import client_for


def later(**delta) -> str:
    return (timezone.now() + timedelta(**(delta or {"hours": 3}))).isoformat()


def test_an_officer_creates_a_draft_with_revision_one(world):
    client = client_for(world.cast.officer, world.agency)
    response = client.post(
        "/api/v1/posts/",
        {
            "body": "Coffee with a cop\r\non Saturday.",
            "style": "community",
            "accounts": [world.x.pk, world.fb.pk],
            "campaign": world.campaign.pk,
            "platform_texts": {"x": "Coffee with a cop, Saturday #DriveSafe", "facebook": ""},
            "location": "Library",
            "internal_notes": "Ask the librarian first.",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "draft" and data["revision"] == 1
    assert data["body"] == "Coffee with a cop\non Saturday."  # line breaks as the editor stores
    assert data["platform_texts"] == {"x": "Coffee with a cop, Saturday #DriveSafe"}
    assert sorted(data["accounts"]) == sorted([world.x.pk, world.fb.pk])
    assert data["author"]["id"] == world.cast.officer.pk
    event = AuditEvent.objects.get(action="posts.post.created")
    assert event.actor == world.cast.officer and event.target_id == str(data["id"])


def test_a_new_post_needs_active_accounts_of_the_agency(world):
    world.fb.status = PlatformAccountStatus.DISABLED
    world.fb.save(update_fields=["status"])
    client = client_for(world.cast.officer, world.agency)
    response = client.post(
        "/api/v1/posts/", {"body": "Hi", "accounts": [world.fb.pk]}, format="json"
    )
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["accounts"]


def test_the_list_filters_and_pages_with_counts(world):
    drafts = [world.draft() for _ in range(3)]
    review = world.in_review()
    client = client_for(world.cast.officer, world.agency)
    page = client.get("/api/v1/posts/", {"page_size": 2}).json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]
    assert {
        p["id"] for p in client.get("/api/v1/posts/", {"status": "draft"}).json()["results"]
    } == {p.pk for p in drafts}
    assert [
        p["id"] for p in client.get("/api/v1/posts/", {"status": "in_review"}).json()["results"]
    ] == [review.pk]
    scheduled = world.scheduled(at=timezone.now() + timedelta(days=2))
    found = client.get("/api/v1/posts/", {"scheduled_after": later(days=1)}).json()["results"]
    assert [p["id"] for p in found] == [scheduled.pk]


def test_a_time_filter_is_compared_in_utc_whatever_its_offset(world):
    """PostgreSQL refuses offsets over 15:59 that ISO 8601 allows (found by the API fuzzing)."""
    draft = world.draft()
    client = client_for(world.cast.officer, world.agency)
    # 2000-01-01 17:14 at +17:14 is midnight UTC: valid, and every post is newer.
    found = client.get("/api/v1/posts/", {"updated_after": "2000-01-01T17:14:00+17:14"})
    assert found.status_code == 200
    assert [p["id"] for p in found.json()["results"]] == [draft.pk]
    # Before year 1 once in UTC: out of range, an invalid request rather than a server error.
    early = client.get("/api/v1/posts/", {"updated_after": "0001-01-01T00:00:00+05:00"})
    assert early.status_code == 400
    assert early.json()["error"]["fields"]["updated_after"]


def test_the_lists_query_count_does_not_grow_with_its_rows(world):
    client = client_for(world.cast.officer, world.agency)
    world.draft()
    client.get("/api/v1/posts/")  # warm: token last-used stamp, content types
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/posts/")
    for _ in range(8):
        world.draft()
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/posts/").json()["results"]) == 9
    assert len(many) == len(few)


def test_an_edit_is_a_new_revision_and_leaves_other_fields_alone(world):
    post = world.draft()
    client = client_for(world.cast.officer, world.agency)
    response = client.patch(f"/api/v1/posts/{post.pk}/", {"location": "Town hall"}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert data["revision"] == 2 and data["location"] == "Town hall"
    assert data["body"] == post.body and data["campaign"] == world.campaign.pk


def test_an_edit_over_someone_elses_newer_save_is_refused(world):
    post = world.draft()
    officer = client_for(world.cast.officer, world.agency)
    supervisor = client_for(world.cast.supervisor, world.agency)
    assert (
        supervisor.patch(
            f"/api/v1/posts/{post.pk}/", {"body": "The supervisor's words."}, format="json"
        ).status_code
        == 200
    )
    response = officer.patch(
        f"/api/v1/posts/{post.pk}/", {"body": "Mine.", "base_revision": 1}, format="json"
    )
    assert response.status_code == 409
    assert "Someone else saved this post" in response.json()["error"]["message"]


def test_changing_an_approved_post_sends_it_back_to_review(world):
    post = world.approved()
    client = client_for(world.cast.officer, world.agency)
    response = client.patch(f"/api/v1/posts/{post.pk}/", {"body": "New words."}, format="json")
    assert response.json()["status"] == "in_review"


def test_a_blocking_finding_stops_a_submission_and_a_supervisor_may_override(world):
    post = world.draft(body="Call me on 010-1234-5678 about the bike.")
    officer = client_for(world.cast.officer, world.agency)
    refused = officer.post(f"/api/v1/posts/{post.pk}/submit/", {}, format="json")
    assert refused.status_code == 409
    assert "010-1234-5678" in refused.json()["error"]["message"]
    supervisor = client_for(world.cast.supervisor, world.agency)
    response = supervisor.post(
        f"/api/v1/posts/{post.pk}/submit/",
        {"override_reason": "It is the station's public number."},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "in_review"
    assert Review.objects.filter(post=post, decision="override").exists()


def test_approving_with_a_time_schedules_the_post(world):
    post = world.in_review()
    client = client_for(world.cast.supervisor, world.agency)
    response = client.post(
        f"/api/v1/posts/{post.pk}/approve/", {"publish_at": later(hours=5)}, format="json"
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["approved"] and data["approvals"] == data["required"] == 1
    assert data["post"]["status"] == "scheduled" and data["scheduled_at"]
    assert [t["account"]["id"] for t in data["post"]["targets"]] == [world.x.pk]


def test_a_time_in_the_past_is_refused(world):
    post = world.in_review()
    client = client_for(world.cast.supervisor, world.agency)
    response = client.post(
        f"/api/v1/posts/{post.pk}/approve/",
        {"publish_at": "2020-01-01T10:00:00"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["publish_at"]


def test_requesting_changes_quotes_the_words(world):
    post = world.in_review()
    client = client_for(world.cast.supervisor, world.agency)
    response = client.post(
        f"/api/v1/posts/{post.pk}/request-changes/",
        {"annotations": [{"quote": "at the library", "text": "Which one?"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    (review,) = response.json()["reviews"]
    assert review["decision"] == "changes_requested"
    (note,) = review["annotations"]
    assert post.body[note["start"] : note["end"]] == "at the library"
    missing = client.post(
        f"/api/v1/posts/{world.in_review().pk}/request-changes/",
        {"annotations": [{"quote": "not in the post", "text": "?"}]},
        format="json",
    )
    assert missing.status_code == 400
    assert list(missing.json()["error"]["fields"]) == ["annotations"]


def test_rejecting_needs_a_reason(world):
    post = world.in_review()
    client = client_for(world.cast.supervisor, world.agency)
    assert client.post(f"/api/v1/posts/{post.pk}/reject/", {}, format="json").status_code == 400
    response = client.post(
        f"/api/v1/posts/{post.pk}/reject/", {"comment": "Not our business."}, format="json"
    )
    assert response.json()["status"] == "rejected"


def test_scheduling_and_cancelling_an_approved_post(world):
    post = world.approved()
    client = client_for(world.cast.officer, world.agency)
    at = later(hours=4)
    response = client.post(
        f"/api/v1/posts/{post.pk}/schedule/",
        {"at": at, "accounts": [world.x.pk, world.fb.pk]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "scheduled"
    assert PostTarget.objects.filter(post=post, status="pending").count() == 2
    response = client.post(
        f"/api/v1/posts/{post.pk}/cancel/", {"reason": "Event off."}, format="json"
    )
    assert response.json()["status"] == "cancelled"
    assert not PostTarget.objects.filter(post=post).exclude(status="cancelled").exists()


def test_publishing_now(world):
    post = world.approved()
    client = client_for(world.cast.officer, world.agency)
    response = client.post(
        f"/api/v1/posts/{post.pk}/schedule/",
        {"publish_now": True, "accounts": [world.x.pk]},
        format="json",
    )
    target = PostTarget.objects.get(post=post)
    assert response.status_code == 200 and abs(target.due_at - timezone.now()) < timedelta(
        minutes=1
    )


def test_only_an_approved_post_can_be_scheduled(world):
    post = world.draft()
    client = client_for(world.cast.officer, world.agency)
    response = client.post(
        f"/api/v1/posts/{post.pk}/schedule/",
        {"at": later(), "accounts": [world.x.pk]},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "Only an approved post can be scheduled."


def test_rescheduling_moves_a_scheduled_post_and_keeps_its_approval(world):
    post = world.scheduled()
    client = client_for(world.cast.officer, world.agency)
    at = timezone.now() + timedelta(days=3)
    response = client.post(
        f"/api/v1/posts/{post.pk}/reschedule/", {"at": at.isoformat()}, format="json"
    )
    assert response.status_code == 200, response.json()
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED and abs(post.scheduled_at - at) < timedelta(
        seconds=1
    )
    assert PostTarget.objects.get(post=post).due_at == post.scheduled_at


def test_a_time_without_a_zone_is_the_agencys(world):
    post = world.draft()
    client = client_for(world.cast.officer, world.agency)
    local = (timezone.localtime(timezone.now(), world.agency.tzinfo) + timedelta(days=2)).replace(
        hour=9, minute=30, second=0, microsecond=0, tzinfo=None
    )
    client.post(f"/api/v1/posts/{post.pk}/reschedule/", {"at": local.isoformat()}, format="json")
    post.refresh_from_db()
    shown = timezone.localtime(post.scheduled_at, world.agency.tzinfo)
    assert (shown.hour, shown.minute) == (9, 30)


def test_the_calendar_shows_a_period_and_who_may_move_what(world):
    scheduled = world.scheduled(at=timezone.now() + timedelta(days=1))
    world.draft()  # no time: not on the calendar
    today = timezone.localdate(timezone.now(), world.agency.tzinfo)
    query = {"start": today.isoformat(), "days": 7}
    data = client_for(world.cast.officer, world.agency).get("/api/v1/calendar/", query).json()
    assert data["timezone"] == world.agency.timezone
    (entry,) = data["entries"]
    assert entry["post"]["id"] == scheduled.pk and entry["movable"] is True
    assert entry["by_publication"] is False and entry["started"] is False
    analyst = client_for(world.cast.analyst, world.agency).get("/api/v1/calendar/", query).json()
    assert analyst["entries"][0]["movable"] is False
    elsewhere = client_for(world.cast.officer, world.agency).get(
        "/api/v1/calendar/", {"start": (today + timedelta(days=10)).isoformat()}
    )
    assert elsewhere.json()["entries"] == []


def test_inbox_replies_are_not_in_the_post_list(world):
    conversation = world.conversation()
    client = client_for(world.cast.officer, world.agency)
    client.post(
        f"/api/v1/inbox/conversations/{conversation.pk}/reply/", {"text": "On it."}, format="json"
    )
    assert Post.objects.filter(kind="reply").count() == 1
    assert client.get("/api/v1/posts/").json()["count"] == 0


def test_the_preview_answers_at_its_old_address(world):
    client = client_for(world.cast.officer, world.agency)
    for url in ("/api/v1/posts/preview", "/api/v1/posts/preview/"):
        response = client.post(url, {"text": "Hi", "accounts": [world.x.pk]}, format="json")
        assert response.status_code == 200
        assert response.json()["platforms"]["x"]["accounts"][0]["id"] == world.x.pk
