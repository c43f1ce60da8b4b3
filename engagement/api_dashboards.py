"""The dashboards' figures as JSON (read only), for the same filters as the HTML pages.

    GET /api/v1/dashboards/overview/              engagement.dashboards.overview
    GET /api/v1/dashboards/accounts/{id}/         overview + audience of one account
    GET /api/v1/dashboards/posts/{id}/            engagement.dashboards.post_curves
    GET /api/v1/dashboards/styles/                engagement.dashboards.styles (with the heatmap)
    GET /api/v1/dashboards/inbox/                 engagement.dashboards.inbox
    GET /api/v1/dashboards/campaigns/             engagement.dashboards.campaigns
    GET /api/v1/dashboards/audience/              engagement.dashboards.audience

Filters are the query string of the pages (`from`, `to`, `account`, `platform`, `style`), checked
by the pages' own form (engagement.views_dashboards.DashboardFilterForm): a bad value is a 400
with `fields`, never figures for a period nobody asked for. The roles are the pages' (the
"dashboards" section: analysts, supervisors, admins). Another agency's account or post is a 404;
another agency's account id in the `account` filter is a field error.

The figures are engagement/dashboards.py's dataclasses written out plainly: numbers, ISO dates
and times, null where a figure is unknown.
"""

from __future__ import annotations

from dataclasses import replace

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import AccountBriefSerializer
from accounts.api_auth import SectionRole
from accounts.models import Platform
from campaigns.serializers import CampaignFiguresSerializer
from config.api import url_id
from engagement import dashboards
from engagement.models import Category
from engagement.views_dashboards import DashboardFilterForm
from posts.models import PostStatus, PostStyle

ALL_FILTERS = ("account", "platform", "style")

# --- Serializers (output only) -------------------------------------------------------------------


