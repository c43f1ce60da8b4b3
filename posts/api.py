"""The posts API (DRF): posts and their workflow, the editor's live preview, the calendar.

    GET  /api/v1/posts/                         list (filters: status, style, campaign, ...)
    POST /api/v1/posts/                         create a draft          posts.services.post_create
    GET  /api/v1/posts/{id}/                    one post, with targets, media and reviews
    PATCH /api/v1/posts/{id}/                   edit                    posts.services.post_update
    POST /api/v1/posts/{id}/submit/             posts.workflow.post_submit
    POST /api/v1/posts/{id}/approve/            posts.workflow.post_approve
    POST /api/v1/posts/{id}/request-changes/    posts.workflow.post_request_changes
    POST /api/v1/posts/{id}/reject/             posts.workflow.post_reject
    POST /api/v1/posts/{id}/schedule/           posts.publishing.post_schedule
    POST /api/v1/posts/{id}/cancel/             posts.workflow.post_cancel
    POST /api/v1/posts/{id}/reschedule/         posts.calendar_services.calendar_reschedule
    POST /api/v1/posts/preview                  posts.checks.preview
    GET  /api/v1/calendar/                      posts.calendar_services.calendar_entries

Thin views: validate with a serializer, call the same service as the HTML page, answer. Each
action needs the role of the page that offers it (accounts/roles.py: "drafts" for writing,
submitting, scheduling and cancelling, "approvals" for review decisions, "calendar" to read
one post or the calendar), and the services check again. Posts are loaded through selectors
scoped to request.agency: another agency's post is a 404. A service's refusal in the post's
current state is a 409 with its sentence; errors have the shape of config/api.py.
"""

from __future__ import annotations

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status as http
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_auth import AgencyMember, SectionRole
from accounts.roles import SECTION_ROLES
from config.api import DateTimeFilter, IdFilter, refusals_as_409, refusals_as_invalid, url_id
from posts import calendar_services, checks, publishing, selectors, services, workflow
from posts.models import Post, PostStatus, PostStyle
from posts.serializers import (
    ApprovalSerializer,
    ApproveSerializer,
    CalendarQuerySerializer,
    CalendarSerializer,
    CancelSerializer,
    PostDetailSerializer,
    PostSerializer,
    PostUpdateSerializer,
    PostWriteSerializer,
    PreviewResultSerializer,
    PreviewSerializer,
    RejectSerializer,
    RequestChangesSerializer,
    RescheduleSerializer,
    ScheduleSerializer,
    SubmitSerializer,
)
from posts.textcheck import MediaInfo


class PostFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PostStatus.choices)
    style = django_filters.ChoiceFilter(choices=PostStyle.choices)
    campaign = IdFilter(field_name="campaign_id")
    author = IdFilter(field_name="author_id")
    scheduled_after = DateTimeFilter(field_name="scheduled_at", lookup_expr="gte")
    scheduled_before = DateTimeFilter(field_name="scheduled_at", lookup_expr="lt")
    updated_after = DateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Post
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="The agency's posts, newest change first (not inbox replies)."),
    retrieve=extend_schema(summary="One post, with its targets, media and reviews."),
)
@extend_schema(tags=["posts"])
class PostViewSet(viewsets.GenericViewSet):
    # For the schema's types only: rows always come from the agency-scoped selectors.
    queryset = Post.objects.none()
    serializer_class = PostSerializer
    filterset_class = PostFilter
    may_refuse = True  # config.api.AutoSchema documents the 409
    # The section of accounts/roles.py whose page offers each action.
    sections = {
        "list": "drafts",
        "retrieve": "calendar",
        "create": "drafts",
        "partial_update": "drafts",
        "submit": "drafts",
        "approve": "approvals",
        "request_changes": "approvals",
        "reject": "approvals",
        "schedule": "drafts",
        "cancel": "drafts",
        "reschedule": "drafts",
    }

    def get_permissions(self) -> list[BasePermission]:
        section = self.sections.get(self.action or "")
        return [SectionRole(section)()] if section else [AgencyMember()]

    def get_queryset(self):
        return selectors.posts_for_agency(agency=self.request.agency).prefetch_related("accounts")

    def _post(self) -> Post:
        return selectors.post_get(agency=self.request.agency, post_id=url_id(self.kwargs["pk"]))

    def _detail(self, post: Post, status: int = http.HTTP_200_OK) -> Response:
        fresh = selectors.post_get(agency=self.request.agency, post_id=post.pk)
        return Response(PostDetailSerializer(fresh).data, status=status)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(PostSerializer(page, many=True).data)

    @extend_schema(responses=PostDetailSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(PostDetailSerializer(self._post()).data)

    @extend_schema(request=PostWriteSerializer, responses={201: PostDetailSerializer})
    def create(self, request: Request) -> Response:
        """A new draft by you (the editor's "Save" on a new post)."""
        serializer = PostWriteSerializer(data=request.data, agency=request.agency)
        serializer.is_valid(raise_exception=True)
        with refusals_as_invalid():
            post = services.post_create(
                agency=request.agency, author=request.user, **serializer.validated_data
            )
        return self._detail(post, http.HTTP_201_CREATED)

    @extend_schema(request=PostUpdateSerializer, responses=PostDetailSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Save changes as a new revision. Editing a post in review takes it back to draft (its
        author) and changing an approved post's content sends it back to review."""
        post = self._post()
        serializer = PostUpdateSerializer(data=request.data, agency=request.agency, post=post)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        base_revision = changes.pop("base_revision", None)
        with refusals_as_409():
            services.post_update(post=post, by=request.user, base_revision=base_revision, **changes)
        return self._detail(post)

    @extend_schema(request=SubmitSerializer, responses=PostDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        """Send a draft (or a post sent back) to the supervisors."""
        post = self._post()
        serializer = SubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            workflow.post_submit(post=post, by=request.user, **serializer.validated_data)
        return self._detail(post)

    @extend_schema(request=ApproveSerializer, responses=ApprovalSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        """Approve the post's current content (four-eyes: never your own post)."""
        post = self._post()
        serializer = ApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            outcome = workflow.post_approve(post=post, by=request.user, **serializer.validated_data)
        fresh = selectors.post_get(agency=request.agency, post_id=post.pk)
        return Response(
            ApprovalSerializer(
                {
                    "post": fresh,
                    "approvals": outcome.approvals,
                    "required": outcome.required,
                    "approved": outcome.approved,
                    "scheduled_at": outcome.scheduled_at,
                    "needs_accounts": outcome.needs_accounts,
                }
            ).data
        )

    @extend_schema(request=RequestChangesSerializer, responses=PostDetailSerializer)
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request: Request, pk: str) -> Response:
        """Send the post back to its author with a comment and/or comments on the text."""
        post = self._post()
        serializer = RequestChangesSerializer(data=request.data, post=post)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            workflow.post_request_changes(post=post, by=request.user, **serializer.validated_data)
        return self._detail(post)

    @extend_schema(request=RejectSerializer, responses=PostDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        """Reject the post for good, saying why."""
        post = self._post()
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            workflow.post_reject(post=post, by=request.user, **serializer.validated_data)
        return self._detail(post)

    @extend_schema(request=ScheduleSerializer, responses=PostDetailSerializer)
    @action(detail=True, methods=["post"])
    def schedule(self, request: Request, pk: str) -> Response:
        """Schedule an approved post to accounts at a time, or publish it now."""
        post = self._post()
        serializer = ScheduleSerializer(data=request.data, agency=request.agency)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with refusals_as_409():
            publishing.post_schedule(
                post=post, by=request.user, at=data["at"], accounts=data["accounts"]
            )
        return self._detail(post)

    @extend_schema(request=CancelSerializer, responses=PostDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel an approved or scheduled post before any of it goes out."""
        post = self._post()
        serializer = CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            workflow.post_cancel(post=post, by=request.user, **serializer.validated_data)
        return self._detail(post)

    @extend_schema(request=RescheduleSerializer, responses=PostDetailSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str) -> Response:
        """Move a post to another time (the calendar's drag): an approved post keeps its
        approval; a draft or a post in review only changes its wished-for time."""
        post = self._post()
        serializer = RescheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with refusals_as_409():
            calendar_services.calendar_reschedule(
                post=post, by=request.user, at=serializer.validated_data["at"]
            )
        return self._detail(post)


class PreviewView(APIView):
    """Per-platform counts, media problems and policy findings for the text being typed.

    Offsets (findings' start/end, X's over_from) are Python string indices, i.e. Unicode code
    points; a browser counting UTF-16 units must convert them (editor.js does).
    """

    permission_classes = [SectionRole("drafts")]

    @extend_schema(
        request=PreviewSerializer,
        responses=PreviewResultSerializer,
        tags=["posts"],
        summary="The editor's live check of a text: counts per platform and policy findings.",
    )
    def post(self, request: Request) -> Response:
        serializer = PreviewSerializer(data=request.data, agency=request.agency)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        accounts = data.get("accounts") or []
        campaign = data.get("campaign")
        result = checks.preview(
            agency=request.agency,
            text=data["text"],
            accounts=accounts,
            media=[MediaInfo(**item) for item in data.get("media", [])],
            platform_texts=data.get("platform_texts") or {},
            campaign_hashtags=campaign.hashtag_list if campaign else (),
        )
        for platform, checked in result["platforms"].items():
            checked["accounts"] = [
                {"id": a.pk, "handle": a.handle, "name": a.display_name or a.handle}
                for a in accounts
                if a.platform == platform
            ]
        return Response(result)


@extend_schema_view(post=extend_schema(exclude=True))
class PreviewSlashView(PreviewView):
    """The same, at /api/v1/posts/preview/ (a POST must never meet a trailing-slash redirect);
    documented once, without the slash."""


class CalendarView(APIView):
    """The posts of a stretch of days in the agency's time zone, in time order: those with a
    scheduled time in it, and published posts without one, placed where they went out."""

    permission_classes = [SectionRole("calendar")]

    @extend_schema(
        parameters=[CalendarQuerySerializer], responses=CalendarSerializer, tags=["calendar"]
    )
    def get(self, request: Request) -> Response:
        query = CalendarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        agency = request.agency
        tz = agency.tzinfo
        first = query.validated_data.get("start") or timezone.localtime(timezone.now(), tz).date()
        start, end = calendar_services.local_range(first, query.validated_data["days"], tz)
        entries = calendar_services.calendar_entries(
            agency=agency, start=start, end=end, include_closed=query.validated_data["closed"]
        )
        may_move = request.membership.role in SECTION_ROLES["drafts"]
        data = {
            "start": start,
            "end": end,
            "timezone": agency.timezone,
            "entries": [
                {
                    "post": entry.post,
                    "at": entry.at,
                    "by_publication": entry.by_publication,
                    "started": entry.started,
                    "movable": may_move
                    and not entry.by_publication
                    and calendar_services.reschedule_problem(post=entry.post, started=entry.started)
                    is None,
                }
                for entry in entries
            ],
        }
        return Response(CalendarSerializer(data).data)
