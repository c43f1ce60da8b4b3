from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import PlatformAccountStatus


class ScheduleForm(forms.Form):
    """When and where an approved post goes out. Times are read in the agency's time zone."""

    at = forms.DateTimeField(
        label=_("Publish at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("In the agency's time zone. Leave empty with “Publish now”."),
    )
    accounts = forms.ModelMultipleChoiceField(
        label=_("Accounts"), queryset=None, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, agency, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accounts"].queryset = agency.platform_accounts.filter(
            status=PlatformAccountStatus.ACTIVE
        ).order_by("platform", "handle")

    def clean(self):
        data = super().clean()
        now_requested = "publish_now" in self.data
        if not now_requested:
            at = data.get("at")
            if at is None:
                self.add_error("at", _("Choose a time, or use “Publish now”."))
            elif at < timezone.now():
                self.add_error("at", _("That time has passed. Choose a later time or publish now."))
        data["publish_now"] = now_requested
        return data
