"""The first journeys, in a real browser against the live stack (see conftest.py).

They run in this order and share `story`: the post the officer writes (a) is the one the
supervisor approves and watches go out (b), and the one the other agency must not see (d).
The calendar drag (c) moves a post seed_demo scheduled two days ahead. The public's replies
to that post are journey 3's, in the inbox (test_journeys_inbox.py, which runs after these).
"""

from __future__ import annotations

import re
import struct
import time
import zlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import needs

AGENCY_TZ = ZoneInfo("Europe/London")  # seed_demo's agency
X_ACCOUNT = ("x", "1700000000000000001")
FACEBOOK_ACCOUNT = ("facebook", "100200300400500")

OPENING = "Spotted on the harbour wall last night by PC Shah: one very confused spaniel. "
MIDDLE = "Two biscuits and a blanket later, she is home. "
PHONE_LINE = "Her owner says thank you: ring him on 07700 900123."
FIXED_LINE = "Her owner says thank you to everyone who shared our appeal."
ALT_TEXT = "A spaniel wrapped in a blue police blanket, looking pleased."
# How long the supervisor waits for the post to go out after its time (beat wakes the
# dispatcher every 2 s here; the machine is shared and slow).
PUBLISH_GRACE_S = 150
# The seeded campaign post that the calendar journey moves (scheduled two days ahead).
SEEDED_SCHEDULED = "Children don't always say it out loud."


