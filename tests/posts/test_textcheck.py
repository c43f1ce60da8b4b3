"""posts.textcheck: X weighted length (twitter-text v3), Facebook length, media rules, hashtags.

Pure: no database, no network. Where an expected number says "conformance", it is copied from
twitter/twitter-text's conformance/validate.yml or extract.yml (the section is named; the v3
section is WeightedTweetsWithDiscountedEmojiCounterTest). Where it says "config", it is worked out
by hand from the v3 config: code points 0-4351, 8192-8205, 8208-8223 and 8242-8247 weigh 1, all
others 2; an emoji sequence weighs 2; every URL weighs 23; the limit is 280.
"""

from __future__ import annotations

import pytest

from posts.textcheck import (
    FACEBOOK_MAX_LENGTH,
    MediaInfo,
    MiB,
    extract_hashtags,
    facebook_check,
    is_valid_hashtag,
    media_errors,
    platform_checks,
    x_check,
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦, 7 code points
FLAG_GB = "\U0001f1ec\U0001f1e7"  # 🇬🇧, two regional indicators
THUMBS_UP_MEDIUM = "\U0001f44d\U0001f3fd"  # 👍🏽, thumbs up + skin-tone modifier
MASK = "\U0001f637"  # 😷, outside the BMP: two UTF-16 code units, one Python character


def photo(**overrides) -> MediaInfo:
    fields = {
        "kind": "image",
        "content_type": "image/jpeg",
        "size_bytes": 200_000,
        "alt_text": "Officers at the Haeundae beach safety booth",
    }
    fields.update(overrides)
    return MediaInfo(**fields)


def video(**overrides) -> MediaInfo:
    fields = {
        "kind": "video",
        "content_type": "video/mp4",
        "size_bytes": 20 * MiB,
        "duration_s": 30,
    }
    fields.update(overrides)
    return MediaInfo(**fields)


def gif(**overrides) -> MediaInfo:
    fields = {"kind": "gif", "content_type": "image/gif", "size_bytes": 2 * MiB, "alt_text": "Wave"}
    fields.update(overrides)
    return MediaInfo(**fields)


# --- X weighted length ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # conformance, lengths: "Count the number of characters"
        ("This is a test.", 15),
        # config: é is U+00E9 (< 4352), weight 1 -> "café" is 4
        ("café", 4),
        # conformance, WeightedTweetsCounterTest "'Á' is normalized into 1 char": A + U+0301 + B
        ("A\u0301B", 2),
        # config: Hangul syllables (U+AC00..U+D7A3) weigh 2 -> 4 syllables = 8. (The v1 section
        # "lengths" says 4 for "저찀쯿쿿": that was the old one-per-character rule.)
        ("저찀쯿쿿", 8),
        # config: CJK ideographs weigh 2
        ("中文", 4),
        # config: one emoji = 2
        (MASK, 2),
        # config: a ZWJ family sequence is one emoji = 2 (not 7 code points)
        (FAMILY, 2),
        # config: a flag (two regional indicators) = 2
        (FLAG_GB, 2),
        # config: emoji + skin-tone modifier = 2
        (THUMBS_UP_MEDIUM, 2),
        # conformance, v3 section, "Count unicode emoji chars inside the basic multilingual plane"
        ("😷👾😡🔥💩", 10),
        # conformance, v3 section, "Count a mix of single byte single word, and double word
        # unicode characters": H(1) + 🐱(2) + ☺(2) + family(2)
        ("H🐱☺" + FAMILY, 7),
        # conformance, v3 section, "... outside the basic multilingual plane with skin tone
        # modifiers": 🙋🏽 + 👨‍🎤
        ("\U0001f64b\U0001f3fd\U0001f468\u200d\U0001f3a4", 4),
        # config: a URL is 23 however long
        ("https://example.com/a/very/long/path?with=query", 23),
        # conformance, lengths: "Count a URL without protocol as 23 characters" ("test.com");
        # a bare gTLD domain is a URL to twitter-text
        ("example.com", 23),
        # conformance, lengths: "Count multiple URLs correctly": 5 + 23 + 6 + 23 + 1 + 23 + 5
        ("Test https://test.com test https://test.com test.com test", 86),
        # conformance, WeightedTweetsCounterTest / v3: "Regular Tweet with url"
        ("Hi http://test.co", 26),
    ],
)
def test_x_weighted_length_follows_twitter_text_v3(text, expected):
    assert x_check(text)["weighted_length"] == expected


