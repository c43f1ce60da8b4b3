"""Write the platform accounts as the platform sandbox should know them (for `make run`).

The sandbox identifies an account by the token our client sends, so it must be told the
tokens of the accounts that point at it. Only used on the embedded default, where every base
URL is the sandbox; the file stays under var/, which is never committed.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.crypto import CredentialsUnreadable
from accounts.models import Platform, PlatformAccount

TOKEN_FIELD = {Platform.X: "access_token", Platform.FACEBOOK: "page_access_token"}


class Command(BaseCommand):
    help = "Write a JSON list of sandbox account registrations for platforms.sandbox --accounts."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="file to write")

    def handle(self, *args, out, **options):
        entries = []
        for account in PlatformAccount.objects.select_related("agency").order_by("pk"):
            try:
                credentials = account.get_credentials()
            except CredentialsUnreadable as exc:
                raise CommandError(str(exc)) from None
            token = credentials.get(TOKEN_FIELD[account.platform])
            if not token:
                continue
            entries.append(
                {
                    "platform": account.platform,
                    "external_id": account.external_id,
                    "handle": account.handle.lstrip("@"),
                    "name": account.display_name or account.handle,
                    "token": token,
                    "language": account.agency.language,
                }
            )
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(entries, ensure_ascii=False, indent=2), encoding="utf-8")
        path.chmod(0o600)
        self.stdout.write(f"wrote {len(entries)} sandbox account(s) to {path}")
