"""State changes of campaigns and of the monitoring board.

Each service is one transaction that writes its audit event. Campaigns are managed by
supervisors and admins (officers attach posts to them in the editor); monitoring columns by
everyone on duty (officers, supervisors, admins). The searches themselves are in
campaigns/monitoring.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import Agency, Membership, PlatformAccount, Role, User
from accounts.selectors import role_in_agency
from campaigns import hashtags as tags
from campaigns.models import Campaign, GoalKind, MonitorColumn

# Who may create, edit and delete campaigns. Every role may look at them (the "campaigns"
# section of accounts/roles.py); officers attach their posts to them.
MANAGER_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
# Who may add, remove and reorder the agency's monitoring columns: the people on duty.
MONITOR_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN})
MAX_COLUMNS = 12


def may_manage_campaigns(role: str | None) -> bool:
    return role in MANAGER_ROLES


def may_edit_monitor(role: str | None) -> bool:
    return role in MONITOR_ROLES


def _require_manager(*, agency: Agency, by: User) -> None:
    if not may_manage_campaigns(role_in_agency(user=by, agency_id=agency.pk)):
        raise PermissionDenied(_("Only supervisors and admins may manage campaigns."))


def _require_monitor_editor(*, agency: Agency, by: User) -> None:
    if not may_edit_monitor(role_in_agency(user=by, agency_id=agency.pk)):
        raise PermissionDenied(
            _("Only officers, supervisors and admins may change the monitoring columns.")
        )


def _own_accounts(
    agency: Agency, accounts: Iterable[PlatformAccount | int], field: str
) -> list[PlatformAccount]:
    ids = {a.pk if isinstance(a, PlatformAccount) else int(a) for a in accounts}
    found = list(PlatformAccount.objects.filter(agency=agency, pk__in=ids))
    if len(found) != len(ids):
        raise ValidationError({field: _("Choose accounts of your own agency.")})
    return found


def _owner_in(agency: Agency, owner: User | None) -> User | None:
    if owner is None:
        return None
    if not Membership.objects.filter(agency=agency, user=owner).exists():
        raise ValidationError({"owner": _("The owner must be a member of the agency.")})
    return owner


def _clean_campaign(
    *,
    name: str,
    starts_on: date,
    ends_on: date,
    hashtags: str | Iterable[str],
    goal_kind: str,
    goal_target: int | None,
) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned: dict = {"name": " ".join(str(name).split())}
    if not cleaned["name"]:
        errors["name"] = [_("Give the campaign a name.")]
    try:
        cleaned["hashtags"] = " ".join(tags.parse_hashtags(hashtags))
    except ValidationError as exc:
        errors["hashtags"] = exc.messages
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = [_("The campaign cannot end before it starts.")]
    if goal_kind not in GoalKind.values:
        errors["goal_kind"] = [_("Choose a valid goal.")]
    if goal_target is not None and int(goal_target) < 1:
        errors["goal_target"] = [_("The target is a whole number of at least 1.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _snapshot(campaign: Campaign) -> dict:
    return {
        "name": campaign.name,
        "hashtags": campaign.hashtag_list,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "goal_kind": campaign.goal_kind,
        "goal_target": campaign.goal_target,
        "owner": campaign.owner_id,
        "target_accounts": sorted(campaign.target_accounts.values_list("pk", flat=True)),
    }


@transaction.atomic
def campaign_create(
    *,
    agency: Agency,
    by: User,
    name: str,
    starts_on: date,
    ends_on: date,
    hashtags: str | Iterable[str] = "",
    description: str = "",
    target_accounts: Iterable[PlatformAccount | int] = (),
    goal_kind: str = GoalKind.PUBLIC_USES,
    goal_target: int | None = None,
    owner: User | None = None,
) -> Campaign:
    """Create a campaign, owned by its creator unless `owner` is given. Supervisors and admins.

    Hashtags are checked by twitter-text's rules and normalised; target accounts must be the
    agency's own. Public posts already found with its hashtags during its period are counted.
    """
    _require_manager(agency=agency, by=by)
    cleaned = _clean_campaign(
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        hashtags=hashtags,
        goal_kind=goal_kind,
        goal_target=goal_target,
    )
    accounts = _own_accounts(agency, target_accounts, "target_accounts")
    campaign = Campaign(
        agency=agency,
        description=description,
        starts_on=starts_on,
        ends_on=ends_on,
        goal_kind=goal_kind,
        goal_target=goal_target,
        owner=_owner_in(agency, owner) or by,
        **cleaned,
    )
    campaign.full_clean()
    campaign.save()
    campaign.target_accounts.set(accounts)
    from campaigns.monitoring import link_existing_to_campaign

    linked = link_existing_to_campaign(campaign=campaign)
    audit_record(
        action="campaigns.campaign.created",
        actor=by,
        agency=agency,
        target=campaign,
        data={**_snapshot(campaign), "public_uses_linked": linked},
    )
    return campaign


CAMPAIGN_FIELDS = (
    "name",
    "description",
    "hashtags",
    "starts_on",
    "ends_on",
    "target_accounts",
    "goal_kind",
    "goal_target",
    "owner",
)


@transaction.atomic
def campaign_update(*, campaign: Campaign, by: User, **changes) -> Campaign:
    """Change a campaign (any of CAMPAIGN_FIELDS). Supervisors and admins.

    Public uses already counted stay; public posts already found that now match (a new hashtag,
    a longer period) are added.
    """
    unknown = set(changes) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise TypeError(f"unknown campaign fields: {', '.join(sorted(unknown))}")
    agency = campaign.agency
    _require_manager(agency=agency, by=by)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk, agency=agency)
    before = _snapshot(campaign)
    merged = {
        "name": changes.get("name", campaign.name),
        "starts_on": changes.get("starts_on", campaign.starts_on),
        "ends_on": changes.get("ends_on", campaign.ends_on),
        "hashtags": changes.get("hashtags", campaign.hashtags),
        "goal_kind": changes.get("goal_kind", campaign.goal_kind),
        "goal_target": changes.get("goal_target", campaign.goal_target),
    }
    cleaned = _clean_campaign(**merged)
    accounts = (
        _own_accounts(agency, changes["target_accounts"], "target_accounts")
        if "target_accounts" in changes
        else None
    )
    campaign.name = cleaned["name"]
    campaign.hashtags = cleaned["hashtags"]
    campaign.starts_on = merged["starts_on"]
    campaign.ends_on = merged["ends_on"]
    campaign.goal_kind = merged["goal_kind"]
    campaign.goal_target = merged["goal_target"]
    described = "description" in changes and changes["description"] != campaign.description
    if "description" in changes:
        campaign.description = changes["description"]
    if "owner" in changes:
        campaign.owner = _owner_in(agency, changes["owner"])
    campaign.updated_at = timezone.now()
    campaign.full_clean()
    campaign.save()
    if accounts is not None:
        campaign.target_accounts.set(accounts)
    from campaigns.monitoring import link_existing_to_campaign

    linked = link_existing_to_campaign(campaign=campaign)
    after = _snapshot(campaign)
    audit_record(
        action="campaigns.campaign.updated",
        actor=by,
        agency=agency,
        target=campaign,
        data={
            "changed": sorted(
                [k for k in after if after[k] != before[k]] + (["description"] if described else [])
            ),
            "before": before,
            "after": after,
            "public_uses_linked": linked,
        },
    )
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: Campaign, by: User) -> None:
    """Delete a campaign and the public uses counted for it. Supervisors and admins.

    Its posts stay, without a campaign; the public posts found stay for the monitoring columns.
    """
    _require_manager(agency=campaign.agency, by=by)
    posts = list(campaign.posts.values_list("pk", flat=True))
    audit_record(
        action="campaigns.campaign.deleted",
        actor=by,
        agency=campaign.agency,
        target=campaign,
        data={
            **_snapshot(campaign),
            "posts_detached": posts,
            "public_uses": campaign.public_uses.count(),
        },
    )
    campaign.delete()


# --- Monitoring columns ----------------------------------------------------------------------


@transaction.atomic
def monitor_column_create(
    *,
    agency: Agency,
    by: User,
    query: str,
    title: str = "",
    accounts: Iterable[PlatformAccount | int] = (),
) -> MonitorColumn:
    """Add a column at the end of the agency's board. Officers, supervisors and admins.

    Public posts the agency already found that match it are shown at once; new ones arrive
    with the next search (campaigns.dispatch_searches, every minute).
    """
    _require_monitor_editor(agency=agency, by=by)
    try:
        kind, cleaned = tags.parse_query(query)
    except ValidationError as exc:
        raise ValidationError({"query": exc.messages}) from None
    title = " ".join(str(title).split()) or cleaned
    if len(title) > 100:
        raise ValidationError({"title": _("A title may have at most 100 characters.")})
    chosen = _own_accounts(agency, accounts, "accounts")
    existing = MonitorColumn.objects.select_for_update().filter(agency=agency)
    if existing.count() >= MAX_COLUMNS:
        raise ValidationError(
            _("The board holds at most %(n)d columns. Remove one first.") % {"n": MAX_COLUMNS}
        )
    position = (existing.aggregate(m=Max("position"))["m"] or 0) + 1
    column = MonitorColumn.objects.create(
        agency=agency, title=title, query=cleaned, kind=kind, position=position, created_by=by
    )
    column.accounts.set(chosen)
    from campaigns.monitoring import link_existing_to_column

    linked = link_existing_to_column(column=column)
    audit_record(
        action="campaigns.monitor_column.created",
        actor=by,
        agency=agency,
        target=column,
        data={
            "title": title,
            "query": cleaned,
            "kind": kind,
            "accounts": sorted(a.pk for a in chosen),
            "matches_linked": linked,
        },
    )
    return column


@transaction.atomic
def monitor_column_delete(*, column: MonitorColumn, by: User) -> None:
    """Remove a column and its matches. Officers, supervisors and admins."""
    _require_monitor_editor(agency=column.agency, by=by)
    audit_record(
        action="campaigns.monitor_column.deleted",
        actor=by,
        agency=column.agency,
        target=column,
        data={"title": column.title, "query": column.query, "kind": column.kind},
    )
    column.delete()


@transaction.atomic
def monitor_column_move(*, column: MonitorColumn, by: User, offset: int) -> MonitorColumn:
    """Move a column `offset` places left (negative) or right (positive) on the board."""
    agency = column.agency
    _require_monitor_editor(agency=agency, by=by)
    board = list(
        MonitorColumn.objects.select_for_update().filter(agency=agency).order_by("position", "pk")
    )
    index = next(i for i, c in enumerate(board) if c.pk == column.pk)
    new_index = max(0, min(len(board) - 1, index + offset))
    if new_index == index:
        return column
    moved = board.pop(index)
    board.insert(new_index, moved)
    for position, item in enumerate(board, start=1):
        if item.position != position:
            MonitorColumn.objects.filter(pk=item.pk).update(position=position)
    audit_record(
        action="campaigns.monitor_column.moved",
        actor=by,
        agency=agency,
        target=moved,
        data={"from": index + 1, "to": new_index + 1},
    )
    moved.refresh_from_db()
    return moved
