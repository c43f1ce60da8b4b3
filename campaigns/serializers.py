"""Serializers of the campaigns API. They read and shape input and present campaigns, their
public uses and the monitoring board; every rule and every state change stays in
campaigns/services.py (which checks hashtags, periods and goals again).

Ids in input (target accounts, the owner, a column's accounts) are looked up in the request's
agency only: another agency's is refused like an unknown one.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api import AccountBriefSerializer, PersonSerializer
from accounts.models import Agency, User
from campaigns import hashtags as tags
from campaigns.models import Campaign, ColumnMatch, GoalKind, MonitorColumn, PublicPost, PublicUse
from campaigns.services import CAMPAIGN_FIELDS
from posts.serializers import agency_accounts


def _id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=2**63 - 1, **kwargs)


# --- Reading ------------------------------------------------------------------------------------


class CampaignFiguresSerializer(serializers.Serializer):
    """campaigns.figures.campaign_figures: the whole campaign's figures against its goal."""

    posts = serializers.IntegerField(help_text="Our published posts in the campaign.")
    impressions = serializers.IntegerField()
    engagements = serializers.IntegerField()
    public_uses = serializers.IntegerField(help_text="Public posts that used a hashtag.")
    public_authors = serializers.IntegerField(help_text="Distinct people who used a hashtag.")
    goal_kind = serializers.ChoiceField(choices=GoalKind.choices)
    goal_target = serializers.IntegerField(allow_null=True)
    goal_value = serializers.IntegerField()
    goal_percent = serializers.FloatField(
        allow_null=True, help_text="Rounded down to one decimal; null without a target."
    )
    goal_reached = serializers.BooleanField()


class CampaignSerializer(serializers.ModelSerializer):
    """A campaign, with its figures (campaigns.figures.campaign_figures)."""

    hashtags = serializers.ListField(
        child=serializers.CharField(), source="hashtag_list", read_only=True
    )
    target_accounts = AccountBriefSerializer(many=True, read_only=True)
    owner = PersonSerializer(read_only=True, allow_null=True)
    figures = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        # The fields a campaign is created and edited with (campaigns.services), then the rest.
        fields = ["id", *CAMPAIGN_FIELDS, "created_at", "updated_at", "figures"]
        read_only_fields = fields

    @extend_schema_field(CampaignFiguresSerializer(allow_null=True))
    def get_figures(self, campaign: Campaign) -> dict | None:
        figures = self.context.get("figures", {}).get(campaign.pk)
        return CampaignFiguresSerializer(figures).data if figures else None


class PublicPostSerializer(serializers.ModelSerializer):
    """A post by the public that a search found (metrics as the platform last gave them)."""

    class Meta:
        model = PublicPost
        fields = [
            "id",
            "platform",
            "external_id",
            "author_handle",
            "author_name",
            "text",
            "url",
            "created_at",
            "found_at",
            "impressions",
            "likes",
            "replies",
            "shares",
            "quotes",
        ]
        read_only_fields = fields


class PublicUseSerializer(serializers.ModelSerializer):
    hashtags = serializers.ListField(child=serializers.CharField(), read_only=True)
    public_post = PublicPostSerializer(read_only=True)

    class Meta:
        model = PublicUse
        fields = ["id", "created_at", "hashtags", "public_post"]
        read_only_fields = fields


class MonitorColumnSerializer(serializers.ModelSerializer):
    accounts = AccountBriefSerializer(many=True, read_only=True)

    class Meta:
        model = MonitorColumn
        fields = ["id", "title", "query", "kind", "accounts", "position", "created_at"]
        read_only_fields = fields


class ColumnMatchSerializer(serializers.ModelSerializer):
    public_post = PublicPostSerializer(read_only=True)

    class Meta:
        model = ColumnMatch
        fields = ["id", "created_at", "matched_at", "public_post"]
        read_only_fields = fields


# --- Writing ------------------------------------------------------------------------------------


class CampaignWriteSerializer(serializers.Serializer):
    """A new campaign, or (PATCH) the fields to change: the campaign form's fields."""

    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    hashtags = serializers.CharField(
        max_length=500, help_text="One or more, separated by spaces, e.g. “#부산경찰 #StaySafe”."
    )
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    target_accounts = serializers.ListField(
        child=_id_field(),
        required=False,
        max_length=100,
        help_text="Ids of the agency's accounts; none means all of them.",
    )
    goal_kind = serializers.ChoiceField(choices=GoalKind.choices)
    goal_target = serializers.IntegerField(min_value=1, max_value=10**12)
    owner = _id_field(required=False, help_text="A member's id; default: you.")

    def __init__(self, *args, agency: Agency | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.agency = agency

    def validate_hashtags(self, value: str) -> str:
        found = tags.parse_hashtags(value)  # its ValidationError names each invalid tag
        if not found:
            raise serializers.ValidationError(_("Give at least one hashtag."))
        return " ".join(found)

    def validate_target_accounts(self, ids: list[int]):
        return agency_accounts(self.agency, ids, active_only=False)

    def validate_owner(self, pk: int) -> User:
        owner = User.objects.filter(pk=pk, memberships__agency=self.agency).first()
        if owner is None:
            raise serializers.ValidationError(_("Choose a member of your own agency."))
        return owner


class MonitorColumnWriteSerializer(serializers.Serializer):
    query = serializers.CharField(
        max_length=tags.MAX_QUERY_LENGTH,
        help_text="A #hashtag, or words that must all appear, e.g. “road closed”.",
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=100)
    accounts = serializers.ListField(
        child=_id_field(),
        required=False,
        max_length=100,
        help_text="Ids of the agency's accounts that search it; none means all of them.",
    )

    def __init__(self, *args, agency: Agency | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.agency = agency

    def validate_accounts(self, ids: list[int]):
        return agency_accounts(self.agency, ids, active_only=False)
