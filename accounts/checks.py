"""Start-up checks: say plainly when the encryption key is missing or wrong."""

from __future__ import annotations

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError


@register()
def encryption_key_check(app_configs, **kwargs):
    from accounts.crypto import CredentialsUnreadable, decrypt_json, fernet
    from accounts.models import PlatformAccount

    try:
        fernet()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="accounts.E001")]
    # A valid key that is not the one the stored credentials were written with: try one row.
    try:
        sample = (
            PlatformAccount.objects.exclude(credentials_ciphertext="")
            .values_list("credentials_ciphertext", flat=True)
            .first()
        )
    except DatabaseError:
        return []  # Not migrated yet: nothing stored, nothing to check.
    if sample:
        try:
            decrypt_json(sample)
        except CredentialsUnreadable as exc:
            return [Error(str(exc), id="accounts.E002")]
    return []
