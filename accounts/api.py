"""The accounts API: who am I (GET /api/v1/me/), and the agency's connected platform accounts
(read only: GET /api/v1/platform-accounts/). Credentials are never part of any answer.

Tokens are not managed here: a person creates and revokes their own on their settings page.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors
from accounts.api_auth import AgencyMember, SectionRole, current_token
from accounts.models import (
    Agency,
    ApiToken,
    Platform,
    PlatformAccount,
    PlatformAccountStatus,
    Role,
    User,
)
from config.api import url_id

# --- Serializers (shared by the other apps' APIs) ---------------------------------------------


class PersonSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "name"]
        read_only_fields = fields


class PlatformAccountSerializer(serializers.ModelSerializer):
    """A connected account as members see it. Never its credentials."""

    class Meta:
        model = PlatformAccount
        fields = [
            "id",
            "platform",
            "handle",
            "display_name",
            "external_id",
            "status",
            "status_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AccountBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlatformAccount
        fields = ["id", "platform", "handle", "display_name"]
        read_only_fields = fields


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "name", "slug", "timezone", "language"]
        read_only_fields = fields


class TokenInfoSerializer(serializers.ModelSerializer):
    """What a token's owner may see of it: never the token, never its hash."""

    class Meta:
        model = ApiToken
        fields = ["name", "prefix", "created_at", "expires_at"]
        read_only_fields = fields


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    language = serializers.CharField()
    agency = AgencySerializer(help_text="The agency this request acts in.")
    role = serializers.ChoiceField(choices=Role.choices, help_text="Your role in that agency.")
    token = TokenInfoSerializer(
        allow_null=True, help_text="The token this request used; null for the browser's session."
    )


# --- Views --------------------------------------------------------------------------------------


class MeView(APIView):
    """The person calling, the agency the request acts in, their role there, and the token."""

    permission_classes = [AgencyMember]

    @extend_schema(responses=MeSerializer, tags=["accounts"])
    def get(self, request: Request) -> Response:
        user = request.user
        me = {
            "id": user.pk,
            "email": user.email,
            "name": user.display_name,
            "language": user.language,
            "agency": request.agency,
            "role": request.membership.role,
            "token": current_token(request),
        }
        return Response(MeSerializer(me).data)


class PlatformAccountFilter(django_filters.FilterSet):
    platform = django_filters.ChoiceFilter(choices=Platform.choices)
    status = django_filters.ChoiceFilter(choices=PlatformAccountStatus.choices)

    class Meta:
        model = PlatformAccount
        fields = ["platform", "status"]


@extend_schema(tags=["accounts"])
class PlatformAccountViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The agency's connected accounts (every role may read them: the editor, the inbox and
    the dashboards all name them). Connecting and changing them is for admins, on the pages."""

    serializer_class = PlatformAccountSerializer
    # For the schema's types only: rows always come from the agency-scoped selector below.
    queryset = PlatformAccount.objects.none()
    filterset_class = PlatformAccountFilter
    # Every role: drafting needs the ids, the inbox filters by them, analysts read them.
    permission_classes = [SectionRole("calendar")]

    def get_queryset(self):
        return selectors.platform_accounts_for_agency(agency=self.request.agency)

    def get_object(self) -> PlatformAccount:
        return selectors.platform_account_get(
            agency=self.request.agency, account_id=url_id(self.kwargs["pk"])
        )
