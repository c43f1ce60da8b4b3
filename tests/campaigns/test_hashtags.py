"""Campaign hashtags and monitoring queries: twitter-text's rules, Korean included."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from campaigns.hashtags import (
    hashtags_in,
    keyword_matches,
    matches,
    parse_hashtags,
    parse_query,
    query_key,
    tag_key,
)


def messages_of(call) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.messages


def test_korean_and_english_hashtags_are_parsed_in_order_without_duplicates():
    assert parse_hashtags("#부산경찰 StaySafe, ＃안전운전; #staysafe #부산경찰") == [
        "#부산경찰",
        "#StaySafe",
        "#안전운전",
    ]


def test_a_list_is_parsed_too_and_blank_input_is_no_hashtags():
    assert parse_hashtags(["#KnowTheSigns", " 트위터 "]) == ["#KnowTheSigns", "#트위터"]
    assert parse_hashtags("   ") == []


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("#2026", "at least one letter"),
        ("#123_456", "at least one letter"),
        ("#stay-safe", "only letters, digits and underscores"),
        ("#부산 경찰!", "only letters, digits and underscores"),  # "경찰!" after the split
        ("#", "nothing after the #"),
        ("#hash#tag", "only letters, digits and underscores"),
    ],
)
def test_invalid_hashtags_are_rejected_with_the_reason(typed, reason):
    problems = messages_of(lambda: parse_hashtags(typed))
    assert len(problems) == 1
    assert reason in problems[0]


def test_every_invalid_hashtag_is_named():
    problems = messages_of(lambda: parse_hashtags("#ok #2026 #not-ok #fine"))
    assert len(problems) == 2
    assert "“#2026”" in problems[0] and "“#not-ok”" in problems[1]


def test_at_most_ten_hashtags():
    ok = " ".join(f"#tag{c}" for c in "abcdefghij")
    assert len(parse_hashtags(ok)) == 10
    assert "at most 10" in messages_of(lambda: parse_hashtags(ok + " #tagk"))[0]


# Cases from twitter-text's conformance suite (extract.yml, hashtags) as they bear on matching
# a campaign's tag in a public post.
@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("text #hashtag", {"#hashtag"}),
        ("(#hashtag)", {"#hashtag"}),  # after a bracket
        ("＃hashtag", {"#hashtag"}),  # full-width hash sign
        ("#hashtag.", {"#hashtag"}),  # ends at punctuation
        ("#트위터 #부산경찰에서", {"#트위터", "#부산경찰에서"}),  # Hangul, particles included
        ("#日本語ハッシュタグ", {"#日本語ハッシュタグ"}),
        ("#1234", set()),  # numbers only
        ("&#nbsp;", set()),  # an HTML entity, not a tag
        ("text#hashtag", set()),  # inside a word
        ("#hashtag://", set()),  # the start of a URL
        ("#️⃣ keycap", set()),
        ("#under_score #ça", {"#under_score", "#ça"}),
    ],
)
def test_hashtags_are_found_as_twitter_text_finds_them(text, found):
    assert hashtags_in(text) == found


def test_a_tag_matches_whatever_its_case_but_not_a_longer_tag():
    assert matches("hashtag", "#KnowTheSigns", "Shared it #knowthesigns")
    assert matches("hashtag", "#부산경찰", "응원합니다 ＃부산경찰")
    assert not matches("hashtag", "#KnowTheSigns", "#KnowTheSignsNow")
    assert not matches("hashtag", "#KnowTheSigns", "KnowTheSigns without the hash")
    assert tag_key("＃StaySafe") == tag_key("staysafe") == "#staysafe"


def test_a_monitoring_query_is_a_hashtag_or_keywords():
    assert parse_query("  #부산경찰 ") == ("hashtag", "#부산경찰")
    assert parse_query("road   closed") == ("keyword", "road closed")
    assert parse_query("#march downtown") == ("keyword", "#march downtown")
    assert query_key("keyword", "Road  CLOSED") == "road closed"
    assert "at least one letter" in messages_of(lambda: parse_query("#2026"))[0]
    assert messages_of(lambda: parse_query("   "))
    assert "at most 200" in messages_of(lambda: parse_query("x" * 201))[0]


def test_keywords_all_have_to_appear_and_operators_are_left_to_the_platform():
    assert keyword_matches("road closed", "The ROAD is closed near the bridge")
    assert not keyword_matches("road closed", "The road is open")
    assert keyword_matches("집회 광화문", "광화문 집회 안내")
    assert keyword_matches("march -cancelled lang:en", "The march starts at noon")
