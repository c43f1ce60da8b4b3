"""Forms of the inbox and thread pages. They read and shape input; every rule about who may do
what, and every state change, stays in engagement/threads.py.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.forms import OwnIdsForm
from accounts.models import Agency, User
from accounts.selectors import platform_accounts_for_agency
from campaigns.selectors import campaigns_for_agency
from engagement import selectors
from engagement.models import CannedResponse, Category, Conversation, ConversationStatus, Message
from engagement.threads import MAX_REASON, MAX_REPLY_LENGTH, canned_text

ASSIGNEE_ME = "me"
ASSIGNEE_NONE = "none"


# --- The inbox list -------------------------------------------------------------------------


class InboxFilterForm(OwnIdsForm):
    """The inbox filters, read from the query string. An invalid value is ignored, not an error:
    a stale bookmark still opens the inbox."""

    id_prefix = "filter"

    account = forms.TypedChoiceField(label=gettext_lazy("Account"), required=False, coerce=int)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    assignee = forms.ChoiceField(label=gettext_lazy("Assigned to"), required=False)
    campaign = forms.TypedChoiceField(label=gettext_lazy("Campaign"), required=False, coerce=int)
    post = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    order = forms.ChoiceField(label=gettext_lazy("Order"), required=False)

    def __init__(self, *args, agency: Agency, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["account"].choices = everything + [
            (a.pk, str(a)) for a in platform_accounts_for_agency(agency=agency)
        ]
        self.fields["status"].choices = everything + list(ConversationStatus.choices)
        self.fields["category"].choices = everything + list(Category.choices)
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            (ASSIGNEE_ME, _("Me")),
            (ASSIGNEE_NONE, _("Nobody")),
        ] + [(str(p.pk), p.display_name) for p in selectors.inbox_people(agency=agency)]
        self.fields["campaign"].choices = everything + [
            (c.pk, c.name) for c in campaigns_for_agency(agency=agency)
        ]
        self.fields["order"].choices = [
            ("recent", _("Newest activity first")),
            ("priority", _("Most pressing first")),
        ]
        self.user = user

    def filters(self) -> dict:
        """Keyword arguments for selectors.conversations_for_agency (valid fields only)."""
        self.is_valid()
        data = {
            name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors
        }
        kwargs: dict = {
            "status": data.get("status") or None,
            "category": data.get("category") or None,
            "account_id": data.get("account") or None,
            "campaign_id": data.get("campaign") or None,
            "post_id": data.get("post") or None,
            "order": data.get("order") or "recent",
        }
        assignee = data.get("assignee") or ""
        if assignee == ASSIGNEE_NONE:
            kwargs["unassigned"] = True
        elif assignee == ASSIGNEE_ME:
            kwargs["assignee_id"] = self.user.pk
        elif assignee.isdigit():
            kwargs["assignee_id"] = int(assignee)
        return kwargs

    def is_filtered(self) -> bool:
        return any(
            self.cleaned_data.get(name)
            for name in ("account", "status", "category", "assignee", "campaign", "post")
            if name not in self.errors
        )


# --- The thread page ------------------------------------------------------------------------


class AssignForm(OwnIdsForm):
    """Assign to someone (supervisors), take it ("me") or let it go ("unassign")."""

    id_prefix = "assign"

    ASSIGN, ME, UNASSIGN = "assign", "me", "unassign"

    assignee = forms.ModelChoiceField(
        label=gettext_lazy("Assign to"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("Nobody"),
    )
    action = forms.ChoiceField(
        choices=[(ASSIGN, ASSIGN), (ME, ME), (UNASSIGN, UNASSIGN)],
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, agency: Agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = selectors.inbox_people(agency=agency)

    def chosen(self, me: User) -> User | None:
        """Whom the conversation goes to: the person picked, the one asking, or nobody."""
        action = self.cleaned_data.get("action") or self.ASSIGN
        if action == self.ME:
            return me
        if action == self.UNASSIGN:
            return None
        return self.cleaned_data.get("assignee")


class StatusForm(OwnIdsForm):
    id_prefix = "status"

    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=ConversationStatus.choices)


class LabelsForm(OwnIdsForm):
    id_prefix = "labels"

    labels = forms.CharField(
        label=gettext_lazy("Labels"),
        required=False,
        max_length=1000,
        help_text=gettext_lazy("Separate labels with commas."),
    )

    def label_list(self) -> list[str]:
        return [part.strip() for part in self.cleaned_data["labels"].split(",") if part.strip()]


class NoteForm(OwnIdsForm):
    id_prefix = "note"

    text = forms.CharField(
        label=gettext_lazy("Internal note"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("For colleagues only: never sent to the public."),
    )


class ReplyForm(OwnIdsForm):
    """The reply box. Without JavaScript, a canned response chosen with an empty text is sent
    as the reply (with the citizen's handle filled in)."""

    id_prefix = "reply"

    in_reply_to = forms.ModelChoiceField(
        label=gettext_lazy("Reply to"),
        queryset=Message.objects.none(),
        required=False,
        empty_label=None,
    )
    canned_response = forms.ModelChoiceField(
        label=gettext_lazy("Canned response"),
        queryset=CannedResponse.objects.none(),
        required=False,
        empty_label=gettext_lazy("(none)"),
    )
    text = forms.CharField(
        label=gettext_lazy("Reply"),
        required=False,
        max_length=MAX_REPLY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, conversation: Conversation, inbound: list[Message], **kwargs):
        super().__init__(*args, **kwargs)
        self.conversation = conversation
        ids = [m.pk for m in inbound]
        field = self.fields["in_reply_to"]
        field.queryset = Message.objects.filter(
            agency_id=conversation.agency_id, conversation=conversation, pk__in=ids
        )
        # Newest first, so the default (the first choice) is the latest message.
        field.choices = [(m.pk, _message_label(m)) for m in reversed(inbound)]
        self.fields["canned_response"].queryset = selectors.canned_responses_for_agency(
            agency=conversation.agency
        )
        if inbound and not self.is_bound:
            self.initial.setdefault("in_reply_to", inbound[-1].pk)

    def clean(self):
        data = super().clean()
        canned = data.get("canned_response")
        if not (data.get("text") or "").strip():
            if canned is not None:
                data["text"] = canned_text(response=canned, conversation=self.conversation)
            else:
                self.add_error("text", _("Write the reply first."))
        return data


def _message_label(message: Message) -> str:
    at = timezone.localtime(message.created_at).strftime("%Y-%m-%d %H:%M")
    text = " ".join(message.text.split())
    if len(text) > 60:
        text = text[:59] + "…"
    handle = message.author_handle
    if handle and message.platform == "x":
        handle = f"@{handle}"
    return f"{handle} ({at}): {text}" if handle else f"({at}): {text}"


class HideForm(OwnIdsForm):
    id_prefix = "hide"

    reason = forms.CharField(
        label=gettext_lazy("Why is it hidden?"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Required. Recorded in the audit trail."),
    )
