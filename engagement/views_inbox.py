"""The shared inbox: the conversation list, a thread, and the actions taken on it.

Thin views (STYLE.md): validate a form, call one engagement.threads service, redirect with a
message, or render the page again with the errors and what the officer typed. Every
conversation and message is loaded through a selector scoped to request.agency, so another
agency's is a 404. The list and the thread's messages also answer as fragments, which
static/js/inbox.js fetches to refresh the page in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import role_required
from accounts.forms import add_service_errors
from accounts.views import paginate
from engagement import selectors, threads
from engagement.forms import (
    AssignForm,
    HideForm,
    InboxFilterForm,
    LabelsForm,
    NoteForm,
    ReplyForm,
    StatusForm,
)
from engagement.models import Conversation, Direction, Message, Reply
from posts.models import PostStatus
from posts.selectors import posts_for_agency
from posts.workflow import REVIEW_ROLES, WorkflowError

PAGE_SIZE = 25
# How often inbox.js asks for fresh rows and messages; the page says so to its readers.
REFRESH_SECONDS = 15


@dataclass
class Row:
    conversation: Conversation
    response_state: str


def _with_latest_author(conversations: QuerySet[Conversation]) -> QuerySet[Conversation]:
    # Who wrote last from the public, in the list's one query (no query per row). Facebook
    # gives names, not handles.
    latest = Message.objects.filter(
        conversation=OuterRef("pk"), direction=Direction.INBOUND
    ).order_by("-created_at", "-pk")
    return conversations.annotate(
        latest_handle=Subquery(latest.values("author_handle")[:1]),
        latest_name=Subquery(latest.values("author_name")[:1]),
    )


def _list_context(request: HttpRequest) -> dict:
    form = InboxFilterForm(request.GET, agency=request.agency, user=request.user)
    filters = form.filters()
    conversations = selectors.conversations_for_agency(agency=request.agency, **filters)
    page = paginate(request, _with_latest_author(conversations), per_page=PAGE_SIZE)
    now = timezone.now()
    rows = [Row(c, selectors.response_state(c, now)) for c in page.object_list]
    post = None
    if filters["post_id"]:
        post = posts_for_agency(agency=request.agency).filter(pk=filters["post_id"]).first()
    return {
        "form": form,
        "page": page,
        "rows": rows,
        "filtered": form.is_filtered(),
        "filter_post": post,
        "filter_post_id": filters["post_id"],
        "refresh_seconds": REFRESH_SECONDS,
    }


@role_required(section="inbox")
def inbox(request: HttpRequest) -> HttpResponse:
    """Conversations, newest activity first, filtered by the query string, 25 a page."""
    wanted = request.GET.get("conversation", "")
    if wanted.isdigit():
        # The link in notifications: /inbox/?conversation=<pk>.
        return redirect("engagement:thread", conversation_id=int(wanted))
    context = _list_context(request)
    context["js_strings"] = _js_strings()
    return render(request, "engagement/inbox.html", context)


@require_GET
@role_required(section="inbox")
def inbox_list(request: HttpRequest) -> HttpResponse:
    """Only the list (rows and pager) for the same query string: what inbox.js swaps in."""
    return render(request, "engagement/inbox_list.html", _list_context(request))


# --- The thread -----------------------------------------------------------------------------


def _conversation(request: HttpRequest, conversation_id: int) -> Conversation:
    conversation = selectors.conversation_get(
        agency=request.agency, conversation_id=conversation_id
    )
    conversation.agency = request.agency  # the same row; saves a query for each use below
    return conversation


def _thread_url(conversation: Conversation) -> str:
    return reverse("engagement:thread", args=[conversation.pk])


def _messages_context(conversation: Conversation) -> dict:
    thread = list(selectors.messages_for_conversation(conversation=conversation))
    replies: list[Reply] = list(selectors.replies_for_conversation(conversation=conversation))
    # A published reply is in the thread as our message; the others show where they stand.
    waiting = []
    for reply in replies:
        if reply.post.status == PostStatus.PUBLISHED:
            continue
        targets = list(reply.post.targets.all())
        waiting.append({"reply": reply, "target": targets[0] if targets else None})
    return {"conversation": conversation, "thread": thread, "waiting": waiting}


def _render_thread(
    request: HttpRequest,
    conversation: Conversation,
    *,
    reply_form: ReplyForm | None = None,
    note_form: NoteForm | None = None,
    labels_form: LabelsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _messages_context(conversation)
    inbound = [m for m in context["thread"] if m.direction == Direction.INBOUND]
    prompt = selectors.reply_prompt_for(conversation=conversation)
    if reply_form is None:
        initial = {}
        if prompt and conversation.first_response_at is None:
            initial["text"] = prompt  # the suggested reply to an urgent, unanswered thread
        reply_form = ReplyForm(conversation=conversation, inbound=inbound, initial=initial)
    handle = threads.latest_handle(conversation=conversation)
    canned = [
        (
            response,
            threads.canned_text(response=response, conversation=conversation, handle=handle),
        )
        for response in selectors.canned_responses_for_agency(agency=request.agency)
    ]
    settings = selectors.inbox_settings_for(agency=request.agency)
    role = request.membership.role
    context.update(
        {
            "state": selectors.response_state(conversation),
            "prompt": prompt,
            "notes": list(selectors.notes_for_conversation(conversation=conversation)),
            "reply_form": reply_form,
            "note_form": note_form or NoteForm(),
            "labels_form": labels_form
            or LabelsForm(initial={"labels": ", ".join(conversation.labels or [])}),
            "status_form": StatusForm(initial={"status": conversation.status}),
            "assign_form": AssignForm(
                agency=request.agency, initial={"assignee": conversation.assignee_id}
            ),
            "can_assign_others": role in REVIEW_ROLES,
            "needs_approval": settings.require_reply_approval and role not in REVIEW_ROLES,
            "canned": canned,
            "canned_texts": {str(response.pk): text for response, text in canned},
            "can_reply": bool(inbound),
            "js_strings": _js_strings(),
            "refresh_seconds": REFRESH_SECONDS,
        }
    )
    return render(request, "engagement/thread.html", context, status=status)


@role_required(section="inbox")
def thread(request: HttpRequest, conversation_id: int) -> HttpResponse:
    return _render_thread(request, _conversation(request, conversation_id))


@require_GET
@role_required(section="inbox")
def thread_messages(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Only the thread's messages and waiting replies: what inbox.js swaps in."""
    conversation = _conversation(request, conversation_id)
    return render(request, "engagement/thread_messages.html", _messages_context(conversation))


