"""Every state change of agencies, people, roles and platform accounts.

Plain functions with keyword-only arguments, one transaction each, each writing its audit event.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.crypto import encrypt_json
from accounts.models import (
    Agency,
    ApiToken,
    Invitation,
    Membership,
    Notification,
    Platform,
    PlatformAccount,
    PlatformAccountStatus,
    Role,
    User,
)

INVITATION_LIFETIME = timedelta(days=7)


def require_admin(*, agency: Agency, by: User) -> None:
    """`by` must be an admin of `agency` (services of every app call this)."""
    if not Membership.objects.filter(agency=agency, user=by, role=Role.ADMIN).exists():
        raise PermissionDenied(_("Only an agency admin may do this."))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def agency_create(
    *, name: str, slug: str, timezone_name: str, language: str, by: User | None
) -> Agency:
    """Create a tenant."""
    agency = Agency(name=name, slug=slug, timezone=timezone_name, language=language)
    agency.full_clean()
    agency.save()
    audit_record(action="accounts.agency.created", actor=by, agency=agency, target=agency)
    return agency


@transaction.atomic
def membership_add(*, agency: Agency, user: User, role: str, by: User | None) -> Membership:
    """Give a person a role in an agency (used by seeding and by accepting an invitation)."""
    membership = Membership.objects.create(agency=agency, user=user, role=role)
    audit_record(
        action="accounts.membership.added",
        actor=by,
        agency=agency,
        target=membership,
        data={"email": user.email, "role": role},
    )
    return membership


@transaction.atomic
def member_invite(*, agency: Agency, by: User, email: str, role: str) -> tuple[Invitation, str]:
    """Invite a person by e-mail with a role. Returns the invitation and its one-time token.

    A person who already has an account elsewhere is added when they accept, like a new one.
    """
    require_admin(agency=agency, by=by)
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    email = User.objects.normalize_email(email.strip()).lower()
    user = User.objects.filter(email__iexact=email).first()
    if user and Membership.objects.filter(agency=agency, user=user).exists():
        raise ValidationError({"email": _("%(email)s is already a member.") % {"email": email}})
    if user is None:
        user = User.objects.create_user(email=email, password=None, language=agency.language)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        agency=agency,
        user=user,
        invited_by=by,
        role=role,
        token_hash=_token_hash(token),
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    audit_record(
        action="accounts.member.invited",
        actor=by,
        agency=agency,
        target=invitation,
        data={"email": email, "role": role},
    )
    return invitation, token


def invitation_get_by_token(token: str) -> Invitation | None:
    invitation = (
        Invitation.objects.select_related("agency", "user")
        .filter(token_hash=_token_hash(token), accepted_at__isnull=True)
        .first()
    )
    if invitation is None or invitation.expires_at < timezone.now():
        return None
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, password: str, full_name: str) -> Membership:
    """Set the invited person's password (new accounts) and make them a member."""
    user = invitation.user
    if not user.has_usable_password():
        validate_password(password, user)
        user.set_password(password)
    if full_name and not user.full_name:
        user.full_name = full_name
    user.save(update_fields=["password", "full_name"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    membership, created = Membership.objects.get_or_create(
        agency=invitation.agency, user=user, defaults={"role": invitation.role}
    )
    audit_record(
        action="accounts.member.joined",
        actor=user,
        agency=invitation.agency,
        target=membership,
        data={"role": membership.role, "new": created},
    )
    return membership


def _admins_left_after(membership: Membership) -> int:
    return (
        Membership.objects.filter(agency=membership.agency, role=Role.ADMIN)
        .exclude(pk=membership.pk)
        .count()
    )


@transaction.atomic
def membership_set_role(*, membership: Membership, by: User, role: str) -> Membership:
    """Change a member's role. The agency always keeps at least one admin."""
    require_admin(agency=membership.agency, by=by)
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    if membership.role == role:
        return membership
    if membership.role == Role.ADMIN and _admins_left_after(membership) == 0:
        raise ValidationError(_("The agency must keep at least one agency admin."))
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        action="accounts.membership.role_changed",
        actor=by,
        agency=membership.agency,
        target=membership,
        data={"email": membership.user.email, "from": old, "to": role},
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: User) -> None:
    """Remove a person from an agency. Their account and their past work stay."""
    require_admin(agency=membership.agency, by=by)
    if membership.role == Role.ADMIN and _admins_left_after(membership) == 0:
        raise ValidationError(_("The agency must keep at least one agency admin."))
    audit_record(
        action="accounts.membership.removed",
        actor=by,
        agency=membership.agency,
        target=membership,
        data={"email": membership.user.email, "role": membership.role},
    )
    membership.delete()


@transaction.atomic
def account_unlock(*, agency: Agency, by: User, user: User) -> int:
    """Lift a sign-in lockout (django-axes) of a member of the admin's agency."""
    require_admin(agency=agency, by=by)
    if not Membership.objects.filter(agency=agency, user=user).exists():
        raise PermissionDenied(_("That person is not a member of this agency."))
    cleared = axes_reset(username=user.email)
    audit_record(
        action="accounts.user.unlocked",
        actor=by,
        agency=agency,
        target=user,
        data={"email": user.email, "cleared": cleared},
    )
    return cleared


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    """A person's own choice of interface language."""
    if language not in {code for code, _name in User._meta.get_field("language").choices}:
        raise ValidationError({"language": _("Choose a valid language.")})
    old = user.language
    user.language = language
    user.save(update_fields=["language"])
    audit_record(
        action="accounts.user.language_changed",
        actor=user,
        agency=user.last_agency,
        target=user,
        data={"from": old, "to": language},
    )
    return user


@transaction.atomic
def agency_switch(*, user: User, agency: Agency) -> None:
    """Remember which of their agencies the person works in now."""
    if not Membership.objects.filter(user=user, agency=agency).exists():
        raise PermissionDenied(_("You are not a member of that agency."))
    if user.last_agency_id == agency.pk:
        return
    user.last_agency = agency
    user.save(update_fields=["last_agency"])
    audit_record(action="accounts.agency.switched", actor=user, agency=agency, target=agency)


@transaction.atomic
def platform_account_connect(
    *,
    agency: Agency,
    by: User | None,
    platform: str,
    handle: str,
    external_id: str,
    credentials: dict,
    display_name: str = "",
) -> PlatformAccount:
    """Connect (or re-connect) a platform account; the credentials are encrypted before saving."""
    if by is not None:
        require_admin(agency=agency, by=by)
    if platform not in Platform.values:
        raise ValidationError({"platform": _("Choose a valid platform.")})
    account, created = PlatformAccount.objects.get_or_create(
        agency=agency,
        platform=platform,
        external_id=external_id,
        defaults={"handle": handle, "display_name": display_name},
    )
    account.handle = handle
    account.display_name = display_name or account.display_name
    account.credentials_ciphertext = encrypt_json(credentials)
    account.status = PlatformAccountStatus.ACTIVE
    account.status_reason = ""
    account.updated_at = timezone.now()
    account.full_clean(exclude=["credentials_ciphertext"])
    account.save()
    audit_record(
        action="accounts.platform_account.connected"
        if created
        else "accounts.platform_account.reconnected",
        actor=by,
        agency=agency,
        target=account,
        # Which credential fields were given, never their values.
        data={"platform": platform, "handle": handle, "fields": sorted(credentials)},
    )
    return account


@transaction.atomic
def platform_account_set_status(
    *, account: PlatformAccount, by: User | None, status: str, reason: str = ""
) -> PlatformAccount:
    """Mark an account active, needing re-authorisation or disabled."""
    if by is not None:
        require_admin(agency=account.agency, by=by)
    if status not in PlatformAccountStatus.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    old = account.status
    account.status = status
    account.status_reason = reason[:500]
    account.updated_at = timezone.now()
    account.save(update_fields=["status", "status_reason", "updated_at"])
    audit_record(
        action="accounts.platform_account.status_changed",
        actor=by,
        agency=account.agency,
        target=account,
        data={"from": old, "to": status, "reason": reason[:500]},
    )
    return account


def notify(*, agency: Agency, users, message: str, link: str = "") -> int:
    """Tell people something in the app. Part of the caller's transaction and audit event."""
    now = timezone.now()
    rows = [
        Notification(agency=agency, user=user, message=message[:500], link=link, created_at=now)
        for user in users
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def notifications_mark_read(*, user: User, agency: Agency) -> int:
    """Mark all of a person's notifications in an agency as read."""
    count = Notification.objects.filter(user=user, agency=agency, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if count:
        audit_record(
            action="accounts.notifications.read", actor=user, agency=agency, data={"count": count}
        )
    return count


# --- Personal API tokens ---------------------------------------------------------------------

API_TOKEN_PREFIX = "beat_"  # noqa: S105 (a prefix, not a secret)
API_TOKEN_EXPIRY_CHOICES = (30, 90, 365)  # days; None (never) is allowed too
API_TOKENS_PER_PERSON = 20


def api_token_hash(token: str) -> str:
    """What is stored of a token (and looked up on each API request): its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: User, agency: Agency, name: str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A personal API token of `user`, acting in `agency` with their role there.

    Returns the token row and the token itself, which is shown once and never stored (only
    its SHA-256 is). The agency is the one the person works in when creating it.
    """
    if not Membership.objects.filter(user=user, agency=agency).exists():
        raise PermissionDenied(_("You are not a member of that agency."))
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Give the token a name, e.g. what will use it.")})
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise ValidationError({"name": _("The name is too long.")})
    if expires_in_days is not None and expires_in_days not in API_TOKEN_EXPIRY_CHOICES:
        raise ValidationError({"expires_in_days": _("Choose a valid lifetime.")})
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True).exclude(
        expires_at__lte=timezone.now()
    )
    if active.count() >= API_TOKENS_PER_PERSON:
        raise ValidationError(
            _("You have %(n)d active tokens. Revoke one you no longer use first.")
            % {"n": API_TOKENS_PER_PERSON}
        )
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    api_token = ApiToken.objects.create(
        user=user,
        agency=agency,
        name=name,
        prefix=token[:12],
        token_hash=api_token_hash(token),
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    audit_record(
        action="accounts.api_token.created",
        actor=user,
        agency=agency,
        target=api_token,
        data={
            "name": name,
            "prefix": api_token.prefix,
            "expires_at": api_token.expires_at.isoformat() if api_token.expires_at else None,
        },
    )
    return api_token, token


@transaction.atomic
def api_token_revoke(*, api_token: ApiToken, by: User) -> ApiToken:
    """Revoke a token for good: every request with it is refused from now on. Own tokens only."""
    api_token = ApiToken.objects.select_for_update().get(pk=api_token.pk)
    if api_token.user_id != by.pk:
        raise PermissionDenied(_("You can only revoke your own tokens."))
    if api_token.revoked_at is not None:
        return api_token
    api_token.revoked_at = timezone.now()
    api_token.save(update_fields=["revoked_at"])
    audit_record(
        action="accounts.api_token.revoked",
        actor=by,
        agency=api_token.agency,
        target=api_token,
        data={"name": api_token.name, "prefix": api_token.prefix},
    )
    return api_token
