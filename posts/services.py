"""State changes of posts: creating and editing drafts, their revisions, media and templates.

Every function here is keyword-only, runs in one transaction and writes its audit event. A
refusal raises ValueError with a translated sentence the editor shows as it is.

Approval is bound to content (posts.checks.content_hash): an edit of an approved or scheduled
post that changes the hash goes back to review through posts.workflow.post_send_back_to_review.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import Agency, Membership, PlatformAccount, User
from accounts.roles import SECTION_ROLES
from campaigns.models import Campaign
from posts.checks import content_hash
from posts.models import (
    MediaKind,
    Post,
    PostMedia,
    PostRevision,
    PostStatus,
    PostStyle,
    PostTemplate,
)
from posts.textcheck import PLATFORMS, MediaInfo, media_errors

# Published, failed, rejected and cancelled posts are history: they can be duplicated, not edited.
# A partly failed post has gone out on some accounts, so it is history too.
LOCKED_STATUSES = (
    PostStatus.PUBLISHED,
    PostStatus.PARTLY_FAILED,
    PostStatus.FAILED,
    PostStatus.REJECTED,
    PostStatus.CANCELLED,
    PostStatus.DELETED,
)
# Autosave writes into the post itself, so it is for drafts only: an autosave must never pull a
# post out of review or send an approved post back (a manual save does that, on purpose).
AUTOSAVE_STATUSES = (PostStatus.DRAFT, PostStatus.CHANGES_REQUESTED)
APPROVED_STATUSES = (PostStatus.APPROVED, PostStatus.SCHEDULED)

# Consecutive autosaves by one person within this window, counted from the autosaved revision's
# creation, update that revision: at most one kept version per two minutes of typing.
AUTOSAVE_COALESCE = timedelta(minutes=2)

EDITABLE_FIELDS = frozenset(
    {"body", "style", "campaign", "platform_texts", "location", "internal_notes", "accounts"}
)
MAX_TEXT = 10000

# A template's placeholders: "{name}", "{date_seen}", "{장소}": anything but braces and spaces.
PLACEHOLDER = re.compile(r"\{([^{}\s]{1,60})\}")


# --- guards --------------------------------------------------------------------------------------


def _require_drafter(*, agency: Agency, by: User) -> None:
    """`by` must be a member of `agency` in a role that drafts posts."""
    if not Membership.objects.filter(
        agency=agency, user=by, role__in=SECTION_ROLES["drafts"]
    ).exists():
        raise ValueError(
            _("Only press officers, supervisors and admins of this agency may do this.")
        )


def _require_editable(post: Post) -> None:
    if post.status in LOCKED_STATUSES:
        raise ValueError(
            _(
                "This post is %(status)s and can no longer be edited. "
                "Duplicate it to reuse its content."
            )
            % {"status": post.get_status_display().lower()}
        )


def _check_campaign(agency: Agency, campaign: Campaign | None) -> None:
    if campaign is not None and campaign.agency_id != agency.pk:
        raise ValueError(_("The campaign belongs to another agency."))


def _check_accounts(agency: Agency, accounts: Iterable[PlatformAccount]) -> list[PlatformAccount]:
    chosen = list(accounts)
    if any(account.agency_id != agency.pk for account in chosen):
        raise ValueError(_("One of the chosen accounts belongs to another agency."))
    return chosen


def _clean_platform_texts(texts: Mapping[str, Any] | None) -> dict[str, str]:
    """Only known platforms, only non-empty texts (an empty one means "use the body")."""
    cleaned: dict[str, str] = {}
    for platform, text in (texts or {}).items():
        if platform not in PLATFORMS:
            raise ValueError(_("Unknown platform: %(platform)s.") % {"platform": platform})
        if not isinstance(text, str):
            raise ValueError(_("The text for %(platform)s is not text.") % {"platform": platform})
        if len(text) > MAX_TEXT:
            raise ValueError(
                _("The text for %(platform)s is longer than %(max)d characters.")
                % {"platform": platform, "max": MAX_TEXT}
            )
        if text.strip():
            cleaned[platform] = text
    return cleaned


def _full_clean(post: Post) -> None:
    try:
        post.full_clean(exclude=["agency", "author", "campaign"])
    except ValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from exc


def _lock(post: Post) -> None:
    """Lock the post's row for this transaction and reload it, so two saves never interleave."""
    Post.objects.select_for_update().filter(pk=post.pk).values_list("pk", flat=True).first()
    post.refresh_from_db()


