"""Serializers of the posts API: they read and shape input, and present posts. Every rule about
who may do what, and every state change, stays in posts.services, posts.workflow,
posts.publishing and posts.calendar_services.

Input ids (accounts, campaign) are looked up in the request's agency only; another agency's id
is refused like an unknown one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api import AccountBriefSerializer, PersonSerializer
from accounts.models import Agency, PlatformAccount, PlatformAccountStatus
from campaigns.models import Campaign
from posts import workflow
from posts.models import (
    MediaKind,
    Post,
    PostMedia,
    PostStyle,
    PostTarget,
    Review,
)
from posts.services import MAX_TEXT, media_kind_for
from posts.textcheck import MEDIA_KINDS, PLATFORMS

MAX_ACCOUNTS = 100
MAX_REASON = workflow.MAX_REASON


def _one_kind_of_line_break(text: str) -> str:
    # As the editor stores it (posts.forms_editor): LF only, so the API and the browser hash
    # and count the same text.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def agency_accounts(agency: Agency, ids: list[int], *, active_only: bool) -> list[PlatformAccount]:
    """The accounts of `agency` with these ids; any other id (unknown, another agency's, or not
    active when `active_only`) is refused."""
    wanted = set(ids)
    accounts = PlatformAccount.objects.filter(agency=agency, pk__in=wanted)
    if active_only:
        accounts = accounts.filter(status=PlatformAccountStatus.ACTIVE)
    found = list(accounts)
    if len(found) != len(wanted):
        if active_only:
            raise serializers.ValidationError(_("Choose active accounts of your own agency."))
        raise serializers.ValidationError(_("Choose accounts of your own agency."))
    return sorted(found, key=lambda a: (a.platform, a.handle, a.pk))


def agency_campaign(agency: Agency, pk: int | None) -> Campaign | None:
    if pk is None:
        return None
    campaign = Campaign.objects.filter(agency=agency, pk=pk).first()
    if campaign is None:
        raise serializers.ValidationError(_("Choose a campaign of your own agency."))
    return campaign


def _id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=2**63 - 1, **kwargs)


def _aware_not_past(value):
    if value is not None and value < timezone.now():
        raise serializers.ValidationError(_("That time has passed. Choose a later time."))
    return value


# --- The editor's live check (POST /api/v1/posts/preview) ---------------------------------------


class MediaSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MEDIA_KINDS, required=False)
    content_type = serializers.CharField(max_length=100)
    size_bytes = serializers.IntegerField(min_value=0, max_value=2**63 - 1)
    alt_text = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=5000
    )
    duration_s = serializers.FloatField(
        required=False, allow_null=True, min_value=0, max_value=10**9
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "kind" not in attrs:
            kind = media_kind_for(attrs["content_type"].split(";", 1)[0].strip().lower())
            if kind is None:
                raise serializers.ValidationError(
                    {"kind": [_("Say whether this is a photo, GIF or video.")]}
                )
            attrs["kind"] = str(kind)
        return attrs


class PreviewSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=MAX_TEXT)
    accounts = serializers.ListField(child=_id_field(), required=False, max_length=MAX_ACCOUNTS)
    platform_texts = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=MAX_TEXT),
        required=False,
    )
    campaign = _id_field(required=False, allow_null=True)
    media = MediaSerializer(many=True, required=False, max_length=20)

    def __init__(self, *args, agency: Agency | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.agency = agency

    def validate_accounts(self, ids: list[int]) -> list[PlatformAccount]:
        return agency_accounts(self.agency, ids, active_only=False)

    def validate_platform_texts(self, texts: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(texts) - set(PLATFORMS))
        if unknown:
            raise serializers.ValidationError(
                _("Unknown platform: %(platform)s.") % {"platform": ", ".join(unknown)}
            )
        return {platform: text for platform, text in texts.items() if text}

    def validate_campaign(self, pk: int | None) -> Campaign | None:
        return agency_campaign(self.agency, pk)


class FindingSerializer(serializers.Serializer):
    rule = serializers.CharField()
    kind = serializers.CharField()
    severity = serializers.CharField()
    start = serializers.IntegerField(help_text="Index of the first code point of the span.")
    end = serializers.IntegerField()
    message = serializers.CharField()
    excerpt = serializers.CharField(allow_blank=True)


class PreviewAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    handle = serializers.CharField()
    name = serializers.CharField()


class PlatformCheckSerializer(serializers.Serializer):
    """One platform's check. X gives a weighted length, Facebook a plain length."""

    max = serializers.IntegerField()
    valid = serializers.BooleanField()
    remaining = serializers.IntegerField()
    weighted_length = serializers.IntegerField(required=False)
    length = serializers.IntegerField(required=False)
    permillage = serializers.IntegerField(required=False)
    over_from = serializers.IntegerField(required=False, allow_null=True)
    urls = serializers.IntegerField(required=False)
    approximate = serializers.BooleanField(required=False)
    media_errors = serializers.ListField(child=serializers.CharField())
    findings = FindingSerializer(many=True, required=False)
    accounts = PreviewAccountSerializer(many=True)


