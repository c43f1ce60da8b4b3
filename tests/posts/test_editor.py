"""The editor's services: create, edit, revisions, autosave, duplicate, media and templates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import AuditEvent, PlatformAccount
from campaigns.models import Campaign
from posts import services
from posts.checks import content_hash
from posts.models import PostMedia, PostRevision, PostStatus, PostStyle, PostTemplate
from posts.services import (
    post_autosave,
    post_create,
    post_duplicate,
    post_from_template,
    post_media_add,
    post_media_remove,
    post_media_update_alt,
    post_update,
    template_placeholders,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def mp4() -> SimpleUploadedFile:
    return SimpleUploadedFile("clip.mp4", MP4, content_type="video/mp4")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def account(agency, platform: str, handle: str) -> PlatformAccount:
    return PlatformAccount.objects.create(
        agency=agency, platform=platform, handle=handle, external_id=f"{platform}-{handle}"
    )


@pytest.fixture
def x_account(cast):
    return account(cast.agency, "x", "@alphapolice")


@pytest.fixture
def fb_account(cast):
    return account(cast.agency, "facebook", "Alpha Police")


def campaign_of(agency, name="Know the signs", hashtags="#KnowTheSigns") -> Campaign:
    today = timezone.localdate()
    return Campaign.objects.create(
        agency=agency, name=name, hashtags=hashtags, starts_on=today, ends_on=today
    )


def draft(cast, body="Lost dog found on the high street.", **kwargs):
    return post_create(agency=cast.agency, author=cast.officer, body=body, **kwargs)


def approved(cast, body="Road reopened.", status=PostStatus.APPROVED):
    post = draft(cast, body=body, status=status)
    post.approved_hash = content_hash(post)
    post.save(update_fields=["approved_hash"])
    return post


def actions(post) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type="posts.post", target_id=str(post.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def require_workflow():
    try:
        from posts.workflow import post_send_back_to_review  # noqa: F401
    except ImportError:
        pytest.skip("posts.workflow.post_send_back_to_review is not written yet")


# --- create --------------------------------------------------------------------------------------


def test_post_create_keeps_its_signature_and_makes_revision_1(cast):
    post = post_create(agency=cast.agency, author=cast.officer, body="Road closed.")
    (revision,) = post.revisions.all()
    assert (revision.number, revision.autosaved, revision.body) == (1, False, "Road closed.")
    assert revision.content_hash == content_hash(post)
    assert actions(post) == ["posts.post.created"]


def test_post_create_takes_the_editors_fields(cast, x_account, fb_account):
    campaign = campaign_of(cast.agency)
    post = draft(
        cast,
        style=PostStyle.APPEAL,
        campaign=campaign,
        platform_texts={"x": "Short for X", "facebook": "  "},
        location="Haeundae-gu",
        internal_notes="Checked with the duty inspector.",
        accounts=[x_account, fb_account],
    )
    assert post.platform_texts == {"x": "Short for X"}  # an empty text means "use the body"
    assert set(post.accounts.all()) == {x_account, fb_account}
    revision = post.revisions.get()
    assert revision.account_ids == sorted([x_account.pk, fb_account.pk])
    assert (revision.location, revision.campaign_id_at, revision.style) == (
        "Haeundae-gu",
        campaign.pk,
        PostStyle.APPEAL,
    )
    assert revision.content_hash == content_hash(post)


def test_post_create_refuses_another_agencys_account_and_campaign(cast, other):
    theirs = account(other.agency, "x", "@bravopolice")
    with pytest.raises(ValueError, match="another agency"):
        draft(cast, accounts=[theirs])
    with pytest.raises(ValueError, match="another agency"):
        draft(cast, campaign=campaign_of(other.agency))
    with pytest.raises(ValueError, match="Unknown platform"):
        draft(cast, platform_texts={"myspace": "hi"})
    assert not cast.agency.posts.exists()


def test_only_drafting_members_of_the_agency_create_posts(cast, other):
    for person in (cast.analyst, other.officer):
        with pytest.raises(ValueError, match="Only press officers"):
            post_create(agency=cast.agency, author=person, body="Hello")


# --- update and revisions ------------------------------------------------------------------------


def test_every_manual_save_is_a_new_numbered_revision(cast, x_account):
    post = draft(cast)
    first = post_update(post=post, by=cast.officer, body="Dog back home.", accounts=[x_account])
    again = post_update(post=post, by=cast.supervisor)  # nothing changed: still a revision
    post.refresh_from_db()
    assert (first.number, again.number) == (2, 3)
    assert post.body == "Dog back home." and list(post.accounts.all()) == [x_account]
    assert [r.number for r in post.revisions.all()] == [3, 2, 1]
    assert first.body == "Dog back home." and first.account_ids == [x_account.pk]
    assert again.author == cast.supervisor and not again.autosaved
    assert actions(post) == ["posts.post.created", "posts.post.updated", "posts.post.updated"]
    event = AuditEvent.objects.filter(action="posts.post.updated").order_by("seq").first()
    assert event.data == {"revision": 2, "fields": ["body", "accounts"]}


def test_update_refuses_unknown_fields(cast):
    with pytest.raises(TypeError):
        post_update(post=draft(cast), by=cast.officer, status=PostStatus.APPROVED)


@pytest.mark.parametrize(
    "status",
    [
        PostStatus.PUBLISHED,
        PostStatus.PARTLY_FAILED,
        PostStatus.FAILED,
        PostStatus.REJECTED,
        PostStatus.CANCELLED,
    ],
)
def test_finished_posts_are_not_editable_but_can_be_duplicated(cast, status):
    post = draft(cast, status=status)
    with pytest.raises(ValueError, match="can no longer be edited. Duplicate it"):
        post_update(post=post, by=cast.officer, body="Changed")
    copy = post_duplicate(post=post, by=cast.officer)
    assert copy.status == PostStatus.DRAFT and copy.body == post.body
    post.refresh_from_db()
    assert post.body == "Lost dog found on the high street." and post.revisions.count() == 1


def test_outsider_and_analyst_cannot_edit(cast, other):
    post = draft(cast)
    for person in (other.officer, other.admin, cast.analyst):
        with pytest.raises(ValueError, match="Only press officers"):
            post_update(post=post, by=person, body="Hijacked")
        with pytest.raises(ValueError):
            post_autosave(post=post, by=person, body="Hijacked")
        with pytest.raises(ValueError):
            post_duplicate(post=post, by=person)
    post.refresh_from_db()
    assert post.body != "Hijacked" and post.revisions.count() == 1


def test_author_editing_a_post_in_review_takes_it_back_to_draft(cast):
    post = draft(cast, status=PostStatus.IN_REVIEW)
    post_update(post=post, by=cast.officer, body="Better wording.")
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT
    assert actions(post)[-2:] == ["posts.post.updated", "posts.post.pulled_back_to_draft"]


def test_supervisor_editing_a_post_in_review_leaves_it_in_review(cast):
    post = draft(cast, status=PostStatus.IN_REVIEW)
    post_update(post=post, by=cast.supervisor, body="Typo fixed.")
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


@pytest.mark.parametrize("status", [PostStatus.APPROVED, PostStatus.SCHEDULED])
def test_changing_approved_content_sends_the_post_back_to_review(cast, status):
    require_workflow()
    post = approved(cast, status=status)
    post_update(post=post, by=cast.officer, body="Road reopened, both lanes.")
    assert post.status == PostStatus.IN_REVIEW  # the caller's instance is up to date
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW and post.approved_hash == ""
    assert "posts.post.sent_back_to_review" in actions(post)


def test_internal_notes_are_not_content_an_approval_covers(cast):
    post = approved(cast)
    post_update(post=post, by=cast.officer, internal_notes="Press line agreed with CID.")
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED
    assert post.internal_notes == "Press line agreed with CID."


def test_a_save_on_an_old_revision_does_not_overwrite_someone_elses(cast):
    post = draft(cast)
    post_update(post=post, by=cast.supervisor, body="Supervisor's version")
    with pytest.raises(ValueError, match="Someone else saved"):
        post_update(post=post, by=cast.officer, base_revision=1, body="Officer's version")
    # Your own newer revisions are not a conflict.
    post_update(post=post, by=cast.officer, base_revision=2, body="Officer's version")
    post_update(post=post, by=cast.officer, base_revision=2, body="Officer's, again")


# --- autosave ------------------------------------------------------------------------------------


def test_autosaves_within_two_minutes_update_one_revision(cast):
    post = draft(cast)
    first = post_autosave(post=post, by=cast.officer, body="Lost dog")
    second = post_autosave(post=post, by=cast.officer, body="Lost dog found")
    assert first.pk == second.pk and second.number == 2 and second.autosaved
    second.refresh_from_db()
    assert second.body == "Lost dog found" and second.content_hash == content_hash(post)
    post.refresh_from_db()
    assert post.body == "Lost dog found"  # a draft's autosave is saved into the post
    # Two minutes after the autosaved revision began, the next autosave starts a new one.
    PostRevision.objects.filter(pk=second.pk).update(
        created_at=timezone.now() - services.AUTOSAVE_COALESCE - timedelta(seconds=1)
    )
    third = post_autosave(post=post, by=cast.officer, body="Lost dog found, owner traced")
    assert third.number == 3 and third.autosaved
    # One audit event per autosaved revision, not per autosave.
    assert actions(post).count("posts.post.autosaved") == 2


def test_someone_elses_autosave_or_a_manual_save_starts_a_new_revision(cast):
    post = draft(cast)
    assert post_autosave(post=post, by=cast.officer, body="One").number == 2
    assert post_autosave(post=post, by=cast.supervisor, body="Two").number == 3
    assert post_update(post=post, by=cast.supervisor, body="Three").number == 4
    assert post_autosave(post=post, by=cast.supervisor, body="Four").number == 5
    assert [r.autosaved for r in post.revisions.all()] == [True, False, True, True, False]


def test_autosave_without_a_change_writes_nothing(cast):
    post = draft(cast)
    before = AuditEvent.objects.count()
    revision = post_autosave(post=post, by=cast.officer, body=post.body)
    assert revision.number == 1 and not revision.autosaved
    assert AuditEvent.objects.count() == before and post.revisions.count() == 1


def test_autosave_is_for_drafts_only(cast):
    post = approved(cast)
    with pytest.raises(ValueError, match="only for drafts"):
        post_autosave(post=post, by=cast.officer, body="Changed")
    post.refresh_from_db()
    assert post.body == "Road reopened." and post.status == PostStatus.APPROVED


# --- duplicate -----------------------------------------------------------------------------------


def test_duplicate_copies_content_accounts_and_media_rows(cast, fb_account):
    post = draft(
        cast,
        platform_texts={"facebook": "Longer text"},
        location="Centre",
        internal_notes="Not copied",
        accounts=[fb_account],
    )
    media = post_media_add(post=post, by=cast.officer, file=png(), alt_text="A brown dog")
    copy = post_duplicate(post=post, by=cast.supervisor)
    assert copy.pk != post.pk and copy.author == cast.supervisor
    assert copy.status == PostStatus.DRAFT
    assert (copy.body, copy.platform_texts, copy.location) == (
        post.body,
        post.platform_texts,
        post.location,
    )
    assert copy.internal_notes == "" and list(copy.accounts.all()) == [fb_account]
    (copied,) = copy.media.all()
    assert copied.pk != media.pk and copied.file.name == media.file.name
    assert copied.alt_text == "A brown dog" and copied.agency == cast.agency
    assert copy.revisions.get().content_hash == content_hash(copy)
    event = AuditEvent.objects.get(action="posts.post.duplicated")
    assert event.target_id == str(copy.pk) and event.data == {"from_post": post.pk, "media": 1}


# --- media ---------------------------------------------------------------------------------------


def test_a_photo_needs_alt_text_a_video_does_not(cast):
    post = draft(cast)
    with pytest.raises(ValueError, match="alt text"):
        post_media_add(post=post, by=cast.officer, file=png(), alt_text="   ")
    assert not post.media.exists()
    video = post_media_add(post=post, by=cast.officer, file=mp4(), alt_text="")
    assert (video.kind, video.content_type) == ("video", "video/mp4")


def test_the_files_real_type_decides_not_its_name_or_claimed_type(cast):
    post = draft(cast)
    fake = SimpleUploadedFile("photo.png", b"<html><script>", content_type="image/png")
    with pytest.raises(ValueError, match="Attach a photo"):
        post_media_add(post=post, by=cast.officer, file=fake, alt_text="x")
    media = post_media_add(post=post, by=cast.officer, file=png("My Suspect.png"), alt_text="x")
    assert media.content_type == "image/png" and media.size_bytes == len(PNG)
    assert "Suspect" not in media.file.name and media.file.name.endswith(".png")
    assert actions(post)[-1] == "posts.media.added"


def test_media_are_checked_against_the_ticked_platforms(cast, x_account, fb_account):
    on_x = draft(cast, accounts=[x_account])
    for n in range(4):
        post_media_add(post=on_x, by=cast.officer, file=png(), alt_text=f"Photo {n}")
    with pytest.raises(ValueError, match="X allows at most 4 photos"):
        post_media_add(post=on_x, by=cast.officer, file=png(), alt_text="Photo 5")
    with pytest.raises(ValueError, match="X does not allow photos, GIFs and videos to be mixed"):
        post_media_add(post=on_x, by=cast.officer, file=mp4(), alt_text="")
    on_facebook = draft(cast, accounts=[fb_account])
    for n in range(5):
        post_media_add(post=on_facebook, by=cast.officer, file=png(), alt_text=f"Photo {n}")
    assert on_facebook.media.count() == 5


def test_alt_text_can_be_changed_but_not_emptied(cast):
    post = draft(cast)
    media = post_media_add(post=post, by=cast.officer, file=png(), alt_text="A dog")
    with pytest.raises(ValueError, match="alt text"):
        post_media_update_alt(media=media, by=cast.officer, alt_text="")
    post_media_update_alt(media=media, by=cast.supervisor, alt_text="A brown spaniel")
    media.refresh_from_db()
    assert media.alt_text == "A brown spaniel"
    assert actions(post)[-1] == "posts.media.alt_text_changed"


def test_removing_media_keeps_a_file_a_duplicate_still_uses(
    cast, django_capture_on_commit_callbacks
):
    post = draft(cast)
    media = post_media_add(post=post, by=cast.officer, file=png(), alt_text="A dog")
    storage, name = media.file.storage, media.file.name
    copy = post_duplicate(post=post, by=cast.officer)
    with django_capture_on_commit_callbacks(execute=True):
        post_media_remove(media=media, by=cast.officer)
    assert storage.exists(name) and not post.media.exists()
    with django_capture_on_commit_callbacks(execute=True):
        post_media_remove(media=copy.media.get(), by=cast.officer)
    assert not storage.exists(name)
    assert actions(post)[-1] == "posts.media.removed"


def test_adding_a_photo_to_an_approved_post_sends_it_back_to_review(cast):
    require_workflow()
    post = approved(cast)
    post_media_add(post=post, by=cast.officer, file=png(), alt_text="The reopened road")
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_media_of_a_finished_post_cannot_change(cast):
    post = draft(cast)
    media = post_media_add(post=post, by=cast.officer, file=png(), alt_text="A dog")
    post.status = PostStatus.PUBLISHED
    post.save(update_fields=["status"])
    with pytest.raises(ValueError, match="can no longer be edited"):
        post_media_add(post=post, by=cast.officer, file=png(), alt_text="Another")
    with pytest.raises(ValueError, match="can no longer be edited"):
        post_media_remove(media=media, by=cast.officer)
    assert PostMedia.objects.filter(post=post).count() == 1


# --- templates -----------------------------------------------------------------------------------


def template_of(cast, body, name="Missing person appeal"):
    return PostTemplate.objects.create(
        agency=cast.agency, name=name, body=body, style=PostStyle.APPEAL, created_by=cast.admin
    )


def test_placeholders_are_listed_once_in_order_in_any_language():
    body = "{name}, {age}, last seen {장소} at {time}. {name}! {Upper} { spaced } {a_b2} {}"
    assert template_placeholders(body) == ["name", "age", "장소", "time", "Upper", "a_b2"]


def test_a_draft_from_a_template_has_every_placeholder_filled(cast):
    template = template_of(cast, "Have you seen {name} ({age})?\nLast seen in {place}. {name}")
    post = post_from_template(
        template=template,
        by=cast.officer,
        values={"name": "Kim Min-jun", "age": "14", "place": "{place} Haeundae"},
    )
    assert post.body == (
        "Have you seen Kim Min-jun (14)?\nLast seen in {place} Haeundae. Kim Min-jun"
    )
    assert (post.status, post.style, post.author) == (
        PostStatus.DRAFT,
        PostStyle.APPEAL,
        cast.officer,
    )
    assert post.revisions.get().number == 1
    assert actions(post) == ["posts.post.created", "posts.post.created_from_template"]


def test_a_korean_template_fills_korean_placeholders(cast):
    template = template_of(cast, "{이름}({나이})을 찾습니다. 마지막으로 {장소}에서 목격되었습니다.")
    post = post_from_template(
        template=template,
        by=cast.officer,
        values={"이름": "김민준", "나이": "14", "장소": "해운대역"},
    )
    assert post.body == "김민준(14)을 찾습니다. 마지막으로 해운대역에서 목격되었습니다."


def test_a_template_needs_every_value_and_stays_in_its_agency(cast, other):
    template = template_of(cast, "{name} was found safe in {place}.")
    with pytest.raises(ValueError, match="Fill in every placeholder: place"):
        post_from_template(template=template, by=cast.officer, values={"name": "Lee", "place": ""})
    with pytest.raises(ValueError, match="Only press officers"):
        post_from_template(
            template=template, by=other.officer, values={"name": "Lee", "place": "Busan"}
        )
    assert not cast.agency.posts.exists() and not other.agency.posts.exists()