def test_x_counts_a_mixed_korean_url_and_emoji_sentence():
    text = "부산경찰 안내: https://www.police.go.kr/notice?id=7 감사합니다 " + THUMBS_UP_MEDIUM
    # 부산경찰 4x2=8, " " 1, 안내 2x2=4, ":" 1, " " 1, URL 23, " " 1, 감사합니다 5x2=10, " " 1, 👍🏽 2
    # 8 + 1 + 4 + 1 + 1 + 23 + 1 + 10 + 1 + 2 = 52
    result = x_check(text)
    assert result["weighted_length"] == 52
    assert result["remaining"] == 280 - 52
    assert result["urls"] == 1
    assert result["valid"] is True
    assert result["over_from"] is None


def test_x_counts_every_url():
    result = x_check("Test https://test.com test https://test.com test.com test")
    assert result["urls"] == 3


def test_x_reports_permillage():
    # conformance, v3 section, "Regular Tweet with url": weightedLength 26, permillage 92
    assert x_check("Hi http://test.co")["permillage"] == 92


def test_x_counts_crlf_as_one_character():
    # Browsers submit textarea line breaks as CRLF; twitter-text folds them to LF first.
    assert x_check("a\r\nb")["weighted_length"] == 3


def test_x_short_cctld_domain_counts_as_url_in_this_port():
    # twitter-text-parser 3.0.0 counts a bare "name.kr" as a 23-character URL. Upstream
    # twitter-text (invalidShortDomain, since 3.1) would not link it and would count 8. Over-counting
    # is the safe direction; if this starts failing after an upgrade, the port has caught up.
    assert x_check("busan.kr")["weighted_length"] == 23
    # With a subdomain or a path it is a URL everywhere.
    assert x_check("www.police.go.kr")["weighted_length"] == 23


# --- X limit: boundaries and over_from -----------------------------------------------------------


def test_x_latin_280_fits_and_281_does_not():
    fits, over = x_check("a" * 280), x_check("a" * 281)
    assert (fits["valid"], fits["remaining"], fits["over_from"]) == (True, 0, None)
    assert (over["valid"], over["remaining"], over["over_from"]) == (False, -1, 280)


def test_x_140_chinese_characters_fit_and_141_do_not():
    fits, over = x_check("中" * 140), x_check("中" * 141)
    assert (fits["weighted_length"], fits["valid"]) == (280, True)
    assert (over["weighted_length"], over["valid"], over["over_from"]) == (282, False, 140)


def test_x_140_hangul_syllables_fit_and_141_do_not():
    fits, over = x_check("경" * 140), x_check("경" * 141)
    assert (fits["weighted_length"], fits["valid"]) == (280, True)
    assert (over["weighted_length"], over["valid"], over["over_from"]) == (282, False, 140)


def test_x_over_from_matches_conformance_for_cjk():
    # conformance, v3 section, "3 latin char + 160 CJK char, overflow at char index 141":
    # weightedLength 323, validRangeEnd 140 (all BMP, so UTF-16 and Python indices agree).
    text = (
        "the故人西辞黄鹤楼，烟花三月下扬州。孤帆远影碧空尽，唯见长江天际流。朱雀桥边野草花，"
        "乌衣巷口夕阳斜。旧时王谢堂前燕，飞入寻常百姓家。朝辞白帝彩云间，千里江陵一日还。"
        "两岸猿声啼不住，轻舟已过万重山。泪湿罗巾梦不成，夜深前殿按歌声。红颜未老恩先断，"
        "斜倚薰笼坐到明。独在异乡为异客，每逢佳节倍思亲。遥知兄弟登高处，遍插茱萸少一人。"
    )
    result = x_check(text)
    assert result["weighted_length"] == 323
    assert result["permillage"] == 1153
    assert result["over_from"] == 141