class PreviewResultSerializer(serializers.Serializer):
    platforms = serializers.DictField(child=PlatformCheckSerializer())
    findings = FindingSerializer(many=True)


# --- Reading posts ------------------------------------------------------------------------------


class TargetSerializer(serializers.ModelSerializer):
    account = AccountBriefSerializer(read_only=True)
    # Empty until published: a plain string, not a "uri" that must not be empty.
    url = serializers.CharField(read_only=True, help_text="The post on the platform, once out.")

    class Meta:
        model = PostTarget
        fields = [
            "id",
            "account",
            "status",
            "due_at",
            "attempts",
            "published_at",
            "external_id",
            "url",
            "last_error",
        ]
        read_only_fields = fields


class PostMediaSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=MediaKind.choices, read_only=True)

    class Meta:
        model = PostMedia
        fields = ["id", "kind", "content_type", "size_bytes", "alt_text", "position"]
        read_only_fields = fields


class AnnotationSerializer(serializers.Serializer):
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    text = serializers.CharField()
    quote = serializers.CharField(required=False, allow_blank=True)


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = PersonSerializer(read_only=True)
    annotations = AnnotationSerializer(many=True, read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "reviewer",
            "decision",
            "comment",
            "annotations",
            "content_hash",
            "superseded",
            "created_at",
        ]
        read_only_fields = fields


