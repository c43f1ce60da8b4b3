"""Mail sent to people (invitations). Sent after commit so a rollback sends nothing."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Invitation

log = logging.getLogger(__name__)


def send_invitation(*, invitation: Invitation, link: str) -> None:
    def _send() -> None:
        with translation.override(invitation.user.language or invitation.agency.language):
            subject = _("You are invited to %(agency)s on Beat") % {
                "agency": invitation.agency.name
            }
            body = _(
                "%(inviter)s invited you to the social media desk of %(agency)s.\n\n"
                "Open this link within 7 days to join:\n%(link)s\n"
            ) % {
                "inviter": invitation.invited_by.display_name,
                "agency": invitation.agency.name,
                "link": link,
            }
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.user.email])
        except OSError:
            # The admin was shown the link too; a mail outage must not lose the invitation.
            log.exception("Could not e-mail the invitation to %s", invitation.user.email)

    transaction.on_commit(_send)
