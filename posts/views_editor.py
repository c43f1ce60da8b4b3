"""The post editor: new and edit, autosave, duplicate, media, revisions and templates.

Thin views: validate a form, call one service in posts.services, render or redirect. The live
preview's API is posts.api; this module renders the same preview once on the server, so the
page is complete without JavaScript.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.access import role_required
from accounts.models import Agency, PlatformAccount
from posts import checks, policy, selectors, services
from posts.forms_editor import (
    PLATFORM_LABELS,
    AltTextForm,
    CompareForm,
    MediaAddForm,
    PostEditorForm,
    TemplateValuesForm,
)
from posts.models import Post, PostMedia, PostRevision, PostStatus, PostTemplate
from posts.textcheck import PLATFORMS

# --- scoped reads (each by the request's agency; another agency's rows are 404) -----------------
# These belong in posts/selectors.py; they live here until that module's owner takes them.


def _media_get(*, agency: Agency, media_id: int, post_id: int | None = None) -> PostMedia:
    filters: dict[str, Any] = {"agency": agency, "pk": media_id}
    if post_id is not None:
        filters["post_id"] = post_id
    return get_object_or_404(PostMedia.objects.select_related("post"), **filters)


def _template_get(*, agency: Agency, template_id: int) -> PostTemplate:
    return get_object_or_404(PostTemplate, agency=agency, pk=template_id)


def _revision_get(*, post: Post, number: int) -> PostRevision:
    return get_object_or_404(
        PostRevision.objects.select_related("author"), post=post, number=number
    )


def _campaign_hashtags(agency: Agency, campaign_id: Any) -> list[str]:
    if not campaign_id:
        return []
    try:
        campaign = agency.campaigns.filter(pk=int(campaign_id)).first()
    except (TypeError, ValueError):
        return []
    return campaign.hashtag_list if campaign else []


def _missing_campaign_tags(text: str, hashtags: list[str]) -> list[str]:
    """The campaign's hashtags `text` lacks, by the same test as the policy warning: the
    preview shows them appended, marked as added by the campaign."""
    rules = checks.campaign_rules(hashtags)
    return [tag for tag, rule in zip(hashtags, rules, strict=True) if policy.check(text, [rule])]


# --- the editor page -----------------------------------------------------------------------------


def _js_strings() -> dict[str, str]:
    """What editor.js shows, translated here so the page's language applies."""
    return {
        "weighted": _("weighted %(n)s/%(max)s"),
        "length": _("length %(n)s/%(max)s"),
        "over": _("%(n)s over the limit"),
        "cut_here": _("X cuts the post here"),
        "no_findings": _("No policy findings."),
        "findings": _("Policy findings"),
        "show_in_text": _("Show in text"),
        "missing": _("missing from the text"),
        "block": _("Blocks approval"),
        "warn": _("Warning"),
        "media_errors": _("Photos and video"),
        "your_account": _("Your account"),
        "checking": _("Checking…"),
        "check_failed": _("The live check is unavailable; your text is checked when you save."),
        "autosaved": _("Autosaved at %(time)s."),
        "autosave_failed": _("Not autosaved: %(message)s"),
        "unsaved": _("Unsaved changes."),
        "fits": _("fits"),
        "too_long": _("too long"),
        "campaign_added": _("Added by the campaign: not in your text yet."),
        # English has two forms, Korean one: enough to pick "one" or "other" in the browser.
        "findings_one": ngettext("%(n)s policy finding", "%(n)s policy findings", 1),
        "findings_other": ngettext("%(n)s policy finding", "%(n)s policy findings", 2),
    }


def _preview_for(request: HttpRequest, form: PostEditorForm, post: Post | None) -> dict:
    """The same check the live preview runs, on what the form holds now."""
    text = form["body"].value() or ""
    account_ids = [str(v) for v in (form["accounts"].value() or [])]
    accounts = [a for a in form.fields["accounts"].queryset if str(a.pk) in account_ids]
    texts = {p: form[f"text_{p}"].value() or "" for p in PLATFORMS}
    media = [services.media_info(m) for m in post.media.all()] if post else []
    campaign_tags = _campaign_hashtags(request.agency, form["campaign"].value())
    result = checks.preview(
        agency=request.agency,
        text=text,
        accounts=accounts,
        media=media,
        platform_texts={p: t for p, t in texts.items() if t},
        campaign_hashtags=campaign_tags,
    )
    cards = []
    for platform, checked in result["platforms"].items():
        shown = texts.get(platform) or text
        over = checked.get("over_from")
        cards.append(
            {
                "platform": platform,
                "label": PLATFORM_LABELS.get(platform, platform),
                "checked": checked,
                "accounts": [a for a in accounts if a.platform == platform],
                "text_ok": shown if over is None else shown[:over],
                "text_over": "" if over is None else shown[over:],
                "count": checked.get("weighted_length", checked.get("length")),
                "campaign_added": _missing_campaign_tags(shown, campaign_tags),
            }
        )
    return {
        "cards": cards,
        "findings": result["findings"],
        "mirror": marked_segments(text, result["findings"]),
    }


