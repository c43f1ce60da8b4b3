"""The inbox and thread pages (engagement/views_inbox.py): per role, per agency, the filters and
the list's cost, and each action on a thread through the real services and publishing path."""

from __future__ import annotations

import html as html_lib
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Role
from campaigns.models import Campaign
from engagement.models import (
    CannedResponse,
    Conversation,
    ConversationNote,
    ConversationStatus,
    Direction,
    InboxSettings,
    Message,
)
from engagement.services import inbox_settings_ensure
from posts import publishing
from posts.models import Post, PostKind, PostStatus
from tests.engagement.conftest import publish, pull

# --- Helpers ----------------------------------------------------------------------------------


def page(response) -> str:
    """The page with entities decoded, to look for text containing quotes."""
    return html_lib.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def thread_url(conversation: Conversation, name: str = "thread", *args) -> str:
    return reverse(f"engagement:{name}", args=[conversation.pk, *args])


def make_conversation(cast, account, n: int, **fields) -> Conversation:
    """A conversation with one message from the public, `n` minutes old."""
    at = timezone.now() - timedelta(minutes=n)
    values = {
        "agency": cast.agency,
        "account": account,
        "platform": account.platform,
        "root_external_id": f"root-{account.pk}-{n}",
        "snippet": f"Citizen message number {n}",
        "message_count": 1,
        "last_activity_at": at,
        "first_inbound_at": at,
    } | fields
    conversation = Conversation.objects.create(**values)
    Message.objects.create(
        agency=cast.agency,
        conversation=conversation,
        platform=account.platform,
        external_id=f"msg-{account.pk}-{n}",
        author_handle=f"citizen{n}",
        author_name=f"Citizen {n}",
        text=conversation.snippet,
        created_at=at,
        kind="reply",
    )
    return conversation


@pytest.fixture
def pulled(cast, accounts, sandbox):
    """The simulated public has answered our post on X and Facebook, and the inbox pulled it."""
    publish(cast, accounts.x, accounts.fb)
    sandbox.advance(3600)
    assert pull(accounts.x).added
    assert pull(accounts.fb).added
    return cast


def x_thread(cast) -> Conversation:
    """The longest X conversation under our post: replies we can answer and hide."""
    return (
        Conversation.objects.filter(agency=cast.agency, platform="x", our_post__isnull=False)
        .order_by("-message_count")
        .first()
    )


def publish_due() -> list[str]:
    """What the beat dispatcher and the publish tasks would do now."""
    return [publishing.target_publish(target_id=pk) for pk in publishing.dispatch_due()]


# --- Who may open what ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SUPERVISOR, Role.ADMIN])
def test_inbox_roles_see_the_list_and_the_thread(pulled, login, role):
    cast = pulled
    client = login(cast.by_role(role))
    response = client.get(reverse("engagement:inbox"))
    assert response.status_code == 200
    for conversation in Conversation.objects.filter(agency=cast.agency):
        assert thread_url(conversation) in response.content.decode()
    conversation = x_thread(cast)
    assert client.get(thread_url(conversation)).status_code == 200


def test_analysts_do_not_work_the_inbox(cast, accounts, login):
    conversation = make_conversation(cast, accounts.x, 1)
    message = conversation.messages.get()
    client = login(cast.analyst)
    assert client.get(reverse("engagement:inbox")).status_code == 403
    assert client.get(reverse("engagement:inbox_list")).status_code == 403
    assert client.get(thread_url(conversation)).status_code == 403
    assert client.get(thread_url(conversation, "thread_messages")).status_code == 403
    assert client.get(thread_url(conversation, "thread_hide", message.pk)).status_code == 403
    for name in ("thread_assign", "thread_status", "thread_labels", "thread_note"):
        assert client.post(thread_url(conversation, name), {}).status_code == 403
    response = client.post(thread_url(conversation, "thread_reply"), {"text": "Hello"})
    assert response.status_code == 403
    assert not Post.objects.filter(kind=PostKind.REPLY).exists()


