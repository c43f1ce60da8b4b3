"""Hashtag campaigns, the public posts our searches find, and the live monitoring columns.

- `Campaign`: hashtags (checked by twitter-text's rules in campaigns/hashtags.py), a period,
  target accounts, a goal and its target number, an owner.
- `PublicPost`: a post by the public that a search found, stored once per agency and platform
  id, however many searches, campaigns and columns find it again.
- `PublicUse`: a public post that used a campaign's hashtag during the campaign (the goal
  "public uses" counts these); `ColumnMatch`: a public post shown in a monitoring column.
- `SearchCursor`: where the search of one query on one account stands, with the lease and
  next attempt of the inbox's PullCursor.

State changes go through campaigns/services.py and campaigns/monitoring.py; reads through
campaigns/selectors.py and campaigns/figures.py.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Platform, PlatformAccount, User


class GoalKind(models.TextChoices):
    REACH = "reach", _("Reach (impressions of our posts)")
    ENGAGEMENTS = "engagements", _("Engagements with our posts")
    PUBLIC_USES = "public_uses", _("Public uses of the hashtags")


class QueryKind(models.TextChoices):
    HASHTAG = "hashtag", _("Hashtag")
    KEYWORD = "keyword", _("Keyword")


class Campaign(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Space-separated, each with its leading '#', e.g. "#부산경찰 #StaySafe"; normalised by
    # campaigns.hashtags.parse_hashtags (valid by twitter-text's rules, no duplicates).
    hashtags = models.CharField(_("hashtags"), max_length=500, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The accounts that carry the campaign and whose clients search its hashtags; none means
    # every active account of the agency.
    target_accounts = models.ManyToManyField(
        PlatformAccount, blank=True, related_name="+", verbose_name=_("target accounts")
    )
    goal_kind = models.CharField(
        _("goal"), max_length=16, choices=GoalKind.choices, default=GoalKind.PUBLIC_USES
    )
    # Null for campaigns made before goals existed: figures are shown without a percentage.
    goal_target = models.PositiveBigIntegerField(_("target number"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="campaign_period_order"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def hashtag_list(self) -> list[str]:
        return self.hashtags.split()


class PublicPost(models.Model):
    """A post, reply or comment by the public that one of our searches found.

    Unique per agency on (platform, external id): a repeated search, a second campaign with the
    same hashtag and a monitoring column all find the same row again. Metrics are the
    platform's public figures when it was last seen (zero where the platform gives none, as for
    Facebook comments).
    """

    id = models.BigAutoField(primary_key=True)
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+", db_index=False)
    platform = models.CharField(max_length=16, choices=Platform.choices)
    external_id = models.CharField(max_length=100)
    author_external_id = models.CharField(max_length=100, blank=True)
    author_handle = models.CharField(max_length=100, blank=True)
    author_name = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    # Platform time (when the person wrote it); found_at is when we stored it.
    created_at = models.DateTimeField()
    found_at = models.DateTimeField(default=timezone.now)
    url = models.URLField(max_length=500, blank=True)
    impressions = models.PositiveBigIntegerField(default=0)
    likes = models.PositiveBigIntegerField(default=0)
    replies = models.PositiveBigIntegerField(default=0)
    shares = models.PositiveBigIntegerField(default=0)
    quotes = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "platform", "external_id"], name="public_post_unique"
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def engagements(self) -> int:
        return self.likes + self.replies + self.shares + self.quotes

    @property
    def author_label(self) -> str:
        if self.author_handle:
            return f"@{self.author_handle}" if self.platform == Platform.X else self.author_handle
        return self.author_name or self.author_external_id


class PublicUse(models.Model):
    """A public post that used one of a campaign's hashtags during the campaign."""

    id = models.BigAutoField(primary_key=True)
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+", db_index=False)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="public_uses", db_index=False
    )
    public_post = models.ForeignKey(PublicPost, on_delete=models.CASCADE, related_name="uses")
    # The campaign's hashtags the post carries, as the campaign spells them.
    hashtags = models.JSONField(default=list, blank=True)
    # The post's own time, copied for the campaign's timeline and counts.
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "public_post"], name="public_use_once_per_campaign"
            )
        ]
        indexes = [models.Index(fields=["campaign", "created_at"], name="public_use_timeline")]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.public_post_id}"


class MonitorColumn(models.Model):
    """One live column of the agency's monitoring board: a keyword or hashtag search."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="monitor_columns")
    title = models.CharField(_("title"), max_length=100)
    # As typed: "#부산경찰", "road closure". `kind` says how it is searched.
    query = models.CharField(_("search"), max_length=200)
    kind = models.CharField(max_length=8, choices=QueryKind.choices)
    # The accounts whose clients search it; none means every active account of the agency.
    accounts = models.ManyToManyField(
        PlatformAccount, blank=True, related_name="+", verbose_name=_("accounts")
    )
    position = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["agency", "position"], name="monitor_column_board")]

    def __str__(self) -> str:
        return self.title


class ColumnMatch(models.Model):
    """A public post shown in a monitoring column (once per column)."""

    id = models.BigAutoField(primary_key=True)
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+", db_index=False)
    column = models.ForeignKey(
        MonitorColumn, on_delete=models.CASCADE, related_name="matches", db_index=False
    )
    public_post = models.ForeignKey(PublicPost, on_delete=models.CASCADE, related_name="+")
    # The post's own time, copied so a column reads one index, newest first.
    created_at = models.DateTimeField()
    matched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["column", "public_post"], name="column_match_once_per_column"
            )
        ]
        indexes = [
            models.Index(fields=["column", "-created_at", "-id"], name="column_match_newest")
        ]

    def __str__(self) -> str:
        return f"{self.column_id}: {self.public_post_id}"


class SearchCursor(models.Model):
    """Where the search of one query (a hashtag or keywords) on one account stands.

    Shared by every campaign and column of the agency that asks for the same query on the same
    account. `cursor` is the platform's own (X since_id; for Facebook, the time of the newest
    inbox message read); it moves only in the transaction that stores what it covers.
    `next_attempt_at` holds rate-limit resets and backoff; `lease_until`/`claim_token` make one
    search per cursor at a time.
    """

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+", db_index=False)
    account = models.ForeignKey(
        PlatformAccount, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=8, choices=QueryKind.choices)
    # Normalised (see campaigns.hashtags.query_key): one cursor for "#Tag" and "#tag".
    query = models.CharField(max_length=200)
    cursor = models.CharField(max_length=200, blank=True)
    last_searched_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failures = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set by the beat dispatcher when it enqueues a search, so it does not enqueue it twice.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "kind", "query"], name="search_cursor_unique"
            )
        ]
        indexes = [models.Index(fields=["next_attempt_at"], name="search_cursor_due")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.query}: {self.cursor or '(start)'}"