def marked_segments(text: str, findings: list[dict]) -> list[tuple[str, dict | None]]:
    """`text` cut into pieces, each either plain (None) or the span of one finding.

    Overlapping findings are shown as the first one; every finding is still listed.
    """
    pieces: list[tuple[str, dict | None]] = []
    at = 0
    for finding in sorted(findings, key=lambda f: (f["start"], f["end"])):
        start, end = finding["start"], finding["end"]
        if end <= start or start < at:
            continue
        pieces.append((text[at:start], None))
        pieces.append((text[start:end], finding))
        at = end
    pieces.append((text[at:], None))
    return [(piece, finding) for piece, finding in pieces if piece]


def _status_notice(post: Post | None, user) -> str:
    if post is None:
        return ""
    if post.status in services.LOCKED_STATUSES:
        return _(
            "This post is %(status)s and can no longer be edited. Duplicate it to reuse its content."
        ) % {"status": post.get_status_display().lower()}
    if post.status == PostStatus.IN_REVIEW:
        if post.author_id == user.pk:
            return _(
                "This post is waiting for review. Saving a change takes it back to your drafts."
            )
        return _("This post is waiting for review.")
    if post.status in services.APPROVED_STATUSES:
        return _(
            "This post is approved. If you change its content, it goes back to review and "
            "needs a new approval."
        )
    return ""


def _render_editor(
    request: HttpRequest,
    *,
    form: PostEditorForm,
    post: Post | None,
    media_form: MediaAddForm | None = None,
    status: int = 200,
) -> HttpResponse:
    media = list(post.media.all()) if post else []
    media_rows = [
        (m, AltTextForm(initial={"alt_text": m.alt_text}, prefix=f"media-{m.pk}")) for m in media
    ]
    locked = post is not None and post.status in services.LOCKED_STATUSES
    context = {
        "form": form,
        "post": post,
        "locked": locked,
        "notice": _status_notice(post, request.user),
        "media_rows": media_rows,
        "media_form": media_form or MediaAddForm(),
        "media_json": [
            {
                "id": m.pk,
                "kind": m.kind,
                "content_type": m.content_type,
                "size_bytes": m.size_bytes,
                "alt_text": m.alt_text,
            }
            for m in media
        ],
        "preview": _preview_for(request, form, post),
        "js_strings": _js_strings(),
        # Each campaign's hashtags, so the live preview can show the missing ones appended.
        "campaign_hashtags": {str(c.pk): c.hashtag_list for c in form.fields["campaign"].queryset},
        "autosave_url": (
            reverse("posts:autosave", args=[post.pk])
            if post is not None and post.status in services.AUTOSAVE_STATUSES
            else ""
        ),
        "revision_count": post.revisions.count() if post else 0,
    }
    return render(request, "posts/editor.html", context, status=status)


@role_required(section="drafts")
def post_new(request: HttpRequest) -> HttpResponse:
    form = PostEditorForm(request.POST if request.method == "POST" else None, agency=request.agency)
    if request.method == "POST":
        if form.is_valid():
            try:
                post = services.post_create(
                    agency=request.agency, author=request.user, **form.changes()
                )
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Draft saved. You can now add photos or video."))
                return redirect("posts:edit", post_id=post.pk)
        return _render_editor(request, form=form, post=None, status=400)
    return _render_editor(request, form=form, post=None)


