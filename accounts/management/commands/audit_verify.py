from django.core.management.base import BaseCommand, CommandError

from accounts.audit import verify_chain
from accounts.models import AuditEvent


class Command(BaseCommand):
    help = "Check the audit trail's hash chain: report every edited, reordered or deleted row."

    def handle(self, *args, **options):
        problems = list(verify_chain())
        total = AuditEvent.objects.count()
        if problems:
            for problem in problems:
                where = f"event #{problem.seq}" if problem.seq is not None else "chain"
                self.stderr.write(f"{where}: {problem.message}")
            raise CommandError(
                f"audit trail is NOT intact: {len(problems)} problem(s) in {total} events"
            )
        self.stdout.write(self.style.SUCCESS(f"audit trail intact: {total} events verified"))
