"""Forms of the inbox settings pages. They read what was typed; the services decide what is
allowed (engagement.services, engagement.threads) and their errors are shown on these forms."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from engagement.models import Category, RuleLanguage

# "other" is what a message gets when no rule matches; a rule cannot give it.
RULE_CATEGORY_CHOICES = [c for c in Category.choices if c[0] != Category.OTHER]

WEEKDAY_CHOICES = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]

GUIDANCE_MAX = 2000


class TermsField(forms.CharField):
    """Terms one per line or separated by commas; a list of the non-empty ones in cleaned_data."""

    widget = forms.Textarea(attrs={"rows": 6})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(str(v) for v in value)
        return value

    def clean(self, value):
        text = super().clean(value) or ""
        return [term.strip() for term in re.split(r"[\n,]", text) if term.strip()]


class InboxSettingsForm(forms.Form):
    first_response_target_minutes = forms.IntegerField(
        label=_("First response within (minutes)"),
        min_value=1,
        max_value=7 * 24 * 60,
        help_text=_(
            "The clock runs during office hours only, except for urgent messages, which are due "
            "this many minutes after they arrive whatever the time."
        ),
    )
    office_hours_start = forms.TimeField(
        label=_("Office hours start"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    office_hours_end = forms.TimeField(
        label=_("Office hours end"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    office_days = forms.TypedMultipleChoiceField(
        label=_("Office days"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("With no day ticked, the target counts every hour of every day."),
    )
    guidance_en = forms.CharField(
        label=_("Emergency guidance in English"),
        max_length=GUIDANCE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "lang": "en"}),
        help_text=_(
            "Offered as the reply to an urgent message, e.g. “This account is not monitored "
            "24/7: call 112 / 999 / 911.”"
        ),
    )
    guidance_ko = forms.CharField(
        label=_("Emergency guidance in Korean"),
        max_length=GUIDANCE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "lang": "ko"}),
        help_text=_("Offered when the urgent message is in Korean."),
    )
    require_reply_approval = forms.BooleanField(
        label=_("Replies need a supervisor's approval"),
        required=False,
        help_text=_("Every reply from the inbox then goes through review before it is sent."),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("office_hours_start"), data.get("office_hours_end")
        if start is not None and end is not None and start >= end:
            self.add_error("office_hours_end", _("Office hours end after they start."))
        if "guidance_en" in data and "guidance_ko" in data:
            if not (data["guidance_en"].strip() or data["guidance_ko"].strip()):
                self.add_error(
                    "guidance_en", _("Write the emergency guidance in at least one language.")
                )
        return data

    def settings_values(self) -> dict:
        """cleaned_data as the fields of InboxSettings (the two guidance boxes as one dict)."""
        data = self.cleaned_data
        guidance = {
            language: data[f"guidance_{language}"].strip()
            for language in ("en", "ko")
            if data[f"guidance_{language}"].strip()
        }
        return {
            "first_response_target_minutes": data["first_response_target_minutes"],
            "office_hours_start": data["office_hours_start"],
            "office_hours_end": data["office_hours_end"],
            "office_days": sorted(set(data["office_days"])),
            "emergency_guidance": guidance,
            "require_reply_approval": data["require_reply_approval"],
        }


class TriageRuleForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=RULE_CATEGORY_CHOICES)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=RuleLanguage.choices,
        initial=RuleLanguage.ANY,
        help_text=_(
            "English rules apply to text with Latin letters, Korean rules to text with Hangul."
        ),
    )
    terms = TermsField(
        label=_("Terms"),
        help_text=_(
            "One per line or separated by commas. A term matches a whole word or phrase; end it "
            "with * to match the start of a word (thank* finds “thanks”). Korean terms match "
            "anywhere in the text, so prefer specific ones."
        ),
    )
    priority = forms.IntegerField(
        label=_("Priority"),
        required=False,
        help_text=_(
            "Higher comes first in the inbox. Urgent rules have 100 or more, others 0 to 99. "
            "Leave empty for the category's usual priority."
        ),
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)


class TriageTestForm(forms.Form):
    text = forms.CharField(
        label=_("Message to test"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Nothing you paste here is stored."),
    )


class CannedResponseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    language = forms.ChoiceField(
        label=_("Language"), choices=RuleLanguage.choices, initial=RuleLanguage.ANY
    )
    text = forms.CharField(
        label=_("Text"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "{handle} is replaced by the citizen's handle when the response is used in a reply."
        ),
    )
