"""The editor pages, per role: new, edit, autosave, media, revisions, templates."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import PlatformAccount, Role
from posts.checks import content_hash
from posts.models import PostMedia, PostStatus, PostStyle, PostTemplate
from posts.services import post_create, post_media_add, post_update
from tests.posts.test_editor import PNG, png

DRAFTING_ROLES = [Role.OFFICER, Role.SUPERVISOR, Role.ADMIN]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def x_account(cast):
    return PlatformAccount.objects.create(
        agency=cast.agency, platform="x", handle="@alphapolice", external_id="x-1"
    )


def draft(cast, body="Lost dog found on the high street.", **kwargs):
    return post_create(agency=cast.agency, author=cast.officer, body=body, **kwargs)


def form_data(post=None, **overrides) -> dict:
    data = {
        "body": post.body if post else "A new post.",
        "style": post.style if post else PostStyle.NARRATIVE,
        "location": "",
        "internal_notes": "",
        "campaign": "",
        "text_x": "",
        "text_facebook": "",
    }
    data.update(overrides)
    return data


# --- who may edit --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", DRAFTING_ROLES)
def test_drafting_roles_open_and_save_the_editor(cast, login, role):
    post = draft(cast)
    client = login(cast.by_role(role))
    page = client.get(reverse("posts:edit", args=[post.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="post-form"' in html and "js/editor.js" in html and "css/editor.css" in html
    response = client.post(
        reverse("posts:edit", args=[post.pk]), form_data(post, body=f"Edited by {role}")
    )
    assert response.status_code == 302 and response["Location"] == reverse(
        "posts:edit", args=[post.pk]
    )
    post.refresh_from_db()
    assert post.body == f"Edited by {role}" and post.revisions.count() == 2


def test_analyst_may_not_use_the_editor(cast, login):
    post = draft(cast)
    client = login(cast.analyst)
    for name, args in [
        ("posts:new", []),
        ("posts:edit", [post.pk]),
        ("posts:revisions", [post.pk]),
        ("posts:choose_template", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    for name in ("posts:edit", "posts:autosave", "posts:duplicate"):
        assert client.post(reverse(name, args=[post.pk]), form_data(post)).status_code == 403
    post.refresh_from_db()
    assert post.revisions.count() == 1


def test_another_agencys_post_is_not_found(cast, other, login):
    post = draft(cast)
    media = post_media_add(post=post, by=cast.officer, file=png(), alt_text="A dog")
    client = login(other.officer)
    for name in ("posts:edit", "posts:revisions", "posts:compare"):
        assert client.get(reverse(name, args=[post.pk])).status_code == 404, name
    for name in ("posts:edit", "posts:autosave", "posts:duplicate", "posts:media_add"):
        assert client.post(reverse(name, args=[post.pk]), form_data()).status_code == 404, name
    assert client.get(reverse("posts:media", args=[media.pk])).status_code == 404
    assert client.post(reverse("posts:media_remove", args=[post.pk, media.pk])).status_code == 404
    assert post.media.count() == 1 and post.revisions.count() == 1


# --- new post and the page without JavaScript ----------------------------------------------------


def test_new_post_offers_one_tick_per_active_account(cast, other, login, x_account):
    PlatformAccount.objects.create(
        agency=cast.agency,
        platform="facebook",
        handle="Old Page",
        external_id="f",
        status="disabled",
    )
    PlatformAccount.objects.create(
        agency=other.agency, platform="x", handle="@bravopolice", external_id="x-2"
    )
    html = login(cast.officer).get(reverse("posts:new")).content.decode()
    assert 'data-handle="@alphapolice"' in html and 'data-platform="x"' in html
    assert "Old Page" not in html and "@bravopolice" not in html
    assert reverse("posts:choose_template") in html
    assert 'data-preview-url="/api/v1/posts/preview"' in html


def test_new_post_is_saved_as_a_draft_with_revision_1(cast, login, x_account):
    response = login(cast.officer).post(
        reverse("posts:new"),
        form_data(body="Line one\r\nLine two", accounts=[x_account.pk], location="Centre"),
    )
    post = cast.agency.posts.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("posts:edit", args=[post.pk])
    # Browsers send CRLF; the post stores what the live preview counts.
    assert post.body == "Line one\nLine two" and post.location == "Centre"
    assert post.status == PostStatus.DRAFT and list(post.accounts.all()) == [x_account]
    assert post.revisions.get().number == 1


def test_an_empty_text_is_refused_on_the_form(cast, login):
    response = login(cast.officer).post(reverse("posts:new"), form_data(body=""))
    assert response.status_code == 400 and 'class="error"' in response.content.decode()
    assert not cast.agency.posts.exists()


def test_the_server_shows_counters_and_findings_without_javascript(cast, login, x_account):
    post = draft(cast, body="가" * 141 + "\nCall 010-1234-5678", accounts=[x_account])
    html = login(cast.officer).get(reverse("posts:edit", args=[post.pk])).content.decode()
    assert "weighted 301/280" in html and 'class="counter over"' in html
    assert '<mark class="cut"' in html
    assert "This looks like a private phone number." in html
    assert '<mark class="sev-' in html and "010-1234-5678</mark>" in html


# --- status rules on the page --------------------------------------------------------------------


def test_a_published_post_shows_why_and_offers_a_copy(cast, login):
    post = draft(cast, status=PostStatus.PUBLISHED)
    client = login(cast.officer)
    html = client.get(reverse("posts:edit", args=[post.pk])).content.decode()
    assert "can no longer be edited" in html and 'id="post-form"' not in html
    assert reverse("posts:duplicate", args=[post.pk]) in html
    response = client.post(reverse("posts:edit", args=[post.pk]), form_data(post, body="New"))
    assert response.status_code == 400 and "can no longer be edited" in response.content.decode()
    response = client.post(reverse("posts:duplicate", args=[post.pk]))
    copy = cast.agency.posts.exclude(pk=post.pk).get()
    assert response["Location"] == reverse("posts:edit", args=[copy.pk])
    assert copy.status == PostStatus.DRAFT and copy.author == cast.officer


def test_the_author_saving_a_post_in_review_gets_it_back_as_a_draft(cast, login):
    post = draft(cast, status=PostStatus.IN_REVIEW)
    client = login(cast.officer)
    assert (
        "Saving a change takes it back"
        in client.get(reverse("posts:edit", args=[post.pk])).content.decode()
    )
    response = client.post(
        reverse("posts:edit", args=[post.pk]), form_data(post, body="Reworded"), follow=True
    )
    assert "back in your drafts" in response.content.decode()
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT


def test_approved_posts_warn_and_do_not_autosave(cast, login):
    post = draft(cast, status=PostStatus.APPROVED)
    post.approved_hash = content_hash(post)
    post.save(update_fields=["approved_hash"])
    client = login(cast.officer)
    html = client.get(reverse("posts:edit", args=[post.pk])).content.decode()
    assert "goes back to review" in html and 'data-autosave-url=""' in html
    response = client.post(reverse("posts:autosave", args=[post.pk]), form_data(post, body="x"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "refused"


# --- autosave ------------------------------------------------------------------------------------


def test_autosave_answers_json_and_coalesces(cast, login):
    post = draft(cast)
    client = login(cast.officer)
    url = reverse("posts:autosave", args=[post.pk])
    first = client.post(url, form_data(post, body="Typing", base_revision=1))
    assert first.status_code == 200
    assert first.json()["saved"] is True and first.json()["revision"] == 2
    assert first.json()["autosaved"] is True and "Autosaved at" in first.json()["message"]
    second = client.post(url, form_data(post, body="Typing more", base_revision=2))
    assert second.json()["revision"] == 2
    assert post.revisions.count() == 2 and post.revisions.first().body == "Typing more"
    bad = client.post(url, form_data(post, body=""))
    assert bad.status_code == 400 and "body" in bad.json()["error"]["fields"]


def test_autosave_refuses_to_overwrite_someone_elses_newer_save(cast, login):
    post = draft(cast)
    post_update(post=post, by=cast.supervisor, body="Supervisor's version")
    response = login(cast.officer).post(
        reverse("posts:autosave", args=[post.pk]), form_data(post, body="Mine", base_revision=1)
    )
    assert (
        response.status_code == 409 and "Someone else saved" in response.json()["error"]["message"]
    )
    post.refresh_from_db()
    assert post.body == "Supervisor's version"


# --- media ---------------------------------------------------------------------------------------


def test_upload_with_alt_text_is_attached(cast, login):
    post = draft(cast)
    response = login(cast.officer).post(
        reverse("posts:media_add", args=[post.pk]),
        {"file": png(), "alt_text": "A brown spaniel on a lead"},
    )
    assert response.status_code == 302 and response["Location"].endswith("#media")
    media = post.media.get()
    assert media.alt_text == "A brown spaniel on a lead" and media.kind == "image"


def test_upload_of_a_photo_without_alt_text_is_refused(cast, login):
    post = draft(cast)
    response = login(cast.officer).post(
        reverse("posts:media_add", args=[post.pk]), {"file": png(), "alt_text": ""}
    )
    assert response.status_code == 400
    assert "Describe the photo in its alt text" in response.content.decode()
    assert not post.media.exists()


def test_a_file_that_is_not_a_picture_is_refused_even_if_it_claims_to_be(cast, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    post = draft(cast)
    fake = SimpleUploadedFile("x.png", b"<html>", content_type="text/html")
    response = login(cast.officer).post(
        reverse("posts:media_add", args=[post.pk]), {"file": fake, "alt_text": "x"}
    )
    assert response.status_code == 400 and "Attach a photo" in response.content.decode()


def test_media_are_served_only_to_members_of_the_agency(cast, other, login, client):
    post = draft(cast)
    media = post_media_add(post=post, by=cast.officer, file=png(), alt_text="A dog")
    url = reverse("posts:media", args=[media.pk])
    assert not url.startswith("/media/")
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    for person in (cast.officer, cast.analyst):
        response = login(person).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PNG
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        assert "private" in response["Cache-Control"]
    assert login(other.admin).get(url).status_code == 404
    # The page shows the photo through that view, with its alt text.
    html = login(cast.officer).get(reverse("posts:edit", args=[post.pk])).content.decode()
    assert f'<img src="{url}" alt="A dog"' in html


def test_alt_text_is_changed_and_media_removed_from_the_page(cast, login):
    post = draft(cast)
    media = post_media_add(post=post, by=cast.officer, file=png(), alt_text="A dog")
    client = login(cast.supervisor)
    prefix = f"media-{media.pk}"
    client.post(
        reverse("posts:media_alt", args=[post.pk, media.pk]), {f"{prefix}-alt_text": "Spaniel"}
    )
    media.refresh_from_db()
    assert media.alt_text == "Spaniel"
    response = client.post(
        reverse("posts:media_alt", args=[post.pk, media.pk]),
        {f"{prefix}-alt_text": ""},
        follow=True,
    )
    assert "Describe the photo" in response.content.decode()
    client.post(reverse("posts:media_remove", args=[post.pk, media.pk]))
    assert not PostMedia.objects.filter(pk=media.pk).exists()


# --- revisions -----------------------------------------------------------------------------------


def test_revisions_are_listed_and_compared_word_by_word(cast, login):
    post = draft(cast, body="The dog was found near the old bridge.")
    post_update(post=post, by=cast.officer, body="The dog was found near the new bridge today.")
    client = login(cast.supervisor)
    html = client.get(reverse("posts:revisions", args=[post.pk])).content.decode()
    assert "?a=1&amp;b=2" in html and "from_revision=1" in html
    page = client.get(reverse("posts:compare", args=[post.pk]), {"a": 1, "b": 2})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<del>old</del>" in html and "<ins>new</ins>" in html and "<ins> today</ins>" in html
    # Without a choice, the latest two are compared.
    default = client.get(reverse("posts:compare", args=[post.pk]))
    assert default.status_code == 302 and default["Location"].endswith("?a=1&b=2")
    assert client.get(reverse("posts:compare", args=[post.pk]), {"a": 1, "b": 9}).status_code == 404


def test_an_old_revision_can_be_loaded_into_the_editor(cast, login):
    post = draft(cast, body="First wording")
    post_update(post=post, by=cast.officer, body="Second wording")
    html = (
        login(cast.officer)
        .get(reverse("posts:edit", args=[post.pk]), {"from_revision": 1})
        .content.decode()
    )
    assert "First wording</textarea>" in html and "Revision 1 is loaded" in html


# --- templates -----------------------------------------------------------------------------------


def test_new_post_from_template_asks_for_each_placeholder(cast, other, login):
    ours = PostTemplate.objects.create(
        agency=cast.agency,
        name="Missing person",
        body="Have you seen {name}? Last seen in {place}.",
        created_by=cast.admin,
    )
    theirs = PostTemplate.objects.create(
        agency=other.agency, name="Theirs", body="{x}", created_by=other.admin
    )
    client = login(cast.officer)
    listing = client.get(reverse("posts:choose_template")).content.decode()
    assert "Missing person" in listing and "Theirs" not in listing
    page = client.get(reverse("posts:from_template", args=[ours.pk])).content.decode()
    assert 'name="name"' in page and 'name="place"' in page and 'for="id_place"' in page
    refused = client.post(reverse("posts:from_template", args=[ours.pk]), {"name": "Kim"})
    assert refused.status_code == 400 and not cast.agency.posts.exists()
    response = client.post(
        reverse("posts:from_template", args=[ours.pk]), {"name": "Kim", "place": "Seomyeon"}
    )
    post = cast.agency.posts.get()
    assert response["Location"] == reverse("posts:edit", args=[post.pk])
    assert post.body == "Have you seen Kim? Last seen in Seomyeon."
    assert client.get(reverse("posts:from_template", args=[theirs.pk])).status_code == 404
