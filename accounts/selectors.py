"""Reads of agencies, people and accounts, always scoped to one agency."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import (
    Agency,
    ApiToken,
    AuditEvent,
    Membership,
    Notification,
    PlatformAccount,
    User,
)


def memberships_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("agency").order_by("agency__name")


def membership_for_user_in_agency(*, user: User, agency_id: int | None) -> Membership | None:
    if agency_id is None:
        return None
    return (
        Membership.objects.select_related("agency").filter(user=user, agency_id=agency_id).first()
    )


def role_in_agency(*, user: User, agency_id: int) -> str | None:
    """The person's role in the agency, or None if they are not a member (services' checks)."""
    return (
        Membership.objects.filter(agency_id=agency_id, user=user)
        .values_list("role", flat=True)
        .first()
    )


def members_for_agency(*, agency: Agency) -> QuerySet[Membership]:
    return Membership.objects.filter(agency=agency).select_related("user").order_by("user__email")


def membership_get(*, agency: Agency, membership_id: int) -> Membership:
    """A membership of this agency, or 404 (also for another agency's)."""
    return get_object_or_404(
        Membership.objects.select_related("user", "agency"), agency=agency, pk=membership_id
    )


def platform_accounts_for_agency(*, agency: Agency) -> QuerySet[PlatformAccount]:
    return PlatformAccount.objects.filter(agency=agency).order_by("platform", "handle")


def platform_account_get(*, agency: Agency, account_id: int) -> PlatformAccount:
    return get_object_or_404(
        PlatformAccount.objects.select_related("agency"), agency=agency, pk=account_id
    )


def audit_events_for_agency(*, agency: Agency) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(agency=agency).order_by("-seq")


def notifications_for(*, user: User, agency: Agency) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user, agency=agency).order_by("-created_at", "-pk")


def unread_notification_count(*, user: User, agency: Agency) -> int:
    return Notification.objects.filter(user=user, agency=agency, read_at__isnull=True).count()


def api_tokens_for_user(*, user: User) -> QuerySet[ApiToken]:
    """A person's own API tokens (in every agency), newest first."""
    return (
        ApiToken.objects.filter(user=user).select_related("agency").order_by("-created_at", "-pk")
    )


def api_token_get_for_user(*, user: User, token_id: int) -> ApiToken:
    """One of the person's own tokens, or 404 (also for someone else's)."""
    return get_object_or_404(ApiToken.objects.select_related("agency"), user=user, pk=token_id)


def api_token_by_hash(*, token_hash: str) -> ApiToken | None:
    """The token with this hash, with its person and agency (for authenticating a request)."""
    return ApiToken.objects.select_related("user", "agency").filter(token_hash=token_hash).first()
