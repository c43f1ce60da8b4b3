"""The person's own API tokens, on their settings page (Your settings → API tokens).

Thin views: validate the form, call accounts.services.api_token_create / api_token_revoke,
render or redirect. A new token is shown once, in the answer to the POST that created it (never
stored, never put in a message or the session); only its SHA-256 is kept. A token acts in the
agency the person is working in when they create it, with their role there.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.forms import add_service_errors

NEVER = "never"


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What will use it, e.g. “scheduling script”."),
    )
    expires_in_days = forms.ChoiceField(
        label=gettext_lazy("Expires"),
        initial="90",
        choices=[
            ("30", gettext_lazy("in 30 days")),
            ("90", gettext_lazy("in 90 days")),
            ("365", gettext_lazy("in a year")),
            (NEVER, gettext_lazy("never (revoke it when no longer needed)")),
        ],
    )

    def lifetime(self) -> int | None:
        value = self.cleaned_data["expires_in_days"]
        return None if value == NEVER else int(value)


@never_cache
@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """List the person's tokens; POST creates one and shows it once."""
    if request.agency is None:
        return redirect("accounts:login")
    form = ApiTokenForm(request.POST or None)
    created, plaintext = None, ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created, plaintext = services.api_token_create(
                    user=request.user,
                    agency=request.agency,
                    name=form.cleaned_data["name"],
                    expires_in_days=form.lifetime(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
                status = 400
            else:
                form = ApiTokenForm()
        else:
            status = 400
    tokens = list(selectors.api_tokens_for_user(user=request.user))
    return render(
        request,
        "accounts/api_tokens.html",
        {
            "form": form,
            "tokens": tokens,
            "created": created,
            "plaintext": plaintext,
            "now": timezone.now(),
        },
        status=status,
    )


@require_POST
@login_required
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    api_token = selectors.api_token_get_for_user(user=request.user, token_id=token_id)
    services.api_token_revoke(api_token=api_token, by=request.user)
    messages.success(
        request,
        _("The token “%(name)s” is revoked: nothing can use it any more.")
        % {"name": api_token.name},
    )
    return redirect("accounts:api_tokens")
