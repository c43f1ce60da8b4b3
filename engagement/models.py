"""The shared inbox: conversations and messages pulled from the platforms, triage rules,
per-agency inbox settings and one pull cursor per platform account.

State changes go through engagement/services.py; reads through engagement/selectors.py.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Platform, PlatformAccount, User


class Category(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    ABUSE = "abuse", _("Abuse")
    TIP = "tip", _("Tip-off")
    COMPLAINT = "complaint", _("Complaint")
    QUESTION = "question", _("Question")
    PRAISE = "praise", _("Praise")
    OTHER = "other", _("Other")


# Default priority of each category (higher comes first in the inbox). A rule may set its own.
CATEGORY_PRIORITY: dict[str, int] = {
    Category.URGENT: 100,
    Category.ABUSE: 60,
    Category.TIP: 50,
    Category.COMPLAINT: 40,
    Category.QUESTION: 30,
    Category.PRAISE: 10,
    Category.OTHER: 0,
}


class ConversationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PENDING = "pending", _("Waiting for the citizen")
    RESOLVED = "resolved", _("Resolved")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("From the public")
    OUTBOUND = "outbound", _("From us")


class MessageKind(models.TextChoices):
    REPLY = "reply", _("Reply")
    COMMENT = "comment", _("Comment")
    MENTION = "mention", _("Mention")


class RuleLanguage(models.TextChoices):
    ANY = "any", _("Any language")
    EN = "en", _("English")
    KO = "ko", _("Korean")


class Conversation(models.Model):
    """One thread in the inbox: an X conversation, or a Facebook top-level comment and its replies.

    `root_external_id` is the thread key: X `conversation_id` (a mention that starts no reply
    chain is its own conversation), or the id of the Facebook top-level comment. Unique per
    account, which is what lets a replayed pull find the conversation again.
    """

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="conversations")
    account = models.ForeignKey(
        PlatformAccount, on_delete=models.CASCADE, related_name="conversations", db_index=False
    )
    platform = models.CharField(max_length=16, choices=Platform.choices)
    root_external_id = models.CharField(max_length=100)
    # The platform post the thread hangs under (ours or not), when there is one.
    post_external_id = models.CharField(max_length=100, blank=True)
    our_post = models.ForeignKey(
        "posts.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    our_target = models.ForeignKey(
        "posts.PostTarget", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ConversationStatus.choices,
        default=ConversationStatus.OPEN,
    )
    # The most pressing category and priority among its inbound messages.
    category = models.CharField(
        _("category"), max_length=16, choices=Category.choices, default=Category.OTHER
    )
    priority = models.IntegerField(_("priority"), default=0)
    urgent = models.BooleanField(_("urgent"), default=False)
    # Set once the supervisors were told about it, so they are told once per conversation.
    urgent_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    assignee = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    labels = models.JSONField(_("labels"), default=list, blank=True)
    # Denormalised for the inbox list, so it needs no query per row.
    message_count = models.PositiveIntegerField(default=0)
    snippet = models.CharField(max_length=280, blank=True)
    last_activity_at = models.DateTimeField()
    first_inbound_at = models.DateTimeField()
    # When the agency's response-time target expects a first answer (office hours applied).
    response_due_at = models.DateTimeField(null=True, blank=True)
    # Set by the reply path when the first outbound message goes out.
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-priority", "-last_activity_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "root_external_id"], name="conversation_thread_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["agency", "status", "-last_activity_at"], name="conversation_inbox_recent"
            ),
            # The inbox dashboard's period (conversations by when they started).
            models.Index(fields=["agency", "first_inbound_at"], name="conversation_started"),
            models.Index(
                fields=["agency", "-priority", "-last_activity_at"],
                name="conversation_inbox_priority",
            ),
        ]

    def __str__(self) -> str:
        return self.snippet[:60] or f"{self.platform} {self.root_external_id}"


class Message(models.Model):
    """One reply, comment or mention (inbound), or one of our answers (outbound).

    Unique on (platform, external_id) as the issue asks; every read is still scoped by agency.
    """

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    platform = models.CharField(max_length=16, choices=Platform.choices)
    external_id = models.CharField(max_length=100)
    parent_external_id = models.CharField(max_length=100, blank=True)
    author_handle = models.CharField(max_length=100, blank=True)
    author_name = models.CharField(max_length=200, blank=True)
    author_external_id = models.CharField(max_length=100, blank=True)
    text = models.TextField(blank=True)
    # Platform time (when the citizen wrote it); received_at is when we stored it.
    created_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.INBOUND)
    kind = models.CharField(max_length=8, choices=MessageKind.choices)
    language = models.CharField(max_length=8, blank=True)
    category = models.CharField(max_length=16, choices=Category.choices, default=Category.OTHER)
    priority = models.IntegerField(default=0)
    # Which rule terms matched, [[category, term], ...]: why it got its category.
    triage_terms = models.JSONField(default=list, blank=True)
    hidden = models.BooleanField(default=False)
    # Moderation: who hid it on the platform, when and why (the reason is required).
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_reason = models.CharField(max_length=500, blank=True)
    # Outbound only: who wrote it in the inbox, and the reply post that carried it out.
    sent_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="message_platform_id_unique"
            )
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="message_thread"),
            # The inbox dashboard's volume by day and category, and the audience snapshot.
            models.Index(fields=["agency", "created_at"], name="message_agency_time"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Reply(models.Model):
    """An answer written in a thread, sent by the publishing engine as a reply post.

    The post (kind "reply", one target) carries it through review when the agency requires
    that, and through the same exactly-once target path as any post; once published, an
    outbound Message with the platform's id joins the thread.
    """

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="replies")
    in_reply_to = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    post = models.OneToOneField("posts.Post", on_delete=models.CASCADE, related_name="inbox_reply")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    canned_response = models.ForeignKey(
        "CannedResponse", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "replies"

    def __str__(self) -> str:
        return f"Reply to {self.in_reply_to_id} in {self.conversation_id}"


class ConversationNote(models.Model):
    """An internal note on a thread: for colleagues only, never sent to the public."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("note"), max_length=5000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class CannedResponse(models.Model):
    """An agency's ready-made answer, offered in the reply box (may hold {handle})."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="canned_responses")
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"), max_length=2000)
    language = models.CharField(
        _("language"), max_length=8, choices=RuleLanguage.choices, default=RuleLanguage.ANY
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "title"], name="canned_response_title_unique")
        ]

    def __str__(self) -> str:
        return self.title


class PullCursor(models.Model):
    """Where the inbox pull of one platform account stands.

    `cursor` is the platform's own (X since_id, Facebook newest comment time); it moves only in
    the transaction that stores the messages it covers. `next_pull_at` holds rate-limit resets
    and backoff; `lease_until`/`claim_token` make one pull per account at a time.
    """

    account = models.OneToOneField(
        PlatformAccount, on_delete=models.CASCADE, related_name="pull_cursor"
    )
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    cursor = models.CharField(max_length=200, blank=True)
    last_pulled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failures = models.PositiveIntegerField(default=0)
    next_pull_at = models.DateTimeField(null=True, blank=True)
    # Set by the beat dispatcher when it enqueues a pull, so it does not enqueue it twice.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["next_pull_at"], name="pull_cursor_due")]

    def __str__(self) -> str:
        return f"{self.account}: {self.cursor or '(start)'}"


class TriageRule(models.Model):
    """An agency's keyword rule: any of `terms` found in a message gives it `category`.

    A term matches whole words (`thank*` also matches "thanks"); terms in Hangul match anywhere,
    as Korean attaches particles to words. See engagement/triage.py.
    """

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="triage_rules")
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    terms = models.JSONField(_("terms"), default=list)
    language = models.CharField(
        _("language"), max_length=8, choices=RuleLanguage.choices, default=RuleLanguage.ANY
    )
    priority = models.IntegerField(_("priority"))
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-priority", "category", "language", "pk"]
        indexes = [models.Index(fields=["agency", "enabled"], name="triage_rule_agency")]

    def __str__(self) -> str:
        return f"{self.get_category_display()} ({self.language}): {', '.join(self.terms[:5])}"


def default_emergency_guidance() -> dict[str, str]:
    return {
        "en": (
            "This account is not monitored 24/7. If you or someone else is in danger or hurt, "
            "call the emergency number now (112 / 999 / 911)."
        ),
        "ko": (
            "이 계정은 24시간 모니터링되지 않습니다. 위험하거나 다친 사람이 있다면 "
            "지금 바로 112(경찰) 또는 119(구급·화재)에 신고하세요."
        ),
    }


def default_office_days() -> list[int]:
    return [0, 1, 2, 3, 4]  # Monday to Friday (datetime.weekday())


class InboxSettings(models.Model):
    """An agency's inbox settings: emergency guidance, response-time target, office hours."""

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE, related_name="inbox_settings")
    # {"en": "...", "ko": "..."}: offered as the reply to an urgent message.
    emergency_guidance = models.JSONField(
        _("emergency guidance"), default=default_emergency_guidance
    )
    first_response_target_minutes = models.PositiveIntegerField(
        _("first response within (minutes)"), default=60
    )
    office_hours_start = models.TimeField(_("office hours start"), default=datetime.time(9, 0))
    office_hours_end = models.TimeField(_("office hours end"), default=datetime.time(17, 0))
    office_days = models.JSONField(_("office days"), default=default_office_days)
    require_reply_approval = models.BooleanField(_("replies need approval"), default=False)
    # The default triage rules are created once; an agency that deletes them keeps that choice.
    triage_defaults_created = models.BooleanField(default=False, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("inbox settings")
        verbose_name_plural = _("inbox settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(office_hours_start__lt=models.F("office_hours_end")),
                name="inbox_office_hours_order",
            )
        ]

    def __str__(self) -> str:
        return f"Inbox settings of {self.agency}"

    def guidance_for(self, language: str) -> str:
        texts = self.emergency_guidance or {}
        return texts.get(language) or texts.get("en") or next((t for t in texts.values() if t), "")


