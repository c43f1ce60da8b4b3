"""Forms of the campaign pages and the monitoring board. They validate input; the services
(campaigns/services.py) check it again and make the change."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, PlatformAccount, User
from campaigns import hashtags as tags
from campaigns.models import Campaign, GoalKind


class AccountChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: PlatformAccount) -> str:
        name = obj.display_name if obj.display_name and obj.display_name != obj.handle else ""
        return f"{obj.get_platform_display()} · {obj.handle}" + (f" ({name})" if name else "")


class OwnerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    hashtags = forms.CharField(
        label=_("Hashtags"),
        max_length=500,
        help_text=_(
            "One or more, separated by spaces, e.g. #부산경찰 #StaySafe. Letters, digits and "
            "underscores after the #, at least one letter."
        ),
    )
    starts_on = forms.DateField(
        label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    ends_on = forms.DateField(
        label=_("Ends on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    target_accounts = AccountChoices(
        label=_("Target accounts"),
        queryset=PlatformAccount.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The accounts that carry the campaign; their searches find the public's uses of "
            "the hashtags. None ticked means all of the agency's accounts."
        ),
    )
    goal_kind = forms.ChoiceField(label=_("Goal"), choices=GoalKind.choices)
    goal_target = forms.IntegerField(
        label=_("Target number"),
        min_value=1,
        max_value=10**12,
        help_text=_("Impressions, engagements or public uses to reach by the end."),
    )
    owner = OwnerChoice(
        label=_("Owner"), queryset=User.objects.none(), required=False, empty_label=None
    )

    def __init__(self, *args, agency: Agency, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target_accounts"].queryset = PlatformAccount.objects.filter(
            agency=agency
        ).order_by("platform", "handle")
        self.fields["owner"].queryset = User.objects.filter(memberships__agency=agency).order_by(
            "full_name", "email"
        )

    @staticmethod
    def initial_for(campaign: Campaign) -> dict:
        return {
            "name": campaign.name,
            "description": campaign.description,
            "hashtags": campaign.hashtags,
            "starts_on": campaign.starts_on,
            "ends_on": campaign.ends_on,
            "target_accounts": list(campaign.target_accounts.values_list("pk", flat=True)),
            "goal_kind": campaign.goal_kind,
            "goal_target": campaign.goal_target,
            "owner": campaign.owner_id,
        }

    def clean_hashtags(self) -> str:
        value = self.cleaned_data["hashtags"]
        found = tags.parse_hashtags(value)  # its ValidationError names each invalid tag
        if not found:
            raise ValidationError(_("Give at least one hashtag."))
        return " ".join(found)

    def clean(self) -> dict:
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The campaign cannot end before it starts."))
        return data


class MonitorColumnForm(forms.Form):
    query = forms.CharField(
        label=_("Keyword or hashtag"),
        max_length=tags.MAX_QUERY_LENGTH,
        help_text=_("A #hashtag, or words that must all appear, e.g. “road closed” or #부산경찰."),
    )
    title = forms.CharField(
        label=_("Column title"),
        max_length=100,
        required=False,
        help_text=_("Optional, e.g. “Saturday's march”."),
    )
    accounts = AccountChoices(
        label=_("Search with"),
        queryset=PlatformAccount.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked means all of the agency's accounts."),
    )

    def __init__(self, *args, agency: Agency, **kwargs) -> None:
        kwargs.setdefault("auto_id", "column-%s")
        super().__init__(*args, **kwargs)
        self.fields["accounts"].queryset = PlatformAccount.objects.filter(agency=agency).order_by(
            "platform", "handle"
        )

    def clean_query(self) -> str:
        value = self.cleaned_data["query"]
        tags.parse_query(value)  # raises with the reason
        return value