def test_x_over_from_is_a_python_index_after_astral_emoji():
    # conformance, v3 section, "160 emoji char, overflow at char index 140": validRangeEnd 279 is
    # in UTF-16 code units (140 emoji x 2 units); as a Python index the first misfit is 140.
    text = MASK * 160
    result = x_check(text)
    assert result["weighted_length"] == 320
    assert result["over_from"] == 140
    assert text[: result["over_from"]] == MASK * 140


def test_x_emoji_at_the_boundary():
    # config: 278 + 2 = 280 fits; 279 + 2 = 281 does not, and the emoji is what overflows.
    assert x_check("a" * 278 + MASK)["valid"] is True
    over = x_check("a" * 279 + MASK)
    assert (over["weighted_length"], over["over_from"]) == (281, 279)


def test_x_over_from_after_emoji_then_latin():
    # config: 139 emoji = 278, "ab" = 280, "c" overflows. UTF-16 index of "c" is 280; Python 141.
    text = MASK * 139 + "abc"
    result = x_check(text)
    assert result["over_from"] == 141
    assert text[result["over_from"]] == "c"


def test_x_a_zwj_sequence_that_straddles_the_limit_does_not_fit_at_all():
    result = x_check("a" * 279 + FAMILY)
    assert (result["weighted_length"], result["over_from"]) == (281, 279)


def test_x_a_url_that_straddles_the_limit_does_not_fit_at_all():
    text = "x" * 270 + " https://example.com/abc"
    result = x_check(text)
    # config: 270 + 1 + 23 = 294; the URL starts at 271 and is the first thing that misses.
    assert (result["weighted_length"], result["over_from"]) == (294, 271)


def test_x_over_from_counts_crlf_in_the_original_text():
    # Normalised, "a"*279 + LF fills 280; the "b" after the CRLF is index 281 in the original.
    text = "a" * 279 + "\r\n" + "b"
    result = x_check(text)
    assert (result["weighted_length"], result["over_from"]) == (281, 281)
    assert text[result["over_from"]] == "b"


def test_x_over_from_ignores_line_breaks_after_the_cut():
    # parse_tweet on raw text says validRangeEnd 280 here (it shifts by every CRLF in the text,
    # even those after the cut); x_check normalises first, so the first misfit stays at 280.
    assert x_check("a" * 281 + "\r\n")["over_from"] == 280


def test_x_refuses_a_byte_order_mark_and_points_at_it():
    # twitter-text refuses U+FEFF, U+FFFE and U+FFFF whatever the length.
    result = x_check("\ufeffhello")
    assert (result["valid"], result["over_from"]) == (False, 0)


def test_x_empty_text_is_valid_for_media_only_posts():
    # Deliberate difference from twitter-text (which calls "" invalid): the form decides whether
    # a post needs text; X accepts a post with media and no text.
    result = x_check("")
    assert (result["valid"], result["weighted_length"], result["over_from"]) == (True, 0, None)


# --- Facebook ------------------------------------------------------------------------------------


def test_facebook_limit_boundary():
    fits = facebook_check("a" * FACEBOOK_MAX_LENGTH)
    over = facebook_check("a" * (FACEBOOK_MAX_LENGTH + 1))
    assert fits == {"length": 63206, "max": 63206, "valid": True, "remaining": 0}
    assert (over["valid"], over["remaining"]) == (False, -1)


def test_facebook_counts_characters_not_weights():
    assert facebook_check("부산경찰 " + MASK)["length"] == 6


# --- platform_checks -----------------------------------------------------------------------------


def test_platform_checks_defaults_to_both_platforms_with_media_errors():
    result = platform_checks("안녕하세요", media=[photo(alt_text="")])
    assert set(result) == {"x", "facebook"}
    assert result["x"]["weighted_length"] == 10
    assert result["facebook"]["length"] == 5
    assert len(result["x"]["media_errors"]) == 1
    assert len(result["facebook"]["media_errors"]) == 1


def test_platform_checks_only_the_platforms_asked_for():
    result = platform_checks("hello", platforms=["facebook"])
    assert list(result) == ["facebook"]
    assert result["facebook"]["media_errors"] == []