def _int(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(read_only=True, **kwargs)


def _float(**kwargs) -> serializers.FloatField:
    return serializers.FloatField(read_only=True, allow_null=True, **kwargs)


class PeriodSerializer(serializers.Serializer):
    start_date = serializers.DateField(help_text="First day, in the agency's time zone.")
    end_date = serializers.DateField(help_text="Last day (inclusive).")
    days = _int()
    timezone = serializers.CharField(source="tz", help_text="The agency's time zone.")


class FiltersSerializer(serializers.Serializer):
    period = PeriodSerializer()
    previous_period = PeriodSerializer(
        source="period.previous", help_text="The same number of days just before."
    )
    account = _int(source="account_id", allow_null=True)
    platform = serializers.CharField(allow_null=True)
    style = serializers.CharField(allow_null=True)


class ChangeSerializer(serializers.Serializer):
    absolute = _float()
    percent = _float(help_text="Of the previous value; null when that is 0 or unknown.")


class FiguresSerializer(serializers.Serializer):
    posts = _int()
    impressions = _int()
    engagements = _int()
    followers_start = _int(allow_null=True)
    followers_end = _int(allow_null=True)
    follower_growth = ChangeSerializer()
    engagement_rate = _float(help_text="Engagements as a percent of followers at the end.")


class ChangesSerializer(serializers.Serializer):
    posts = ChangeSerializer()
    impressions = ChangeSerializer()
    engagements = ChangeSerializer()
    engagement_rate = ChangeSerializer()
    followers = ChangeSerializer()
    follower_growth = ChangeSerializer()


class AccountLineSerializer(serializers.Serializer):
    account_id = _int()
    label = serializers.CharField()
    platform = serializers.CharField()
    figures = FiguresSerializer()


class DayLineSerializer(serializers.Serializer):
    day = serializers.DateField()
    posts = _int()
    impressions = _int()
    engagements = _int()
    previous_day = serializers.DateField()
    previous_impressions = _int()
    previous_engagements = _int()


class TopPostSerializer(serializers.Serializer):
    post_id = _int()
    text = serializers.CharField()
    style = serializers.CharField()
    style_label = serializers.CharField()
    first_published_at = serializers.DateTimeField()
    targets = _int()
    impressions = _int()
    engagements = _int()


class OverviewSerializer(serializers.Serializer):
    filters = FiltersSerializer()
    current = FiguresSerializer()
    previous = FiguresSerializer()
    changes = ChangesSerializer()
    accounts = AccountLineSerializer(many=True)
    days = DayLineSerializer(many=True)
    top_posts = TopPostSerializer(many=True)


class AudiencePointSerializer(serializers.Serializer):
    day = serializers.DateField()
    followers = _int()
    engaged_people = _int(help_text="People who engaged in the 30 days up to the day.")
    engaged_pct = _float()
    silent_following = serializers.BooleanField()


class AudienceLineSerializer(serializers.Serializer):
    account_id = _int()
    label = serializers.CharField()
    platform = serializers.CharField()
    points = AudiencePointSerializer(many=True)
    silent_following = serializers.BooleanField(help_text="At the latest point.")


class AccountDashboardSerializer(serializers.Serializer):
    account = AccountBriefSerializer()
    overview = OverviewSerializer()
    audience = AudienceLineSerializer(allow_null=True)


class CurvePointSerializer(serializers.Serializer):
    taken_at = serializers.DateTimeField()
    hours = serializers.FloatField(help_text="Hours since publication.")
    impressions = _int()
    likes = _int()
    replies = _int()
    shares = _int()
    quotes = _int()
    engagements = _int()


class CurveLineSerializer(serializers.Serializer):
    target_id = _int()
    account_id = _int()
    label = serializers.CharField()
    platform = serializers.CharField()
    published_at = serializers.DateTimeField()
    impressions = _int()
    engagements = _int()
    measured_at = serializers.DateTimeField(allow_null=True)
    points = CurvePointSerializer(many=True)


class CurvePostSerializer(serializers.Serializer):
    id = _int()
    body = serializers.CharField()
    style = serializers.ChoiceField(choices=PostStyle.choices)
    status = serializers.ChoiceField(choices=PostStatus.choices)


class PostCurvesSerializer(serializers.Serializer):
    post = CurvePostSerializer()
    period = PeriodSerializer(allow_null=True, help_text="Null: the whole curve.")
    lines = CurveLineSerializer(many=True)


class StyleLineSerializer(serializers.Serializer):
    style = serializers.CharField()
    label = serializers.CharField()
    posts = _int()
    impressions = _int()
    engagements = _int()
    avg_impressions = _float()
    avg_engagements = _float()
    engagement_rate = _float()


class HeatCellSerializer(serializers.Serializer):
    hour = _int()
    posts = _int()
    engagements = _int()
    avg_engagements = _float()
    level = serializers.FloatField(help_text="0..1: against the busiest cell.")


class HeatRowSerializer(serializers.Serializer):
    weekday = _int(help_text="ISO: 1 = Monday ... 7 = Sunday.")
    cells = HeatCellSerializer(many=True)


class StylesSerializer(serializers.Serializer):
    filters = FiltersSerializer()
    lines = StyleLineSerializer(many=True)
    heatmap = HeatRowSerializer(many=True, help_text="Hour x weekday, in the agency's time zone.")
    followers_end = _int(allow_null=True)


class ResponseStatsSerializer(serializers.Serializer):
    started = _int()
    answered = _int()
    eligible = _int()
    within_target = _int()
    within_target_share = _float()
    p50_seconds = _float()
    p90_seconds = _float()


class CategoryLineSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    label = serializers.CharField()
    messages = _int()
    response = ResponseStatsSerializer()


class InboxDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    by_category = serializers.DictField(child=serializers.IntegerField())
    total = _int()


class InboxFiguresSerializer(serializers.Serializer):
    filters = FiltersSerializer()
    categories = CategoryLineSerializer(many=True)
    days = InboxDaySerializer(many=True)
    total_messages = _int()
    response = ResponseStatsSerializer()


class CampaignLineSerializer(serializers.Serializer):
    campaign_id = _int()
    name = serializers.CharField()
    hashtags = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    posts = _int(help_text="Published in the period.")
    impressions = _int()
    engagements = _int()
    avg_engagements = _float()
    engagement_rate = _float()
    figures = CampaignFiguresSerializer(
        source="extras", help_text="The whole campaign against its goal (not only the period)."
    )


class CampaignDashboardSerializer(serializers.Serializer):
    filters = FiltersSerializer()
    lines = CampaignLineSerializer(many=True)
    followers_end = _int(allow_null=True)


class AudienceSerializer(serializers.Serializer):
    filters = FiltersSerializer()
    lines = AudienceLineSerializer(many=True)
    min_followers = _int()
    max_engaged_pct = serializers.FloatField()


# --- Views -----------------------------------------------------------------------------------------


def _parameters(extra: tuple[str, ...], period: str) -> list[OpenApiParameter]:
    query = OpenApiParameter.QUERY
    found = [
        OpenApiParameter("from", OpenApiTypes.DATE, query, description=f"First day. {period}"),
        OpenApiParameter("to", OpenApiTypes.DATE, query, description="Last day (inclusive)."),
    ]
    if "account" in extra:
        found.append(
            OpenApiParameter("account", OpenApiTypes.INT, query, description="An account's id.")
        )
    if "platform" in extra:
        found.append(OpenApiParameter("platform", OpenApiTypes.STR, query, enum=Platform.values))
    if "style" in extra:
        found.append(OpenApiParameter("style", OpenApiTypes.STR, query, enum=PostStyle.values))
    return found


DEFAULT_PERIOD = "Without from and to: the last 28 days ending today (the agency's time zone)."


class DashboardView(APIView):
    """One dashboard: validate the filters with the pages' form, read one dashboards function."""

    permission_classes = [SectionRole("dashboards")]
    filter_backends: list = []
    extra: tuple[str, ...] = ALL_FILTERS
    optional_period = False

    def form(self, request: Request) -> DashboardFilterForm:
        form = DashboardFilterForm(
            request.query_params,
            agency=request.agency,
            extra=self.extra,
            optional_period=self.optional_period,
        )
        if not form.is_valid():
            raise ValidationError(_errors(form))
        return form


def _errors(form: DashboardFilterForm) -> dict[str, list[str]]:
    return {name: [str(m) for m in messages] for name, messages in form.errors.items()}


def _schema(serializer, extra=ALL_FILTERS, period=DEFAULT_PERIOD, **kwargs):
    return extend_schema(
        responses=serializer,
        parameters=[*_parameters(extra, period), *kwargs.pop("parameters", [])],
        tags=["dashboards"],
        **kwargs,
    )


class OverviewView(DashboardView):
    @_schema(OverviewSerializer, summary="The agency over a period against the previous one.")
    def get(self, request: Request) -> Response:
        data = dashboards.overview(agency=request.agency, filters=self.form(request).filters())
        return Response(OverviewSerializer(data).data)


class AccountView(DashboardView):
    extra = ("style",)

    @_schema(
        AccountDashboardSerializer,
        extra=extra,
        summary="One account: the overview's figures for it, and its audience over time.",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    def get(self, request: Request, pk: str) -> Response:
        account = dashboards.account_get(agency=request.agency, account_id=url_id(pk))
        filters = replace(self.form(request).filters(), account_id=account.pk)
        data = dashboards.overview(agency=request.agency, filters=filters)
        audience = dashboards.audience(agency=request.agency, filters=replace(filters, style=None))
        line = audience.lines[0] if audience.lines else None
        body = {"account": account, "overview": data, "audience": line}
        return Response(AccountDashboardSerializer(body).data)


class PostView(DashboardView):
    extra = ()
    optional_period = True

    @_schema(
        PostCurvesSerializer,
        extra=extra,
        period="Optional here: without from and to, the whole curve since publication.",
        summary="One post's impressions and engagements over time, per account.",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    def get(self, request: Request, pk: str) -> Response:
        post_id = url_id(pk)
        period = self.form(request).period
        data = dashboards.post_curves(
            agency=request.agency,
            post_id=post_id,
            start=period.start if period else None,
            end=period.end if period else None,
        )
        body = {"post": data.post, "period": period, "lines": data.lines}
        return Response(PostCurvesSerializer(body).data)


class StylesView(DashboardView):
    @_schema(StylesSerializer, summary="Figures per post style, and when to post (heatmap).")
    def get(self, request: Request) -> Response:
        data = dashboards.styles(agency=request.agency, filters=self.form(request).filters())
        return Response(StylesSerializer(data).data)


class InboxView(DashboardView):
    extra = ("account", "platform")

    @_schema(
        InboxFiguresSerializer,
        extra=extra,
        summary="Inbound volume by category, and first-response times against the target.",
    )
    def get(self, request: Request) -> Response:
        data = dashboards.inbox(agency=request.agency, filters=self.form(request).filters())
        return Response(InboxFiguresSerializer(data).data)


class CampaignsView(DashboardView):
    @_schema(CampaignDashboardSerializer, summary="The campaigns running in the period.")
    def get(self, request: Request) -> Response:
        data = dashboards.campaigns(agency=request.agency, filters=self.form(request).filters())
        return Response(CampaignDashboardSerializer(data).data)


class AudienceView(DashboardView):
    extra = ("account", "platform")

    @_schema(
        AudienceSerializer,
        extra=extra,
        summary="Followers against people who engage, per account and day.",
    )
    def get(self, request: Request) -> Response:
        data = dashboards.audience(agency=request.agency, filters=self.form(request).filters())
        return Response(AudienceSerializer(data).data)
