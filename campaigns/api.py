"""The campaigns API (DRF): campaigns with their figures, their public uses, and the monitoring
board's columns with their matches.

    GET    /api/v1/campaigns/                       list (filters: running_on, active)
    POST   /api/v1/campaigns/                       campaigns.services.campaign_create
    GET    /api/v1/campaigns/{id}/                  one campaign, with campaigns.figures
    PATCH  /api/v1/campaigns/{id}/                  campaigns.services.campaign_update
    DELETE /api/v1/campaigns/{id}/                  campaigns.services.campaign_delete
    GET    /api/v1/campaigns/{id}/uses/             the public's uses of its hashtags
    GET    /api/v1/monitor/columns/                 the monitoring board's columns
    POST   /api/v1/monitor/columns/                 campaigns.services.monitor_column_create
    DELETE /api/v1/monitor/columns/{id}/            campaigns.services.monitor_column_delete
    GET    /api/v1/monitor/columns/{id}/matches/    a column's matches, newest first

Thin views, as campaigns/views.py and views_monitor.py: every role of the "campaigns" section
may read; campaigns are managed by supervisors and admins, columns changed by the people on
duty (campaigns.services.MANAGER_ROLES, MONITOR_ROLES), and the services check again.
Campaigns and columns come from selectors scoped to request.agency: another agency's are 404.
"""

from __future__ import annotations

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status as http
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api_auth import SectionRole
from campaigns import selectors, services
from campaigns.figures import campaign_figures
from campaigns.models import Campaign, MonitorColumn
from campaigns.serializers import (
    CampaignSerializer,
    CampaignWriteSerializer,
    ColumnMatchSerializer,
    MonitorColumnSerializer,
    MonitorColumnWriteSerializer,
    PublicUseSerializer,
)
from config.api import url_id

CampaignsRole = SectionRole("campaigns")


class CampaignManager(CampaignsRole):  # type: ignore[misc, valid-type]
    """Supervisors and admins: the campaign pages' "New", "Edit" and "Delete"."""

    message = _("Only supervisors and admins may manage campaigns.")

    def has_permission(self, request: Request, view) -> bool:
        return super().has_permission(request, view) and services.may_manage_campaigns(
            request.membership.role
        )


class MonitorEditor(CampaignsRole):  # type: ignore[misc, valid-type]
    """Officers, supervisors and admins: the board's "Add column" and "Remove"."""

    message = _("Only officers, supervisors and admins may change the monitoring columns.")

    def has_permission(self, request: Request, view) -> bool:
        return super().has_permission(request, view) and services.may_edit_monitor(
            request.membership.role
        )


class CampaignFilter(django_filters.FilterSet):
    running_on = django_filters.DateFilter(
        method="filter_running_on", help_text=_("Campaigns running on this day.")
    )
    active = django_filters.BooleanFilter(
        method="filter_active",
        help_text=_("true: running today (the agency's time zone); false: not running today."),
    )

    class Meta:
        model = Campaign
        fields: list[str] = []

    def filter_running_on(self, queryset, name, value):
        return queryset.filter(starts_on__lte=value, ends_on__gte=value)

    def filter_active(self, queryset, name, value):
        today = timezone.localdate(timezone=self.request.agency.tzinfo)
        running = {"starts_on__lte": today, "ends_on__gte": today}
        return queryset.filter(**running) if value else queryset.exclude(**running)


def _with_figures(request: Request, campaigns: list[Campaign]) -> dict:
    ids = [c.pk for c in campaigns]
    return {"figures": campaign_figures(agency=request.agency, campaign_ids=ids)}