def test_another_agencys_conversation_is_not_found(cast, other, accounts, login):
    conversation = make_conversation(cast, accounts.x, 1)
    message = conversation.messages.get()
    client = login(other.officer)
    assert client.get(thread_url(conversation)).status_code == 404
    assert client.get(thread_url(conversation, "thread_messages")).status_code == 404
    assert client.get(thread_url(conversation, "thread_hide", message.pk)).status_code == 404
    hide = client.post(thread_url(conversation, "thread_hide", message.pk), {"reason": "Abuse"})
    assert hide.status_code == 404
    reply = client.post(thread_url(conversation, "thread_reply"), {"text": "Hello"})
    assert reply.status_code == 404
    for name, data in [
        ("thread_assign", {"action": "me"}),
        ("thread_status", {"status": "resolved"}),
        ("thread_labels", {"labels": "theirs"}),
        ("thread_note", {"text": "A note"}),
    ]:
        assert client.post(thread_url(conversation, name), data).status_code == 404
    conversation.refresh_from_db()
    message.refresh_from_db()
    assert conversation.assignee is None
    assert conversation.status == ConversationStatus.OPEN
    assert conversation.labels == []
    assert not message.hidden
    assert not ConversationNote.objects.exists()
    # Nor is another agency's conversation listed.
    assert thread_url(conversation) not in client.get(reverse("engagement:inbox")).content.decode()


def test_a_message_of_another_thread_is_not_found_under_this_one(cast, accounts, login):
    first = make_conversation(cast, accounts.x, 1)
    second = make_conversation(cast, accounts.x, 2)
    stranger = second.messages.get()
    client = login(cast.officer)
    assert client.get(thread_url(first, "thread_hide", stranger.pk)).status_code == 404


def test_the_notification_link_opens_the_thread(cast, accounts, login):
    conversation = make_conversation(cast, accounts.x, 1)
    response = login(cast.officer).get(
        reverse("engagement:inbox"), {"conversation": conversation.pk}
    )
    assert response.status_code == 302
    assert response.url == thread_url(conversation)
    assert f"/inbox/{conversation.pk}/" == thread_url(conversation)


# --- The list ---------------------------------------------------------------------------------


def test_the_list_shows_each_conversation_in_the_agency_time_zone(cast, accounts, login):
    cast.agency.timezone = "Asia/Seoul"
    cast.agency.save()
    now = timezone.now()
    overdue = make_conversation(
        cast, accounts.x, 30, urgent=True, category="urgent", response_due_at=now - timedelta(1)
    )
    soon = make_conversation(
        cast, accounts.fb, 5, category="question", response_due_at=now + timedelta(minutes=10)
    )
    overdue.assignee = cast.supervisor
    overdue.labels = ["follow-up"]
    overdue.save()
    html = page(login(cast.officer).get(reverse("engagement:inbox")))
    assert "@citizen30" in html
    assert "Citizen message number 30" in html
    assert "Urgent" in html
    assert "Overdue" in html
    assert "Due soon" in html
    assert cast.supervisor.display_name in html
    assert "follow-up" in html
    for conversation in (overdue, soon):
        local = timezone.localtime(conversation.last_activity_at, cast.agency.tzinfo)
        assert local.strftime("%Y-%m-%d %H:%M") in html
    due = timezone.localtime(soon.response_due_at, cast.agency.tzinfo)
    assert due.strftime("%Y-%m-%d %H:%M KST") in html
    # Newest activity first.
    assert html.index(thread_url(soon)) < html.index(thread_url(overdue))


def test_filters_narrow_the_list(pulled, login):
    cast = pulled
    client = login(cast.officer)
    everything = Conversation.objects.filter(agency=cast.agency)

    def listed(**query) -> set[int]:
        html = client.get(reverse("engagement:inbox"), query).content.decode()
        return {c.pk for c in everything if thread_url(c) in html}

    assert listed() == {c.pk for c in everything}
    assert listed(category="complaint") == {c.pk for c in everything if c.category == "complaint"}
    x_account = everything.filter(platform="x").first().account
    assert listed(account=x_account.pk) == {c.pk for c in everything if c.platform == "x"}

    resolved = everything.first()
    resolved.status = ConversationStatus.RESOLVED
    resolved.save()
    assert listed(status="resolved") == {resolved.pk}
    assert resolved.pk not in listed(status="open")

    mine = everything.last()
    mine.assignee = cast.officer
    mine.save()
    assert listed(assignee="me") == {mine.pk}
    assert listed(assignee=str(cast.officer.pk)) == {mine.pk}
    assert mine.pk not in listed(assignee="none")
    assert listed(assignee=str(cast.supervisor.pk)) == set()

    post = everything.filter(our_post__isnull=False).first().our_post
    under_post = {c.pk for c in everything if c.our_post_id == post.pk}
    assert listed(post=post.pk) == under_post
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        agency=cast.agency, name="Safer Streets", starts_on=today, ends_on=today
    )
    assert listed(campaign=campaign.pk) == set()
    Post.objects.filter(pk=post.pk).update(campaign=campaign)
    assert listed(campaign=campaign.pk) == under_post
    # Filters combine; a value that makes no sense is ignored rather than an error.
    assert listed(account=x_account.pk, category="complaint") == set()
    assert listed(status="nonsense", assignee="nobody-at-all") == {c.pk for c in everything}


