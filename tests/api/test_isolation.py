"""Tenant isolation of the REST API, proven route by route.

`test_every_route_has_an_isolation_case` walks the URL resolver under /api/v1/: a new route
fails it until a case is written here. Each case acts as an agency admin of agency B (a role
that may use every route) on agency A's objects and shows that B gets a 404 for each of them,
that B's lists never hold A's rows (not even when filtered by A's ids), and that A's ids given
in a request body are refused like unknown ones. `test_every_object_type_is_covered` checks
that every model the API's serializers expose appears in some case.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

import accounts.api
import campaigns.serializers
import engagement.serializers
import posts.serializers
from accounts.models import Agency, ApiToken, PlatformAccount, User
from campaigns.models import Campaign, ColumnMatch, MonitorColumn, PublicPost, PublicUse
from engagement.models import (
    CannedResponse,
    Conversation,
    ConversationNote,
    Message,
    Reply,
)
from engagement.threads import conversation_note_add, reply_send
from posts.models import Post, PostMedia, PostTarget, Review
from tests.api.conftest import World, client_for, token_for
from tests.api.routes import api_operations


def assert_not_found(response) -> None:
    assert response.status_code == 404, (response.status_code, response.content)
    error = response.json()["error"]
    assert error["code"] == "not_found" and error["fields"] == {}


def assert_refused_field(response, *names: str) -> None:
    assert response.status_code == 400, (response.status_code, response.content)
    assert set(names) <= set(response.json()["error"]["fields"]), response.json()


def listed_ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


class Case:
    """One route's isolation check: `run(b, a, b_world)` with B's admin client."""

    registry: dict[tuple[str, str], Case] = {}

    def __init__(self, name: str, method: str, covers: set[type], run: Callable) -> None:
        self.name, self.method, self.covers, self.run = name, method, covers, run
        Case.registry[(name, method)] = self


def case(name: str, method: str, *covers: type):
    def register(run: Callable) -> Callable:
        Case(name, method, set(covers), run)
        return run

    return register


def url(name: str, **kwargs) -> str:
    return reverse(name, kwargs=kwargs)


# --- posts ---------------------------------------------------------------------------------------


def _a_post_of_every_kind(a: World) -> list[Post]:
    """A's posts in many states, one of them published with a target, media and reviews."""
    published = a.scheduled(at=timezone.now() + timedelta(minutes=30))
    PostTarget.objects.filter(post=published).update(
        status="published", published_at=timezone.now(), external_id="ext-a-1"
    )
    Post.objects.filter(pk=published.pk).update(status="published")
    PostMedia.objects.create(
        agency=a.agency,
        post=published,
        file="media/a.png",
        content_type="image/png",
        size_bytes=10,
        alt_text="A road sign",
    )
    return [a.draft(), a.in_review(), a.approved(), a.scheduled(), published]


@case("posts_api:post-list", "get", Post, Campaign, User)
def _posts_list(b, a: World, bw: World):
    theirs = {p.pk for p in _a_post_of_every_kind(a)}
    ours = bw.draft().pk
    everything = listed_ids(b.get(url("posts_api:post-list"), {"page_size": 200}))
    assert ours in everything and not theirs & everything
    for query in (
        {"campaign": a.campaign.pk},
        {"author": a.cast.officer.pk},
        {"status": "published"},
    ):
        assert not theirs & listed_ids(b.get(url("posts_api:post-list"), query))


@case("posts_api:post-list", "post", Post, PlatformAccount, Campaign)
def _posts_create(b, a: World, bw: World):
    before = Post.objects.filter(agency=a.agency).count()
    response = b.post(
        url("posts_api:post-list"),
        {"body": "Hello", "accounts": [a.x.pk], "campaign": a.campaign.pk},
        format="json",
    )
    assert_refused_field(response, "accounts", "campaign")
    assert Post.objects.filter(agency=a.agency).count() == before


@case("posts_api:post-detail", "get", Post, PostTarget, PostMedia, Review)
def _post_detail(b, a: World, bw: World):
    for post in _a_post_of_every_kind(a):
        assert_not_found(b.get(url("posts_api:post-detail", pk=post.pk)))