def test_platform_checks_rejects_an_unknown_platform():
    with pytest.raises(ValueError):
        platform_checks("hello", platforms=["myspace"])


# --- media ---------------------------------------------------------------------------------------


def test_x_accepts_four_photos_with_alt_text():
    assert media_errors("x", [photo()] * 4) == []


def test_x_rejects_five_photos():
    assert media_errors("x", [photo()] * 5) == ["X allows at most 4 photos in one post."]


def test_photo_without_alt_text_is_an_error_on_every_platform():
    for platform in ("x", "facebook"):
        errors = media_errors(platform, [photo(), photo(alt_text="   ")])
        assert errors == ["Attachment 2 has no alt text. Describe it for people who cannot see it."]


def test_gif_without_alt_text_is_an_error():
    assert len(media_errors("x", [gif(alt_text="")])) == 1


def test_video_needs_no_alt_text():
    assert media_errors("x", [video()]) == []


def test_x_rejects_a_video_mixed_with_a_photo():
    errors = media_errors("x", [video(), photo()])
    assert errors == ["X does not allow photos, GIFs and videos to be mixed in one post."]


def test_x_rejects_a_gif_mixed_with_a_photo_and_two_gifs():
    assert media_errors("x", [gif(), photo()]) == [
        "X does not allow photos, GIFs and videos to be mixed in one post."
    ]
    assert media_errors("x", [gif(), gif()]) == ["X allows only one GIF in a post."]


def test_x_rejects_an_oversized_photo_that_facebook_accepts():
    big = photo(size_bytes=8 * MiB)
    [error] = media_errors("x", [big])
    assert error.startswith("Attachment 1 is 8.0")
    assert "X accepts files up to 5.0" in error
    assert media_errors("facebook", [big]) == []


def test_x_photo_limit_is_inclusive():
    assert media_errors("x", [photo(size_bytes=5 * MiB)]) == []
    assert len(media_errors("x", [photo(size_bytes=5 * MiB + 1)])) == 1


def test_facebook_rejects_a_photo_over_10_mb():
    assert len(media_errors("facebook", [photo(size_bytes=10 * MiB + 1)])) == 1


def test_x_alt_text_of_1000_characters_is_fine_and_1001_is_too_long():
    assert media_errors("x", [photo(alt_text="가" * 1000)]) == []
    assert media_errors("x", [photo(alt_text="가" * 1001)]) == [
        "The alt text of attachment 1 is 1001 characters long; X allows at most 1000."
    ]


def test_facebook_has_no_alt_text_length_limit():
    assert media_errors("facebook", [photo(alt_text="a" * 5000)]) == []


def test_x_rejects_an_unsupported_photo_type():
    [error] = media_errors("x", [photo(content_type="image/tiff")])
    assert error == "Attachment 1 is a image/tiff file; X accepts JPEG, PNG and WebP photos."
    assert media_errors("facebook", [photo(content_type="image/tiff")]) == []


def test_x_rejects_a_long_or_foreign_video():
    assert media_errors("x", [video(duration_s=140)]) == []
    assert media_errors("x", [video(duration_s=141)]) == [
        "Attachment 1 runs 2:21; X accepts videos up to 2:20."
    ]
    assert len(media_errors("x", [video(content_type="video/x-msvideo")])) == 1
    assert len(media_errors("x", [video(size_bytes=513 * MiB)])) == 1


def test_facebook_accepts_ten_photos_or_one_long_video():
    assert media_errors("facebook", [photo()] * 10) == []
    assert media_errors("facebook", [photo()] * 11) == [
        "Facebook allows at most 10 photos in one post."
    ]
    assert media_errors("facebook", [video(duration_s=3 * 3600, size_bytes=4 * 1024 * MiB)]) == []


def test_facebook_rejects_photos_mixed_with_a_video_and_two_videos():
    assert media_errors("facebook", [photo(), video()]) == [
        "Facebook does not allow photos and a video to be mixed in one post."
    ]
    assert media_errors("facebook", [video(), video()]) == [
        "Facebook allows only one video in a post."
    ]


