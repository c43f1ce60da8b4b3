"""The inbox API does what the inbox and thread pages do, through engagement.threads."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent, Notification
from engagement import threads
from engagement.models import Conversation, InboxSettings, Message
from tests.api.conftest import client_for

LIST = "/api/v1/inbox/conversations/"


def thread(conversation, action: str = "") -> str:
    return f"{LIST}{conversation.pk}/{action + '/' if action else ''}"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_the_list_has_the_inbox_filters(world):
    client = client_for(world.cast.officer, world.agency)
    mine, nobodys, urgent, fb = (world.conversation() for _ in range(4))
    Conversation.objects.filter(pk=mine.pk).update(assignee=world.cast.officer, status="pending")
    Conversation.objects.filter(pk=urgent.pk).update(
        urgent=True,
        priority=100,
        category="urgent",
        last_activity_at=timezone.now() - timedelta(days=1),
    )
    Conversation.objects.filter(pk=fb.pk).update(account=world.fb, platform="facebook")
    assert ids(client.get(LIST, {"assignee": "me"})) == [mine.pk]
    assert set(ids(client.get(LIST, {"assignee": "none"}))) == {nobodys.pk, urgent.pk, fb.pk}
    assert ids(client.get(LIST, {"assignee": world.cast.officer.pk})) == [mine.pk]
    assert ids(client.get(LIST, {"status": "pending"})) == [mine.pk]
    assert ids(client.get(LIST, {"category": "urgent"})) == [urgent.pk]
    assert ids(client.get(LIST, {"urgent": "true"})) == [urgent.pk]
    assert ids(client.get(LIST, {"account": world.fb.pk})) == [fb.pk]
    assert ids(client.get(LIST, {"order": "priority"}))[0] == urgent.pk
    assert ids(client.get(LIST))[-1] == urgent.pk  # newest activity first by default
    assert client.get(LIST, {"assignee": "someone"}).status_code == 400


def test_the_list_filters_by_post_and_campaign(world):
    client = client_for(world.cast.officer, world.agency)
    post = world.draft()
    under, other = world.conversation(), world.conversation()
    Conversation.objects.filter(pk=under.pk).update(our_post=post)
    assert ids(client.get(LIST, {"post": post.pk})) == [under.pk]
    assert ids(client.get(LIST, {"campaign": world.campaign.pk})) == [under.pk]
    assert other.pk not in ids(client.get(LIST, {"campaign": world.campaign.pk}))


def test_the_lists_query_count_does_not_grow_with_its_rows(world):
    client = client_for(world.cast.officer, world.agency)
    world.conversation()
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for _ in range(8):
        world.conversation()
    with CaptureQueriesContext(connection) as many:
        assert len(ids(client.get(LIST))) == 9
    assert len(many) == len(few)


def test_a_thread_has_its_messages_replies_and_notes(world):
    conversation = world.conversation()
    threads.conversation_note_add(
        conversation=conversation, text="Known caller.", by=world.cast.officer
    )
    threads.reply_send(
        conversation=conversation, text="Thanks, we are on it.", by=world.cast.officer
    )
    data = client_for(world.cast.supervisor, world.agency).get(thread(conversation)).json()
    assert [m["direction"] for m in data["messages"]] == ["inbound"]
    assert [n["text"] for n in data["notes"]] == ["Known caller."]
    (reply,) = data["replies"]
    assert reply["text"] == "Thanks, we are on it." and reply["target_status"] == "pending"


def test_an_officer_takes_a_conversation_and_lets_it_go(world):
    conversation = world.conversation()
    client = client_for(world.cast.officer, world.agency)
    taken = client.post(
        thread(conversation, "assign"), {"assignee": world.cast.officer.pk}, format="json"
    )
    assert taken.json()["assignee"]["id"] == world.cast.officer.pk
    released = client.post(thread(conversation, "assign"), {"assignee": None}, format="json")
    assert released.json()["assignee"] is None


def test_a_supervisor_assigns_an_officer_who_is_told(world):
    conversation = world.conversation()
    client = client_for(world.cast.supervisor, world.agency)
    response = client.post(
        thread(conversation, "assign"), {"assignee": world.cast.officer.pk}, format="json"
    )
    assert response.status_code == 200
    assert Notification.objects.filter(user=world.cast.officer).exists()
    analyst = client.post(
        thread(conversation, "assign"), {"assignee": world.cast.analyst.pk}, format="json"
    )
    assert analyst.status_code == 400  # analysts do not work the inbox


def test_status_labels_and_notes(world):
    conversation = world.conversation()
    client = client_for(world.cast.officer, world.agency)
    assert (
        client.post(thread(conversation, "status"), {"status": "resolved"}, format="json").json()[
            "status"
        ]
        == "resolved"
    )
    labels = client.post(
        thread(conversation, "labels"), {"labels": ["Roads", " roads ", "A1"]}, format="json"
    )
    assert labels.json()["labels"] == ["Roads", "A1"]
    note = client.post(thread(conversation, "notes"), {"text": "Called back."}, format="json")
    assert note.status_code == 201 and note.json()["author"]["id"] == world.cast.officer.pk
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "engagement.conversation.status",
        "engagement.conversation.labels",
        "engagement.conversation.note_added",
    } <= actions


def test_a_reply_goes_out_through_the_publishing_engine(world):
    conversation = world.conversation()
    client = client_for(world.cast.officer, world.agency)
    response = client.post(
        thread(conversation, "reply"), {"text": "The road is open."}, format="json"
    )
    assert response.status_code == 201, response.json()
    reply = response.json()
    assert reply["status"] == "scheduled" and reply["target_status"] == "pending"
    assert reply["in_reply_to"] == world.message(conversation).pk


def test_a_canned_response_is_the_reply_when_no_text_is_given(world):
    conversation = world.conversation()
    client = client_for(world.cast.officer, world.agency)
    response = client.post(
        thread(conversation, "reply"), {"canned_response": world.canned.pk}, format="json"
    )
    handle = world.message(conversation).author_handle
    assert response.json()["text"] == f"Hi @{handle}, this account is not monitored 24/7."
    empty = client.post(thread(conversation, "reply"), {"text": "  "}, format="json")
    assert empty.status_code == 400 and list(empty.json()["error"]["fields"]) == ["text"]


def test_an_officers_reply_waits_for_review_when_the_agency_asks(world):
    InboxSettings.objects.update_or_create(
        agency=world.agency, defaults={"require_reply_approval": True}
    )
    conversation = world.conversation()
    client = client_for(world.cast.officer, world.agency)
    response = client.post(thread(conversation, "reply"), {"text": "We will look."}, format="json")
    assert response.json()["status"] == "in_review"


def test_hiding_a_message_asks_the_platform_and_records_why(world, monkeypatch):
    hidden = []

    class Client:
        def hide(self, external_id):
            hidden.append(external_id)

    monkeypatch.setattr(threads, "client_for_account", lambda account: Client())
    conversation = world.conversation()
    message = world.message(conversation)
    client = client_for(world.cast.supervisor, world.agency)
    url = thread(conversation, f"messages/{message.pk}/hide")
    assert client.post(url, {}, format="json").status_code == 400  # a reason is required
    response = client.post(url, {"reason": "Personal data of a third party."}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["hidden"] is True and hidden == [message.external_id]
    assert Message.objects.get(pk=message.pk).hidden_reason == "Personal data of a third party."
    again = client.post(url, {"reason": "Again"}, format="json")
    assert again.status_code == 400 and "already hidden" in again.json()["error"]["message"]


def test_a_platforms_refusal_to_hide_is_a_400_with_its_words(world):
    """Against the sandbox, which does not know the message."""
    conversation = world.conversation()
    message = world.message(conversation)
    client = client_for(world.cast.supervisor, world.agency)
    response = client.post(
        thread(conversation, f"messages/{message.pk}/hide"), {"reason": "Abuse"}, format="json"
    )
    assert response.status_code == 400
    assert "The platform refused to hide it" in response.json()["error"]["message"]


def test_canned_responses_and_people(world):
    client = client_for(world.cast.officer, world.agency)
    canned = client.get("/api/v1/inbox/canned-responses/").json()["results"]
    assert [c["id"] for c in canned] == [world.canned.pk]
    people = {p["id"] for p in client.get("/api/v1/inbox/people/").json()["results"]}
    assert people == {world.cast.officer.pk, world.cast.supervisor.pk, world.cast.admin.pk}


def test_platform_accounts_are_read_without_credentials(world):
    client = client_for(world.cast.analyst, world.agency)
    rows = client.get("/api/v1/platform-accounts/").json()["results"]
    assert {r["id"] for r in rows} == {world.x.pk, world.fb.pk}
    assert all("credential" not in key for row in rows for key in row)
    one = client.get(f"/api/v1/platform-accounts/{world.x.pk}/").json()
    assert one["handle"] == world.x.handle and "credentials_ciphertext" not in one
    assert client.post("/api/v1/platform-accounts/", {}, format="json").status_code == 405