class PostSerializer(serializers.ModelSerializer):
    """A post in a list: its content, state and time (not its history)."""

    author = PersonSerializer(read_only=True)
    accounts = serializers.SerializerMethodField()
    platform_texts = serializers.DictField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Post
        fields = [
            "id",
            "status",
            "style",
            "body",
            "platform_texts",
            "accounts",
            "campaign",
            "location",
            "author",
            "scheduled_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_accounts(self, post: Post) -> list[int]:
        # Prefetched by the views (no query per row).
        return sorted(account.pk for account in post.accounts.all())


class PostDetailSerializer(PostSerializer):
    """One post with what its page shows: notes, revision, targets, media and reviews."""

    revision = serializers.SerializerMethodField(
        help_text="The latest revision's number: send it back as base_revision when editing."
    )
    targets = serializers.SerializerMethodField()
    media = PostMediaSerializer(many=True, read_only=True)
    reviews = serializers.SerializerMethodField()

    class Meta(PostSerializer.Meta):
        fields = [
            *PostSerializer.Meta.fields,
            "internal_notes",
            "revision",
            "targets",
            "media",
            "reviews",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_revision(self, post: Post) -> int | None:
        latest = post.revisions.order_by("-number").values_list("number", flat=True).first()
        return latest

    @extend_schema_field(TargetSerializer(many=True))
    def get_targets(self, post: Post) -> list[dict]:
        targets = PostTarget.objects.filter(agency_id=post.agency_id, post=post).select_related(
            "account"
        )
        return TargetSerializer(
            targets.order_by("account__platform", "account__handle"), many=True
        ).data

    @extend_schema_field(ReviewSerializer(many=True))
    def get_reviews(self, post: Post) -> list[dict]:
        return ReviewSerializer(workflow.reviews_for_post(post=post), many=True).data


# --- Writing posts ------------------------------------------------------------------------------


class PostWriteSerializer(serializers.Serializer):
    """A new post (POST /posts/) or the changes to one (PATCH /posts/{id}/): what the editor
    saves. Accounts must be active accounts of the agency (an edit may keep ticked ones that
    went inactive since)."""

    body = serializers.CharField(trim_whitespace=False, max_length=MAX_TEXT)
    style = serializers.ChoiceField(choices=PostStyle.choices, default=PostStyle.NARRATIVE)
    accounts = serializers.ListField(
        child=_id_field(), required=False, max_length=MAX_ACCOUNTS, default=list
    )
    campaign = _id_field(required=False, allow_null=True, default=None)
    platform_texts = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=MAX_TEXT),
        required=False,
        default=dict,
        help_text="Text per platform (x, facebook); empty or absent: the body is used.",
    )
    location = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    internal_notes = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default="", trim_whitespace=False
    )

    def __init__(self, *args, agency: Agency | None = None, post: Post | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.agency = agency
        self.post = post

    def validate_body(self, value: str) -> str:
        value = _one_kind_of_line_break(value)
        if not value.strip():
            raise serializers.ValidationError(_("Write the post."))
        return value

    def validate_accounts(self, ids: list[int]) -> list[PlatformAccount]:
        kept = set()
        if self.post is not None:
            kept = set(self.post.accounts.values_list("pk", flat=True))
        new = [pk for pk in ids if pk not in kept]
        chosen = agency_accounts(self.agency, new, active_only=True)
        chosen += agency_accounts(self.agency, [pk for pk in ids if pk in kept], active_only=False)
        return sorted(chosen, key=lambda a: (a.platform, a.handle, a.pk))

    def validate_campaign(self, pk: int | None) -> Campaign | None:
        return agency_campaign(self.agency, pk)

    def validate_platform_texts(self, texts: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(texts) - set(PLATFORMS))
        if unknown:
            raise serializers.ValidationError(
                _("Unknown platform: %(platform)s.") % {"platform": ", ".join(unknown)}
            )
        return {p: _one_kind_of_line_break(t) for p, t in texts.items() if t}


class PostUpdateSerializer(PostWriteSerializer):
    """The fields to change; those left out stay as they are."""

    base_revision = serializers.IntegerField(
        min_value=0,
        max_value=2**31 - 1,
        required=False,
        allow_null=True,
        help_text=(
            "The revision you started from (the post's `revision`): a newer save by someone "
            "else is then refused instead of overwritten."
        ),
    )

    def __init__(self, *args, **kwargs):
        # Partial: fields left out are neither required nor given their defaults.
        super().__init__(*args, partial=True, **kwargs)


# --- Workflow actions ---------------------------------------------------------------------------


class SubmitSerializer(serializers.Serializer):
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_REASON,
        default="",
        help_text="Supervisors and admins only: the written reason to override blocking findings.",
    )


class ApproveSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_REASON, default=""
    )
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_REASON,
        default="",
        help_text="Required when the post has blocking findings.",
    )
    publish_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Without a time zone: the agency's. Empty: the post's own time, if any.",
    )

    def validate_publish_at(self, value):
        return _aware_not_past(value)


class QuotedAnnotationSerializer(serializers.Serializer):
    """A comment on part of the text: by offsets (start, end), or by quoting the words."""

    text = serializers.CharField(max_length=1000)
    start = serializers.IntegerField(required=False, min_value=0, max_value=MAX_TEXT)
    end = serializers.IntegerField(required=False, min_value=0, max_value=MAX_TEXT)
    quote = serializers.CharField(required=False, max_length=MAX_TEXT)

    def validate(self, attrs):
        has_offsets = "start" in attrs and "end" in attrs
        if not has_offsets and not attrs.get("quote", "").strip():
            raise serializers.ValidationError(
                _("Give the words the comment is about (quote), or their start and end.")
            )
        return attrs


class RequestChangesSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_REASON, default=""
    )
    annotations = QuotedAnnotationSerializer(many=True, required=False, max_length=30, default=list)

    def __init__(self, *args, post: Post | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.post = post

    def validate(self, attrs):
        annotations = []
        for item in attrs.get("annotations", []):
            if "start" in item and "end" in item:
                annotations.append(
                    {"start": item["start"], "end": item["end"], "text": item["text"]}
                )
                continue
            try:
                (found,) = workflow.annotations_from_excerpts(
                    self.post.body, [(item["quote"], item["text"])]
                )
            except workflow.WorkflowError as exc:
                raise serializers.ValidationError({"annotations": [exc.message]}) from exc
            annotations.append(found)
        attrs["annotations"] = annotations
        if not attrs.get("comment", "").strip() and not annotations:
            raise serializers.ValidationError(_("Say what should change: write a comment."))
        return attrs


class RejectSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=MAX_REASON, help_text="Why it is rejected.")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_REASON, default=""
    )


class ScheduleSerializer(serializers.Serializer):
    """When and where an approved post goes out (the post page's schedule form)."""

    at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Without a time zone: the agency's. Leave out with publish_now.",
    )
    publish_now = serializers.BooleanField(required=False, default=False)
    accounts = serializers.ListField(
        child=_id_field(), min_length=1, max_length=MAX_ACCOUNTS, help_text="Active accounts."
    )

    def __init__(self, *args, agency: Agency | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.agency = agency

    def validate_accounts(self, ids: list[int]) -> list[PlatformAccount]:
        return agency_accounts(self.agency, ids, active_only=True)

    def validate(self, attrs):
        if attrs.get("publish_now"):
            attrs["at"] = timezone.now()
        elif attrs.get("at") is None:
            raise serializers.ValidationError({"at": [_("Choose a time, or use publish_now.")]})
        else:
            try:
                _aware_not_past(attrs["at"])
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"at": exc.detail}) from exc
        return attrs


class RescheduleSerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text="The new time. Without a time zone: the agency's.")

    def validate_at(self, value):
        return _aware_not_past(value)


class ApprovalSerializer(serializers.Serializer):
    """What an approval did."""

    post = PostDetailSerializer()
    approvals = serializers.IntegerField()
    required = serializers.IntegerField()
    approved = serializers.BooleanField()
    scheduled_at = serializers.DateTimeField(allow_null=True)
    needs_accounts = serializers.BooleanField(
        help_text="Approved with a time but no account ticked: schedule it to accounts."
    )


# --- The calendar -------------------------------------------------------------------------------

MAX_CALENDAR_DAYS = 42
# Far enough for any real calendar, and far from the ends of the date range.
EARLIEST_DAY, LATEST_DAY = date(1970, 1, 1), date(2200, 12, 31)


class CalendarQuerySerializer(serializers.Serializer):
    start = serializers.DateField(
        required=False,
        help_text="First day (in the agency's time zone). Default: today.",
    )
    days = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_CALENDAR_DAYS, default=7
    )
    closed = serializers.BooleanField(
        required=False, default=False, help_text="Also show cancelled and rejected posts."
    )

    def validate_start(self, value: date) -> date:
        if not EARLIEST_DAY <= value <= LATEST_DAY:
            raise serializers.ValidationError(
                _("Choose a day between %(first)s and %(last)s.")
                % {"first": EARLIEST_DAY.isoformat(), "last": LATEST_DAY.isoformat()}
            )
        return value


class CalendarPostSerializer(serializers.ModelSerializer):
    title = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Post
        fields = ["id", "title", "status", "style", "campaign", "scheduled_at"]
        read_only_fields = fields


class CalendarEntrySerializer(serializers.Serializer):
    post = CalendarPostSerializer()
    at = serializers.DateTimeField(help_text="Scheduled time, or when it first went out.")
    by_publication = serializers.BooleanField(
        help_text="Placed by its publication (it had no scheduled time)."
    )
    started = serializers.BooleanField(help_text="Some account is publishing or published it.")
    movable = serializers.BooleanField(help_text="You may move it (POST .../reschedule/).")


class CalendarSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    timezone = serializers.CharField()
    entries = CalendarEntrySerializer(many=True)