@case("posts_api:post-detail", "patch", Post, PlatformAccount, Campaign)
def _post_edit(b, a: World, bw: World):
    post = a.draft()
    assert_not_found(
        b.patch(url("posts_api:post-detail", pk=post.pk), {"body": "Hacked"}, format="json")
    )
    assert Post.objects.get(pk=post.pk).body != "Hacked"
    ours = bw.draft()
    response = b.patch(
        url("posts_api:post-detail", pk=ours.pk),
        {"accounts": [a.x.pk], "campaign": a.campaign.pk},
        format="json",
    )
    assert_refused_field(response, "accounts", "campaign")


def _post_action(name: str, make: str, data: dict):
    def run(b, a: World, bw: World):
        post = getattr(a, make)()
        before = (post.status, post.scheduled_at)
        assert_not_found(b.post(url(name, pk=post.pk), data, format="json"))
        post.refresh_from_db()
        assert (post.status, post.scheduled_at) == before

    return run


for _name, _make, _data in (
    ("posts_api:post-submit", "draft", {}),
    ("posts_api:post-approve", "in_review", {}),
    ("posts_api:post-request-changes", "in_review", {"comment": "No."}),
    ("posts_api:post-reject", "in_review", {"comment": "No."}),
    ("posts_api:post-cancel", "scheduled", {}),
    ("posts_api:post-reschedule", "scheduled", {"at": "2099-01-01T10:00:00Z"}),
):
    Case(_name, "post", {Post}, _post_action(_name, _make, _data))


@case("posts_api:post-schedule", "post", Post, PlatformAccount)
def _post_schedule(b, a: World, bw: World):
    _post_action(
        "posts_api:post-schedule", "approved", {"publish_now": True, "accounts": [bw.x.pk]}
    )(b, a, bw)
    # B's own approved post cannot be sent to A's account.
    ours = bw.approved()
    response = b.post(
        url("posts_api:post-schedule", pk=ours.pk),
        {"publish_now": True, "accounts": [a.x.pk]},
        format="json",
    )
    assert_refused_field(response, "accounts")
    assert not PostTarget.objects.filter(account=a.x).exists()


def _preview(name: str):
    def run(b, a: World, bw: World):
        response = b.post(
            url(name),
            {"text": "Hi", "accounts": [a.x.pk], "campaign": a.campaign.pk},
            format="json",
        )
        assert_refused_field(response, "accounts", "campaign")

    return run


Case("posts_api:preview", "post", {PlatformAccount, Campaign}, _preview("posts_api:preview"))
Case(
    "posts_api:preview_slash",
    "post",
    {PlatformAccount, Campaign},
    _preview("posts_api:preview_slash"),
)


@case("posts_api:calendar", "get", Post)
def _calendar(b, a: World, bw: World):
    theirs = {p.pk for p in _a_post_of_every_kind(a)}
    ours = bw.scheduled().pk
    today = timezone.localdate()
    response = b.get(
        url("posts_api:calendar"),
        {"start": (today - timedelta(days=1)).isoformat(), "days": 3, "closed": "true"},
    )
    shown = {entry["post"]["id"] for entry in response.json()["entries"]}
    assert ours in shown and not theirs & shown


# --- inbox ---------------------------------------------------------------------------------------


def _a_busy_conversation(a: World) -> Conversation:
    """A's conversation with an assignee, a label, a note and a reply."""
    conversation = a.conversation()
    Conversation.objects.filter(pk=conversation.pk).update(
        assignee=a.cast.officer, labels=["roads"], our_post=a.draft()
    )
    conversation_note_add(conversation=conversation, text="Private note", by=a.cast.officer)
    reply_send(conversation=conversation, text="We are looking.", by=a.cast.supervisor)
    return conversation


@case("engagement_api:conversation-list", "get", Conversation, PlatformAccount, User, Campaign)
def _conversations(b, a: World, bw: World):
    theirs = _a_busy_conversation(a)
    ours = bw.conversation().pk
    assert listed_ids(b.get(url("engagement_api:conversation-list"))) == {ours}
    conversation = Conversation.objects.get(pk=theirs.pk)
    for query in (
        {"account": a.x.pk},
        {"assignee": a.cast.officer.pk},
        {"campaign": a.campaign.pk},
        {"post": conversation.our_post_id},
        {"status": "open", "order": "priority"},
    ):
        assert theirs.pk not in listed_ids(b.get(url("engagement_api:conversation-list"), query))


@case("engagement_api:conversation-detail", "get", Conversation, Message, Reply, ConversationNote)
def _conversation_detail(b, a: World, bw: World):
    assert_not_found(
        b.get(url("engagement_api:conversation-detail", pk=_a_busy_conversation(a).pk))
    )


