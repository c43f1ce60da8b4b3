"""Platform credentials are encrypted at rest; a missing or wrong key is reported plainly."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from accounts import crypto
from accounts.checks import encryption_key_check
from accounts.crypto import CredentialsUnreadable
from accounts.services import platform_account_connect
from tests.conftest import run_manage

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sk-live-VERY-SECRET-token-123"


@pytest.fixture
def account(cast):
    return platform_account_connect(
        agency=cast.agency,
        by=cast.admin,
        platform="facebook",
        handle="Alpha Police",
        external_id="555",
        credentials={"page_access_token": SECRET},
    )


def test_credentials_are_unreadable_in_the_raw_table(account):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_platformaccount")
        dump = repr(cursor.fetchall())
    assert SECRET not in dump
    assert "page_access_token" not in dump
    assert account.get_credentials() == {"page_access_token": SECRET}


def test_audit_event_names_the_fields_but_never_the_secret(account):
    from accounts.models import AuditEvent

    event = AuditEvent.objects.get(action="accounts.platform_account.connected")
    assert event.data["fields"] == ["page_access_token"]
    assert SECRET not in repr(event.data)


def test_a_wrong_key_cannot_read_and_the_start_up_check_says_so(account, settings):
    settings.BEAT_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CredentialsUnreadable):
        account.get_credentials()
    errors = encryption_key_check(None)
    assert [e.id for e in errors] == ["accounts.E002"]
    assert "key is wrong" in errors[0].msg


def test_a_missing_or_malformed_key_is_named(settings):
    settings.BEAT_ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured, match="BEAT_ENCRYPTION_KEYS is not set"):
        crypto.fernet()
    settings.BEAT_ENCRYPTION_KEYS = ["not-a-key"]
    with pytest.raises(ImproperlyConfigured, match="entry 1 is not a valid Fernet key"):
        crypto.fernet()


def test_key_rotation_keeps_old_tokens_readable(account, settings):
    old = settings.BEAT_ENCRYPTION_KEYS[0]
    new = Fernet.generate_key().decode()
    settings.BEAT_ENCRYPTION_KEYS = [new, old]
    from django.core.management import call_command

    call_command("rotate_credentials")
    settings.BEAT_ENCRYPTION_KEYS = [new]
    account.refresh_from_db()
    assert account.get_credentials() == {"page_access_token": SECRET}


def test_start_up_without_a_key_fails_with_a_plain_message(tmp_path):
    result = run_manage(
        "check", env={"BEAT_VAR_DIR": str(tmp_path)}, drop=("BEAT_ENCRYPTION_KEYS",)
    )
    assert result.returncode != 0
    assert "BEAT_ENCRYPTION_KEYS is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_start_up_with_a_malformed_key_fails_with_a_plain_message(tmp_path):
    result = run_manage(
        "check", env={"BEAT_VAR_DIR": str(tmp_path), "BEAT_ENCRYPTION_KEYS": "oops"}
    )
    assert result.returncode != 0
    assert "not a valid Fernet key" in result.stderr
    assert "Traceback" not in result.stderr
