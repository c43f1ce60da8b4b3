"""The inbox API (DRF): conversations, their messages, and the actions taken on a thread.

    GET  /api/v1/inbox/conversations/                    the inbox list, with its filters
    GET  /api/v1/inbox/conversations/{id}/               a thread: messages, replies, notes
    POST /api/v1/inbox/conversations/{id}/assign/        threads.conversation_assign
    POST /api/v1/inbox/conversations/{id}/status/        threads.conversation_set_status
    POST /api/v1/inbox/conversations/{id}/labels/        threads.conversation_set_labels
    POST /api/v1/inbox/conversations/{id}/notes/         threads.conversation_note_add
    POST /api/v1/inbox/conversations/{id}/reply/         threads.reply_send
    POST /api/v1/inbox/conversations/{id}/messages/{message_id}/hide/   threads.message_hide
    GET  /api/v1/inbox/canned-responses/                 the agency's canned responses
    GET  /api/v1/inbox/people/                           who a conversation can be assigned to

Thin views, as engagement/views_inbox.py: validate, call the same engagement.threads service,
answer. Everything needs the inbox's roles (accounts/roles.py: officers, supervisors, admins);
the services check again (an officer assigning a colleague gets the service's 403).
Conversations and messages come from selectors scoped to request.agency: another agency's are
404. Errors have the shape of config/api.py.
"""

from __future__ import annotations

import django_filters
from django.core.validators import RegexValidator
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, viewsets
from rest_framework import status as http
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_auth import SectionRole
from config.api import IdFilter, refusals_as_409, url_id
from engagement import selectors, threads
from engagement.models import CannedResponse, Category, Conversation, ConversationStatus
from engagement.serializers import (
    AssignSerializer,
    CannedResponseSerializer,
    ConversationDetailSerializer,
    ConversationSerializer,
    HideSerializer,
    InboxPersonSerializer,
    LabelsSerializer,
    MessageSerializer,
    NoteCreateSerializer,
    NoteSerializer,
    ReplyCreateSerializer,
    ReplySerializer,
    StatusSerializer,
)
from posts.workflow import WorkflowError

InboxRole = SectionRole("inbox")
ASSIGNEE_ME, ASSIGNEE_NONE = "me", "none"


class ConversationFilter(django_filters.FilterSet):
    """The inbox page's filters (engagement.forms.InboxFilterForm), applied by the same
    selector, engagement.selectors.conversations_for_agency."""

    account = IdFilter(help_text=_("A platform account's id."))
    status = django_filters.ChoiceFilter(choices=ConversationStatus.choices)
    category = django_filters.ChoiceFilter(choices=Category.choices)
    assignee = django_filters.CharFilter(
        validators=[RegexValidator(r"^(me|none|[1-9][0-9]{0,17})$")],
        help_text=_("“me”, “none” (nobody), or a person's id."),
    )
    campaign = IdFilter(help_text=_("Conversations under posts of this campaign."))
    post = IdFilter(help_text=_("Conversations under this post."))
    urgent = django_filters.BooleanFilter()
    order = django_filters.ChoiceFilter(
        choices=[("recent", "recent"), ("priority", "priority")],
        help_text=_("recent (default): newest activity first; priority: most pressing first."),
    )

    class Meta:
        model = Conversation
        fields: list[str] = []

    def filter_queryset(self, queryset):
        # The selector is the one definition of the inbox's filters; `queryset` is the same
        # agency's conversations unfiltered.
        data = self.form.cleaned_data
        kwargs: dict = {
            "status": data.get("status") or None,
            "category": data.get("category") or None,
            "account_id": data.get("account"),
            "campaign_id": data.get("campaign"),
            "post_id": data.get("post"),
            "urgent": data.get("urgent"),
            "order": data.get("order") or "recent",
        }
        assignee = data.get("assignee") or ""
        if assignee == ASSIGNEE_NONE:
            kwargs["unassigned"] = True
        elif assignee == ASSIGNEE_ME:
            kwargs["assignee_id"] = self.request.user.pk
        elif assignee:
            kwargs["assignee_id"] = int(assignee)
        return selectors.conversations_for_agency(agency=self.request.agency, **kwargs)


