"""Agency admins invite people, set roles and remove members in the app itself."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import AuditEvent, Membership, Role
from accounts.services import member_invite, membership_remove, membership_set_role


def invite(client, email, role):
    return client.post(reverse("accounts:members"), {"email": email, "role": role}, follow=True)


def test_admin_invites_a_new_person_who_joins_with_a_password(
    cast, login, client, django_capture_on_commit_callbacks
):
    admin = login(cast.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(admin, "New.Officer@Alpha.test", Role.SUPERVISOR)
    page = response.content.decode()
    link = re.search(r"(http://testserver/invitation/[^ <]+)", page).group(1)
    assert len(mail.outbox) == 1 and link in mail.outbox[0].body
    admin.logout()

    short = client.post(
        link, {"full_name": "Nia", "password1": "short-pass", "password2": "short-pass"}
    )
    assert short.status_code == 200 and "at least 12 characters" in short.content.decode()

    ok = client.post(
        link,
        {
            "full_name": "Nia",
            "password1": "a-long-good-pass-phrase",
            "password2": "a-long-good-pass-phrase",
        },
    )
    assert ok.status_code == 302
    membership = Membership.objects.get(user__email="new.officer@alpha.test")
    assert membership.agency == cast.agency and membership.role == Role.SUPERVISOR
    assert client.get(reverse("posts:review_queue")).status_code == 200
    # The link works once only.
    client.logout()
    assert client.get(link).status_code == 404


def test_inviting_an_existing_member_is_refused_with_a_message(cast, login):
    response = invite(login(cast.admin), cast.officer.email, Role.OFFICER)
    assert "is already a member" in response.content.decode()


def test_invite_form_rejects_bad_and_oversized_input(cast, login):
    client = login(cast.admin)
    for data in (
        {"email": "", "role": "officer"},
        {"email": "x" * 300 + "@a.test", "role": "officer"},
        {"email": "ok@a.test", "role": "chief"},
        {"email": "not-an-email", "role": "officer"},
    ):
        response = client.post(reverse("accounts:members"), data)
        assert response.status_code == 200
        assert 'class="error"' in response.content.decode()
    assert not Membership.objects.filter(user__email="ok@a.test").exists()


def test_non_admins_cannot_invite(cast):
    with pytest.raises(PermissionDenied):
        member_invite(agency=cast.agency, by=cast.supervisor, email="x@alpha.test", role=Role.ADMIN)


def test_admin_changes_a_role_and_it_is_audited(cast, login):
    membership = cast.analyst.memberships.get()
    login(cast.admin).post(
        reverse("accounts:member_role", args=[membership.pk]), {"role": Role.SUPERVISOR}
    )
    membership.refresh_from_db()
    assert membership.role == Role.SUPERVISOR
    event = AuditEvent.objects.get(action="accounts.membership.role_changed")
    assert event.data == {"email": cast.analyst.email, "from": "analyst", "to": "supervisor"}


def test_removal_asks_for_confirmation_first(cast, login):
    membership = cast.analyst.memberships.get()
    client = login(cast.admin)
    confirm = client.get(reverse("accounts:member_remove", args=[membership.pk]))
    assert confirm.status_code == 200 and "Remove" in confirm.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()
    client.post(reverse("accounts:member_remove", args=[membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEvent.objects.filter(action="accounts.membership.removed").count() == 1


def test_the_last_admin_cannot_be_removed_or_demoted(cast):
    admin_membership = cast.admin.memberships.get()
    with pytest.raises(ValidationError):
        membership_remove(membership=admin_membership, by=cast.admin)
    with pytest.raises(ValidationError):
        membership_set_role(membership=admin_membership, by=cast.admin, role=Role.OFFICER)
    assert Membership.objects.filter(pk=admin_membership.pk, role=Role.ADMIN).exists()