def _conversation_action(name: str, data: Callable[[World, World], dict]):
    def run(b, a: World, bw: World):
        conversation = _a_busy_conversation(a)
        before = Conversation.objects.filter(pk=conversation.pk).values().get()
        notes = ConversationNote.objects.filter(conversation=conversation).count()
        replies = Reply.objects.filter(conversation=conversation).count()
        assert_not_found(b.post(url(name, pk=conversation.pk), data(a, bw), format="json"))
        assert Conversation.objects.filter(pk=conversation.pk).values().get() == before
        assert ConversationNote.objects.filter(conversation=conversation).count() == notes
        assert Reply.objects.filter(conversation=conversation).count() == replies

    return run


Case(
    "engagement_api:conversation-status",
    "post",
    {Conversation},
    _conversation_action(
        "engagement_api:conversation-status", lambda a, bw: {"status": "resolved"}
    ),
)
Case(
    "engagement_api:conversation-labels",
    "post",
    {Conversation},
    _conversation_action("engagement_api:conversation-labels", lambda a, bw: {"labels": []}),
)
Case(
    "engagement_api:conversation-notes",
    "post",
    {Conversation, ConversationNote},
    _conversation_action("engagement_api:conversation-notes", lambda a, bw: {"text": "Hi"}),
)


@case("engagement_api:conversation-assign", "post", Conversation, User)
def _assign(b, a: World, bw: World):
    _conversation_action("engagement_api:conversation-assign", lambda a, bw: {"assignee": None})(
        b, a, bw
    )
    # A's people cannot be given B's conversation.
    ours = bw.conversation()
    response = b.post(
        url("engagement_api:conversation-assign", pk=ours.pk),
        {"assignee": a.cast.officer.pk},
        format="json",
    )
    assert_refused_field(response, "assignee")


@case("engagement_api:conversation-reply", "post", Conversation, Message, CannedResponse, Reply)
def _reply(b, a: World, bw: World):
    _conversation_action(
        "engagement_api:conversation-reply",
        lambda a, bw: {"text": "Hello", "canned_response": bw.canned.pk},
    )(b, a, bw)
    # B's conversation cannot answer A's message or use A's canned response.
    theirs = a.conversation()
    ours = bw.conversation()
    response = b.post(
        url("engagement_api:conversation-reply", pk=ours.pk),
        {"text": "Hi", "in_reply_to": a.message(theirs).pk, "canned_response": a.canned.pk},
        format="json",
    )
    assert_refused_field(response, "in_reply_to", "canned_response")
    assert not Reply.objects.filter(conversation=ours).exists()


@case("engagement_api:conversation-hide", "post", Conversation, Message)
def _hide(b, a: World, bw: World):
    theirs = a.conversation()
    message = a.message(theirs)
    ours = bw.conversation()
    for pk, message_id in ((theirs.pk, message.pk), (ours.pk, message.pk)):
        response = b.post(
            url("engagement_api:conversation-hide", pk=pk, message_id=message_id),
            {"reason": "Abuse"},
            format="json",
        )
        assert_not_found(response)
    message.refresh_from_db()
    assert not message.hidden


@case("engagement_api:canned_responses", "get", CannedResponse)
def _canned(b, a: World, bw: World):
    assert listed_ids(b.get(url("engagement_api:canned_responses"))) == {bw.canned.pk}


@case("engagement_api:inbox_people", "get", User)
def _people(b, a: World, bw: World):
    people = listed_ids(b.get(url("engagement_api:inbox_people")))
    desk = {bw.cast.officer.pk, bw.cast.supervisor.pk, bw.cast.admin.pk}
    assert people == desk
    assert not people & {a.cast.officer.pk, a.cast.supervisor.pk, a.cast.admin.pk}


# --- accounts ------------------------------------------------------------------------------------


@case("accounts_api:me", "get", User, Agency, ApiToken)
def _me(b, a: World, bw: World):
    theirs = token_for(a.cast.admin, a.agency)
    data = b.get(url("accounts_api:me")).json()
    assert data["agency"]["id"] == bw.agency.pk and data["id"] == bw.cast.admin.pk
    assert data["token"]["prefix"] != theirs[:12]
    assert ApiToken.objects.get(prefix=data["token"]["prefix"]).agency == bw.agency