# --- revisions -----------------------------------------------------------------------------------


def _snapshot(post: Post) -> dict[str, Any]:
    return {
        "body": post.body,
        "platform_texts": dict(post.platform_texts or {}),
        "style": post.style,
        "location": post.location,
        "campaign_id_at": post.campaign_id,
        "account_ids": sorted(post.accounts.values_list("pk", flat=True)),
        "content_hash": content_hash(post),
    }


def revision_add(*, post: Post, by: User, autosaved: bool = False) -> PostRevision:
    """Store the post's current content as its next revision (numbered from 1).

    Call inside the transaction that changed the post, after its row was locked.
    """
    latest = post.revisions.aggregate(n=Max("number"))["n"] or 0
    return PostRevision.objects.create(
        post=post, number=latest + 1, author=by, autosaved=autosaved, **_snapshot(post)
    )


def latest_revision(post: Post) -> PostRevision | None:
    return post.revisions.order_by("-number").first()


def _check_base_revision(post: Post, by: User, base_revision: int | None) -> None:
    """Refuse to overwrite a version someone else saved after the editor was opened."""
    if base_revision is None:
        return
    newer = post.revisions.filter(number__gt=base_revision).exclude(author=by)
    if newer.exists():
        raise ValueError(
            _(
                "Someone else saved this post after you opened it. Copy your text, reload the "
                "editor and make your change again."
            )
        )


# --- create and edit -----------------------------------------------------------------------------


@transaction.atomic
def post_create(
    *,
    agency: Agency,
    author: User,
    body: str,
    style: str = PostStyle.NARRATIVE,
    campaign: Campaign | None = None,
    scheduled_at: datetime | None = None,
    status: str = PostStatus.DRAFT,
    platform_texts: Mapping[str, str] | None = None,
    location: str = "",
    internal_notes: str = "",
    accounts: Iterable[PlatformAccount] | None = None,
) -> Post:
    """Create a post in the author's agency, with its revision 1."""
    _require_drafter(agency=agency, by=author)
    _check_campaign(agency, campaign)
    chosen = _check_accounts(agency, accounts or [])
    post = Post(
        agency=agency,
        author=author,
        body=body,
        style=style,
        campaign=campaign,
        scheduled_at=scheduled_at,
        status=status,
        platform_texts=_clean_platform_texts(platform_texts),
        location=location,
        internal_notes=internal_notes,
    )
    _full_clean(post)
    post.save()
    if chosen:
        post.accounts.set(chosen)
    revision_add(post=post, by=author)
    audit_record(
        action="posts.post.created",
        actor=author,
        agency=agency,
        target=post,
        data={"style": style, "status": status, "accounts": [a.pk for a in chosen]},
    )
    return post


