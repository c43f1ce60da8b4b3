"""Personal API tokens: created on the person's settings page and shown once, stored hashed,
acting in one agency with the person's role there, revoked for good, audited."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, AuditEvent, Membership
from accounts.services import api_token_create, api_token_revoke, membership_remove
from tests.api.conftest import client_for, token_for
from tests.conftest import member_of

PAGE = "/me/api-tokens/"
TOKEN = re.compile(r"beat_[A-Za-z0-9_\-]{40,}")


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def create_on_the_page(browser, name: str = "Scheduler", expires: str = "90") -> str:
    response = browser.post(PAGE, {"name": name, "expires_in_days": expires})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")  # never_cache
    (token,) = set(TOKEN.findall(response.content.decode()))
    return token


def test_a_token_is_shown_once_and_only_its_hash_is_stored(cast, login):
    browser = login(cast.officer)
    token = create_on_the_page(browser)
    row = ApiToken.objects.get(user=cast.officer)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.prefix == token[:12] and row.agency == cast.agency and row.name == "Scheduler"
    # The token itself is in no column of the row, nor in the audit trail.
    stored = [str(getattr(row, f.attname)) for f in ApiToken._meta.concrete_fields]
    assert not any(token in value for value in stored)
    assert not any(token in str(e.data) for e in AuditEvent.objects.all())
    # The page shows it no more.
    again = browser.get(PAGE).content.decode()
    assert token not in again and row.prefix in again
    assert row.expires_at is not None
    assert timedelta(days=89) < row.expires_at - timezone.now() <= timedelta(days=90)


def test_the_token_acts_in_its_agency_with_the_persons_role(cast, login):
    token = create_on_the_page(login(cast.supervisor))
    me = bearer(token).get("/api/v1/me/").json()
    assert me["agency"]["slug"] == cast.agency.slug and me["role"] == "supervisor"
    assert me["token"]["name"] == "Scheduler" and token.startswith(me["token"]["prefix"])
    assert ApiToken.objects.get(user=cast.supervisor).last_used_at is not None


def test_a_token_keeps_the_agency_it_was_created_in(cast, other, login):
    """Created while working in agency A; switching the browser to B does not move it."""
    person = cast.officer
    member_of(person, other.agency, "analyst")
    token = create_on_the_page(login(person, cast.agency))
    browser = login(person, other.agency)
    assert browser.get("/api/v1/me/").json()["agency"]["slug"] == other.agency.slug
    assert bearer(token).get("/api/v1/me/").json()["agency"]["slug"] == cast.agency.slug
    # ...and the page says which agency each token is for.
    assert cast.agency.name in browser.get(PAGE).content.decode()


def test_a_revoked_token_is_refused_with_the_error_shape(cast, login):
    browser = login(cast.officer)
    token = create_on_the_page(browser)
    assert bearer(token).get("/api/v1/me/").status_code == 200
    row = ApiToken.objects.get(user=cast.officer)
    response = browser.post(f"{PAGE}{row.pk}/revoke/")
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None
    refused = bearer(token).get("/api/v1/me/")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Bearer realm="api"'
    assert refused.json() == {
        "error": {
            "code": "authentication_failed",
            "message": "This token is not valid, or was revoked or expired.",
            "fields": {},
        }
    }


def test_creating_and_revoking_are_audited(cast, login):
    browser = login(cast.officer)
    create_on_the_page(browser, name="Reporting")
    row = ApiToken.objects.get(user=cast.officer)
    browser.post(f"{PAGE}{row.pk}/revoke/")
    created = AuditEvent.objects.get(action="accounts.api_token.created")
    revoked = AuditEvent.objects.get(action="accounts.api_token.revoked")
    for event in (created, revoked):
        assert event.actor == cast.officer and event.agency == cast.agency
        assert event.target_type == "accounts.apitoken" and event.target_id == str(row.pk)
        assert event.data["prefix"] == row.prefix and event.data["name"] == "Reporting"
    assert created.data["expires_at"] == row.expires_at.isoformat()


def test_nobody_revokes_someone_elses_token(cast, login):
    row, _token = api_token_create(user=cast.officer, agency=cast.agency, name="Mine")
    response = login(cast.admin).post(f"{PAGE}{row.pk}/revoke/")
    assert response.status_code == 404
    row.refresh_from_db()
    assert row.revoked_at is None
    with pytest.raises(Exception, match="only revoke your own"):
        api_token_revoke(api_token=row, by=cast.admin)


def test_the_page_lists_only_the_persons_own_tokens(cast, login):
    api_token_create(user=cast.supervisor, agency=cast.agency, name="Someone else's")
    api_token_create(user=cast.officer, agency=cast.agency, name="My script")
    page = login(cast.officer).get(PAGE).content.decode()
    assert "My script" in page and "Someone else" not in page


def test_a_token_needs_a_name(cast, login):
    response = login(cast.officer).post(PAGE, {"name": "   ", "expires_in_days": "30"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_an_expired_token_is_refused(cast):
    row, token = api_token_create(
        user=cast.officer, agency=cast.agency, name="Short", expires_in_days=30
    )
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = bearer(token).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_a_token_of_someone_removed_from_the_agency_is_refused(cast):
    token = token_for(cast.officer, cast.agency)
    membership = Membership.objects.get(user=cast.officer, agency=cast.agency)
    membership_remove(membership=membership, by=cast.admin)
    response = bearer(token).get("/api/v1/me/")
    assert response.status_code == 401
    assert "no longer a member" in response.json()["error"]["message"]


def test_a_token_of_a_deactivated_person_is_refused(cast):
    token = token_for(cast.officer, cast.agency)
    cast.officer.is_active = False
    cast.officer.save(update_fields=["is_active"])
    assert bearer(token).get("/api/v1/me/").status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer two parts", "Bearer beat_unknown", "Bearer \xff"],
    ids=["no token", "spaces", "unknown", "not text"],
)
def test_malformed_or_unknown_tokens_are_refused(cast, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_a_token_needs_no_csrf_token(cast):
    client = client_for(cast.officer, cast.agency)
    client.enforce_csrf_checks = True
    response = client.post("/api/v1/posts/preview", {"text": "Hi"}, format="json")
    assert response.status_code == 200


def test_tokens_are_not_managed_through_the_api(cast):
    # A token cannot mint more tokens: the page needs the browser's session.
    response = client_for(cast.officer, cast.agency).post(PAGE, {"name": "x"})
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_there_is_a_limit_on_active_tokens(cast):
    from django.core.exceptions import ValidationError

    for n in range(20):
        api_token_create(user=cast.officer, agency=cast.agency, name=f"t{n}")
    with pytest.raises(ValidationError):
        api_token_create(user=cast.officer, agency=cast.agency, name="one too many")
