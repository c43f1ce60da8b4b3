"""Forms of the post editor. They only read and tidy input; posts.services decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, PlatformAccount, PlatformAccountStatus
from posts.models import Post, PostMedia, PostStyle
from posts.services import MAX_TEXT
from posts.textcheck import PLATFORMS

PLATFORM_LABELS = {"x": "X", "facebook": "Facebook"}


def _one_kind_of_line_break(text: str) -> str:
    # Browsers submit a textarea's line breaks as CRLF; the editor's JavaScript sees LF. Store LF
    # so a form save, an autosave and the live preview count and hash the same text.
    return text.replace("\r\n", "\n").replace("\r", "\n")


class AccountCheckboxes(forms.CheckboxSelectMultiple):
    """One tick per account, carrying its platform and handle for the live preview."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        account = getattr(value, "instance", None)
        if account is not None:
            option["attrs"]["data-platform"] = account.platform
            option["attrs"]["data-handle"] = account.handle
            option["attrs"]["data-name"] = account.display_name or account.handle
        return option


class AccountChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: PlatformAccount) -> str:
        return f"{obj.get_platform_display()} · {obj.handle}"


class PostEditorForm(forms.Form):
    """Everything the editor saves. `changes()` is what posts.services.post_update takes."""

    body = forms.CharField(
        label=_("Text"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "true"}),
        help_text=_("Narrative style: light, as if talking to a friend."),
    )
    style = forms.ChoiceField(label=_("Style"), choices=PostStyle.choices)
    accounts = AccountChoiceField(
        label=_("Post to"),
        queryset=PlatformAccount.objects.none(),
        required=False,
        widget=AccountCheckboxes,
        help_text=_("The connected accounts of your agency."),
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=None, required=False, empty_label=_("No campaign")
    )
    location = forms.CharField(label=_("Location or district"), max_length=120, required=False)
    internal_notes = forms.CharField(
        label=_("Internal notes"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Seen by your agency only, never published."),
    )
    # The revision the editor was opened on, so a save never overwrites a newer one by someone
    # else (see posts.services.post_update).
    base_revision = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, agency: Agency, post: Post | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        active = PlatformAccount.objects.filter(agency=agency, status=PlatformAccountStatus.ACTIVE)
        if post is not None and post.pk:
            # An account that went inactive after it was ticked stays visible, so saving does
            # not silently drop it.
            active = active | PlatformAccount.objects.filter(
                agency=agency, pk__in=post.accounts.values("pk")
            )
        self.fields["accounts"].queryset = active.distinct().order_by("platform", "handle")
        self.fields["campaign"].queryset = agency.campaigns.order_by("-starts_on", "name")
        for platform in PLATFORMS:
            self.fields[f"text_{platform}"] = forms.CharField(
                label=_("Text for %(platform)s (optional)")
                % {"platform": PLATFORM_LABELS.get(platform, platform)},
                max_length=MAX_TEXT,
                required=False,
                widget=forms.Textarea(attrs={"rows": 4, "data-platform-text": platform}),
                help_text=_("Leave empty to use the text above."),
            )

    @classmethod
    def initial_for(cls, post: Post, revision=None) -> dict:
        """Initial values from the post, or from one of its revisions (to restore it)."""
        source = revision or post
        texts = source.platform_texts or {}
        initial = {
            "body": source.body,
            "style": source.style,
            "location": source.location,
            "internal_notes": post.internal_notes,
            "campaign": revision.campaign_id_at if revision else post.campaign_id,
            "accounts": revision.account_ids if revision else list(post.accounts.all()),
        }
        for platform in PLATFORMS:
            initial[f"text_{platform}"] = texts.get(platform, "")
        return initial

    def clean_body(self) -> str:
        return _one_kind_of_line_break(self.cleaned_data["body"])

    def clean(self):
        data = super().clean()
        for platform in PLATFORMS:
            key = f"text_{platform}"
            if data.get(key):
                data[key] = _one_kind_of_line_break(data[key])
        return data

    @property
    def platform_fields(self) -> list[forms.BoundField]:
        return [self[f"text_{platform}"] for platform in PLATFORMS]

    def changes(self) -> dict:
        data = self.cleaned_data
        return {
            "body": data["body"],
            "style": data["style"],
            "accounts": list(data["accounts"]),
            "campaign": data["campaign"],
            "location": data["location"],
            "internal_notes": data["internal_notes"],
            "platform_texts": {
                platform: data[f"text_{platform}"]
                for platform in PLATFORMS
                if data.get(f"text_{platform}")
            },
        }


class MediaAddForm(forms.Form):
    file = forms.FileField(
        label=_("Photo or video"),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/gif,image/webp,video/mp4,video/quicktime"}
        ),
    )
    alt_text = forms.CharField(
        label=_("Alt text"),
        max_length=PostMedia._meta.get_field("alt_text").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for photos: describe what the picture shows."),
    )

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        # The service checks the file's real type; this catches the common case early, on the
        # field where the person can fix it.
        claimed = getattr(upload, "content_type", "") or ""
        if (
            upload is not None
            and claimed.startswith("image/")
            and not data.get("alt_text", "").strip()
        ):
            self.add_error(
                "alt_text",
                _(
                    "Describe the photo in its alt text, for people who cannot see it. It is required."
                ),
            )
        return data


class AltTextForm(forms.Form):
    alt_text = forms.CharField(
        label=_("Alt text"),
        max_length=PostMedia._meta.get_field("alt_text").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TemplateValuesForm(forms.Form):
    """One required field per {placeholder} found in the template's text."""

    def __init__(self, *args, placeholders: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for name in placeholders:
            self.fields[name] = forms.CharField(
                label=name.replace("_", " ").capitalize(),
                max_length=1000,
                help_text="{" + name + "}",
            )


class CompareForm(forms.Form):
    a = forms.IntegerField(label=_("Older revision"), min_value=1)
    b = forms.IntegerField(label=_("Newer revision"), min_value=1)