@case("accounts_api:platform_account-list", "get", PlatformAccount)
def _accounts(b, a: World, bw: World):
    listed = listed_ids(b.get(url("accounts_api:platform_account-list")))
    assert listed == {bw.x.pk, bw.fb.pk}
    assert listed_ids(b.get(url("accounts_api:platform_account-list"), {"platform": "x"})) == {
        bw.x.pk
    }


@case("accounts_api:platform_account-detail", "get", PlatformAccount)
def _account(b, a: World, bw: World):
    for account in (a.x, a.fb):
        assert_not_found(b.get(url("accounts_api:platform_account-detail", pk=account.pk)))


# --- campaigns and the monitoring board ---------------------------------------------------------


@case("campaigns_api:campaign-list", "get", Campaign, PlatformAccount, User)
def _campaigns(b, a: World, bw: World):
    a.public_post()
    Campaign.objects.filter(pk=a.campaign.pk).update(owner=a.cast.supervisor)
    a.campaign.target_accounts.set([a.x])
    for query in ({}, {"active": "true"}, {"running_on": timezone.localdate().isoformat()}):
        response = b.get(url("campaigns_api:campaign-list"), query)
        assert listed_ids(response) == {bw.campaign.pk}
        row = response.json()["results"][0]
        assert row["figures"]["public_uses"] == 0 and row["target_accounts"] == []


@case("campaigns_api:campaign-list", "post", Campaign, PlatformAccount, User)
def _campaign_create(b, a: World, bw: World):
    today = timezone.localdate().isoformat()
    response = b.post(
        url("campaigns_api:campaign-list"),
        {
            "name": "Borrowed",
            "hashtags": "#DriveSafe",
            "starts_on": today,
            "ends_on": today,
            "goal_kind": "reach",
            "goal_target": 10,
            "target_accounts": [a.x.pk],
            "owner": a.cast.supervisor.pk,
        },
        format="json",
    )
    assert_refused_field(response, "target_accounts", "owner")
    assert not Campaign.objects.filter(name="Borrowed").exists()


@case("campaigns_api:campaign-detail", "get", Campaign, PublicUse, PublicPost)
def _campaign_detail(b, a: World, bw: World):
    a.public_post()
    assert_not_found(b.get(url("campaigns_api:campaign-detail", pk=a.campaign.pk)))


@case("campaigns_api:campaign-detail", "patch", Campaign, PlatformAccount, User)
def _campaign_edit(b, a: World, bw: World):
    assert_not_found(
        b.patch(
            url("campaigns_api:campaign-detail", pk=a.campaign.pk),
            {"name": "Hacked"},
            format="json",
        )
    )
    assert Campaign.objects.get(pk=a.campaign.pk).name != "Hacked"
    response = b.patch(
        url("campaigns_api:campaign-detail", pk=bw.campaign.pk),
        {"target_accounts": [a.x.pk], "owner": a.cast.admin.pk},
        format="json",
    )
    assert_refused_field(response, "target_accounts", "owner")


@case("campaigns_api:campaign-detail", "delete", Campaign)
def _campaign_delete(b, a: World, bw: World):
    assert_not_found(b.delete(url("campaigns_api:campaign-detail", pk=a.campaign.pk)))
    assert Campaign.objects.filter(pk=a.campaign.pk).exists()


@case("campaigns_api:campaign-uses", "get", Campaign, PublicUse, PublicPost)
def _campaign_uses(b, a: World, bw: World):
    a.public_post()
    ours = bw.public_post()
    assert_not_found(b.get(url("campaigns_api:campaign-uses", pk=a.campaign.pk)))
    response = b.get(url("campaigns_api:campaign-uses", pk=bw.campaign.pk))
    assert [row["public_post"]["id"] for row in response.json()["results"]] == [ours.pk]


@case("campaigns_api:column-list", "get", MonitorColumn, PlatformAccount)
def _columns(b, a: World, bw: World):
    a.column()
    ours = bw.column()
    assert listed_ids(b.get(url("campaigns_api:column-list"))) == {ours.pk}


@case("campaigns_api:column-list", "post", MonitorColumn, PlatformAccount)
def _column_create(b, a: World, bw: World):
    response = b.post(
        url("campaigns_api:column-list"),
        {"query": "#Borrowed", "accounts": [a.x.pk]},
        format="json",
    )
    assert_refused_field(response, "accounts")
    assert not MonitorColumn.objects.filter(query="#Borrowed").exists()