# --- Analytics: metric snapshots and their rollup -------------------------------------------


class TargetMetrics(models.Model):
    """The latest figures of one published target, and when to read them next.

    One row per published `PostTarget`. It is both the collection schedule (`next_refresh_at`:
    every 15 minutes in a post's first day, then daily up to 30 days, then null) and the
    dashboards' rollup: the style, the account, the publication time and the latest figures
    sit in one narrow row, so a period's aggregates read this table through its
    (agency, published_at) index and never the snapshot history.

    `engagements` is likes + replies + shares + quotes (bookmarks are private on X and absent on
    Facebook, so they are kept but not counted).
    """

    target = models.OneToOneField(
        "posts.PostTarget", on_delete=models.CASCADE, primary_key=True, related_name="metrics"
    )
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+", db_index=False)
    account = models.ForeignKey(
        PlatformAccount, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="+")
    platform = models.CharField(max_length=16, choices=Platform.choices)
    style = models.CharField(max_length=16)
    published_at = models.DateTimeField()
    impressions = models.PositiveBigIntegerField(default=0)
    likes = models.PositiveBigIntegerField(default=0)
    replies = models.PositiveBigIntegerField(default=0)
    shares = models.PositiveBigIntegerField(default=0)
    quotes = models.PositiveBigIntegerField(default=0)
    bookmarks = models.PositiveBigIntegerField(default=0)
    engagements = models.PositiveBigIntegerField(default=0)
    measured_at = models.DateTimeField(null=True, blank=True)
    snapshot_count = models.PositiveIntegerField(default=0)
    # Null once the post is past its 30 days of collection.
    next_refresh_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["agency", "published_at"], name="target_metrics_period"),
            models.Index(fields=["account", "published_at"], name="target_metrics_account"),
            models.Index(
                fields=["next_refresh_at"],
                name="target_metrics_due",
                condition=Q(next_refresh_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform} {self.target_id}: {self.impressions} impressions"


class MetricSnapshot(models.Model):
    """One reading of one published target's public metrics: the points of its curves."""

    id = models.BigAutoField(primary_key=True)
    target = models.ForeignKey(
        "posts.PostTarget", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+", db_index=False)
    taken_at = models.DateTimeField()
    impressions = models.PositiveBigIntegerField(default=0)
    likes = models.PositiveBigIntegerField(default=0)
    replies = models.PositiveBigIntegerField(default=0)
    shares = models.PositiveBigIntegerField(default=0)
    quotes = models.PositiveBigIntegerField(default=0)
    bookmarks = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["taken_at"]
        indexes = [models.Index(fields=["target", "taken_at"], name="metric_snapshot_curve")]

    def __str__(self) -> str:
        return f"{self.target_id} at {self.taken_at:%Y-%m-%d %H:%M}"


class AccountSnapshot(models.Model):
    """An account's audience on one day (UTC): followers, and the people who engaged.

    `engaged_people` counts the distinct authors of inbound replies, comments and mentions to
    the account in the 30 days up to the snapshot: set against `followers` it shows a large
    silent following.
    """

    account = models.ForeignKey(
        PlatformAccount, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+", db_index=False)
    taken_on = models.DateField()
    taken_at = models.DateTimeField(default=timezone.now)
    followers = models.PositiveBigIntegerField(default=0)
    following = models.PositiveBigIntegerField(default=0)
    engaged_people = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["taken_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "taken_on"], name="account_snapshot_daily_unique"
            )
        ]
        indexes = [models.Index(fields=["agency", "taken_on"], name="account_snapshot_agency")]

    def __str__(self) -> str:
        return f"{self.account_id} on {self.taken_on}: {self.followers} followers"
