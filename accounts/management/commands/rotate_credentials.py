from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.audit import audit_record
from accounts.crypto import rotate
from accounts.models import PlatformAccount


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored credential with the first key of BEAT_ENCRYPTION_KEYS "
        "(after putting a new key first; then the old key can be removed)."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        count = 0
        for account in PlatformAccount.objects.select_for_update().exclude(
            credentials_ciphertext=""
        ):
            account.credentials_ciphertext = rotate(account.credentials_ciphertext)
            account.save(update_fields=["credentials_ciphertext"])
            count += 1
        audit_record(
            action="accounts.credentials.rotated", actor=None, agency=None, data={"accounts": count}
        )
        self.stdout.write(self.style.SUCCESS(f"re-encrypted the credentials of {count} account(s)"))