def test_the_list_is_paged_25_at_a_time_keeping_the_filters(cast, accounts, login):
    for n in range(30):
        make_conversation(cast, accounts.x, n)
    client = login(cast.officer)
    first = client.get(reverse("engagement:inbox"), {"status": "open"})
    assert len(first.context["rows"]) == 25
    assert "?status=open&amp;page=2" in first.content.decode()
    second = client.get(reverse("engagement:inbox"), {"status": "open", "page": 2})
    assert len(second.context["rows"]) == 5
    listed = {row.conversation.pk for row in first.context["rows"] + second.context["rows"]}
    assert len(listed) == 30


def test_the_refresh_fragment_is_the_list_alone_for_the_same_query(cast, accounts, login):
    urgent = make_conversation(cast, accounts.x, 1, category="urgent", urgent=True)
    calm = make_conversation(cast, accounts.x, 2, category="praise")
    client = login(cast.officer)
    response = client.get(reverse("engagement:inbox_list"), {"category": "urgent"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<form" not in html
    assert "<tbody>" in html
    assert thread_url(urgent) in html
    assert thread_url(calm) not in html
    # The full page points inbox.js at the fragment and includes the script.
    full = client.get(reverse("engagement:inbox")).content.decode()
    assert f'data-refresh-url="{reverse("engagement:inbox_list")}"' in full
    assert "js/inbox.js" in full


def test_the_lists_query_count_does_not_grow_with_its_rows(
    cast, accounts, login, django_assert_max_num_queries
):
    client = login(cast.officer)
    make_conversation(cast, accounts.x, 0, assignee=cast.officer)
    client.get(reverse("engagement:inbox"))  # warm the session and caches
    with CaptureQueriesContext(connection) as one_row:
        client.get(reverse("engagement:inbox"))
    for n in range(1, 25):
        make_conversation(cast, accounts.fb if n % 2 else accounts.x, n, assignee=cast.supervisor)
    with CaptureQueriesContext(connection) as full_page:
        response = client.get(reverse("engagement:inbox"))
    assert len(response.context["rows"]) == 25
    assert len(full_page.captured_queries) == len(one_row.captured_queries)
    with django_assert_max_num_queries(15):
        client.get(reverse("engagement:inbox"))
    with django_assert_max_num_queries(15):
        client.get(reverse("engagement:inbox_list"))


# --- The thread -------------------------------------------------------------------------------


def test_the_thread_shows_our_post_and_every_message_in_order(pulled, login):
    cast = pulled
    cast.agency.timezone = "Asia/Seoul"
    cast.agency.save()
    conversation = x_thread(cast)
    response = login(cast.officer).get(thread_url(conversation))
    html = page(response)
    assert conversation.our_post.body in html
    assert reverse("posts:detail", args=[conversation.our_post.pk]) in html
    thread = list(conversation.messages.order_by("created_at", "pk"))
    assert len(thread) > 1
    positions = [html.index(f'id="message-{m.pk}"') for m in thread]
    assert positions == sorted(positions)
    for message in thread:
        assert f"@{message.author_handle}" in html
        local = timezone.localtime(message.created_at, cast.agency.tzinfo)
        assert local.strftime("%Y-%m-%d %H:%M KST") in html
        for _category, term in message.triage_terms:
            assert f"<q>{term}</q>" in response.content.decode()
    assert "never sent to the public" in html
    assert "js/inbox.js" in html
    assert reverse("posts_api:preview") in html


def test_the_threads_query_count_does_not_grow_with_its_messages(cast, accounts, login):
    conversation = make_conversation(cast, accounts.x, 30)
    client = login(cast.officer)
    client.get(thread_url(conversation))
    with CaptureQueriesContext(connection) as one_message:
        client.get(thread_url(conversation))
    for n in range(10):
        Message.objects.create(
            agency=cast.agency,
            conversation=conversation,
            platform="x",
            external_id=f"more-{n}",
            author_handle=f"neighbour{n}",
            text=f"Me too, number {n}",
            created_at=timezone.now() - timedelta(minutes=20 - n),
            kind="reply",
            hidden=n % 2 == 0,
            hidden_by=cast.supervisor if n % 2 == 0 else None,
            hidden_reason="Abuse" if n % 2 == 0 else "",
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(thread_url(conversation))
    assert len(response.context["thread"]) == 11
    assert len(many.captured_queries) == len(one_message.captured_queries)


def test_an_urgent_thread_offers_the_emergency_guidance_as_the_reply(pulled, login):
    cast = pulled
    conversation = Conversation.objects.filter(agency=cast.agency, urgent=True).first()
    response = login(cast.officer).get(thread_url(conversation))
    html = page(response)
    assert "Urgent: send the emergency guidance" in html
    assert "not monitored 24/7" in html
    # Suggested in the reply box itself, so it works without JavaScript too.
    assert "not monitored 24/7" in response.context["reply_form"]["text"].value()


def test_the_messages_fragment_refreshes_the_thread_alone(pulled, login):
    cast = pulled
    conversation = x_thread(cast)
    client = login(cast.officer)
    response = client.get(thread_url(conversation, "thread_messages"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<textarea" not in html
    for message in conversation.messages.all():
        assert f'id="message-{message.pk}"' in html
    full = client.get(thread_url(conversation)).content.decode()
    assert f'data-refresh-url="{thread_url(conversation, "thread_messages")}"' in full


def test_canned_responses_are_offered_with_the_handle_filled_in(pulled, login):
    cast = pulled
    CannedResponse.objects.create(
        agency=cast.agency, title="Thanks", text="Thank you {handle}, we have passed this on."
    )
    conversation = x_thread(cast)
    latest = conversation.messages.filter(direction=Direction.INBOUND).last()
    html = page(login(cast.officer).get(thread_url(conversation)))
    assert f"Thank you @{latest.author_handle}, we have passed this on." in html
    assert 'id="thread-canned"' in html


# --- Assign, status, labels, notes ------------------------------------------------------------


def test_an_officer_takes_a_conversation_and_lets_it_go(cast, accounts, login):
    conversation = make_conversation(cast, accounts.x, 1)
    client = login(cast.officer)
    response = client.post(thread_url(conversation, "thread_assign"), {"action": "me"}, follow=True)
    conversation.refresh_from_db()
    assert conversation.assignee == cast.officer
    assert "This conversation is yours now." in messages_of(response)
    assert AuditEvent.objects.filter(action="engagement.conversation.assigned").exists()
    client.post(thread_url(conversation, "thread_assign"), {"action": "unassign"})
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_an_officer_cannot_assign_a_colleague(cast, accounts, login):
    conversation = make_conversation(cast, accounts.x, 1)
    response = login(cast.officer).post(
        thread_url(conversation, "thread_assign"),
        {"action": "assign", "assignee": cast.supervisor.pk},
        follow=True,
    )
    conversation.refresh_from_db()
    assert conversation.assignee is None
    assert any("ask a supervisor" in m for m in messages_of(response))
    assert "ask a supervisor" in page(response)


def test_an_officer_cannot_take_a_colleagues_conversation(cast, accounts, login):
    conversation = make_conversation(cast, accounts.x, 1, assignee=cast.supervisor)
    response = login(cast.officer).post(
        thread_url(conversation, "thread_assign"), {"action": "me"}, follow=True
    )
    conversation.refresh_from_db()
    assert conversation.assignee == cast.supervisor
    assert any("assigned to someone else" in m for m in messages_of(response))


def test_a_supervisor_assigns_an_officer_who_is_told(cast, accounts, login):
    conversation = make_conversation(cast, accounts.x, 1)
    response = login(cast.supervisor).post(
        thread_url(conversation, "thread_assign"),
        {"action": "assign", "assignee": cast.officer.pk},
        follow=True,
    )
    conversation.refresh_from_db()
    assert conversation.assignee == cast.officer
    assert any("They have been told" in m for m in messages_of(response))
    assert cast.officer.notifications.filter(link=f"/inbox/{conversation.pk}/").exists()


def test_nobody_outside_the_inbox_can_be_assigned(cast, other, accounts, login):
    conversation = make_conversation(cast, accounts.x, 1)
    client = login(cast.supervisor)
    for person in (cast.analyst, other.officer):
        client.post(
            thread_url(conversation, "thread_assign"), {"action": "assign", "assignee": person.pk}
        )
        conversation.refresh_from_db()
        assert conversation.assignee is None


def test_status_labels_and_notes(cast, accounts, login):
    conversation = make_conversation(cast, accounts.x, 1)
    client = login(cast.officer)
    client.post(thread_url(conversation, "thread_status"), {"status": "pending"})
    client.post(thread_url(conversation, "thread_labels"), {"labels": "follow-up, CCTV ,, cctv"})
    response = client.post(
        thread_url(conversation, "thread_note"),
        {"text": "Called the shop; footage kept until Friday."},
        follow=True,
    )
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.PENDING
    assert conversation.labels == ["follow-up", "CCTV"]
    note = ConversationNote.objects.get(conversation=conversation)
    assert note.author == cast.officer
    html = page(response)
    assert "Called the shop; footage kept until Friday." in html
    assert 'value="follow-up, CCTV"' in html
    assert "Waiting for the citizen" in html
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "engagement.conversation.status",
        "engagement.conversation.labels",
        "engagement.conversation.note_added",
    } <= actions
    # Internal: nothing was sent anywhere.
    assert not Post.objects.filter(kind=PostKind.REPLY).exists()


def test_bad_labels_and_empty_notes_come_back_with_what_was_typed(cast, accounts, login):
    conversation = make_conversation(cast, accounts.x, 1)
    client = login(cast.officer)
    too_long = "x" * 41
    response = client.post(thread_url(conversation, "thread_labels"), {"labels": f"ok, {too_long}"})
    assert response.status_code == 400
    html = page(response)
    assert "at most 40 characters" in html
    assert f'value="ok, {too_long}"' in html
    response = client.post(thread_url(conversation, "thread_note"), {"text": "   "})
    assert response.status_code == 400
    assert "This field is required." in page(response) or "Write the note" in page(response)
    conversation.refresh_from_db()
    assert conversation.labels == []
    assert not ConversationNote.objects.exists()


# --- Replies ----------------------------------------------------------------------------------


def test_a_reply_sent_from_the_thread_is_published_and_joins_it(pulled, login, sandbox):
    cast = pulled
    conversation = x_thread(cast)
    first = conversation.messages.filter(direction=Direction.INBOUND).first()
    client = login(cast.officer)
    text = "Thank you, an officer will call you this afternoon."
    response = client.post(
        thread_url(conversation, "thread_reply"),
        {"text": text, "in_reply_to": first.pk},
        follow=True,
    )
    assert any("on its way" in m for m in messages_of(response))
    assert text in page(response)  # waiting to go out, shown with its status
    assert publish_due() == ["published"]
    conversation.refresh_from_db()
    assert conversation.first_response_at is not None
    ours = conversation.messages.get(direction=Direction.OUTBOUND)
    assert ours.text == text
    assert ours.sent_by == cast.officer
    assert ours.parent_external_id == first.external_id
    html = page(client.get(thread_url(conversation)))
    assert f'id="message-{ours.pk}"' in html
    assert "Answered" in html
    assert "Our replies not yet on the platform" not in html
    # The sandbox holds it as our reply to the citizen's message.
    posted = [p for p in sandbox.posts("x", accounts_x_id(conversation)) if p["text"] == text]
    assert posted


def accounts_x_id(conversation: Conversation) -> str:
    return conversation.account.external_id


def test_a_reply_with_a_phone_number_is_refused_and_the_text_kept(pulled, login):
    cast = pulled
    conversation = x_thread(cast)
    text = "Ring my colleague on 07700 900123 about it."
    response = login(cast.officer).post(thread_url(conversation, "thread_reply"), {"text": text})
    assert response.status_code == 400
    html = page(response)
    assert "phone number" in html
    assert text in response.context["reply_form"]["text"].value()
    assert f"{text}</textarea>" in html
    assert not Post.objects.filter(kind=PostKind.REPLY).exists()
    assert publish_due() == []


def test_a_reply_needing_approval_waits_for_a_supervisor(pulled, login):
    cast = pulled
    inbox_settings_ensure(agency=cast.agency)
    InboxSettings.objects.filter(agency=cast.agency).update(require_reply_approval=True)
    conversation = x_thread(cast)
    client = login(cast.officer)
    before = client.get(thread_url(conversation))
    assert "Replies need approval" in page(before)
    response = client.post(
        thread_url(conversation, "thread_reply"),
        {"text": "We are looking into it."},
        follow=True,
    )
    assert any("approval" in m for m in messages_of(response))
    post = Post.objects.get(kind=PostKind.REPLY)
    assert post.status == PostStatus.IN_REVIEW
    assert publish_due() == []
    html = page(response)
    assert "Our replies not yet on the platform" in html
    assert "In review" in html


def test_a_canned_response_is_sent_without_javascript(pulled, login):
    cast = pulled
    canned = CannedResponse.objects.create(
        agency=cast.agency, title="Thanks", text="Thank you {handle}, noted."
    )
    conversation = x_thread(cast)
    latest = conversation.messages.filter(direction=Direction.INBOUND).last()
    login(cast.officer).post(
        thread_url(conversation, "thread_reply"),
        {"text": "", "canned_response": canned.pk, "in_reply_to": latest.pk},
    )
    post = Post.objects.get(kind=PostKind.REPLY)
    assert post.body == f"Thank you @{latest.author_handle}, noted."
    assert post.inbox_reply.canned_response == canned


def test_an_empty_reply_is_refused(pulled, login):
    cast = pulled
    conversation = x_thread(cast)
    response = login(cast.officer).post(thread_url(conversation, "thread_reply"), {"text": " "})
    assert response.status_code == 400
    assert "Write the reply first." in page(response)
    assert not Post.objects.filter(kind=PostKind.REPLY).exists()


# --- Hiding -----------------------------------------------------------------------------------


def test_hiding_asks_for_a_reason_first(pulled, login):
    cast = pulled
    conversation = x_thread(cast)
    message = conversation.messages.filter(direction=Direction.INBOUND).last()
    client = login(cast.officer)
    url = thread_url(conversation, "thread_hide", message.pk)
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert message.text in page(confirm)
    assert 'name="reason"' in confirm.content.decode()
    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 400
    assert "This field is required." in page(refused)
    message.refresh_from_db()
    assert not message.hidden
    assert not AuditEvent.objects.filter(action="engagement.message.hidden").exists()


def test_a_hidden_message_is_shown_as_hidden_with_who_and_why(pulled, login, sandbox_server):
    cast = pulled
    conversation = x_thread(cast)
    message = conversation.messages.filter(direction=Direction.INBOUND).last()
    client = login(cast.supervisor)
    response = client.post(
        thread_url(conversation, "thread_hide", message.pk),
        {"reason": "Names a suspect."},
        follow=True,
    )
    message.refresh_from_db()
    assert message.hidden
    assert message.hidden_by == cast.supervisor
    assert message.hidden_reason == "Names a suspect."
    assert any("Hidden on the platform" in m for m in messages_of(response))
    html = page(response)
    assert "Hidden on the platform" in html
    assert f"by {cast.supervisor.display_name}" in html
    assert "Names a suspect." in html
    event = AuditEvent.objects.get(action="engagement.message.hidden")
    assert event.actor == cast.supervisor
    row = sandbox_server.store.item("x", message.external_id)
    assert row["hidden"]
    # No second hide offered for it.
    assert thread_url(conversation, "thread_hide", message.pk) not in html


def test_a_platform_refusal_to_hide_is_shown_with_the_reason_kept(cast, accounts, login):
    # A message the sandbox never saw: the platform refuses, nothing is recorded.
    conversation = make_conversation(cast, accounts.x, 1)
    message = conversation.messages.get()
    response = login(cast.officer).post(
        thread_url(conversation, "thread_hide", message.pk), {"reason": "Abusive."}
    )
    assert response.status_code == 400
    html = page(response)
    assert "The platform refused to hide it" in html
    assert "Abusive." in html
    message.refresh_from_db()
    assert not message.hidden