@role_required(section="drafts")
def post_edit(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get(agency=request.agency, post_id=post_id)
    if request.method == "POST":
        form = PostEditorForm(request.POST, agency=request.agency, post=post)
        if form.is_valid():
            before = post.status
            try:
                services.post_update(
                    post=post,
                    by=request.user,
                    base_revision=form.cleaned_data["base_revision"],
                    **form.changes(),
                )
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                post.refresh_from_db(fields=["status"])
                messages.success(request, _saved_message(before, post.status))
                return redirect("posts:edit", post_id=post.pk)
        return _render_editor(request, form=form, post=post, status=400)
    revision = None
    if request.GET.get("from_revision", "").isdigit():
        revision = _revision_get(post=post, number=int(request.GET["from_revision"]))
        messages.info(
            request,
            _("Revision %(n)d is loaded into the editor. Save to make it the current version.")
            % {"n": revision.number},
        )
    initial = PostEditorForm.initial_for(post, revision)
    latest = services.latest_revision(post)
    initial["base_revision"] = latest.number if latest else 0
    form = PostEditorForm(initial=initial, agency=request.agency, post=post)
    return _render_editor(request, form=form, post=post)


def _saved_message(before: str, after: str) -> str:
    if before == PostStatus.IN_REVIEW and after == PostStatus.DRAFT:
        return _("Saved. The post is back in your drafts; submit it again when it is ready.")
    if before in services.APPROVED_STATUSES and after not in services.APPROVED_STATUSES:
        return _("Saved. The content changed, so the post went back to review.")
    return _("Saved.")


@require_POST
@role_required(section="drafts")
def post_autosave(request: HttpRequest, post_id: int) -> JsonResponse:
    post = selectors.post_get(agency=request.agency, post_id=post_id)
    form = PostEditorForm(request.POST, agency=request.agency, post=post)
    if not form.is_valid():
        return JsonResponse(
            {
                "error": {
                    "code": "invalid",
                    "message": _("Not autosaved: check the highlighted fields."),
                    "fields": {name: list(errors) for name, errors in form.errors.items()},
                }
            },
            status=400,
        )
    try:
        revision = services.post_autosave(
            post=post,
            by=request.user,
            base_revision=form.cleaned_data["base_revision"],
            **form.changes(),
        )
    except ValueError as exc:
        return JsonResponse({"error": {"code": "refused", "message": str(exc)}}, status=409)
    now = timezone.localtime(timezone.now(), request.agency.tzinfo)
    return JsonResponse(
        {
            "saved": True,
            "revision": revision.number if revision else None,
            "autosaved": bool(revision and revision.autosaved),
            "saved_at": now.isoformat(),
            "message": _("Autosaved at %(time)s.") % {"time": now.strftime("%H:%M")},
        }
    )


@require_POST
@role_required(section="drafts")
def post_duplicate(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get(agency=request.agency, post_id=post_id)
    try:
        copy = services.post_duplicate(post=post, by=request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("posts:edit", post_id=post.pk)
    messages.success(request, _("A copy was made as a new draft. This is the copy."))
    return redirect("posts:edit", post_id=copy.pk)


# --- media ---------------------------------------------------------------------------------------


@require_POST
@role_required(section="drafts")
def media_add(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get(agency=request.agency, post_id=post_id)
    media_form = MediaAddForm(request.POST, request.FILES)
    if media_form.is_valid():
        try:
            services.post_media_add(
                post=post,
                by=request.user,
                file=media_form.cleaned_data["file"],
                alt_text=media_form.cleaned_data["alt_text"],
            )
        except ValueError as exc:
            media_form.add_error(None, str(exc))
        else:
            messages.success(request, _("Attached."))
            return redirect(reverse("posts:edit", args=[post.pk]) + "#media")
    latest = services.latest_revision(post)
    initial = PostEditorForm.initial_for(post)
    initial["base_revision"] = latest.number if latest else 0
    form = PostEditorForm(initial=initial, agency=request.agency, post=post)
    return _render_editor(request, form=form, post=post, media_form=media_form, status=400)


@require_POST
@role_required(section="drafts")
def media_alt(request: HttpRequest, post_id: int, media_id: int) -> HttpResponse:
    media = _media_get(agency=request.agency, media_id=media_id, post_id=post_id)
    form = AltTextForm(request.POST, prefix=f"media-{media.pk}")
    if form.is_valid():
        try:
            services.post_media_update_alt(
                media=media, by=request.user, alt_text=form.cleaned_data["alt_text"]
            )
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Alt text saved."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(reverse("posts:edit", args=[post_id]) + "#media")


@require_POST
@role_required(section="drafts")
def media_remove(request: HttpRequest, post_id: int, media_id: int) -> HttpResponse:
    media = _media_get(agency=request.agency, media_id=media_id, post_id=post_id)
    try:
        services.post_media_remove(media=media, by=request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Removed."))
    return redirect(reverse("posts:edit", args=[post_id]) + "#media")


# Everyone in the agency who may open a post (the calendar's roles) may see its pictures.
@require_GET
@role_required(section="calendar")
def media_file(request: HttpRequest, media_id: int) -> FileResponse:
    """An attachment, served only to members of its agency (there is no public URL)."""
    media = _media_get(agency=request.agency, media_id=media_id)
    try:
        handle = media.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=media.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=3600"
    # The type was checked on upload; these stop a browser treating the file as a page anyway.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- revisions -----------------------------------------------------------------------------------


@role_required(section="drafts")
def revisions(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get(agency=request.agency, post_id=post_id)
    rows = list(post.revisions.select_related("author").order_by("-number"))
    return render(
        request,
        "posts/revisions.html",
        {
            "post": post,
            "revisions": rows,
            "editable": post.status not in services.LOCKED_STATUSES,
            "compare_form": CompareForm(
                initial={
                    "a": rows[1].number if len(rows) > 1 else 1,
                    "b": rows[0].number if rows else 1,
                }
            ),
        },
    )


_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


def word_diff(old: str, new: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Word-level diff: (old side, new side), each a list of ("equal"|"delete"|"insert", text)."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    left: list[tuple[str, str]] = []
    right: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            left.append(("equal", "".join(a[i1:i2])))
            right.append(("equal", "".join(b[j1:j2])))
            continue
        if i2 > i1:
            left.append(("delete", "".join(a[i1:i2])))
        if j2 > j1:
            right.append(("insert", "".join(b[j1:j2])))
    return left, right


def _revision_facts(revision: PostRevision, campaigns: dict, accounts: dict) -> dict[str, str]:
    return {
        "style": revision.get_style_display(),
        "location": revision.location or "—",
        "campaign": campaigns.get(revision.campaign_id_at, "—"),
        "accounts": ", ".join(
            str(accounts[pk]) for pk in revision.account_ids or [] if pk in accounts
        )
        or "—",
    }


@role_required(section="drafts")
def compare(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get(agency=request.agency, post_id=post_id)
    form = CompareForm(request.GET or None)
    if not form.is_valid():
        latest = services.latest_revision(post)
        if latest is None or latest.number < 2:
            messages.info(request, _("There is only one revision so far."))
            return redirect("posts:revisions", post_id=post.pk)
        return redirect(
            reverse("posts:compare", args=[post.pk]) + f"?a={latest.number - 1}&b={latest.number}"
        )
    a, b = sorted((form.cleaned_data["a"], form.cleaned_data["b"]))
    old = _revision_get(post=post, number=a)
    new = _revision_get(post=post, number=b)
    campaign_ids = {old.campaign_id_at, new.campaign_id_at} - {None}
    campaigns = {c.pk: c.name for c in request.agency.campaigns.filter(pk__in=campaign_ids)}
    account_ids = {*(old.account_ids or []), *(new.account_ids or [])}
    accounts = {
        acc.pk: acc
        for acc in PlatformAccount.objects.filter(agency=request.agency, pk__in=account_ids)
    }
    old_facts = _revision_facts(old, campaigns, accounts)
    new_facts = _revision_facts(new, campaigns, accounts)
    labels = {
        "style": _("Style"),
        "location": _("Location or district"),
        "campaign": _("Campaign"),
        "accounts": _("Post to"),
    }
    facts = [
        (labels[key], old_facts[key], new_facts[key], old_facts[key] != new_facts[key])
        for key in labels
    ]
    texts = [(_("Text"), *word_diff(old.body, new.body))]
    for platform in PLATFORMS:
        before = (old.platform_texts or {}).get(platform, "")
        after = (new.platform_texts or {}).get(platform, "")
        if before or after:
            label = _("Text for %(platform)s") % {"platform": PLATFORM_LABELS.get(platform)}
            texts.append((label, *word_diff(before, after)))
    return render(
        request,
        "posts/compare.html",
        {
            "post": post,
            "old": old,
            "new": new,
            "texts": texts,
            "facts": facts,
            "same_content": old.content_hash == new.content_hash,
            "form": form,
        },
    )


# --- templates -----------------------------------------------------------------------------------


@role_required(section="drafts")
def choose_template(request: HttpRequest) -> HttpResponse:
    templates = [
        (template, services.template_placeholders(template.body))
        for template in request.agency.post_templates.order_by("name", "pk")
    ]
    return render(request, "posts/choose_template.html", {"templates": templates})


@role_required(section="drafts")
def from_template(request: HttpRequest, template_id: int) -> HttpResponse:
    template = _template_get(agency=request.agency, template_id=template_id)
    placeholders = services.template_placeholders(template.body)
    form = TemplateValuesForm(
        request.POST if request.method == "POST" else None, placeholders=placeholders
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                post = services.post_from_template(
                    template=template, by=request.user, values=form.cleaned_data
                )
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("Draft created from the template “%(name)s”.") % {"name": template.name},
                )
                return redirect("posts:edit", post_id=post.pk)
        status = 400
    else:
        status = 200
    return render(
        request,
        "posts/from_template.html",
        {"template": template, "form": form, "placeholders": placeholders},
        status=status,
    )
