"""State changes of a thread in the inbox: assign, status, labels, notes, replies, hiding,
and the agency's canned responses.

Every function here is a service (STYLE.md): keyword-only, one transaction, one audit event.
Replies go out through the publishing engine: a reply is a `Post` of kind "reply" with one
target, so it is checked against the agency's policy, reviewed when the agency asks for that,
and published exactly once by the same claims, retries and reconciliation as any post. When
its target is published, `reply_published` adds the outbound message to the thread and records
the conversation's first response.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import Agency, PlatformAccountStatus, User
from accounts.roles import SECTION_ROLES
from accounts.selectors import role_in_agency
from accounts.services import notify, require_admin
from engagement.models import (
    CannedResponse,
    Conversation,
    ConversationNote,
    ConversationStatus,
    Direction,
    Message,
    MessageKind,
    Reply,
    RuleLanguage,
)
from engagement.services import inbox_settings_ensure
from platforms.base import AuthExpired, PlatformError, RateLimited
from posts.checks import blocking, content_hash, post_findings
from posts.models import Post, PostKind, PostStatus, PostStyle, PostTarget
from posts.publishing import client_for_account, post_schedule
from posts.textcheck import platform_checks
from posts.workflow import REVIEW_ROLES, describe_findings, post_submit

INBOX_ROLES = SECTION_ROLES["inbox"]
MAX_LABELS = 10
MAX_LABEL_LENGTH = 40
MAX_REPLY_LENGTH = 2000
MAX_REASON = 500


def _require_inbox_role(conversation: Conversation, by: User) -> str:
    """`by` works this agency's inbox (officer, supervisor, admin); analysts only read."""
    role = role_in_agency(agency_id=conversation.agency_id, user=by)
    if role not in INBOX_ROLES:
        raise PermissionDenied(_("Only press officers, supervisors and admins work the inbox."))
    return role


def _lock(conversation: Conversation) -> Conversation:
    return (
        Conversation.objects.select_for_update()
        .select_related("agency", "account")
        .get(pk=conversation.pk)
    )


def _event(action: str, conversation: Conversation, by: User | None, **data) -> None:
    audit_record(
        action=action, actor=by, agency=conversation.agency, target=conversation, data=data
    )


# --- Assignment, status, labels, notes -------------------------------------------------------


@transaction.atomic
def conversation_assign(
    *, conversation: Conversation, assignee: User | None, by: User
) -> Conversation:
    """Assign a conversation to someone who works the inbox, or unassign it (None).

    Supervisors and admins assign anyone; a press officer takes a conversation for themself
    or lets go of their own, but does not hand work to colleagues or take it from them. The
    new assignee is told unless they assigned themself.
    """
    conversation = _lock(conversation)
    role = _require_inbox_role(conversation, by)
    if assignee is not None and role_in_agency(
        agency_id=conversation.agency_id, user=assignee
    ) not in (INBOX_ROLES):
        raise ValidationError(
            _("Only a member of this agency who works the inbox can be assigned.")
        )
    if role not in REVIEW_ROLES:
        takes_own = assignee is not None and assignee.pk == by.pk
        releases_own = assignee is None and conversation.assignee_id == by.pk
        if not (takes_own or releases_own):
            raise PermissionDenied(
                _(
                    "A press officer may take a conversation or let go of their own; ask a supervisor to assign colleagues."
                )
            )
        if takes_own and conversation.assignee_id not in (None, by.pk):
            raise PermissionDenied(
                _("This conversation is assigned to someone else; ask a supervisor to reassign it.")
            )
    previous = conversation.assignee_id
    new = assignee.pk if assignee is not None else None
    if previous == new:
        return conversation
    conversation.assignee = assignee
    conversation.save(update_fields=["assignee"])
    _event(
        "engagement.conversation.assigned" if new else "engagement.conversation.unassigned",
        conversation,
        by,
        assignee=new,
        previous=previous,
    )
    if assignee is not None and assignee.pk != by.pk:
        notify(
            agency=conversation.agency,
            users=[assignee],
            message=_("%(person)s assigned you a conversation: %(text)s")
            % {"person": by, "text": conversation.snippet[:200]},
            link=f"/inbox/{conversation.pk}/",
        )
    return conversation


