"""Forms of the settings pages. They read what was typed; the services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from posts import policy
from posts.models import PolicySeverity, PostStyle

# The kinds an admin writes; detectors are adjusted from their own row on the policy page.
WRITTEN_KIND_CHOICES = [c for c in policy.KIND_CHOICES if c[0] not in policy.DETECTOR_KINDS]

MESSAGE_HELP = _("Shown to the author. Leave empty for the standard message.")


class TermsField(forms.CharField):
    """One term per line in a text box; a list of the non-empty lines in cleaned_data."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(str(v) for v in value)
        return value

    def clean(self, value):
        text = super().clean(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class PolicyRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=WRITTEN_KIND_CHOICES)
    severity = forms.ChoiceField(
        label=_("Severity"), choices=PolicySeverity.choices, initial=PolicySeverity.WARN
    )
    terms = TermsField(
        label=_("Terms"),
        required=False,
        help_text=_(
            "One per line. A required term, hashtag or disclaimer is met by any one of them "
            "(e.g. the English and the Korean wording)."
        ),
    )
    pattern = forms.CharField(
        label=_("Pattern"),
        max_length=500,
        required=False,
        help_text=_("Only for pattern rules: a regular expression (Python syntax)."),
    )
    message = forms.CharField(
        label=_("Message"), max_length=300, required=False, help_text=MESSAGE_HELP
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)


class DetectorRuleForm(forms.Form):
    """Adjusting a built-in detector: how severe, what it says, what it must not flag."""

    severity = forms.ChoiceField(label=_("Severity"), choices=PolicySeverity.choices)
    terms = TermsField(
        label=_("Public values not to flag"),
        required=False,
        help_text=_(
            "One per line, e.g. the press office's e-mail address or a station's switchboard "
            "number. Spaces, brackets, dots and hyphens are ignored when comparing."
        ),
    )
    message = forms.CharField(
        label=_("Message"), max_length=300, required=False, help_text=MESSAGE_HELP
    )
    enabled = forms.BooleanField(
        label=_("Detector on"),
        required=False,
        initial=True,
        help_text=_("Untick to switch this detector off for the agency."),
    )


class PolicyTestForm(forms.Form):
    text = forms.CharField(
        label=_("Text to check"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Nothing you paste here is stored."),
    )


class PostTemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    style = forms.ChoiceField(
        label=_("Style"), choices=PostStyle.choices, initial=PostStyle.NARRATIVE
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Write {placeholders} in braces, e.g. {name} or {last_seen}, for what the officer "
            "fills in."
        ),
    )


class ApprovalSettingsForm(forms.Form):
    two_approvals_for_warnings = forms.BooleanField(
        label=_("Two approvals for warnings / alerts"), required=False
    )
    two_approvals_for_campaigns = forms.BooleanField(
        label=_("Two approvals for campaign posts"), required=False
    )
    late_warning_minutes = forms.IntegerField(
        label=_("Late warning (minutes)"),
        min_value=0,
        max_value=7 * 24 * 60,
        help_text=_("Supervisors are told when a post still in review is this close to its time."),
    )
