"""Sign-in events go to the audit trail (they are records, not state changes of a model)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from accounts.audit import audit_record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit_record(action="accounts.user.signed_in", actor=user, agency=user.last_agency, target=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(
            action="accounts.user.signed_out", actor=user, agency=user.last_agency, target=user
        )


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # Only the username tried; never the password.
    audit_record(
        action="accounts.user.sign_in_failed",
        actor=None,
        agency=None,
        data={"username": str(credentials.get("username", ""))[:254]},
    )
