"""Who is calling the REST API, in which agency, with which role, and how often.

Two ways in, both ending with the same `request.agency` and `request.membership` that
accounts.middleware.CurrentAgencyMiddleware sets for the HTML pages:

- a personal API token (`Authorization: Bearer beat_...`), created on the person's settings
  page. A token acts in the agency it was created in (the one the person was working in then),
  with the person's role there *now*: a changed role applies at once, and a person removed
  from that agency finds their tokens refused;
- the browser's session (with Django's CSRF check), in the agency chosen in the switcher.

Roles are the same table as the pages' (accounts/roles.py, via `SectionRole`); the services
check again. Each token (or, for the browser, each person) has its own rate limit.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts import selectors
from accounts.models import ApiToken, User
from accounts.roles import SECTION_ROLES
from accounts.services import api_token_hash

KEYWORD = b"bearer"
# last_used_at is written at most this often per token (a write on every GET is not worth it).
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>`: a personal API token, looked up by its SHA-256."""

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None  # not ours: the session may still authenticate the request
        if len(parts) != 2:
            raise AuthenticationFailed(_("Give the token after “Bearer ”, with no spaces in it."))
        try:
            raw = parts[1].decode()
        except UnicodeDecodeError as exc:
            raise AuthenticationFailed(_("This token is not valid.")) from exc
        api_token = selectors.api_token_by_hash(token_hash=api_token_hash(raw))
        now = timezone.now()
        if api_token is None or not api_token.is_usable(now):
            # One answer for unknown, revoked and expired tokens.
            raise AuthenticationFailed(_("This token is not valid, or was revoked or expired."))
        user = api_token.user
        if not user.is_active:
            raise AuthenticationFailed(_("This token's account is deactivated."))
        membership = selectors.membership_for_user_in_agency(
            user=user, agency_id=api_token.agency_id
        )
        if membership is None:
            raise AuthenticationFailed(
                _("The token's owner is no longer a member of the agency it was created for.")
            )
        _attach(request, membership)
        if user.language:
            translation.activate(user.language)
            request._request.LANGUAGE_CODE = user.language
        if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        return user, api_token

    def authenticate_header(self, request: Request) -> str:
        # Makes an unauthenticated request a 401 (with this challenge) rather than a 403.
        return 'Bearer realm="api"'


def _attach(request: Request, membership) -> None:
    """What CurrentAgencyMiddleware does for a session, for a token's agency."""
    django_request = request._request
    django_request.agency = membership.agency
    django_request.membership = membership
    timezone.activate(membership.agency.tzinfo)


def current_token(request: Request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


# --- Permissions --------------------------------------------------------------------------------


class AgencyMember(BasePermission):
    """Signed in (token or session) and working in an agency."""

    message = _("You are not a member of any agency.")

    def has_permission(self, request: Request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(request, "membership", None))


@cache
def SectionRole(section: str) -> type[BasePermission]:  # noqa: N802 (reads like a class)
    """Members whose role may open the pages of `section` (accounts/roles.py): the same rule as
    accounts.access.role_required, so the API and the HTML pages agree on who may do what."""
    allowed = SECTION_ROLES[section]

    class _SectionRole(AgencyMember):
        message = _("Your role may not do this.")
        roles = allowed

        def has_permission(self, request: Request, view) -> bool:
            return super().has_permission(request, view) and request.membership.role in self.roles

    _SectionRole.__name__ = f"SectionRole_{section}"
    _SectionRole.section = section  # type: ignore[attr-defined]
    return _SectionRole


# --- Rate limit ---------------------------------------------------------------------------------


class TokenRateThrottle(SimpleRateThrottle):
    """One budget per API token (by its id), or per person for the browser's session.

    The rate is REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api"], read on each request (so a
    test can change it). Counts live in Django's cache: with the default local-memory cache
    that is per web process; point CACHES at Redis to share the count between processes.
    """

    scope = "api"

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request: Request, view) -> str | None:
        api_token = current_token(request)
        if api_token is not None:
            ident = f"token:{api_token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"anon:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
