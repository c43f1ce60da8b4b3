from django.urls import reverse

from accounts.models import Role
from accounts.services import membership_remove
from tests.conftest import member_of


def test_person_in_two_agencies_switches_between_them(cast, other, login):
    member_of(cast.analyst, other.agency, Role.ADMIN)
    client = login(cast.analyst, cast.agency)
    assert client.get(reverse("accounts:members")).status_code == 403
    response = client.post(reverse("accounts:switch_agency"), {"agency": other.agency.pk})
    assert response.status_code == 302
    assert client.get(reverse("accounts:members")).status_code == 200
    cast.analyst.refresh_from_db()
    assert cast.analyst.last_agency == other.agency


def test_switching_to_an_agency_one_is_not_in_is_refused(cast, other, login):
    client = login(cast.officer)
    response = client.post(
        reverse("accounts:switch_agency"), {"agency": other.agency.pk}, follow=True
    )
    assert "You are not a member of that agency." in response.content.decode()
    assert client.session["beat_agency_id"] == cast.agency.pk


def test_switching_with_garbage_input_is_a_message_not_an_error(cast, login):
    response = login(cast.officer).post(
        reverse("accounts:switch_agency"), {"agency": "x'; drop"}, follow=True
    )
    assert response.status_code == 200
    assert "You are not a member of that agency." in response.content.decode()


def test_member_removed_while_signed_in_moves_to_their_other_agency(cast, other, login):
    member_of(cast.officer, other.agency, Role.OFFICER)
    client = login(cast.officer, cast.agency)
    membership_remove(membership=cast.officer.memberships.get(agency=cast.agency), by=cast.admin)
    response = client.get(reverse("posts:drafts"), follow=True)
    assert response.status_code == 200
    assert "You are no longer a member of that agency" in response.content.decode()
    assert client.session["beat_agency_id"] == other.agency.pk


def test_member_removed_from_their_only_agency_is_signed_out_with_a_reason(cast, login):
    client = login(cast.officer)
    membership_remove(membership=cast.officer.memberships.get(), by=cast.admin)
    response = client.get(reverse("posts:drafts"), follow=True)
    assert response.status_code == 200
    assert "not a member of any agency" in response.content.decode()
    assert "_auth_user_id" not in client.session