# --- Actions --------------------------------------------------------------------------------


def _refused(request: HttpRequest, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.error(request, str(exc) or _("You may not do that."))


@require_POST
@role_required(section="inbox")
def assign(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    form = AssignForm(request.POST, agency=request.agency)
    if not form.is_valid():
        messages.error(request, _("Choose someone who works the inbox."))
        return redirect(_thread_url(conversation))
    assignee = form.chosen(request.user)
    try:
        threads.conversation_assign(conversation=conversation, assignee=assignee, by=request.user)
    except (PermissionDenied, ValidationError) as exc:
        _refused(request, exc)
    else:
        if assignee is None:
            messages.success(request, _("Nobody is assigned to this conversation now."))
        elif assignee.pk == request.user.pk:
            messages.success(request, _("This conversation is yours now."))
        else:
            messages.success(
                request,
                _("Assigned to %(person)s. They have been told.")
                % {"person": assignee.display_name},
            )
    return redirect(_thread_url(conversation))


@require_POST
@role_required(section="inbox")
def set_status(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return redirect(_thread_url(conversation))
    try:
        conversation = threads.conversation_set_status(
            conversation=conversation, status=form.cleaned_data["status"], by=request.user
        )
    except (PermissionDenied, ValidationError) as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("Status: %(status)s.") % {"status": conversation.get_status_display()},
        )
    return redirect(_thread_url(conversation))


@require_POST
@role_required(section="inbox")
def set_labels(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    form = LabelsForm(request.POST)
    if form.is_valid():
        try:
            threads.conversation_set_labels(
                conversation=conversation, labels=form.label_list(), by=request.user
            )
        except ValidationError as exc:
            form.add_error("labels", exc.messages)
        else:
            messages.success(request, _("Labels saved."))
            return redirect(_thread_url(conversation))
    return _render_thread(request, conversation, labels_form=form, status=400)


@require_POST
@role_required(section="inbox")
def add_note(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            threads.conversation_note_add(
                conversation=conversation, text=form.cleaned_data["text"], by=request.user
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Note added. Only colleagues can see it."))
            return redirect(_thread_url(conversation) + "#notes")
    return _render_thread(request, conversation, note_form=form, status=400)


@require_POST
@role_required(section="inbox")
def reply(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    inbound = list(
        selectors.messages_for_conversation(conversation=conversation).filter(
            direction=Direction.INBOUND
        )
    )
    form = ReplyForm(request.POST, conversation=conversation, inbound=inbound)
    if form.is_valid():
        try:
            sent = threads.reply_send(
                conversation=conversation,
                text=form.cleaned_data["text"],
                by=request.user,
                in_reply_to=form.cleaned_data["in_reply_to"],
                canned_response=form.cleaned_data["canned_response"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except WorkflowError as exc:
            form.add_error("text", exc.message)
        else:
            sent.post.refresh_from_db(fields=["status"])  # the services worked on their own copy
            if sent.post.status == PostStatus.IN_REVIEW:
                messages.success(
                    request,
                    _(
                        "Your reply is waiting for a supervisor's approval; it goes out once approved."
                    ),
                )
            else:
                messages.success(
                    request,
                    _("Your reply is on its way. It joins the thread once it is published."),
                )
            return redirect(_thread_url(conversation))
    return _render_thread(request, conversation, reply_form=form, status=400)


@role_required(section="inbox")
def hide(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    """A confirmation page with the required reason (GET), then hiding on the platform (POST)."""
    conversation = _conversation(request, conversation_id)
    message = selectors.message_get(agency=request.agency, message_id=message_id)
    if message.conversation_id != conversation.pk:
        raise Http404
    message.conversation = conversation
    status = 200
    if request.method == "POST":
        form = HideForm(request.POST)
        if form.is_valid():
            try:
                threads.message_hide(
                    message=message, by=request.user, reason=form.cleaned_data["reason"]
                )
            except PermissionDenied as exc:
                _refused(request, exc)
                return redirect(_thread_url(conversation))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Hidden on the platform. The reason is recorded."))
                return redirect(_thread_url(conversation) + f"#message-{message.pk}")
        status = 400
    elif message.hidden or message.direction != Direction.INBOUND:
        messages.error(request, _("Only a visible message from the public can be hidden."))
        return redirect(_thread_url(conversation))
    else:
        form = HideForm()
    return render(
        request,
        "engagement/thread_hide.html",
        {"conversation": conversation, "message": message, "form": form},
        status=status,
    )


def _js_strings() -> dict[str, str]:
    """What inbox.js shows, translated here so the page's language applies."""
    return {
        "updated": _("Updated at %(time)s."),
        "paused": _("Updates paused while this tab is hidden."),
        "refresh_failed": _("Could not refresh; trying again shortly."),
        "signed_out": _("Updates stopped: reload the page to sign in again."),
        "weighted": _("%(n)s/%(max)s (weighted)"),
        "length": _("%(n)s/%(max)s characters"),
        "over": _("%(n)s over the limit"),
        "checking": _("Counting…"),
        "check_failed": _("The live count is unavailable; the reply is checked when you send it."),
        "replace": _("Replace what you have written with this text?"),
    }