@extend_schema_view(
    list=extend_schema(summary="The inbox: conversations, newest activity first."),
)
@extend_schema(tags=["inbox"])
class ConversationViewSet(viewsets.GenericViewSet):
    # For the schema's types only: rows always come from the agency-scoped selectors.
    queryset = Conversation.objects.none()
    serializer_class = ConversationSerializer
    filterset_class = ConversationFilter
    permission_classes = [InboxRole]
    may_refuse = True  # a reply that must be reviewed can be refused by the workflow (409)

    def get_queryset(self):
        return selectors.conversations_for_agency(agency=self.request.agency)

    def _conversation(self) -> Conversation:
        conversation = selectors.conversation_get(
            agency=self.request.agency, conversation_id=url_id(self.kwargs["pk"])
        )
        conversation.agency = self.request.agency  # the same row
        return conversation

    def _summary(self, conversation: Conversation, status: int = http.HTTP_200_OK) -> Response:
        fresh = selectors.conversation_get(
            agency=self.request.agency, conversation_id=conversation.pk
        )
        return Response(ConversationSerializer(fresh).data, status=status)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {"now": timezone.now()}
        return self.get_paginated_response(
            ConversationSerializer(page, many=True, context=context).data
        )

    @extend_schema(responses=ConversationDetailSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        """A thread: every message in time order, our replies (sent, waiting or failed) and the
        internal notes."""
        return Response(ConversationDetailSerializer(self._conversation()).data)

    @extend_schema(request=AssignSerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        """Assign (supervisors, admins), take it yourself, or let it go (null)."""
        conversation = self._conversation()
        serializer = AssignSerializer(data=request.data, agency=request.agency)
        serializer.is_valid(raise_exception=True)
        threads.conversation_assign(
            conversation=conversation,
            assignee=serializer.validated_data["assignee"],
            by=request.user,
        )
        return self._summary(conversation)

    @extend_schema(request=StatusSerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"], url_path="status", url_name="status")
    def set_status(self, request: Request, pk: str) -> Response:
        """Open, pending (waiting for the citizen) or resolved."""
        conversation = self._conversation()
        serializer = StatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        threads.conversation_set_status(
            conversation=conversation,
            status=serializer.validated_data["status"],
            by=request.user,
        )
        return self._summary(conversation)

    @extend_schema(request=LabelsSerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def labels(self, request: Request, pk: str) -> Response:
        """Replace the conversation's labels."""
        conversation = self._conversation()
        serializer = LabelsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        threads.conversation_set_labels(
            conversation=conversation,
            labels=serializer.validated_data["labels"],
            by=request.user,
        )
        return self._summary(conversation)

    @extend_schema(request=NoteCreateSerializer, responses={201: NoteSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk: str) -> Response:
        """Add an internal note (never sent to the public)."""
        conversation = self._conversation()
        serializer = NoteCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = threads.conversation_note_add(
            conversation=conversation, text=serializer.validated_data["text"], by=request.user
        )
        return Response(NoteSerializer(note).data, status=http.HTTP_201_CREATED)

    @extend_schema(request=ReplyCreateSerializer, responses={201: ReplySerializer})
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str) -> Response:
        """Answer the thread on the platform. The reply is checked against the policy, goes to
        review first when the agency requires it, and joins the thread once published."""
        conversation = self._conversation()
        serializer = ReplyCreateSerializer(data=request.data, conversation=conversation)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        text = data["text"]
        if not text.strip() and data["canned_response"] is not None:
            text = threads.canned_text(response=data["canned_response"], conversation=conversation)
        if not text.strip():
            raise ValidationError({"text": [_("Write the reply first.")]})
        with refusals_as_409(WorkflowError):
            reply = threads.reply_send(
                conversation=conversation,
                text=text,
                by=request.user,
                in_reply_to=data["in_reply_to"],
                canned_response=data["canned_response"],
            )
        sent = selectors.replies_for_conversation(conversation=conversation).get(pk=reply.pk)
        return Response(ReplySerializer(sent).data, status=http.HTTP_201_CREATED)

    @extend_schema(
        request=HideSerializer,
        responses=MessageSerializer,
        parameters=[OpenApiParameter("message_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"messages/(?P<message_id>[0-9]+)/hide",
        url_name="hide",
    )
    def hide(self, request: Request, pk: str, message_id: str) -> Response:
        """Hide a citizen's message on the platform, with a reason (audited)."""
        conversation = self._conversation()
        message = selectors.message_get(agency=request.agency, message_id=url_id(message_id))
        if message.conversation_id != conversation.pk:
            raise Http404
        message.conversation = conversation
        serializer = HideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = threads.message_hide(
            message=message, by=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(MessageSerializer(message).data)


@extend_schema(tags=["inbox"])
class CannedResponseList(generics.ListAPIView):
    """The agency's canned responses (their ids go in a reply's canned_response)."""

    queryset = CannedResponse.objects.none()  # the schema's types only
    serializer_class = CannedResponseSerializer
    permission_classes = [InboxRole]
    filter_backends: list = []

    def get_queryset(self):
        return selectors.canned_responses_for_agency(agency=self.request.agency)


@extend_schema(tags=["inbox"])
class InboxPeopleList(generics.ListAPIView):
    """The members who work the inbox: who a conversation can be assigned to."""

    serializer_class = InboxPersonSerializer
    permission_classes = [InboxRole]
    filter_backends: list = []

    def get_queryset(self):
        return selectors.inbox_people(agency=self.request.agency)
