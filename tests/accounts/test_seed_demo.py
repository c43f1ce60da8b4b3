from django.apps import apps
from django.core.management import call_command

from accounts.models import AuditEvent, Membership, PlatformAccount, Role
from engagement.models import CannedResponse


def snapshot():
    counts = {m._meta.label: m.objects.count() for m in apps.get_models()}
    return counts, list(AuditEvent.objects.values_list("hash", flat=True))


def test_seed_demo_creates_one_person_per_role_and_two_sandbox_accounts(db, client, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    roles = set(
        Membership.objects.filter(agency__slug="harbour-demo").values_list("role", flat=True)
    )
    assert roles == set(Role.values)
    assert sorted(PlatformAccount.objects.values_list("platform", flat=True)) == ["facebook", "x"]
    assert "officer@harbour.demo" in out and "demo-officer-pass" in out
    # The inbox's reply box has answers to offer, the emergency one among them.
    titles = set(CannedResponse.objects.values_list("title", flat=True))
    assert "Not monitored 24/7" in titles and len(titles) == 3
    # The printed login works.
    response = client.post(
        "/login/", {"username": "officer@harbour.demo", "password": "demo-officer-pass"}
    )
    assert response.status_code == 302


def test_seed_demo_twice_changes_nothing(db):
    call_command("seed_demo")
    before = snapshot()
    call_command("seed_demo")
    assert snapshot() == before
