"""Keyword triage: the default rules on English and Korean sentences, and how rules combine."""

from __future__ import annotations

import pytest

from engagement.triage import DEFAULT_RULES, RuleSpec, classify, language_of
from platforms.sandbox.public import TEXTS

TABLE = [
    # English
    ("Help me, there's a man with a knife outside the station!", "urgent"),
    ("Someone is hurt and bleeding on Mill Lane, please come", "urgent"),
    ("I think I heard a gun go off near the park", "urgent"),
    ("House fire on Elm Street, smoke everywhere", "urgent"),
    ("My neighbour collapsed and is not breathing", "urgent"),
    ("Strong smell of gas in the flats on Rose Street", "urgent"),
    ("Emergency at the school gates", "urgent"),
    ("I saw the car, the licence plate started with AB12", "tip"),
    ("There's CCTV on the corner shop, might be worth checking.", "tip"),
    ("A suspicious van has been hanging around the estate all week", "tip"),
    ("How do I report a lost wallet?", "question"),
    ("Is the road open again", "other"),
    ("Is the road open again?", "question"),
    ("This is a disgrace, you are useless", "complaint"),
    ("Reported a break-in three weeks ago and still no call back.", "complaint"),
    ("Thank you for the quick response, well done", "praise"),
    ("Thanks!", "praise"),
    ("Absolute clowns, the lot of you", "abuse"),
    ("Useless idiots", "abuse"),  # abuse outranks complaint
    ("Nice weather today", "other"),
    ("It has begun to rain", "other"),  # "gun" is a whole word only
    ("The fireworks were lovely", "other"),  # "fire" is a whole word only
    ("Can someone help me find my cat? Thanks", "urgent"),  # "help me" is on the urgent list
    # Korean
    ("살려주세요 누가 따라와요", "urgent"),
    ("도와주세요 사람이 쓰러졌어요", "urgent"),
    ("지금 어떤 남자가 칼을 들고 있어요", "urgent"),
    ("피가 나요 응급 상황이에요", "urgent"),
    ("아파트에 불이 났어요", "urgent"),
    ("신고합니다 지금 싸움이 났어요", "urgent"),
    ("사고 장면을 목격했어요, 제보합니다", "tip"),
    ("블랙박스 영상 있어요", "tip"),
    ("민원은 어떻게 신청하나요", "question"),
    ("운영 시간 문의드립니다", "question"),
    ("대응이 너무 늦어서 불만입니다. 정식으로 항의합니다", "complaint"),
    ("빠른 대응 감사합니다", "praise"),
    ("항상 수고 많으십니다", "praise"),
    ("씨발 경찰 뭐하냐", "abuse"),
    ("오늘 날씨 좋네요", "other"),
    ("커피가 맛있어요", "other"),  # "피가" alone would be a false alarm
    ("칼국수 맛집 추천해 주세요", "other"),  # and so would "칼"
    ("불이익을 받을까 걱정돼요", "other"),  # and "불이"
]


@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_default_rules_categorise_english_and_korean(text, expected):
    assert classify(text, DEFAULT_RULES).category == expected


def test_the_table_covers_both_languages_and_every_category():
    assert len(TABLE) >= 20
    assert {language_of(t) for t, _ in TABLE} == {"en", "ko"}
    for language in ("en", "ko"):
        covered = {c for t, c in TABLE if language_of(t) == language}
        assert covered == {"urgent", "tip", "question", "complaint", "praise", "abuse", "other"}


def test_the_terms_that_matched_are_returned():
    result = classify("Thanks! I saw a man with a knife, how do I send the video?", DEFAULT_RULES)
    assert result.category == "urgent" and result.priority == 100
    assert ("urgent", "knife") in result.matched_terms
    assert ("tip", "i saw") in result.matched_terms
    assert ("question", "?") in result.matched_terms
    assert ("praise", "thank*") in result.matched_terms


def test_no_match_is_other_with_no_terms():
    assert classify("Lovely sunset over the harbour", DEFAULT_RULES) == ("other", 0, ())


def test_priority_order_follows_the_defaults():
    order = ["urgent", "abuse", "tip", "complaint", "question", "praise"]
    rules = [
        RuleSpec(c, [c + "word"], "any", p)
        for c, p in zip(order, [100, 60, 50, 40, 30, 10], strict=True)
    ]
    for i, category in enumerate(order):
        text = " ".join(c + "word" for c in order[i:])
        assert classify(text, rules).category == category


def test_a_rule_priority_can_reorder_categories_but_urgent_always_wins():
    rules = [
        RuleSpec("urgent", ["flood"], "any", 100),
        RuleSpec("praise", ["hero"], "any", 150),  # an admin lifted praise over everything
        RuleSpec("abuse", ["rubbish"], "any", 60),
    ]
    assert classify("rubbish heroes? no, hero", rules).category == "praise"
    assert classify("flood! hero", rules).category == "urgent"


def test_disabled_rules_are_ignored():
    rules = [RuleSpec("tip", ["saw"], "any", 50, enabled=False)]
    assert classify("I saw it", rules).category == "other"


def test_language_rules_apply_only_to_text_in_that_script():
    rules = [RuleSpec("tip", ["cctv"], "ko", 50), RuleSpec("praise", ["감사"], "en", 10)]
    assert classify("cctv on the corner", rules).category == "other"
    assert classify("모퉁이에 cctv 있어요", rules).category == "tip"
    assert classify("감사합니다", rules).category == "other"


def test_matching_ignores_case_width_and_spacing():
    rules = [RuleSpec("tip", ["licence plate"], "en", 50), RuleSpec("question", ["？"], "any", 30)]
    assert classify("LICENCE   PLATE was fake", rules).category == "tip"
    assert classify("open today?", rules).category == "question"  # full-width ？ folded


def test_a_star_matches_word_beginnings():
    rules = [RuleSpec("praise", ["thank*"], "en", 10)]
    assert classify("thankful for you", rules).category == "praise"
    assert classify("no thanks", rules).category == "praise"
    assert classify("unthankful", rules).category == "other"


def test_the_simulated_publics_urgent_messages_are_caught_without_false_alarms():
    """A measure of the defaults on the sandbox's texts: urgent recall, and no false urgent."""
    for language, categories in TEXTS.items():
        urgent = categories["urgent"]
        caught = [t for t in urgent if classify(t, DEFAULT_RULES).category == "urgent"]
        assert len(caught) >= len(urgent) - 1, (language, set(urgent) - set(caught))
        false_alarms = [
            t
            for category, texts in categories.items()
            if category != "urgent"
            for t in texts
            if classify(t, DEFAULT_RULES).category == "urgent"
        ]
        assert false_alarms == [], language
