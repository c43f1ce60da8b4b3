"""Encryption at rest for platform credentials (Fernet, keys from BEAT_ENCRYPTION_KEYS).

The first key encrypts; every key listed decrypts, so keys can be rotated: put the new key
first, run `manage.py rotate_credentials`, then drop the old one.
"""

from __future__ import annotations

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

GENERATE_HINT = (
    'Generate one with: python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())"'
)


class CredentialsUnreadable(Exception):
    """Stored credentials cannot be decrypted with the configured keys."""


@lru_cache(maxsize=1)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "BEAT_ENCRYPTION_KEYS is not set, so connected platform accounts cannot be stored "
            f"or read. {GENERATE_HINT}"
        )
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"BEAT_ENCRYPTION_KEYS entry {position} is not a valid Fernet key "
                f"(32 url-safe base64-encoded bytes). {GENERATE_HINT}"
            ) from None
    return MultiFernet(fernets)


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.BEAT_ENCRYPTION_KEYS))


def encrypt_json(value: dict) -> str:
    return fernet().encrypt(json.dumps(value, sort_keys=True).encode()).decode()


def decrypt_json(token: str) -> dict:
    try:
        return json.loads(fernet().decrypt(token.encode()))
    except InvalidToken:
        raise CredentialsUnreadable(
            "Stored platform credentials cannot be decrypted with BEAT_ENCRYPTION_KEYS: the key "
            "is wrong or was changed without keeping the old one in the list."
        ) from None


def rotate(token: str) -> str:
    """Re-encrypt with the first key (MultiFernet.rotate)."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise CredentialsUnreadable("Stored credentials cannot be decrypted.") from None