@extend_schema_view(
    list=extend_schema(summary="The agency's campaigns, latest start first, with their figures."),
    retrieve=extend_schema(summary="One campaign, with its figures against its goal."),
)
@extend_schema(tags=["campaigns"])
class CampaignViewSet(viewsets.GenericViewSet):
    # For the schema's types only: rows always come from the agency-scoped selectors.
    queryset = Campaign.objects.none()
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilter
    writes = {"create", "partial_update", "destroy"}

    def get_permissions(self) -> list[BasePermission]:
        return [CampaignManager() if self.action in self.writes else CampaignsRole()]

    def get_queryset(self):
        return selectors.campaigns_for_agency(agency=self.request.agency).prefetch_related(
            "target_accounts"
        )

    def _campaign(self) -> Campaign:
        return selectors.campaign_get(
            agency=self.request.agency, campaign_id=url_id(self.kwargs["pk"])
        )

    def _detail(self, campaign: Campaign, status: int = http.HTTP_200_OK) -> Response:
        fresh = selectors.campaign_get(agency=self.request.agency, campaign_id=campaign.pk)
        context = _with_figures(self.request, [fresh])
        return Response(CampaignSerializer(fresh, context=context).data, status=status)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = _with_figures(request, page)
        return self.get_paginated_response(
            CampaignSerializer(page, many=True, context=context).data
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._detail(self._campaign())

    @extend_schema(request=CampaignWriteSerializer, responses={201: CampaignSerializer})
    def create(self, request: Request) -> Response:
        """A new campaign (supervisors and admins), owned by you unless `owner` is given."""
        serializer = CampaignWriteSerializer(data=request.data, agency=request.agency)
        serializer.is_valid(raise_exception=True)
        campaign = services.campaign_create(
            agency=request.agency, by=request.user, **serializer.validated_data
        )
        return self._detail(campaign, http.HTTP_201_CREATED)

    @extend_schema(request=CampaignWriteSerializer(partial=True), responses=CampaignSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change the fields given (supervisors and admins). Public posts already found that
        now match are counted."""
        campaign = self._campaign()
        serializer = CampaignWriteSerializer(data=request.data, agency=request.agency, partial=True)
        serializer.is_valid(raise_exception=True)
        services.campaign_update(campaign=campaign, by=request.user, **serializer.validated_data)
        return self._detail(campaign)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        """Delete the campaign and its public uses (supervisors and admins); its posts stay,
        without a campaign."""
        services.campaign_delete(campaign=self._campaign(), by=request.user)
        return Response(status=http.HTTP_204_NO_CONTENT)

    @extend_schema(responses=PublicUseSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filterset_class=None)
    def uses(self, request: Request, pk: str) -> Response:
        """The public posts that used the campaign's hashtags during it, newest first."""
        page = self.paginate_queryset(selectors.public_uses(campaign=self._campaign()))
        return self.get_paginated_response(PublicUseSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="The monitoring board's columns, in their order."),
)
@extend_schema(tags=["monitoring"])
class MonitorColumnViewSet(viewsets.GenericViewSet):
    queryset = MonitorColumn.objects.none()  # the schema's types only
    serializer_class = MonitorColumnSerializer
    filter_backends: list = []
    writes = {"create", "destroy"}

    def get_permissions(self) -> list[BasePermission]:
        return [MonitorEditor() if self.action in self.writes else CampaignsRole()]

    def _column(self) -> MonitorColumn:
        return selectors.monitor_column_get(
            agency=self.request.agency, column_id=url_id(self.kwargs["pk"])
        )

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.monitor_columns(agency=request.agency))
        return self.get_paginated_response(MonitorColumnSerializer(page, many=True).data)

    @extend_schema(request=MonitorColumnWriteSerializer, responses={201: MonitorColumnSerializer})
    def create(self, request: Request) -> Response:
        """Add a column at the end of the board. Posts already found that match show at once."""
        serializer = MonitorColumnWriteSerializer(data=request.data, agency=request.agency)
        serializer.is_valid(raise_exception=True)
        column = services.monitor_column_create(
            agency=request.agency, by=request.user, **serializer.validated_data
        )
        fresh = selectors.monitor_column_get(agency=request.agency, column_id=column.pk)
        return Response(MonitorColumnSerializer(fresh).data, status=http.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        """Remove a column and its matches."""
        services.monitor_column_delete(column=self._column(), by=request.user)
        return Response(status=http.HTTP_204_NO_CONTENT)

    @extend_schema(responses=ColumnMatchSerializer(many=True))
    @action(detail=True, methods=["get"])
    def matches(self, request: Request, pk: str) -> Response:
        """The column's matches, newest post first."""
        page = self.paginate_queryset(selectors.column_matches(column=self._column()))
        return self.get_paginated_response(ColumnMatchSerializer(page, many=True).data)
