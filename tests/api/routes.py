"""Every operation of the REST API under /api/v1/, as found in the URL resolver, and for each
one a request that a given person of a given agency may make (used by the role table and the
tenant-isolation tests).

`api_operations()` reads the resolver, so a new route shows up by itself; the tests fail until
it has its entry in OPERATIONS (here) and its isolation case (test_isolation.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import SECTION_ROLES
from campaigns.services import MANAGER_ROLES, MONITOR_ROLES
from tests.api.conftest import World

API_PREFIX = "api/v1/"
METHODS = ("get", "post", "put", "patch", "delete")


def api_operations() -> set[tuple[str, str]]:
    """(URL name, HTTP method) of every operation under /api/v1/ in the URL resolver."""
    found: set[tuple[str, str]] = set()
    for pattern, name, callback in _walk(get_resolver().url_patterns):
        if not pattern.startswith(API_PREFIX):
            continue
        actions = getattr(callback, "actions", None)
        if actions is not None:  # a viewset route: its method -> action map
            methods = set(actions) - {"head"}  # HEAD is GET without the body
        else:
            view_class = callback.view_class
            methods = {m for m in METHODS if hasattr(view_class, m)}
        found |= {(name, method) for method in methods}
    return found


def _walk(patterns, prefix: str = "", namespace: str | None = None) -> Iterator[tuple]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace) if n) or None
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield prefix + str(entry.pattern).lstrip("^"), name, entry.callback


@dataclass
class Call:
    """A request: URL kwargs, and the JSON body (or the query for a GET)."""

    kwargs: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Html:
    """The HTML page that offers the same thing, for comparing who may use it."""

    method: str
    url: Callable[[World, Call], str]


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    # The section of accounts/roles.py whose roles may use it (as the HTML page's).
    section: str
    build: Callable[[World, User], Call]
    html: Html | None = None
    # Where the service narrows the section's roles (campaigns.services.MANAGER_ROLES, ...),
    # as the HTML page does: the roles that may use it.
    roles: frozenset[str] | None = None

    @property
    def allowed_roles(self) -> set[str]:
        return set(self.roles if self.roles is not None else SECTION_ROLES[self.section])

    def url(self, call: Call) -> str:
        return reverse(self.name, kwargs=call.kwargs)


def _later(hours: int = 3) -> str:
    return (timezone.now() + timedelta(hours=hours)).isoformat()


def _post(make: str, data: dict | None = None) -> Callable[[World, User], Call]:
    def build(world: World, caller: User) -> Call:
        return Call(kwargs={"pk": getattr(world, make)().pk}, data=dict(data or {}))

    return build


def _conversation(data: Callable[[World, User], dict] | dict | None = None):
    def build(world: World, caller: User) -> Call:
        body = data(world, caller) if callable(data) else dict(data or {})
        return Call(kwargs={"pk": world.conversation().pk}, data=body)

    return build


def _hide(world: World, caller: User) -> Call:
    conversation = world.conversation()
    return Call(
        kwargs={"pk": conversation.pk, "message_id": world.message(conversation).pk},
        data={"reason": "Abusive language."},
    )


def _campaign_data(world: World, caller: User) -> dict:
    today = timezone.localdate()
    return {
        "name": "Slow down near schools",
        "hashtags": "#SlowDown #DriveSafe",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=30)).isoformat(),
        "target_accounts": [world.x.pk],
        "goal_kind": "public_uses",
        "goal_target": 100,
    }


def _campaign(data: dict | None = None, *, new: bool = False):
    def build(world: World, caller: User) -> Call:
        campaign = world.new_campaign() if new else world.campaign
        return Call(kwargs={"pk": campaign.pk}, data=dict(data or {}))

    return build


def _column(world: World, caller: User) -> Call:
    column = world.column()
    world.public_post(column)
    return Call(kwargs={"pk": column.pk})


def _page(path: str) -> Callable[[World, Call], str]:
    return lambda world, call: path.format(**call.kwargs)


OPERATIONS: list[Operation] = [
    # --- posts -----------------------------------------------------------------------------
    Operation(
        "posts_api:preview",
        "post",
        "drafts",
        lambda w, u: Call(data={"text": "Road closed.", "accounts": [w.x.pk]}),
        Html("get", _page("/posts/new/")),
    ),
    Operation(
        "posts_api:preview_slash",
        "post",
        "drafts",
        lambda w, u: Call(data={"text": "Road closed.", "accounts": [w.x.pk]}),
        Html("get", _page("/posts/new/")),
    ),
    Operation(
        "posts_api:calendar",
        "get",
        "calendar",
        lambda w, u: Call(data={"days": 7}),
        Html("get", _page("/posts/calendar/week/")),
    ),
    Operation(
        "posts_api:post-list",
        "get",
        "drafts",
        lambda w, u: Call(data={"status": "draft"}),
        Html("get", _page("/posts/")),
    ),
    Operation(
        "posts_api:post-list",
        "post",
        "drafts",
        lambda w, u: Call(data={"body": "Roadworks on the A1 tonight.", "accounts": [w.x.pk]}),
        Html("get", _page("/posts/new/")),
    ),
    Operation(
        "posts_api:post-detail",
        "get",
        "calendar",
        _post("draft"),
        Html("get", _page("/posts/{pk}/")),
    ),
    Operation(
        "posts_api:post-detail",
        "patch",
        "drafts",
        _post("draft", {"body": "Coffee with a cop, moved to the town hall."}),
        Html("get", _page("/posts/{pk}/edit/")),
    ),
    Operation(
        "posts_api:post-submit",
        "post",
        "drafts",
        _post("draft"),
        Html("post", _page("/posts/{pk}/submit/")),
    ),
    Operation(
        "posts_api:post-approve",
        "post",
        "approvals",
        _post("in_review", {"comment": "Good."}),
        Html("get", _page("/posts/{pk}/review/")),
    ),
    Operation(
        "posts_api:post-request-changes",
        "post",
        "approvals",
        _post("in_review", {"comment": "Say which library."}),
        Html("post", _page("/posts/{pk}/request-changes/")),
    ),
    Operation(
        "posts_api:post-reject",
        "post",
        "approvals",
        _post("in_review", {"comment": "Not for us."}),
        Html("post", _page("/posts/{pk}/reject/")),
    ),
    Operation(
        "posts_api:post-schedule",
        "post",
        "drafts",
        lambda w, u: Call(
            kwargs={"pk": w.approved().pk}, data={"at": _later(), "accounts": [w.x.pk]}
        ),
        Html("post", _page("/posts/{pk}/schedule/")),
    ),
    Operation(
        "posts_api:post-cancel",
        "post",
        "drafts",
        _post("scheduled", {"reason": "Event called off."}),
        Html("get", _page("/posts/{pk}/cancel/")),
    ),
    Operation(
        "posts_api:post-reschedule",
        "post",
        "drafts",
        lambda w, u: Call(kwargs={"pk": w.scheduled().pk}, data={"at": _later(5)}),
        Html("get", _page("/posts/calendar/reschedule/{pk}/")),
    ),
    # --- inbox -----------------------------------------------------------------------------
    Operation(
        "engagement_api:conversation-list",
        "get",
        "inbox",
        lambda w, u: Call(data={"status": "open"}),
        Html("get", _page("/inbox/")),
    ),
    Operation(
        "engagement_api:conversation-detail",
        "get",
        "inbox",
        _conversation(),
        Html("get", _page("/inbox/{pk}/")),
    ),
    Operation(
        "engagement_api:conversation-assign",
        "post",
        "inbox",
        _conversation(lambda w, u: {"assignee": u.pk}),
        Html("post", _page("/inbox/{pk}/assign/")),
    ),
    Operation(
        "engagement_api:conversation-status",
        "post",
        "inbox",
        _conversation({"status": "resolved"}),
        Html("post", _page("/inbox/{pk}/status/")),
    ),
    Operation(
        "engagement_api:conversation-labels",
        "post",
        "inbox",
        _conversation({"labels": ["roads"]}),
        Html("post", _page("/inbox/{pk}/labels/")),
    ),
    Operation(
        "engagement_api:conversation-notes",
        "post",
        "inbox",
        _conversation({"text": "Passed to the roads team."}),
        Html("post", _page("/inbox/{pk}/notes/")),
    ),
    Operation(
        "engagement_api:conversation-reply",
        "post",
        "inbox",
        _conversation({"text": "The road is open again."}),
        Html("post", _page("/inbox/{pk}/reply/")),
    ),
    Operation(
        "engagement_api:conversation-hide",
        "post",
        "inbox",
        _hide,
        Html("get", _page("/inbox/{pk}/messages/{message_id}/hide/")),
    ),
    Operation(
        "engagement_api:canned_responses",
        "get",
        "inbox",
        lambda w, u: Call(),
        # The thread page is where canned responses are offered.
        Html("get", lambda w, c: f"/inbox/{w.conversation().pk}/"),
    ),
    Operation(
        "engagement_api:inbox_people",
        "get",
        "inbox",
        lambda w, u: Call(),
        # The thread page's "Assign to" list.
        Html("get", lambda w, c: f"/inbox/{w.conversation().pk}/"),
    ),
    # --- accounts --------------------------------------------------------------------------
    # Every member may read who they are and the agency's accounts (no HTML page of its own:
    # the editor, the inbox filters and the dashboards show accounts to each of their roles).
    Operation(
        "accounts_api:me", "get", "calendar", lambda w, u: Call(), Html("get", _page("/me/"))
    ),
    Operation("accounts_api:platform_account-list", "get", "calendar", lambda w, u: Call()),
    Operation(
        "accounts_api:platform_account-detail",
        "get",
        "calendar",
        lambda w, u: Call(kwargs={"pk": w.x.pk}),
    ),
]

OPERATIONS += [
    # --- campaigns and the monitoring board ------------------------------------------------
    Operation(
        "campaigns_api:campaign-list",
        "get",
        "campaigns",
        lambda w, u: Call(data={"active": "true"}),
        Html("get", _page("/campaigns/")),
    ),
    Operation(
        "campaigns_api:campaign-list",
        "post",
        "campaigns",
        lambda w, u: Call(data=_campaign_data(w, u)),
        Html("get", _page("/campaigns/new/")),
        roles=MANAGER_ROLES,
    ),
    Operation(
        "campaigns_api:campaign-detail",
        "get",
        "campaigns",
        _campaign(),
        Html("get", _page("/campaigns/{pk}/")),
    ),
    Operation(
        "campaigns_api:campaign-detail",
        "patch",
        "campaigns",
        _campaign({"name": "Road safety week", "goal_target": 500}),
        Html("get", _page("/campaigns/{pk}/edit/")),
        roles=MANAGER_ROLES,
    ),
    Operation(
        "campaigns_api:campaign-detail",
        "delete",
        "campaigns",
        _campaign(new=True),
        # The page asks first; it is gone by the time the browser asks.
        Html("get", lambda w, c: f"/campaigns/{w.new_campaign().pk}/delete/"),
        roles=MANAGER_ROLES,
    ),
    Operation(
        "campaigns_api:campaign-uses",
        "get",
        "campaigns",
        lambda w, u: Call(kwargs={"pk": w.campaign.pk}, data={"page_size": 10}),
        Html("get", _page("/campaigns/{pk}/")),
    ),
    Operation(
        "campaigns_api:column-list",
        "get",
        "campaigns",
        lambda w, u: Call(),
        Html("get", _page("/campaigns/monitor/")),
    ),
    Operation(
        "campaigns_api:column-list",
        "post",
        "campaigns",
        lambda w, u: Call(data={"query": "road closed", "accounts": [w.x.pk]}),
        Html("post", _page("/campaigns/monitor/")),
        roles=MONITOR_ROLES,
    ),
    Operation(
        "campaigns_api:column-detail",
        "delete",
        "campaigns",
        _column,
        Html("post", lambda w, c: f"/campaigns/monitor/{w.column().pk}/remove/"),
        roles=MONITOR_ROLES,
    ),
    Operation(
        "campaigns_api:column-matches",
        "get",
        "campaigns",
        _column,
        Html("get", _page("/campaigns/monitor/{pk}/")),
    ),
    # --- dashboards (read only) ------------------------------------------------------------
    Operation(
        "engagement_api:dashboard_overview",
        "get",
        "dashboards",
        lambda w, u: Call(data={"platform": "x"}),
        Html("get", _page("/dashboards/")),
    ),
    Operation(
        "engagement_api:dashboard_account",
        "get",
        "dashboards",
        lambda w, u: Call(kwargs={"pk": w.x.pk}),
        Html("get", _page("/dashboards/accounts/{pk}/")),
    ),
    Operation(
        "engagement_api:dashboard_post",
        "get",
        "dashboards",
        lambda w, u: Call(kwargs={"pk": w.draft().pk}),
        Html("get", _page("/dashboards/posts/{pk}/")),
    ),
    Operation(
        "engagement_api:dashboard_styles",
        "get",
        "dashboards",
        lambda w, u: Call(data={"style": "narrative"}),
        Html("get", _page("/dashboards/styles/")),
    ),
    Operation(
        "engagement_api:dashboard_inbox",
        "get",
        "dashboards",
        lambda w, u: Call(data={"account": w.x.pk}),
        Html("get", _page("/dashboards/inbox/")),
    ),
    Operation(
        "engagement_api:dashboard_campaigns",
        "get",
        "dashboards",
        lambda w, u: Call(),
        Html("get", _page("/dashboards/campaigns/")),
    ),
    Operation(
        "engagement_api:dashboard_audience",
        "get",
        "dashboards",
        lambda w, u: Call(),
        Html("get", _page("/dashboards/audience/")),
    ),
]

BY_KEY = {(op.name, op.method): op for op in OPERATIONS}
