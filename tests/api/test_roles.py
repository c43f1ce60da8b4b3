"""Who may do what through the API: one case per operation and role, checked against the table
below, against accounts/roles.py, and against the HTML page that offers the same thing.

"Refused" means 403 in the error shape. "Allowed" means the role gets past the role check: the
answer is the action's (200/201/204) or a refusal of the request or of the object's state (400,
409), never 403.
"""

from __future__ import annotations

import pytest

from accounts.models import Role
from accounts.roles import SECTION_ROLES
from tests.api.conftest import client_for
from tests.api.routes import BY_KEY, OPERATIONS, api_operations

OF, S, A, AD = Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.ADMIN
EVERYONE = {OF, S, A, AD}
DESK = {OF, S, AD}  # drafting and the inbox: not analysts
REVIEWERS = {S, AD}
MANAGERS = {S, AD}  # campaigns.services.MANAGER_ROLES
ON_DUTY = {OF, S, AD}  # campaigns.services.MONITOR_ROLES
READERS = {A, S, AD}  # the dashboards

# Who may use each operation (the table a reader checks); it must equal the roles of the
# section in accounts/roles.py that the matching HTML page is guarded by.
WHO_MAY = {
    ("posts_api:preview", "post"): DESK,
    ("posts_api:preview_slash", "post"): DESK,
    ("posts_api:calendar", "get"): EVERYONE,
    ("posts_api:post-list", "get"): DESK,
    ("posts_api:post-list", "post"): DESK,
    ("posts_api:post-detail", "get"): EVERYONE,
    ("posts_api:post-detail", "patch"): DESK,
    ("posts_api:post-submit", "post"): DESK,
    ("posts_api:post-approve", "post"): REVIEWERS,
    ("posts_api:post-request-changes", "post"): REVIEWERS,
    ("posts_api:post-reject", "post"): REVIEWERS,
    ("posts_api:post-schedule", "post"): DESK,
    ("posts_api:post-cancel", "post"): DESK,
    ("posts_api:post-reschedule", "post"): DESK,
    ("engagement_api:conversation-list", "get"): DESK,
    ("engagement_api:conversation-detail", "get"): DESK,
    ("engagement_api:conversation-assign", "post"): DESK,
    ("engagement_api:conversation-status", "post"): DESK,
    ("engagement_api:conversation-labels", "post"): DESK,
    ("engagement_api:conversation-notes", "post"): DESK,
    ("engagement_api:conversation-reply", "post"): DESK,
    ("engagement_api:conversation-hide", "post"): DESK,
    ("engagement_api:canned_responses", "get"): DESK,
    ("engagement_api:inbox_people", "get"): DESK,
    ("accounts_api:me", "get"): EVERYONE,
    ("accounts_api:platform_account-list", "get"): EVERYONE,
    ("accounts_api:platform_account-detail", "get"): EVERYONE,
    ("campaigns_api:campaign-list", "get"): EVERYONE,
    ("campaigns_api:campaign-list", "post"): MANAGERS,
    ("campaigns_api:campaign-detail", "get"): EVERYONE,
    ("campaigns_api:campaign-detail", "patch"): MANAGERS,
    ("campaigns_api:campaign-detail", "delete"): MANAGERS,
    ("campaigns_api:campaign-uses", "get"): EVERYONE,
    ("campaigns_api:column-list", "get"): EVERYONE,
    ("campaigns_api:column-list", "post"): ON_DUTY,
    ("campaigns_api:column-detail", "delete"): ON_DUTY,
    ("campaigns_api:column-matches", "get"): EVERYONE,
    ("engagement_api:dashboard_overview", "get"): READERS,
    ("engagement_api:dashboard_account", "get"): READERS,
    ("engagement_api:dashboard_post", "get"): READERS,
    ("engagement_api:dashboard_styles", "get"): READERS,
    ("engagement_api:dashboard_inbox", "get"): READERS,
    ("engagement_api:dashboard_campaigns", "get"): READERS,
    ("engagement_api:dashboard_audience", "get"): READERS,
}


def test_every_api_operation_has_a_row_in_the_table():
    operations = api_operations()
    assert operations - set(WHO_MAY) == set(), "operations without a row in WHO_MAY"
    assert set(WHO_MAY) - operations == set(), "rows for operations that do not exist"
    assert operations == set(BY_KEY), "operations without a request in tests/api/routes.py"


@pytest.mark.parametrize("key", sorted(WHO_MAY), ids="{0[1]} {0[0]}".format)
def test_the_table_is_the_sections_roles(key):
    operation = BY_KEY[key]
    assert WHO_MAY[key] == operation.allowed_roles
    assert operation.allowed_roles <= set(SECTION_ROLES[operation.section])


CASES = [(op, role) for op in OPERATIONS for role in (OF, S, A, AD)]


@pytest.mark.parametrize(
    ("operation", "role"), CASES, ids=[f"{op.method} {op.name} as {role}" for op, role in CASES]
)
def test_who_may_use_each_operation(operation, role, world, login):
    allowed = role in WHO_MAY[(operation.name, operation.method)]
    caller = world.cast.by_role(role)
    call = operation.build(world, caller)
    client = client_for(caller, world.agency)
    url = operation.url(call)
    if operation.method == "get":
        response = client.get(url, call.data)
    else:
        response = getattr(client, operation.method)(url, call.data, format="json")
    if allowed:
        assert response.status_code in (200, 201, 204, 400, 409), response.content
        if response.status_code >= 400:
            assert response.json()["error"]["code"] in ("invalid", "refused")
    else:
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "permission_denied"

    if operation.html is not None:
        # The HTML page that offers the same thing lets in exactly the same roles.
        page = operation.html.url(world, call)
        browser = login(caller, world.agency)
        answer = browser.get(page) if operation.html.method == "get" else browser.post(page)
        assert (answer.status_code == 403) is (not allowed), (page, answer.status_code)


def test_the_services_still_check_roles_behind_the_api(world):
    """An officer may use the inbox but not hand work to a colleague: the service's refusal
    comes back as a 403 in the error shape."""
    conversation = world.conversation()
    response = client_for(world.cast.officer, world.agency).post(
        f"/api/v1/inbox/conversations/{conversation.pk}/assign/",
        {"assignee": world.cast.supervisor.pk},
        format="json",
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "permission_denied"
    assert "ask a supervisor" in error["message"]


def test_nobody_approves_their_own_post(world):
    post = world.draft(author=world.cast.supervisor)
    client = client_for(world.cast.supervisor, world.agency)
    client.post(f"/api/v1/posts/{post.pk}/submit/", {}, format="json")
    response = client.post(f"/api/v1/posts/{post.pk}/approve/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "refused"
    assert "own post" in response.json()["error"]["message"]


def test_a_changed_role_applies_to_the_token_at_once(world):
    from accounts.models import Membership

    client = client_for(world.cast.officer, world.agency)
    assert client.get("/api/v1/posts/").status_code == 200
    Membership.objects.filter(user=world.cast.officer, agency=world.agency).update(role=A)
    assert client.get("/api/v1/posts/").status_code == 403