@case("campaigns_api:column-detail", "delete", MonitorColumn)
def _column_delete(b, a: World, bw: World):
    theirs = a.column()
    assert_not_found(b.delete(url("campaigns_api:column-detail", pk=theirs.pk)))
    assert MonitorColumn.objects.filter(pk=theirs.pk).exists()


@case("campaigns_api:column-matches", "get", MonitorColumn, ColumnMatch, PublicPost)
def _column_matches(b, a: World, bw: World):
    theirs = a.column()
    a.public_post(theirs)
    assert_not_found(b.get(url("campaigns_api:column-matches", pk=theirs.pk)))


# --- dashboards ----------------------------------------------------------------------------------


def _dashboard(name: str, shown: Callable[[dict], set[int]] | None = None, kind: str = ""):
    """A's account in the filter is a field error; B's figures never name A's accounts (or
    campaigns, with kind="campaigns")."""

    def run(b, a: World, bw: World):
        assert_refused_field(b.get(url(name), {"account": a.x.pk}), "account")
        if shown is not None:
            response = b.get(url(name))
            assert response.status_code == 200, response.content
            ids = shown(response.json())
            theirs = {a.campaign.pk} if kind == "campaigns" else {a.x.pk, a.fb.pk}
            ours = {bw.campaign.pk} if kind == "campaigns" else {bw.x.pk, bw.fb.pk}
            assert ids == ours and not ids & theirs, ids

    return run


def _accounts_of(key: str) -> Callable[[dict], set[int]]:
    return lambda data: {line["account_id"] for line in data[key]}


for _name, _covers, _shown, _kind in (
    ("engagement_api:dashboard_overview", {PlatformAccount}, _accounts_of("accounts"), ""),
    ("engagement_api:dashboard_styles", {PlatformAccount}, None, ""),
    ("engagement_api:dashboard_inbox", {PlatformAccount}, None, ""),
    (
        "engagement_api:dashboard_campaigns",
        {PlatformAccount, Campaign},
        lambda data: {line["campaign_id"] for line in data["lines"]},
        "campaigns",
    ),
    ("engagement_api:dashboard_audience", {PlatformAccount}, _accounts_of("lines"), ""),
):
    Case(_name, "get", _covers, _dashboard(_name, _shown, _kind))


@case("engagement_api:dashboard_account", "get", PlatformAccount)
def _dashboard_account(b, a: World, bw: World):
    for account in (a.x, a.fb):
        assert_not_found(b.get(url("engagement_api:dashboard_account", pk=account.pk)))


@case("engagement_api:dashboard_post", "get", Post)
def _dashboard_post(b, a: World, bw: World):
    for post in _a_post_of_every_kind(a):
        assert_not_found(b.get(url("engagement_api:dashboard_post", pk=post.pk)))


# --- The checks ----------------------------------------------------------------------------------


def test_every_route_has_an_isolation_case():
    missing = api_operations() - set(Case.registry)
    assert not missing, f"API routes without an isolation case: {sorted(missing)}"
    assert not set(Case.registry) - api_operations(), "isolation cases for missing routes"


def _exposed_models() -> set[type]:
    """Every model a serializer of the API presents (found in the API's modules)."""
    models = set()
    for module in (posts.serializers, engagement.serializers, accounts.api, campaigns.serializers):
        for _name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, serializers.ModelSerializer) and obj.__module__ == module.__name__:
                models.add(obj.Meta.model)
    return models


def test_every_object_type_is_covered():
    covered = set().union(*(c.covers for c in Case.registry.values()))
    exposed = _exposed_models() | {Campaign}  # campaigns are given by id in requests
    assert exposed - covered == set(), "object types no isolation case covers"


@pytest.mark.parametrize(
    "key", sorted(Case.registry), ids=[f"{m} {n}" for n, m in sorted(Case.registry)]
)
def test_agency_b_never_reaches_agency_a(key, world, other_world):
    b = client_for(other_world.cast.admin, other_world.agency)
    Case.registry[key].run(b, world, other_world)


def test_the_browser_session_is_scoped_to_the_chosen_agency_too(world, other_world, login):
    """The same person in both agencies sees only the agency chosen in the switcher."""
    from tests.conftest import member_of

    person = other_world.cast.admin
    member_of(person, world.agency, "officer")
    theirs = world.draft()
    browser = login(person, other_world.agency)
    assert_not_found(browser.get(f"/api/v1/posts/{theirs.pk}/"))
    browser = login(person, world.agency)
    assert browser.get(f"/api/v1/posts/{theirs.pk}/").status_code == 200