def _apply(post: Post, changes: Mapping[str, Any]) -> list[str]:
    """Set `changes` on the post and save; returns the names of the fields that changed."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    changed: list[str] = []
    for field in ("body", "style", "location", "internal_notes"):
        if field in changes and changes[field] != getattr(post, field):
            setattr(post, field, changes[field])
            changed.append(field)
    if "platform_texts" in changes:
        texts = _clean_platform_texts(changes["platform_texts"])
        if texts != (post.platform_texts or {}):
            post.platform_texts = texts
            changed.append("platform_texts")
    if "campaign" in changes:
        campaign = changes["campaign"]
        _check_campaign(post.agency, campaign)
        if (campaign.pk if campaign else None) != post.campaign_id:
            post.campaign = campaign
            changed.append("campaign")
    _full_clean(post)
    post.updated_at = timezone.now()
    post.save(update_fields=[*changed, "updated_at"])
    if "accounts" in changes:
        chosen = _check_accounts(post.agency, changes["accounts"] or [])
        if {a.pk for a in chosen} != set(post.accounts.values_list("pk", flat=True)):
            post.accounts.set(chosen)
            changed.append("accounts")
    return changed


def _after_content_change(*, post: Post, by: User, hash_before: str, reason: str) -> None:
    """What an edit does to the post's place in the workflow.

    - In review, edited by its author: back to draft (the author took it back to work on it).
    - Approved or scheduled, and the content is no longer what was approved: back to review.
      A post approved before approvals recorded their hash (approved_hash empty) is compared
      with its content before this edit.
    """
    if post.status == PostStatus.IN_REVIEW and post.author_id == by.pk:
        post.status = PostStatus.DRAFT
        post.save(update_fields=["status"])
        audit_record(
            action="posts.post.pulled_back_to_draft",
            actor=by,
            agency=post.agency,
            target=post,
            data={"reason": reason},
        )
    elif post.status in APPROVED_STATUSES:
        approved = post.approved_hash or hash_before
        if content_hash(post) != approved:
            # Imported here so posts.workflow may import from this module without a cycle.
            from posts.workflow import post_send_back_to_review

            post_send_back_to_review(post=post, by=by, reason=reason)
            # It works on its own locked copy of the row.
            post.refresh_from_db()


@transaction.atomic
def post_update(
    *, post: Post, by: User, base_revision: int | None = None, **changes: Any
) -> PostRevision:
    """Save the editor's changes to a post as a new revision (a manual save always adds one).

    `changes` may hold body, style, campaign, platform_texts, location, internal_notes and
    accounts. An author editing their post in review takes it back to draft; an edit that
    changes an approved or scheduled post's content sends it back to review. With
    `base_revision` (the revision the editor was opened on), a newer save by someone else is
    not overwritten.
    """
    _require_drafter(agency=post.agency, by=by)
    _lock(post)
    _require_editable(post)
    _check_base_revision(post, by, base_revision)
    hash_before = content_hash(post)
    changed = _apply(post, changes)
    revision = revision_add(post=post, by=by)
    audit_record(
        action="posts.post.updated",
        actor=by,
        agency=post.agency,
        target=post,
        data={"revision": revision.number, "fields": changed},
    )
    _after_content_change(
        post=post, by=by, hash_before=hash_before, reason=_("The post was edited.")
    )
    return revision


@transaction.atomic
def post_autosave(
    *, post: Post, by: User, base_revision: int | None = None, **changes: Any
) -> PostRevision | None:
    """Keep the editor's unsaved work: save it into a draft and keep it as an autosaved revision.

    Consecutive autosaves by the same person within AUTOSAVE_COALESCE of the autosaved
    revision's creation update that revision instead of adding one; anything else in between
    (a manual save, someone else's autosave) starts a new one. Nothing is written when nothing
    changed (returns the latest revision). One audit event per autosaved revision, when it is
    created; the updates within its window are that revision.
    """
    _require_drafter(agency=post.agency, by=by)
    _lock(post)
    _require_editable(post)
    if post.status not in AUTOSAVE_STATUSES:
        raise ValueError(_("Autosave is only for drafts. Save this post with the Save button."))
    _check_base_revision(post, by, base_revision)
    hash_before, notes_before = content_hash(post), post.internal_notes
    changed = _apply(post, changes)
    latest = latest_revision(post)
    if not changed and latest is not None:
        return latest
    if content_hash(post) == hash_before and post.internal_notes != notes_before:
        # Only the internal notes changed: they are saved, but are not content to keep a
        # revision of.
        return latest
    now = timezone.now()
    if (
        latest is not None
        and latest.autosaved
        and latest.author_id == by.pk
        and now - latest.created_at < AUTOSAVE_COALESCE
    ):
        for field, value in _snapshot(post).items():
            setattr(latest, field, value)
        latest.save(update_fields=[*_snapshot_fields()])
        return latest
    revision = revision_add(post=post, by=by, autosaved=True)
    audit_record(
        action="posts.post.autosaved",
        actor=by,
        agency=post.agency,
        target=post,
        data={"revision": revision.number},
    )
    return revision


def _snapshot_fields() -> list[str]:
    return [
        "body",
        "platform_texts",
        "style",
        "location",
        "campaign_id_at",
        "account_ids",
        "content_hash",
    ]


@transaction.atomic
def post_duplicate(*, post: Post, by: User) -> Post:
    """A new draft by `by` with the post's content, accounts and media (same files, new rows).

    Works for posts in any status: it is how a published or rejected post is reused. Internal
    notes, schedule and review history are not copied.
    """
    _require_drafter(agency=post.agency, by=by)
    copy = post_create(
        agency=post.agency,
        author=by,
        body=post.body,
        style=post.style,
        campaign=post.campaign,
        platform_texts=post.platform_texts,
        location=post.location,
        accounts=post.accounts.all(),
    )
    PostMedia.objects.bulk_create(
        PostMedia(
            agency=copy.agency,
            post=copy,
            file=media.file.name,
            kind=media.kind,
            content_type=media.content_type,
            size_bytes=media.size_bytes,
            alt_text=media.alt_text,
            position=media.position,
        )
        for media in post.media.order_by("position", "pk")
    )
    if copy.media.exists():
        # Revision 1 was taken before the media were copied; its hash must include them.
        PostRevision.objects.filter(post=copy, number=1).update(content_hash=content_hash(copy))
    audit_record(
        action="posts.post.duplicated",
        actor=by,
        agency=post.agency,
        target=copy,
        data={"from_post": post.pk, "media": copy.media.count()},
    )
    return copy


# --- media ---------------------------------------------------------------------------------------

# Detected from the file's first bytes; the browser's claimed type is not trusted, because the
# file is later served with the type stored here.
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "image/tiff": ".tif",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
}


def sniff_content_type(head: bytes) -> str | None:
    """The media type of a file from its first 16 bytes, or None when it is not one we take."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:2] == b"BM":
        return "image/bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4"
    if head[:4] == b"\x1aE\xdf\xa3":
        return "video/webm"
    return None


def media_kind_for(content_type: str) -> str | None:
    if content_type == "image/gif":
        return MediaKind.GIF
    if content_type.startswith("image/"):
        return MediaKind.IMAGE
    if content_type.startswith("video/"):
        return MediaKind.VIDEO
    return None


def media_info(media: PostMedia) -> MediaInfo:
    return MediaInfo(
        kind=media.kind,
        content_type=media.content_type,
        size_bytes=media.size_bytes,
        alt_text=media.alt_text,
    )


def post_platforms(post: Post) -> list[str]:
    """The platforms of the post's ticked accounts; all platforms when none is ticked."""
    chosen = sorted(set(post.accounts.values_list("platform", flat=True)))
    return chosen or list(PLATFORMS)


def _media_problems(post: Post, media: list[MediaInfo]) -> set[str]:
    return {error for platform in post_platforms(post) for error in media_errors(platform, media)}


def _require_alt_text(kind: str, alt_text: str) -> None:
    if kind in (MediaKind.IMAGE, MediaKind.GIF) and not alt_text.strip():
        raise ValueError(
            _("Describe the photo in its alt text, for people who cannot see it. It is required.")
        )


@transaction.atomic
def post_media_add(*, post: Post, by: User, file: UploadedFile, alt_text: str) -> PostMedia:
    """Attach a photo (alt text required), GIF or video, checked against the ticked platforms.

    The file is stored under a random name (never the uploader's) and only ever served through
    the agency-scoped media view.
    """
    _require_drafter(agency=post.agency, by=by)
    _lock(post)
    _require_editable(post)
    alt_text = alt_text.strip()
    file.seek(0)
    content_type = sniff_content_type(file.read(16))
    file.seek(0)
    kind = media_kind_for(content_type or "")
    if content_type is None or kind is None:
        raise ValueError(_("Attach a photo (JPEG, PNG, GIF, WebP), or a video (MP4, MOV)."))
    _require_alt_text(kind, alt_text)
    existing = list(post.media.order_by("position", "pk"))
    before = [media_info(m) for m in existing]
    new = MediaInfo(kind=kind, content_type=content_type, size_bytes=file.size, alt_text=alt_text)
    problems = _media_problems(post, [*before, new]) - _media_problems(post, before)
    if problems:
        raise ValueError(" ".join(sorted(problems)))
    hash_before = content_hash(post)
    media = PostMedia(
        agency=post.agency,
        post=post,
        kind=kind,
        content_type=content_type,
        size_bytes=file.size,
        alt_text=alt_text,
        position=(max((m.position for m in existing), default=-1) + 1),
    )
    media.file.save(f"{uuid.uuid4().hex}{_EXTENSIONS[content_type]}", file, save=False)
    media.save()
    _media_changed(
        post,
        by,
        hash_before=hash_before,
        action="posts.media.added",
        data={
            "media": media.pk,
            "kind": kind,
            "content_type": content_type,
            "size_bytes": media.size_bytes,
        },
        reason=_("A photo or video was added."),
    )
    return media


def _media_changed(
    post: Post, by: User, *, hash_before: str, action: str, data: dict, reason: str
) -> None:
    """After an attachment changed: touch the post, audit, and apply the workflow's rule for
    content edits (media are part of the approved content)."""
    post.updated_at = timezone.now()
    post.save(update_fields=["updated_at"])
    audit_record(action=action, actor=by, agency=post.agency, target=post, data=data)
    _after_content_change(post=post, by=by, hash_before=hash_before, reason=reason)


@transaction.atomic
def post_media_update_alt(*, media: PostMedia, by: User, alt_text: str) -> PostMedia:
    """Change an attachment's alt text (required for photos and GIFs)."""
    post = media.post
    _require_drafter(agency=post.agency, by=by)
    _lock(post)
    _require_editable(post)
    alt_text = alt_text.strip()
    _require_alt_text(media.kind, alt_text)
    if len(alt_text) > PostMedia._meta.get_field("alt_text").max_length:
        raise ValueError(_("The alt text is too long."))
    if alt_text == media.alt_text:
        return media
    hash_before = content_hash(post)
    media.alt_text = alt_text
    media.save(update_fields=["alt_text"])
    _media_changed(
        post,
        by,
        hash_before=hash_before,
        action="posts.media.alt_text_changed",
        data={"media": media.pk},
        reason=_("An alt text was changed."),
    )
    return media


@transaction.atomic
def post_media_remove(*, media: PostMedia, by: User) -> None:
    """Detach an attachment. The file is deleted once no attachment (e.g. of a duplicate) uses it."""
    post = media.post
    _require_drafter(agency=post.agency, by=by)
    _lock(post)
    _require_editable(post)
    hash_before = content_hash(post)
    name, storage, media_id = media.file.name, media.file.storage, media.pk
    media.delete()
    if not PostMedia.objects.filter(file=name).exists():
        transaction.on_commit(lambda: storage.delete(name))
    _media_changed(
        post,
        by,
        hash_before=hash_before,
        action="posts.media.removed",
        data={"media": media_id},
        reason=_("A photo or video was removed."),
    )


# --- templates -----------------------------------------------------------------------------------


def template_placeholders(body: str) -> list[str]:
    """The {placeholders} of a template's text, each once, in order of appearance."""
    return list(dict.fromkeys(PLACEHOLDER.findall(body)))


def template_fill(body: str, values: Mapping[str, str]) -> str:
    # One pass: a value that itself contains "{name}" is left as typed.
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], body)


@transaction.atomic
def post_from_template(*, template: PostTemplate, by: User, values: Mapping[str, str]) -> Post:
    """A new draft from an agency template, every {placeholder} replaced by its value."""
    _require_drafter(agency=template.agency, by=by)
    names = template_placeholders(template.body)
    missing = [name for name in names if not str(values.get(name, "")).strip()]
    if missing:
        raise ValueError(_("Fill in every placeholder: %(names)s.") % {"names": ", ".join(missing)})
    body = template_fill(template.body, {name: str(values[name]).strip() for name in names})
    post = post_create(agency=template.agency, author=by, body=body, style=template.style)
    audit_record(
        action="posts.post.created_from_template",
        actor=by,
        agency=template.agency,
        target=post,
        data={"template": template.pk, "template_name": template.name},
    )
    return post
