from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Platform, PlatformAccountStatus, Role


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _(
            "That e-mail address and password do not match. After 5 failed attempts the "
            "account is locked until an agency admin unlocks it."
        ),
        "inactive": _("This account is inactive."),
    }


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    password1 = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters."),
        max_length=128,
    )
    password2 = forms.CharField(
        label=_("Password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        max_length=128,
    )

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if user is not None and user.has_usable_password():
            # Someone who already has an account keeps their password.
            del self.fields["password1"]
            del self.fields["password2"]

    def clean(self):
        data = super().clean()
        if "password1" in self.fields:
            p1, p2 = data.get("password1"), data.get("password2")
            if p1 and p2 and p1 != p2:
                self.add_error("password2", _("The two passwords differ."))
            elif p1:
                try:
                    validate_password(p1, self.user)
                except forms.ValidationError as exc:
                    self.add_error("password1", exc)
        return data


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class PlatformAccountForm(forms.Form):
    platform = forms.ChoiceField(label=_("Platform"), choices=Platform.choices)
    handle = forms.CharField(label=_("Handle or page name"), max_length=100)
    external_id = forms.RegexField(
        label=_("Platform id"),
        max_length=100,
        regex=r"^[0-9A-Za-z_\-]+$",
        error_messages={
            "invalid": _("Use the numeric id the platform shows (letters, digits, - and _).")
        },
    )
    display_name = forms.CharField(label=_("Display name"), max_length=200, required=False)
    consumer_key = forms.CharField(label=_("X API key"), max_length=500, required=False)
    consumer_secret = forms.CharField(
        label=_("X API key secret"), max_length=500, required=False, widget=forms.PasswordInput
    )
    access_token = forms.CharField(label=_("X access token"), max_length=500, required=False)
    access_token_secret = forms.CharField(
        label=_("X access token secret"), max_length=500, required=False, widget=forms.PasswordInput
    )
    page_access_token = forms.CharField(
        label=_("Facebook page access token"),
        max_length=1000,
        required=False,
        widget=forms.PasswordInput,
    )

    FIELDS = {
        Platform.X: ("consumer_key", "consumer_secret", "access_token", "access_token_secret"),
        Platform.FACEBOOK: ("page_access_token",),
    }

    def clean(self):
        data = super().clean()
        platform = data.get("platform")
        for name in self.FIELDS.get(platform, ()):
            if not data.get(name):
                self.add_error(name, _("Required for this platform."))
        return data

    def credentials(self) -> dict:
        return {
            name: self.cleaned_data[name] for name in self.FIELDS[self.cleaned_data["platform"]]
        }


class AccountStatusForm(forms.Form):
    status = forms.ChoiceField(choices=PlatformAccountStatus.choices)
    reason = forms.CharField(max_length=500, required=False)


def add_service_errors(
    form: forms.Form, exc: ValidationError, rename: dict[str, str] | None = None
) -> None:
    """Put a service's ValidationError on the form: on the field it names when the form has
    that field (after `rename`, for services whose field names differ from the form's),
    otherwise at the top of the form. Every app's views use this."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            name = (rename or {}).get(name, name)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class OwnIdsForm(forms.Form):
    """For pages that hold several forms: each gets its own element ids from `id_prefix`
    (field names unchanged), so labels and errors point at the right field."""

    id_prefix = "form"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)
