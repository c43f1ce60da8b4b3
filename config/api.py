"""What every endpoint of the REST API (/api/v1/) shares: one error shape, the OpenAPI schema's
error responses, id filters, and the 404 for unknown API addresses. (Pagination is in
config/api_pagination.py, which DRF imports while it is itself being imported.)

Every error, whatever raised it (DRF, Django, a service), answers

    {"error": {"code": "not_found", "message": "A sentence for a person.", "fields": {}}}

where "fields" maps a request field to its problems (only for invalid requests; empty
otherwise). Codes: invalid, parse_error, not_authenticated, authentication_failed,
permission_denied, not_found, method_not_allowed, not_acceptable, unsupported_media_type,
refused (a service refused the change in the object's current state: 409), throttled (429,
with Retry-After), server_error.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback

log = logging.getLogger("beat.api")

NON_FIELD_KEYS = {NON_FIELD_ERRORS, "non_field_errors"}


class Refused(exceptions.APIException):
    """A service refused the change (posts.workflow.WorkflowError and the like): 409."""

    status_code = 409
    default_code = "refused"
    default_detail = gettext_lazy("This cannot be done in its current state.")


@contextmanager
def refusals_as_invalid(*kinds: type[Exception]) -> Iterator[None]:
    """Turn a service's refusal of the input (ValueError by default) into a 400, as the HTML
    form shows it as a form error."""
    caught = kinds or (ValueError,)
    try:
        yield
    except caught as exc:
        raise exceptions.ValidationError(getattr(exc, "message", None) or str(exc)) from exc


@contextmanager
def refusals_as_409(*kinds: type[Exception]) -> Iterator[None]:
    """Turn a service's refusal (ValueError with a sentence for the person, by default) into
    a 409 with that sentence, as the HTML pages turn it into a message."""
    caught = kinds or (ValueError,)
    try:
        yield
    except caught as exc:
        raise Refused(getattr(exc, "message", None) or str(exc)) from exc


# --- The error shape ------------------------------------------------------------------------


def _messages(value: Any) -> list[str]:
    """DRF's nested error structure flattened to sentences."""
    if isinstance(value, dict):
        return [message for item in value.values() for message in _messages(item)]
    if isinstance(value, list | tuple):
        return [message for item in value for message in _messages(item)]
    return [str(value)]


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _invalid(detail: Any) -> dict:
    errors = serializers.as_serializer_error(exceptions.ValidationError(detail))
    general = [m for key in NON_FIELD_KEYS if key in errors for m in _messages(errors[key])]
    fields = {
        str(name): _messages(problems)
        for name, problems in errors.items()
        if name not in NON_FIELD_KEYS
    }
    if general:
        message = " ".join(general)
    elif fields:
        message = _("The request is not valid: see the fields.")
    else:
        message = _("The request is not valid.")
    return error_body("invalid", message, fields)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error in the one shape above."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*(exc.args or (_("You may not do this."),)))
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(serializers.as_serializer_error(exc))

    if not isinstance(exc, exceptions.APIException):
        return _server_error(exc, context)

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(math.ceil(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        body = _invalid(exc.detail)
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        messages = _messages(exc.detail)
        body = error_body(str(code), messages[0] if messages else str(exc.default_detail))
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


def _server_error(exc: Exception, context: dict) -> Response:
    """An unexpected exception: logged and signalled as Django does for a page (so the test
    client re-raises it and error reporting sees it), answered in the error shape."""
    request = context.get("request")
    django_request = getattr(request, "_request", request)
    log.error(
        "Internal Server Error: %s",
        getattr(django_request, "path", "?"),
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"status_code": 500, "request": django_request},
    )
    got_request_exception.send(sender=None, request=django_request)
    set_rollback()
    return Response(
        error_body("server_error", _("Something went wrong on our side. Try again later.")),
        status=500,
    )


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ErrorSerializer(serializers.Serializer):
    """The one error shape (for the schema)."""

    error = ErrorDetailSerializer()


def url_id(value: str | int) -> int:
    """An id from the URL: digits only, and small enough for the database. Anything else is a
    404, like an id of another agency's object."""
    text = str(value)
    if not re.fullmatch(r"[0-9]{1,19}", text) or not 0 < int(text) < 2**63:
        raise Http404
    return int(text)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A filter on an id: whole numbers only (django-filter's NumberFilter takes decimals)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class _UtcDateTimeField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(_("This time is out of range."), code="overflow") from None


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    """A filter on a time (ISO 8601), compared in UTC.

    Python takes offsets up to ±23:59, PostgreSQL only up to ±15:59: a time sent with its own
    offset could fail the whole query (a 500). Converted to UTC first, an out-of-range time is
    an invalid request (400) instead.
    """

    field_class = _UtcDateTimeField


# --- Unknown addresses under /api/ ----------------------------------------------------------


class NotFoundView(APIView):
    """Any address under /api/ that is no endpoint: a 404 in the error shape (not the HTML
    page), for every method. Also means no trailing-slash redirect: API URLs end with "/"."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []
    schema = None  # not an operation

    def dispatch(self, request, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        response = self.handle_exception(exceptions.NotFound(_("There is no such API address.")))
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response


# --- The OpenAPI schema ---------------------------------------------------------------------

_ERRORS = {
    "400": gettext_lazy("The request is not valid (see error.fields)."),
    "401": gettext_lazy("No valid token or session."),
    "403": gettext_lazy("Your role may not do this."),
    "404": gettext_lazy("Not found (or of another agency), or no such page."),
    "409": gettext_lazy("Refused in the object's current state (see error.message)."),
    "415": gettext_lazy("The body must be JSON."),
    "429": gettext_lazy("Too many requests with this token; see Retry-After."),
}


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """How the schema describes accounts.api_auth.TokenAuthentication."""

    target_class = "accounts.api_auth.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A personal API token (beat_...), created under Your settings → API tokens. It "
                "acts in the agency it was created in, with your role there."
            ),
        }


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, with the error responses each operation can give, all in
    the one error shape."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        codes = ["401", "403", "429"]
        has_query = any(p.get("in") == "query" for p in parameters)
        if "requestBody" in operation:
            codes += ["400", "415"]
        elif has_query:
            codes.append("400")
        if any(p.get("in") == "path" for p in parameters) or any(
            p.get("name") == "page" for p in parameters
        ):
            codes.append("404")
        if method.upper() != "GET" and getattr(self.view, "may_refuse", False):
            codes.append("409")
        error = self.resolve_serializer(ErrorSerializer, "response")
        responses = operation.setdefault("responses", {})
        for code in sorted(codes):
            responses.setdefault(
                code,
                {
                    "content": {"application/json": {"schema": error.ref}},
                    "description": str(_ERRORS[code]),
                },
            )
        return operation
