"""The posts API (DRF). For now: the editor's live preview, POST /api/v1/posts/preview.

Errors have one shape: {"error": {"code": str, "message": str, "fields": {name: [str]}}}, with
"fields" only when the request's content was invalid.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import PlatformAccount
from accounts.roles import SECTION_ROLES
from campaigns.models import Campaign
from posts import checks
from posts.services import MAX_TEXT, media_kind_for
from posts.textcheck import MEDIA_KINDS, PLATFORMS, MediaInfo


class DraftingMember(BasePermission):
    """A member of the request's current agency in a role that drafts posts."""

    message = gettext_lazy("Only press officers, supervisors and admins may use the editor.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        membership = getattr(request, "membership", None)
        return membership is not None and membership.role in SECTION_ROLES["drafts"]


class MediaSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MEDIA_KINDS, required=False)
    content_type = serializers.CharField(max_length=100)
    size_bytes = serializers.IntegerField(min_value=0)
    alt_text = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=5000
    )
    duration_s = serializers.FloatField(required=False, allow_null=True, min_value=0)

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
    accounts = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=100
    )
    platform_texts = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=MAX_TEXT),
        required=False,
    )
    campaign = serializers.IntegerField(required=False, allow_null=True)
    media = MediaSerializer(many=True, required=False, max_length=20)

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.agency = agency

    def validate_accounts(self, ids: list[int]) -> list[PlatformAccount]:
        wanted = set(ids)
        accounts = list(PlatformAccount.objects.filter(agency=self.agency, pk__in=wanted))
        if len(accounts) != len(wanted):
            raise serializers.ValidationError(_("Choose accounts of your own agency."))
        return sorted(accounts, key=lambda a: (a.platform, a.handle))

    def validate_platform_texts(self, texts: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(texts) - set(PLATFORMS))
        if unknown:
            raise serializers.ValidationError(
                _("Unknown platform: %(platform)s.") % {"platform": ", ".join(unknown)}
            )
        return {platform: text for platform, text in texts.items() if text}

    def validate_campaign(self, pk: int | None) -> Campaign | None:
        if pk is None:
            return None
        campaign = Campaign.objects.filter(agency=self.agency, pk=pk).first()
        if campaign is None:
            raise serializers.ValidationError(_("Choose a campaign of your own agency."))
        return campaign


def _messages(value: Any) -> list[str]:
    """DRF's nested error structure flattened to sentences."""
    if isinstance(value, dict):
        return [message for item in value.values() for message in _messages(item)]
    if isinstance(value, list):
        return [message for item in value for message in _messages(item)]
    return [str(value)]


def error_response(
    code: str, message: str, http_status: int, fields: dict[str, Any] | None = None
) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        body["fields"] = {name: _messages(errors) for name, errors in fields.items()}
    return Response({"error": body}, status=http_status)


class PreviewView(APIView):
    """Per-platform counts, media problems and policy findings for the text being typed.

    Offsets (findings' start/end, X's over_from) are Python string indices, i.e. Unicode code
    points; a browser counting UTF-16 units must convert them (editor.js does).
    """

    permission_classes = [IsAuthenticated, DraftingMember]

    def post(self, request: Request) -> Response:
        serializer = PreviewSerializer(data=request.data, agency=request.agency)
        if not serializer.is_valid():
            return error_response(
                "invalid",
                _("The preview request is not valid."),
                status.HTTP_400_BAD_REQUEST,
                fields=serializer.errors,
            )
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

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if isinstance(exc, APIException) and response is not None:
            codes = exc.get_codes()
            code = codes if isinstance(codes, str) else "invalid"
            message = exc.detail if isinstance(exc.detail, str) else _messages(exc.detail)[0]
            response.data = {"error": {"code": code, "message": str(message)}}
        return response
