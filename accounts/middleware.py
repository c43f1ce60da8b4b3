"""Per-request context: the person's language, their current agency and role, the client IP."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.access import client_ip
from accounts.audit import current_ip
from accounts.selectors import membership_for_user_in_agency, memberships_for_user

SESSION_AGENCY_KEY = "beat_agency_id"


class UserLanguageMiddleware:
    """Each signed-in person sees the interface in their own chosen language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class CurrentAgencyMiddleware:
    """Sets request.agency and request.membership, re-checked on every request.

    A member removed from an agency while signed in is moved to another of their agencies (or
    signed out if none is left) with a message saying why, instead of meeting an error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(client_ip(request))
        timezone.deactivate()
        try:
            request.agency = None
            request.membership = None
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                response = self._attach(request, user)
                if response is not None:
                    return response
            return self.get_response(request)
        finally:
            current_ip.reset(token)

    def _attach(self, request, user):
        wanted = request.session.get(SESSION_AGENCY_KEY) or user.last_agency_id
        membership = membership_for_user_in_agency(user=user, agency_id=wanted)
        if membership is None:
            membership = memberships_for_user(user=user).first()
            if membership is None:
                logout(request)
                messages.error(
                    request,
                    _("Your account is not a member of any agency any more. Ask an agency admin."),
                )
                return redirect("accounts:login")
            if request.session.get(SESSION_AGENCY_KEY):
                messages.warning(
                    request,
                    _(
                        "You are no longer a member of that agency; you are now working in %(agency)s."
                    )
                    % {"agency": membership.agency.name},
                )
        request.session[SESSION_AGENCY_KEY] = membership.agency_id
        request.agency = membership.agency
        request.membership = membership
        # Pages show, and forms read, times in the agency's own time zone; the database is UTC.
        timezone.activate(membership.agency.tzinfo)
        return None