def test_unknown_media_kind_is_an_error():
    audio = MediaInfo(kind="audio", content_type="audio/mpeg", size_bytes=1)
    assert media_errors("x", [audio]) == ["Attachment 1 is not a photo, GIF or video."]


def test_media_errors_rejects_an_unknown_platform():
    with pytest.raises(ValueError):
        media_errors("myspace", [])


# --- hashtags ------------------------------------------------------------------------------------


def test_extracts_korean_and_english_hashtags_with_offsets():
    text = "오늘 #부산경찰 은 #SafetyFirst 캠페인을 합니다 #2024 #안전_제일!"
    assert extract_hashtags(text) == [
        ("부산경찰", 3, 8),
        ("SafetyFirst", 11, 23),
        ("안전_제일", 39, 45),  # "#2024" has no letter, so it is not a hashtag
    ]
    for tag, start, end in extract_hashtags(text):
        assert text[start:end] == "#" + tag


def test_hashtag_offsets_are_python_indices_after_an_emoji():
    # 😷 is one Python character (two UTF-16 units), so "#부산" starts at 2, not 3.
    assert extract_hashtags(MASK + " #부산") == [("부산", 2, 5)]


def test_hashtag_offsets_match_conformance():
    # conformance, extract.yml hashtags_with_indices: "Extract multiple non-latin hashtags"
    text = "Hashtags in #中文, #日本語, #한국말, and #русский! Try it out!"
    assert extract_hashtags(text) == [
        ("中文", 12, 15),
        ("日本語", 17, 21),
        ("한국말", 23, 27),
        ("русский", 33, 41),
    ]
    # "Extract only a valid hashtag"
    assert extract_hashtags("#123 a #hashtag in a string") == [("hashtag", 7, 15)]


@pytest.mark.parametrize(
    "text",
    [
        "http://twitter.com/#hashtag twitter.com/#hashtag",  # part of a URL
        "#http://twitter.com #https://twitter.com",  # hash sign followed by a URL
        "日本語ハッシュタグ#日本語ハッシュタグ",  # no boundary before the hash sign
        "#foo#bar",  # followed by another hash sign
        "#️⃣ keycap",  # an emoji, not a tag
        "&#39;",  # an HTML entity
    ],
)
def test_does_not_extract_what_twitter_text_does_not(text):
    # conformance, extract.yml hashtags (first four), plus twitter-text's keycap and "&" rules
    assert extract_hashtags(text) == []


@pytest.mark.parametrize(
    ("tag", "valid"),
    [
        ("#부산경찰", True),
        ("부산경찰", True),
        ("＃부산경찰", True),  # full-width hash sign
        ("#트위터", True),  # conformance, validate.yml hashtags: Korean text
        ("#1st", True),  # conformance: number followed by letters
        ("#안전_제일", True),
        ("#123", False),  # conformance: all numbers
        ("#", False),
        ("", False),
        ("#a b", False),
        ("#foo!", False),
        ("##foo", False),
        ("#_", False),  # conformance, extract.yml: no letter
    ],
)
def test_is_valid_hashtag(tag, valid):
    assert is_valid_hashtag(tag) is valid


def test_a_long_run_without_spaces_is_counted_quickly_and_consistently():
    """twitter-text's URL pattern backtracks for minutes on long dotted runs; we count in pieces."""
    import time

    from posts.textcheck import X_LONGEST_RUN

    text = "안녕하세요.반갑습니다." * 833  # 9,996 characters, no space
    started = time.monotonic()
    result = x_check(text)
    assert time.monotonic() - started < 10  # minutes without the guard
    assert result["weighted_length"] == 2 * 833 * 10 + 2 * 833  # Hangul 2 each, dots 1 each
    assert result["valid"] is False
    # Each "안녕하세요." weighs 11 in 6 characters: 25 of them (150 characters) weigh 275, two
    # more syllables 279, and the third would make 281.
    assert result["over_from"] == 152
    assert result["approximate"] is True
    plain = "a" * (X_LONGEST_RUN * 3)
    assert x_check(plain)["weighted_length"] == len(plain)
    assert x_check(plain)["over_from"] == 280
