"""Reads for the inbox and dashboards, scoped to one agency."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Agency, PlatformAccount
from campaigns.models import Campaign
from engagement.models import (
    Category,
    Conversation,
    InboxSettings,
    Message,
    PullCursor,
    TriageRule,
)
from posts.models import Post


def agency_overview(*, agency: Agency) -> dict:
    """Counts that exist before metrics are collected: posts by status, accounts, campaigns."""
    by_status = dict(
        Post.objects.filter(agency=agency).values_list("status").annotate(n=Count("id")).order_by()
    )
    return {
        "posts_by_status": by_status,
        "posts_total": sum(by_status.values()),
        "accounts": PlatformAccount.objects.filter(agency=agency).count(),
        "campaigns": Campaign.objects.filter(agency=agency).count(),
    }


# --- The inbox ----------------------------------------------------------------------------


def conversations_for_agency(
    *,
    agency: Agency,
    status: str | None = None,
    category: str | None = None,
    account_id: int | None = None,
    assignee_id: int | None = None,
    urgent: bool | None = None,
    order: str = "priority",
) -> QuerySet[Conversation]:
    """The agency's conversations for the inbox list, most pressing (or most recent) first."""
    qs = Conversation.objects.filter(agency=agency).select_related("account", "assignee")
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if assignee_id is not None:
        qs = qs.filter(assignee_id=assignee_id)
    if urgent is not None:
        qs = qs.filter(urgent=urgent)
    if order == "recent":
        return qs.order_by("-last_activity_at", "-pk")
    return qs.order_by("-priority", "-last_activity_at", "-pk")


def conversation_get(*, agency: Agency, conversation_id: int) -> Conversation:
    """One conversation of this agency, or 404 (also for another agency's)."""
    return get_object_or_404(
        Conversation.objects.select_related("account", "assignee", "our_post", "our_target"),
        agency=agency,
        pk=conversation_id,
    )


def messages_for_conversation(*, conversation: Conversation) -> QuerySet[Message]:
    return Message.objects.filter(
        agency_id=conversation.agency_id, conversation=conversation
    ).order_by("created_at", "pk")


def triage_rules_for_agency(*, agency: Agency) -> QuerySet[TriageRule]:
    return TriageRule.objects.filter(agency=agency).order_by("-priority", "category", "pk")


def inbox_settings_for(*, agency: Agency) -> InboxSettings:
    """The agency's inbox settings; unsaved defaults if it never changed them (no write here)."""
    return InboxSettings.objects.filter(agency=agency).first() or InboxSettings(agency=agency)


def reply_prompt_for(*, conversation: Conversation) -> str:
    """The emergency guidance to offer as the reply to an urgent conversation, else ''."""
    if not conversation.urgent:
        return ""
    urgent = (
        messages_for_conversation(conversation=conversation)
        .filter(category=Category.URGENT)
        .values_list("language", flat=True)
        .first()
    )
    language = urgent or conversation.agency.language
    return inbox_settings_for(agency=conversation.agency).guidance_for(language)


def pull_cursors_for_agency(*, agency: Agency) -> QuerySet[PullCursor]:
    """Where each account's pull stands (last pull, last error, next pull): inbox health."""
    return PullCursor.objects.filter(agency=agency).select_related("account")