def png(width: int = 96, height: int = 64) -> bytes:
    """A small valid PNG (a harbour-blue gradient), built with the standard library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + b"".join(bytes((20, 60 + y * 2, 120 + x)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def x_counter(page: Page):
    return page.locator('#counters [data-counter="x"]')


def scheduled_for(page: Page) -> str:
    """The "Scheduled for" value of a post page, e.g. "2025-05-01 14:05 BST"."""
    return page.locator("dl.facts dt:has-text('Scheduled for') + dd").inner_text().strip()


def post_id_from(url: str) -> int:
    found = re.search(r"/posts/(\d+)/", url)
    assert found, url
    return int(found.group(1))


# --- a. The press officer writes, checks, schedules and submits a post -------------------------


def test_officer_writes_a_post_and_submits_it_for_review(new_page, shot, story):
    page = new_page("officer")
    shot(page, "a officer signed in")

    page.goto("/posts/new/")
    expect(page.get_by_role("heading", name="New post")).to_be_visible()
    body = page.locator("#id_body")
    expect(x_counter(page)).to_have_text("X: weighted 0/280")
    shot(page, "a empty editor")

    # The X counter follows the typing (the live preview API answers each pause).
    body.press_sequentially(OPENING)
    expect(x_counter(page)).to_have_text(f"X: weighted {len(OPENING)}/280")
    shot(page, "a typed the opening, X counter moved")
    body.press_sequentially(MIDDLE)
    typed = OPENING + MIDDLE
    expect(x_counter(page)).to_have_text(f"X: weighted {len(typed)}/280")

    # A private phone number: a blocking finding appears while typing, marked in the text.
    body.press_sequentially(PHONE_LINE)
    block = page.locator("#findings li.finding.sev-block")
    expect(block).to_have_count(1)
    expect(block).to_contain_text("Blocks approval")
    expect(block).to_contain_text("07700 900123")
    expect(page.locator("#mirror mark.sev-block")).to_have_text("07700 900123")
    shot(page, "a phone number blocks")

    # Fixed: the finding goes away, live.
    body.fill(typed + FIXED_LINE)
    expect(page.locator("#findings li.finding.sev-block")).to_have_count(0)
    expect(page.locator("#mirror mark")).to_have_count(0)
    text = typed + FIXED_LINE
    expect(x_counter(page)).to_have_text(f"X: weighted {len(text)}/280")

    page.locator("#id_style").select_option("narrative")
    accounts = page.locator('input[name="accounts"]')
    expect(accounts).to_have_count(2)
    page.get_by_label("X · @HarbourCityPolice").check()
    page.get_by_label("Facebook · Harbour City Police").check()
    # Both platforms' previews now show the post's own account.
    expect(page.locator('#preview-cards [data-platform="x"] .handle')).to_contain_text(
        "@HarbourCityPolice"
    )
    expect(page.locator('#preview-cards [data-platform="facebook"]')).to_be_visible()
    shot(page, "a fixed, both accounts ticked")

    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/posts/\d+/edit/"))
    post_id = post_id_from(page.url)
    story["post_id"] = post_id
    story["post_text"] = text

    # A photo, with the alt text it must have.
    adder = page.locator("#media-add")
    adder.locator('input[type="file"]').set_input_files(
        {"name": "spaniel.png", "mimeType": "image/png", "buffer": png()}
    )
    adder.get_by_label("Alt text").fill(ALT_TEXT)
    shot(page, "a photo chosen with alt text")
    adder.get_by_role("button", name="Attach").click()
    expect(page.get_by_text("Attached.")).to_be_visible()
    expect(page.locator(f'.media-item img[alt="{ALT_TEXT}"]')).to_be_visible()
    shot(page, "a photo attached")

    # The time: two minutes ahead, in the agency's time zone. The editor has no time field;
    # a draft gets its time from the calendar's "Move a post" page.
    at = datetime.now(tz=AGENCY_TZ) + timedelta(minutes=2)
    if at.second or at.microsecond:  # whole minutes: round up, never down
        at = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    page.goto(f"/posts/calendar/reschedule/{post_id}/")
    page.get_by_label("New time").fill(at.strftime("%Y-%m-%dT%H:%M"))
    shot(page, "a time two minutes ahead")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("moved to " + at.strftime("%Y-%m-%d %H:%M"))
    story["due"] = at

    page.goto(f"/posts/{post_id}/")
    assert scheduled_for(page).startswith(at.strftime("%Y-%m-%d %H:%M")), scheduled_for(page)
    expect(page.locator("figure.post-media figcaption")).to_contain_text(ALT_TEXT)
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messages")).to_contain_text("Submitted for review.")
    expect(page.locator("dl.facts .badge")).to_have_text("In review")
    shot(page, "a submitted for review")


# --- b. The supervisor approves it; it goes out to both sandbox accounts ------------------------


def test_supervisor_approves_and_the_post_publishes_to_both_accounts(new_page, shot, story, stack):
    post_id = needs(story, "post_id", "The officer's journey")
    text = story["post_text"]
    page = new_page("supervisor")
    page.goto("/posts/review/")
    expect(page.get_by_role("heading", name="Waiting for approval")).to_be_visible()
    row = page.locator("tbody tr", has=page.locator(f'a[href="/posts/{post_id}/review/"]'))
    expect(row).to_contain_text("Olivia Officer")
    shot(page, "b approval queue")

    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Review post")).to_be_visible()
    expect(page.locator("blockquote.post-body").first).to_contain_text(FIXED_LINE)
    expect(page.get_by_text("No findings.")).to_be_visible()
    shot(page, "b review page")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Approved and scheduled for")
    shot(page, "b approved")

    # Published when beat's dispatcher finds it due and the worker has called both platforms.
    page.goto(f"/posts/{post_id}/")
    published = page.locator("table td .badge.status-published")
    deadline = max(time.time(), story["due"].timestamp()) + PUBLISH_GRACE_S
    shot(page, "b scheduled, waiting for its time")
    while published.count() < 2:
        failed = page.locator("table td .badge.status-failed")
        assert failed.count() == 0, page.locator("table").inner_text()
        if time.time() > deadline:
            shot(page, "b not published in time")
            stack.check_alive()
            pytest.fail(
                f"not published {PUBLISH_GRACE_S} s after its time:\n" + page.inner_text("main")
            )
        page.wait_for_timeout(3000)
        page.reload()
    expect(page.locator("dl.facts .badge")).to_have_text("Published")
    shot(page, "b published to both accounts")

    # The sandbox's own record: the text, once, on each account, with the photo.
    for platform, external_id in (X_ACCOUNT, FACEBOOK_ACCOUNT):
        posts = stack.sandbox(f"/_sandbox/accounts/{platform}/{external_id}/posts")["posts"]
        ours = [p for p in posts if p["text"] == text]
        assert len(ours) == 1, (platform, posts)
        assert len(ours[0]["media"]) == 1, (platform, ours[0])
    # The inbox journey (test_journeys_inbox.py) waits for the public's replies to it.
    story["published"] = True
    sandbox_page = page.context.new_page()
    sandbox_page.goto(f"{stack.sandbox_url}/_sandbox/public/x/{X_ACCOUNT[1]}")
    expect(sandbox_page.get_by_text(FIXED_LINE)).to_be_visible()
    shot(sandbox_page, "b as the public sees it on the sandbox's X")
    sandbox_page.close()

    # The calendar shows it, published, at its time.
    due = story["due"]
    page.goto(f"/posts/calendar/week/?date={due:%Y-%m-%d}")
    slot = page.locator(f'td[data-drop-date="{due:%Y-%m-%d}"][data-drop-hour="{due.hour}"]')
    item = slot.locator(".cal-item.cal-status-published", has_text=OPENING[:30])
    expect(item).to_be_visible()
    expect(item).not_to_have_attribute("draggable", "true")
    item.scroll_into_view_if_needed()
    shot(page, "b calendar shows it published")


# --- c. Dragging a scheduled post to another day and hour on the calendar ----------------------


def test_officer_drags_a_scheduled_post_to_another_day_on_the_calendar(new_page, shot, story):
    # Tall enough that a day's 24 hour rows fit: the drag needs no scrolling.
    page = new_page("officer", viewport={"width": 1400, "height": 1600})
    page.goto("/posts/?status=scheduled")
    page.get_by_role("link", name=re.compile(re.escape(SEEDED_SCHEDULED[:20]))).first.click()
    post_id = post_id_from(page.url)
    before = scheduled_for(page)
    when = datetime.strptime(before[:16], "%Y-%m-%d %H:%M")  # noqa: DTZ007 - agency wall clock

    page.goto(f"/posts/calendar/week/?date={when:%Y-%m-%d}")
    item = page.locator(f'.cal-item[draggable="true"]:has(a[href="/posts/{post_id}/"])')
    expect(item).to_have_attribute("data-time", f"{when:%H:%M}")
    source = page.locator(f'td[data-drop-date="{when:%Y-%m-%d}"][data-drop-hour="{when.hour}"]')
    expect(source.locator(f'a[href="/posts/{post_id}/"]')).to_be_visible()
    # Another day of the same week (the day before, unless that is last week), another hour:
    # both in the future, since the post is two days ahead.
    day = when - timedelta(days=1) if when.weekday() > 0 else when + timedelta(days=1)
    hour = (when.hour + 5) % 24
    expected = f"{day:%Y-%m-%d} {hour:02d}:{when:%M}"
    target = page.locator(f'td[data-drop-date="{day:%Y-%m-%d}"][data-drop-hour="{hour}"]')
    shot(page, "c calendar before the drag")

    item.drag_to(target)
    # calendar.js posts the move, then reloads the page, which says where it went.
    expect(page.locator(".messages")).to_contain_text(f"moved to {expected}")
    moved = target.locator(f'.cal-item:has(a[href="/posts/{post_id}/"])')
    expect(moved).to_be_visible()
    expect(moved).to_have_attribute("data-time", f"{hour:02d}:{when:%M}")
    expect(source.locator(f'a[href="/posts/{post_id}/"]')).to_have_count(0)
    shot(page, "c calendar after the drag")

    page.reload()
    expect(target.locator(f'a[href="/posts/{post_id}/"]')).to_be_visible()
    page.goto(f"/posts/{post_id}/")
    assert scheduled_for(page).startswith(expected), (before, scheduled_for(page))
    expect(page.locator("dl.facts .badge")).to_have_text("Scheduled")
    shot(page, "c post page shows the new time")
    story["moved_post_id"] = post_id
    story["moved_to"] = day


# --- d. An officer of another agency sees none of it -------------------------------------------


def test_an_officer_of_another_agency_sees_none_of_it(new_page, shot, story):
    post_id = needs(story, "post_id", "The officer's journey")
    page = new_page("outsider")
    expect(page.locator("#agency-switch")).to_contain_text("Ridgeway Constabulary (e2e)")
    shot(page, "d outsider signed in")

    others = [post_id] + ([story["moved_post_id"]] if "moved_post_id" in story else [])
    for other in others:
        # (The review page is 403 for every officer, whatever the agency: not a tenancy check.)
        for path in (f"/posts/{other}/", f"/posts/{other}/edit/", f"/posts/{other}/revisions/"):
            response = page.goto(path)
            assert response is not None and response.status == 404, (path, response)
    page.goto(f"/posts/{post_id}/")
    shot(page, "d another agency's post is not found")

    page.goto("/posts/")
    expect(page.get_by_text(OPENING[:30])).to_have_count(0)
    days = {story["due"].date()} | ({story["moved_to"].date()} if "moved_to" in story else set())
    for day in days:
        page.goto(f"/posts/calendar/week/?date={day:%Y-%m-%d}")
        expect(page.locator(".cal-item")).to_have_count(0)
    shot(page, "d calendar shows nothing of Harbour City")
