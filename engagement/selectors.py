"""Reads for the inbox, scoped to one agency. The dashboards' reads are in dashboards.py."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Agency, User
from accounts.roles import SECTION_ROLES
from engagement.models import (
    CannedResponse,
    Category,
    Conversation,
    ConversationNote,
    InboxSettings,
    Message,
    PullCursor,
    Reply,
    TriageRule,
)

# --- The inbox ----------------------------------------------------------------------------


def conversations_for_agency(
    *,
    agency: Agency,
    status: str | None = None,
    category: str | None = None,
    account_id: int | None = None,
    assignee_id: int | None = None,
    unassigned: bool = False,
    campaign_id: int | None = None,
    post_id: int | None = None,
    urgent: bool | None = None,
    order: str = "recent",
) -> QuerySet[Conversation]:
    """The agency's conversations for the inbox list: newest activity first (the default) or
    most pressing first. Filters combine; an unknown id simply matches nothing."""
    qs = Conversation.objects.filter(agency=agency).select_related(
        "account", "assignee", "our_post"
    )
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if unassigned:
        qs = qs.filter(assignee__isnull=True)
    elif assignee_id is not None:
        qs = qs.filter(assignee_id=assignee_id)
    if campaign_id is not None:
        qs = qs.filter(our_post__campaign_id=campaign_id)
    if post_id is not None:
        qs = qs.filter(our_post_id=post_id)
    if urgent is not None:
        qs = qs.filter(urgent=urgent)
    if order == "priority":
        return qs.order_by("-priority", "-last_activity_at", "-pk")
    return qs.order_by("-last_activity_at", "-pk")


RESPONSE_DUE_SOON = timedelta(minutes=15)


def response_state(conversation: Conversation, now: datetime | None = None) -> str:
    """Where a conversation stands against the agency's first-response target:
    'answered', 'overdue', 'due_soon' (within 15 minutes), 'on_time', or '' without a target."""
    if conversation.first_response_at is not None:
        return "answered"
    if conversation.response_due_at is None:
        return ""
    now = now or timezone.now()
    if now >= conversation.response_due_at:
        return "overdue"
    if conversation.response_due_at - now <= RESPONSE_DUE_SOON:
        return "due_soon"
    return "on_time"


def conversation_get(*, agency: Agency, conversation_id: int) -> Conversation:
    """One conversation of this agency, or 404 (also for another agency's)."""
    return get_object_or_404(
        Conversation.objects.select_related("account", "assignee", "our_post", "our_target"),
        agency=agency,
        pk=conversation_id,
    )


def messages_for_conversation(*, conversation: Conversation) -> QuerySet[Message]:
    return (
        Message.objects.filter(agency_id=conversation.agency_id, conversation=conversation)
        .select_related("sent_by", "hidden_by")
        .order_by("created_at", "pk")
    )


def notes_for_conversation(*, conversation: Conversation) -> QuerySet[ConversationNote]:
    return ConversationNote.objects.filter(
        agency_id=conversation.agency_id, conversation=conversation
    ).select_related("author")


def replies_for_conversation(*, conversation: Conversation) -> QuerySet[Reply]:
    """Our replies to the thread with their posts and targets: sent, waiting or failed."""
    return (
        Reply.objects.filter(agency_id=conversation.agency_id, conversation=conversation)
        .select_related("post", "author", "in_reply_to")
        .prefetch_related("post__targets")
        .order_by("created_at", "pk")
    )


def message_get(*, agency: Agency, message_id: int) -> Message:
    """One message of this agency, or 404."""
    return get_object_or_404(
        Message.objects.select_related("conversation", "conversation__account"),
        agency=agency,
        pk=message_id,
    )


def canned_responses_for_agency(*, agency: Agency) -> QuerySet[CannedResponse]:
    return CannedResponse.objects.filter(agency=agency).order_by("title", "pk")


def canned_response_get(*, agency: Agency, response_id: int) -> CannedResponse:
    return get_object_or_404(CannedResponse, agency=agency, pk=response_id)


def inbox_people(*, agency: Agency) -> QuerySet[User]:
    """The members who work this agency's inbox: who a conversation can be assigned to."""
    return (
        User.objects.filter(
            memberships__agency=agency, memberships__role__in=SECTION_ROLES["inbox"], is_active=True
        )
        .distinct()
        .order_by("full_name", "email")
    )


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
