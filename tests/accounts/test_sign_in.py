"""Sign-in, lockout after 5 failures and unlock by an agency admin, sessions, passwords."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.services import account_unlock
from tests.factories import TEST_PASSWORD

LOGIN = reverse("accounts:login")


def sign_in(client, email, password):
    return client.post(LOGIN, {"username": email, "password": password})


def test_sign_in_with_the_right_password_and_sign_out(client, cast):
    response = sign_in(client, cast.officer.email, TEST_PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("posts:drafts")).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("posts:drafts")).status_code == 302


def test_e_mail_is_case_insensitive_at_sign_in(client, cast):
    assert sign_in(client, cast.officer.email.upper(), TEST_PASSWORD).status_code == 302


def test_wrong_password_gets_a_clear_message(client, cast):
    response = sign_in(client, cast.officer.email, "not-the-password")
    assert response.status_code == 200
    assert "do not match" in response.content.decode()
    assert AuditEvent.objects.filter(action="accounts.user.sign_in_failed").count() == 1


def test_account_locks_after_five_failures_even_for_the_right_password(client, cast):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, cast.officer.email, "wrong-password-1234")
    response = sign_in(client, cast.officer.email, TEST_PASSWORD)
    assert response.status_code == 429
    assert "This account is locked" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_counts_by_username_not_by_capitalisation(client, cast):
    for i in range(settings.AXES_FAILURE_LIMIT):
        email = cast.officer.email.upper() if i % 2 else cast.officer.email
        sign_in(client, email, "wrong-password-1234")
    assert sign_in(client, cast.officer.email, TEST_PASSWORD).status_code == 429


def test_four_failures_do_not_lock(client, cast):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, cast.officer.email, "wrong-password-1234")
    assert sign_in(client, cast.officer.email, TEST_PASSWORD).status_code == 302


def test_lockout_of_one_person_does_not_lock_another(client, cast):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, cast.officer.email, "wrong-password-1234")
    assert sign_in(client, cast.analyst.email, TEST_PASSWORD).status_code == 302


def test_admin_sees_the_lock_and_unlocks_in_the_app(client, cast, login):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, cast.officer.email, "wrong-password-1234")
    admin = login(cast.admin)
    members_page = admin.get(reverse("accounts:members")).content.decode()
    assert "Locked" in members_page
    membership = cast.officer.memberships.get()
    response = admin.post(reverse("accounts:member_unlock", args=[membership.pk]), follow=True)
    assert f"{cast.officer.email} can sign in again." in response.content.decode()
    event = AuditEvent.objects.get(action="accounts.user.unlocked")
    assert event.actor == cast.admin and event.data["email"] == cast.officer.email
    admin.logout()
    assert sign_in(client, cast.officer.email, TEST_PASSWORD).status_code == 302


def test_only_an_admin_of_the_same_agency_may_unlock(cast, other):
    with pytest.raises(PermissionDenied):
        account_unlock(agency=cast.agency, by=cast.supervisor, user=cast.officer)
    with pytest.raises(PermissionDenied):
        account_unlock(agency=other.agency, by=other.admin, user=cast.officer)


def test_session_ends_after_30_idle_minutes(client, cast):
    sign_in(client, cast.officer.email, TEST_PASSWORD)
    assert client.session.get_expiry_age() == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST  # each request restarts the 30 minutes


def test_passwords_need_twelve_characters(cast):
    with pytest.raises(ValidationError):
        validate_password("Short-pw-11", cast.officer)
    validate_password("long-enough-passphrase", cast.officer)
