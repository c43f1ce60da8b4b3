"""Serializers of the inbox API. They read and shape input and present conversations; every
rule about who may do what, and every state change, stays in engagement/threads.py.

Ids in input (the assignee, the message replied to, a canned response) are looked up in the
request's agency (and conversation) only: another agency's is refused like an unknown one.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api import AccountBriefSerializer, PersonSerializer
from accounts.models import User
from engagement import selectors
from engagement.models import (
    CannedResponse,
    Conversation,
    ConversationNote,
    ConversationStatus,
    Direction,
    Message,
    Reply,
)
from engagement.threads import MAX_REASON, MAX_REPLY_LENGTH
from posts.models import PostTarget


def _id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=2**63 - 1, **kwargs)


# --- Reading ------------------------------------------------------------------------------------


class ConversationSerializer(serializers.ModelSerializer):
    """A conversation in the inbox list."""

    account = AccountBriefSerializer(read_only=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)
    labels = serializers.ListField(child=serializers.CharField(), read_only=True)
    response_state = serializers.SerializerMethodField(
        help_text="Against the first-response target: answered, overdue, due_soon, on_time, "
        "or empty without a target."
    )

    class Meta:
        model = Conversation
        fields = [
            "id",
            "platform",
            "account",
            "status",
            "category",
            "priority",
            "urgent",
            "assignee",
            "labels",
            "message_count",
            "snippet",
            "our_post",
            "last_activity_at",
            "first_inbound_at",
            "response_due_at",
            "first_response_at",
            "response_state",
        ]
        read_only_fields = fields

    def get_response_state(self, conversation: Conversation) -> str:
        return selectors.response_state(conversation, self.context.get("now"))


class MessageSerializer(serializers.ModelSerializer):
    sent_by = PersonSerializer(read_only=True, allow_null=True)
    hidden_by = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "platform",
            "external_id",
            "parent_external_id",
            "direction",
            "kind",
            "author_handle",
            "author_name",
            "text",
            "created_at",
            "language",
            "category",
            "hidden",
            "hidden_at",
            "hidden_by",
            "hidden_reason",
            "sent_by",
        ]
        read_only_fields = fields


class NoteSerializer(serializers.ModelSerializer):
    author = PersonSerializer(read_only=True)

    class Meta:
        model = ConversationNote
        fields = ["id", "author", "text", "created_at"]
        read_only_fields = fields


class ReplySerializer(serializers.ModelSerializer):
    """One of our answers: its post carries it through review and publishing."""

    author = PersonSerializer(read_only=True)
    text = serializers.CharField(source="post.body", read_only=True)
    status = serializers.CharField(
        source="post.status", read_only=True, help_text="The reply post's status."
    )
    target_status = serializers.SerializerMethodField()
    last_error = serializers.SerializerMethodField()

    class Meta:
        model = Reply
        fields = [
            "id",
            "post",
            "author",
            "text",
            "in_reply_to",
            "canned_response",
            "status",
            "target_status",
            "last_error",
            "created_at",
        ]
        read_only_fields = fields

    def _target(self, reply: Reply) -> PostTarget | None:
        # Prefetched by replies_for_conversation (post__targets).
        targets = list(reply.post.targets.all())
        return targets[0] if targets else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_target_status(self, reply: Reply) -> str | None:
        target = self._target(reply)
        return target.status if target else None

    @extend_schema_field(serializers.CharField())
    def get_last_error(self, reply: Reply) -> str:
        target = self._target(reply)
        return target.last_error if target else ""


class ConversationDetailSerializer(ConversationSerializer):
    """A thread: the conversation with every message, our replies and the internal notes."""

    messages = serializers.SerializerMethodField()
    replies = serializers.SerializerMethodField()
    notes = serializers.SerializerMethodField()

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "messages", "replies", "notes"]
        read_only_fields = fields

    @extend_schema_field(MessageSerializer(many=True))
    def get_messages(self, conversation: Conversation) -> list[dict]:
        thread = selectors.messages_for_conversation(conversation=conversation)
        return MessageSerializer(thread, many=True).data

    @extend_schema_field(ReplySerializer(many=True))
    def get_replies(self, conversation: Conversation) -> list[dict]:
        replies = selectors.replies_for_conversation(conversation=conversation)
        return ReplySerializer(replies, many=True).data

    @extend_schema_field(NoteSerializer(many=True))
    def get_notes(self, conversation: Conversation) -> list[dict]:
        notes = selectors.notes_for_conversation(conversation=conversation)
        return NoteSerializer(notes, many=True).data


class CannedResponseSerializer(serializers.ModelSerializer):
    class Meta:
        model = CannedResponse
        fields = ["id", "title", "text", "language"]
        read_only_fields = fields


class InboxPersonSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "name", "email"]
        read_only_fields = fields


# --- Actions ------------------------------------------------------------------------------------


class AssignSerializer(serializers.Serializer):
    assignee = _id_field(
        allow_null=True,
        help_text="Someone who works the inbox (GET /inbox/people/), or null to unassign. "
        "Press officers may only take a conversation themselves or let go of their own.",
    )

    def __init__(self, *args, agency=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.agency = agency

    def validate_assignee(self, pk: int | None) -> User | None:
        if pk is None:
            return None
        person = selectors.inbox_people(agency=self.agency).filter(pk=pk).first()
        if person is None:
            raise serializers.ValidationError(_("Choose someone who works the inbox."))
        return person


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ConversationStatus.choices)


class LabelsSerializer(serializers.Serializer):
    labels = serializers.ListField(
        child=serializers.CharField(max_length=200, allow_blank=True),
        max_length=50,
        help_text="The conversation's labels from now on (replaces them all).",
    )


class NoteCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000, help_text="For colleagues only.")


class ReplyCreateSerializer(serializers.Serializer):
    """The reply box. With a canned response and no text, the response is the reply (with the
    citizen's handle filled in)."""

    text = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_REPLY_LENGTH, default=""
    )
    in_reply_to = _id_field(
        required=False,
        allow_null=True,
        default=None,
        help_text="A message from the public in this thread; default: the latest one.",
    )
    canned_response = _id_field(required=False, allow_null=True, default=None)

    def __init__(self, *args, conversation: Conversation | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.conversation = conversation

    def validate_in_reply_to(self, pk: int | None) -> Message | None:
        if pk is None:
            return None
        message = (
            selectors.messages_for_conversation(conversation=self.conversation)
            .filter(pk=pk, direction=Direction.INBOUND)
            .first()
        )
        if message is None:
            raise serializers.ValidationError(_("Choose a message of this conversation."))
        return message

    def validate_canned_response(self, pk: int | None) -> CannedResponse | None:
        if pk is None:
            return None
        response = (
            selectors.canned_responses_for_agency(agency=self.conversation.agency)
            .filter(pk=pk)
            .first()
        )
        if response is None:
            raise serializers.ValidationError(_("Choose a canned response of your agency."))
        return response


class HideSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_REASON, help_text="Why it is hidden (audited).")