@transaction.atomic
def conversation_set_status(*, conversation: Conversation, status: str, by: User) -> Conversation:
    """Open, pending (waiting for the public) or resolved. A new message reopens it."""
    conversation = _lock(conversation)
    _require_inbox_role(conversation, by)
    if status not in ConversationStatus.values:
        raise ValidationError(_("Unknown status: %(status)s.") % {"status": status})
    if conversation.status == status:
        return conversation
    previous = conversation.status
    conversation.status = status
    conversation.save(update_fields=["status"])
    _event("engagement.conversation.status", conversation, by, status=status, previous=previous)
    return conversation


def clean_labels(labels: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for label in labels:
        label = " ".join(str(label).split())
        if not label:
            continue
        if len(label) > MAX_LABEL_LENGTH:
            raise ValidationError(
                _("A label may have at most %(n)d characters.") % {"n": MAX_LABEL_LENGTH}
            )
        if label.casefold() not in {c.casefold() for c in cleaned}:
            cleaned.append(label)
    if len(cleaned) > MAX_LABELS:
        raise ValidationError(
            _("A conversation may have at most %(n)d labels.") % {"n": MAX_LABELS}
        )
    return cleaned


@transaction.atomic
def conversation_set_labels(
    *, conversation: Conversation, labels: Sequence[str], by: User
) -> Conversation:
    """Replace the conversation's labels (free text, for colleagues' filtering and reports)."""
    conversation = _lock(conversation)
    _require_inbox_role(conversation, by)
    cleaned = clean_labels(labels)
    if cleaned == list(conversation.labels or []):
        return conversation
    previous = list(conversation.labels or [])
    conversation.labels = cleaned
    conversation.save(update_fields=["labels"])
    _event("engagement.conversation.labels", conversation, by, labels=cleaned, previous=previous)
    return conversation


@transaction.atomic
def conversation_note_add(*, conversation: Conversation, text: str, by: User) -> ConversationNote:
    """An internal note for colleagues. Never sent to the public."""
    conversation = _lock(conversation)
    _require_inbox_role(conversation, by)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the note first.")})
    if len(text) > 5000:
        raise ValidationError({"text": _("A note may have at most 5,000 characters.")})
    note = ConversationNote.objects.create(
        agency_id=conversation.agency_id, conversation=conversation, author=by, text=text
    )
    # The audit trail records that a note was written, not what it says (it may name people).
    _event("engagement.conversation.note_added", conversation, by, note=note.pk, length=len(text))
    return note


# --- Replies ----------------------------------------------------------------------------------


@transaction.atomic
def reply_send(
    *,
    conversation: Conversation,
    text: str,
    by: User,
    in_reply_to: Message | None = None,
    canned_response: CannedResponse | None = None,
) -> Reply:
    """Answer a thread on the platform, as a reply to `in_reply_to` (default: its latest
    inbound message).

    The reply becomes a post of kind "reply" on the conversation's account. It must fit the
    platform and pass the agency's policy (a blocking finding stops it). If the agency requires
    approval of replies, a press officer's reply goes to the supervisors' review queue and is
    published once approved; a supervisor's or admin's reply, like any reply when approval is
    not required, is approved and scheduled for now. Publishing goes through the targets'
    exactly-once path; the thread shows the reply once it is published (`reply_published`).
    """
    conversation = _lock(conversation)
    role = _require_inbox_role(conversation, by)
    account = conversation.account
    if account.status != PlatformAccountStatus.ACTIVE:
        raise ValidationError(
            _("The account %(account)s is %(status)s: reconnect it before replying.")
            % {"account": account, "status": account.get_status_display()}
        )
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the reply first.")})
    if len(text) > MAX_REPLY_LENGTH:
        raise ValidationError(
            {"text": _("A reply may have at most %(n)d characters.") % {"n": MAX_REPLY_LENGTH}}
        )
    check = platform_checks(text, [account.platform])[account.platform]
    if not check.get("valid", True):
        raise ValidationError(
            {
                "text": _("This reply is too long for %(platform)s.")
                % {"platform": account.get_platform_display()}
            }
        )
    if in_reply_to is None:
        in_reply_to = (
            Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
            .order_by("-created_at", "-pk")
            .first()
        )
    if in_reply_to is None or in_reply_to.conversation_id != conversation.pk:
        raise ValidationError(_("Choose a message of this conversation to reply to."))
    if canned_response is not None and canned_response.agency_id != conversation.agency_id:
        raise ValidationError(_("That canned response belongs to another agency."))

    now = timezone.now()
    post = Post.objects.create(
        agency_id=conversation.agency_id,
        author=by,
        body=text,
        style=PostStyle.COMMUNITY,
        kind=PostKind.REPLY,
        in_reply_to_external_id=in_reply_to.external_id,
        scheduled_at=now,
    )
    post.accounts.set([account])
    reply = Reply.objects.create(
        agency_id=conversation.agency_id,
        conversation=conversation,
        in_reply_to=in_reply_to,
        post=post,
        author=by,
        canned_response=canned_response,
    )
    needs_review = (
        inbox_settings_ensure(agency=conversation.agency).require_reply_approval
        and role not in REVIEW_ROLES
    )
    _event(
        "engagement.reply.created",
        conversation,
        by,
        reply=reply.pk,
        post=post.pk,
        in_reply_to=in_reply_to.external_id,
        canned_response=canned_response.pk if canned_response else None,
        needs_review=needs_review,
    )
    if needs_review:
        post_submit(post=post, by=by)  # refuses a blocking finding, like any submission
        return reply
    found = blocking(post_findings(post))
    if found:
        raise ValidationError(
            {
                "text": _("This reply cannot be sent because of %(findings)s.")
                % {"findings": describe_findings(found)}
            }
        )
    post.status = PostStatus.APPROVED
    post.approved_hash = content_hash(post)
    post.updated_at = now
    post.save(update_fields=["status", "approved_hash", "updated_at"])
    post_schedule(post=post, by=by, at=now, accounts=[account])
    post.refresh_from_db(fields=["status", "scheduled_at", "updated_at"])
    return reply


def reply_published(*, post: Post, target: PostTarget, external_id: str, at: datetime) -> None:
    """A reply's target was published: add our message to the thread and record the first
    response. Called by the publishing engine inside the transaction that records the publish.
    """
    reply = Reply.objects.filter(post_id=post.pk).first()
    if reply is None:
        return
    conversation = Conversation.objects.select_for_update().get(pk=reply.conversation_id)
    account = target.account
    try:
        with transaction.atomic():
            Message.objects.create(
                agency_id=conversation.agency_id,
                conversation=conversation,
                platform=account.platform,
                external_id=external_id,
                parent_external_id=post.in_reply_to_external_id,
                author_handle=account.handle[:100],
                author_name=account.display_name[:200],
                author_external_id=account.external_id[:100],
                text=post.text_for(account.platform),
                created_at=at,
                direction=Direction.OUTBOUND,
                kind=MessageKind.COMMENT if account.platform == "facebook" else MessageKind.REPLY,
                sent_by_id=reply.author_id,
            )
    except IntegrityError:
        return  # already in the thread: recorded by an earlier attempt
    fields = ["message_count", "last_activity_at"]
    conversation.message_count += 1
    if at > conversation.last_activity_at:
        conversation.last_activity_at = at
    if conversation.first_response_at is None:
        conversation.first_response_at = at
        conversation.first_response_seconds = max(
            0, int((at - conversation.first_inbound_at).total_seconds())
        )
        fields += ["first_response_at", "first_response_seconds"]
    conversation.save(update_fields=fields)
    audit_record(
        action="engagement.reply.published",
        actor=None,
        agency=post.agency,
        target=conversation,
        data={"reply": reply.pk, "external_id": external_id},
    )


# --- Moderation -------------------------------------------------------------------------------


def message_hide(*, message: Message, by: User, reason: str) -> Message:
    """Hide a citizen's reply or comment on the platform, with a required reason, audited.

    The platform is asked first, outside any transaction; only what it accepted is recorded.
    Refusals and platform errors come back as ValidationError with the platform's words.
    """
    conversation = message.conversation
    _require_inbox_role(conversation, by)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the message is hidden.")})
    if len(reason) > MAX_REASON:
        raise ValidationError(
            {"reason": _("A reason may have at most %(n)d characters.") % {"n": MAX_REASON}}
        )
    if message.direction != Direction.INBOUND:
        raise ValidationError(_("Only a message from the public can be hidden."))
    if message.hidden:
        raise ValidationError(_("This message is already hidden."))
    account = conversation.account
    try:
        client_for_account(account).hide(message.external_id)
    except RateLimited as exc:
        raise ValidationError(
            _("The platform is rate limiting this account; try again after %(time)s.")
            % {
                "time": timezone.localtime(exc.retry_at, conversation.agency.tzinfo).strftime(
                    "%H:%M"
                )
            }
        ) from exc
    except AuthExpired as exc:
        raise ValidationError(
            _("The account %(account)s must be reconnected before it can hide messages.")
            % {"account": account}
        ) from exc
    except PlatformError as exc:
        raise ValidationError(
            _("The platform refused to hide it: %(error)s") % {"error": str(exc)[:300]}
        ) from exc
    with transaction.atomic():
        now = timezone.now()
        Message.objects.filter(pk=message.pk).update(
            hidden=True, hidden_at=now, hidden_by=by, hidden_reason=reason
        )
        _event(
            "engagement.message.hidden",
            conversation,
            by,
            message=message.pk,
            external_id=message.external_id,
            reason=reason,
        )
    message.refresh_from_db()
    return message


# --- Canned responses -------------------------------------------------------------------------


@transaction.atomic
def canned_response_save(
    *,
    agency: Agency,
    by: User,
    title: str,
    text: str,
    language: str = RuleLanguage.ANY,
    response: CannedResponse | None = None,
) -> CannedResponse:
    """Create (response=None) or change one of the agency's canned responses (admins)."""
    require_admin(agency=agency, by=by)
    if response is not None and response.agency_id != agency.pk:
        raise PermissionDenied(_("That canned response belongs to another agency."))
    title, text = " ".join(title.split()), text.strip()
    errors = {}
    if not title:
        errors["title"] = _("Give the response a title.")
    elif len(title) > 120:
        errors["title"] = _("A title may have at most 120 characters.")
    if not text:
        errors["text"] = _("Write the response.")
    elif len(text) > 2000:
        errors["text"] = _("A response may have at most 2,000 characters.")
    if language not in RuleLanguage.values:
        errors["language"] = _("Choose a language.")
    duplicate = CannedResponse.objects.filter(agency=agency, title__iexact=title)
    if response is not None:
        duplicate = duplicate.exclude(pk=response.pk)
    if title and duplicate.exists():
        errors["title"] = _("Another canned response already has this title.")
    if errors:
        raise ValidationError(errors)
    created = response is None
    if response is None:
        response = CannedResponse(agency=agency)
    response.title, response.text, response.language = title, text, language
    response.updated_at = timezone.now()
    response.save()
    audit_record(
        action="engagement.canned_response.created"
        if created
        else "engagement.canned_response.updated",
        actor=by,
        agency=agency,
        target=response,
        data={"title": title, "language": language},
    )
    return response


@transaction.atomic
def canned_response_delete(*, response: CannedResponse, by: User) -> None:
    """Delete one of the agency's canned responses (admins). Replies sent with it keep their text."""
    require_admin(agency=response.agency, by=by)
    audit_record(
        action="engagement.canned_response.deleted",
        actor=by,
        agency=response.agency,
        target=response,
        data={"title": response.title},
    )
    response.delete()


def canned_text(
    *, response: CannedResponse, conversation: Conversation, handle: str | None = None
) -> str:
    """The response's text for this thread, with {handle} filled in (the citizen's handle).

    `handle` saves the lookup when the caller fills several responses for one thread.
    """
    if handle is None:
        handle = latest_handle(conversation=conversation)
    mention = f"@{handle}" if handle and conversation.platform == "x" else handle
    return response.text.replace("{handle}", mention).strip()


def latest_handle(*, conversation: Conversation) -> str:
    """The handle of the citizen who wrote last in the thread ('' if none is known)."""
    return (
        Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
        .order_by("-created_at", "-pk")
        .values_list("author_handle", flat=True)
        .first()
        or ""
    )
