"""What `make bench-inbox` leans on: a large backlog through the real pull, the prefiltered
triage and the COPY insert giving exactly what the plain paths give."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from engagement import services, triage
from engagement.models import Conversation, Message, PullCursor
from platforms.sandbox import public
from tests.engagement.conftest import FB_ID, X_ID, pull


def pull_until_still(account) -> int:
    """Pull until the cursor stops moving; the messages added."""
    added = 0
    while True:
        before = PullCursor.objects.filter(account=account).values_list("cursor", flat=True)
        result = pull(account)
        assert result.status == "pulled", result.error
        added += result.added
        if result.cursor == (before.first() or ""):
            return added


def test_a_seeded_backlog_is_stored_whole_threaded_and_replays_to_nothing(
    cast, accounts, sandbox, sandbox_server
):
    for platform, external_id in (("x", X_ID), ("facebook", FB_ID)):
        path = f"/_sandbox/accounts/{platform}/{external_id}/inbound"
        sandbox.call("POST", path, {"count": 700, "posts": 6})

    added = {a.platform: pull_until_still(a) for a in (accounts.x, accounts.fb)}

    assert added == {"x": 700, "facebook": 700}
    rows = sandbox_server.store.query(
        "SELECT platform, ext_id, conversation_id, in_reply_to_id FROM items WHERE by_us = 0"
    )
    by_id = {(r["platform"], r["ext_id"]): r for r in rows}
    for message in Message.objects.select_related("conversation"):
        item = by_id[(message.platform, message.external_id)]
        if message.platform == "x":
            assert message.conversation.root_external_id == item["conversation_id"]
        else:  # the top-level comment
            assert message.conversation.root_external_id == (
                item["in_reply_to_id"] or item["ext_id"]
            )
    for conversation in Conversation.objects.all():
        assert conversation.message_count == conversation.messages.count()
        assert conversation.last_activity_at == max(
            m.created_at for m in conversation.messages.all()
        )
    urgent = Conversation.objects.filter(urgent=True)
    assert urgent.exists() and not urgent.filter(urgent_notified_at__isnull=True).exists()
    before = (Message.objects.count(), Conversation.objects.count())

    PullCursor.objects.update(cursor="", next_pull_at=None, lease_until=None, claim_token="")
    replayed = [pull_until_still(a) for a in (accounts.x, accounts.fb)]

    assert replayed == [0, 0]
    assert (Message.objects.count(), Conversation.objects.count()) == before


# -- triage ---------------------------------------------------------------------------------

EXTRA_RULES = [
    triage.RuleSpec("tip", ["  ", "*", "licence   plate", "ＣＣＴＶ", "strasse"], "any", 55),
    triage.RuleSpec("question", ["?", "wie komme ich*"], "any", 30),
    triage.RuleSpec("praise", ["thank*"], "ko", 10),  # only for text with Hangul
    triage.RuleSpec("urgent", ["help me"], "en", 100, enabled=False),
]


def texts() -> list[str]:
    base = [t for lang in public.TEXTS.values() for cat in lang.values() for t in cat]
    odd = [
        "",
        "HELP ME please",
        "help\nme, someone is hurt",
        "Help  me",
        "helpme",
        "He saw a knife? 칼을 들고 있어요",
        "ＨＥＬＰ　ＭＥ",
        "Straße closed, licence\tplate AB12",
        "Thanks! 감사합니다",
        "thankful",
        "wie komme ich zum Revier",
        "?",
        "the gun-shop was begun",
    ]
    return base + odd + [a + " " + b for a, b in itertools.pairwise(base)]


@pytest.mark.parametrize("extra", [False, True])
def test_the_prefiltered_triage_gives_what_classify_gives(extra):
    rules = list(triage.DEFAULT_RULES) + (EXTRA_RULES if extra else [])
    triager = services._Triager(rules)
    for text in texts():
        assert triager.classify(text) == triage.classify(text, rules), text


# -- inserting many rows ----------------------------------------------------------------------

AWKWARD = [
    "",
    "plain",
    'quotes " and "" and \'',
    "comma, semicolon; tab\tnewline\nreturn\r end",
    "back\\slash \\N and \\\\",
    "\\N",
    "unicode: 칼을 들고 — ＨＥＬＰ ✓ 🚓",
    "   spaced   ",
]


def message_values(conversation, n: int, text: str) -> tuple:
    raw = {"id": str(n), "text": text, "nested": {"list": [1, None, 'x"y'], "none": None}}
    at = datetime(2026, 1, 2, 3, 4, 5, n % 1000 * 1000, tzinfo=UTC)
    return (
        conversation.agency_id,
        conversation.pk,
        "x",
        f"ext-{n}",
        "" if n % 2 else f"parent-{n}",
        text[:100],
        text[:200],
        "",
        text,
        at,
        at + timedelta(seconds=n),
        "inbound",
        "reply",
        "en",
        "question",
        30 + n,
        [["question", "?"]] if n % 3 else [],
        raw,
    )


def test_inserting_rows_stores_what_bulk_create_stores(cast, accounts):
    conversation = Conversation.objects.create(
        agency=cast.agency,
        account=accounts.x,
        platform="x",
        root_external_id="root",
        last_activity_at=datetime(2026, 1, 1, tzinfo=UTC),
        first_inbound_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    fields = [Message._meta.get_field(name).attname for name in services.MESSAGE_FIELDS]
    rows = [message_values(conversation, n, text) for n, text in enumerate(AWKWARD)]
    Message.objects.bulk_create(Message(**dict(zip(fields, row, strict=True))) for row in rows)
    expected = list(Message.objects.order_by("external_id").values())
    Message.objects.all().delete()

    services._insert_rows(Message, services.MESSAGE_FIELDS, rows)

    got = list(Message.objects.order_by("external_id").values())
    assert len(got) == len(rows)
    for mine, theirs in zip(got, expected, strict=True):
        mine.pop("id")
        theirs.pop("id")
        assert mine == theirs


@pytest.mark.postgres
def test_a_text_that_looks_like_null_stays_text(cast, accounts):
    conversation = Conversation.objects.create(
        agency=cast.agency,
        account=accounts.x,
        platform="x",
        root_external_id="root",
        last_activity_at=datetime(2026, 1, 1, tzinfo=UTC),
        first_inbound_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    rows = [message_values(conversation, n, text) for n, text in enumerate(["\\N", "", "NULL"])]

    services._insert_rows(Message, services.MESSAGE_FIELDS, rows)

    assert sorted(Message.objects.values_list("text", flat=True)) == ["", "NULL", "\\N"]
    assert not Message.objects.filter(hidden_at__isnull=False).exists()
