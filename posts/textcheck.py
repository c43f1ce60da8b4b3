"""Per-platform length and media checks for the post editor. Pure functions: no database, no network.

X's counter is twitter-text v3 through the `twitter-text-parser` package (a Python port that passes
twitter/twitter-text's conformance suite): CJK and Hangul count 2, emoji sequences count 2, every
URL counts 23. That port has no hashtag extractor, so `extract_hashtags` follows twitter-text's
`extractHashtagsWithIndices` rules (see the comment there) and reuses the port's URL extractor.

All offsets returned here are Python `str` indices (code points). twitter-text reports its ranges
in UTF-16 code units, as JavaScript does; `x_check` converts them.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

with warnings.catch_warnings():
    # The package imports pkg_resources (see requirements.txt), which warns on every start.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    from twitter_text import extract_urls_with_indices, parse_tweet
    from twitter_text.config import config as _twitter_text_config
    from twitter_text.parse_tweet import convert_line_ending
    from twitter_text.regexp.invalid_chars import invalid_chars

X_MAX_WEIGHTED_LENGTH: int = _twitter_text_config["defaults"]["max_weighted_tweet_length"]  # 280
FACEBOOK_MAX_LENGTH = 63206
PLATFORMS = ("x", "facebook")

MiB = 1024 * 1024
GiB = 1024 * MiB

# Media limits. PLATFORMS.md gives no media figures (only the upload endpoints), so these come from
# the platforms' own pages as summarised in the textcheck brief; re-check them when a platform
# changes its rules.
# - X (developer.x.com "Media best practices" / media upload reference): up to 4 photos, or 1 GIF,
#   or 1 video, never mixed; photos JPEG/PNG/WEBP up to 5 MB, GIF up to 15 MB, video MP4/MOV up to
#   512 MB and 140 s; alt text up to 1000 characters. X's API errors quote the byte limits in
#   binary megabytes ("File size exceeds 5242880 bytes"), so MB here means MiB.
# - Facebook Pages (Graph API /photos and /videos reference): up to 10 photos in one post, or 1
#   video; photos JPEG/PNG/GIF/WEBP/BMP/TIFF up to 10 MB; video up to 10 GB and 240 minutes. A GIF is
#   posted as a photo. Facebook accepts many video containers, so the video type is not checked.
# - Our policy, not a platform rule: every photo and GIF needs alt text.
X_PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
X_GIF_TYPES = ("image/gif",)
X_VIDEO_TYPES = ("video/mp4", "video/quicktime")
X_MAX_PHOTOS = 4
X_MAX_PHOTO_BYTES = 5 * MiB
X_MAX_GIF_BYTES = 15 * MiB
X_MAX_VIDEO_BYTES = 512 * MiB
X_MAX_VIDEO_SECONDS = 140
X_MAX_ALT_TEXT = 1000

FACEBOOK_PHOTO_TYPES = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/bmp",
    "image/tiff",
)
FACEBOOK_MAX_PHOTOS = 10
FACEBOOK_MAX_PHOTO_BYTES = 10 * MiB
FACEBOOK_MAX_VIDEO_BYTES = 10 * GiB
FACEBOOK_MAX_VIDEO_SECONDS = 240 * 60

MEDIA_KINDS = ("image", "video", "gif")


@dataclass(frozen=True)
class MediaInfo:
    """One attachment as the editor knows it before upload."""

    kind: str  # "image" | "video" | "gif"
    content_type: str
    size_bytes: int
    alt_text: str = ""
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None

    @property
    def mime(self) -> str:
        return self.content_type.split(";", 1)[0].strip().lower()


# --- text length ---------------------------------------------------------------------------------


def _normalize(text: str) -> str:
    # The same normalisation parse_tweet applies (NFC, then CRLF/CR -> LF). Feeding parse_tweet
    # normalised text keeps its validRangeEnd exact: for raw text it adds the whole-text
    # normalisation shrinkage as one constant, which is wrong when a CRLF lies after the cut.
    return convert_line_ending(unicodedata.normalize("NFC", text))


def _utf16_to_index(text: str, units: int) -> int:
    """The number of code points in `text` that fill its first `units` UTF-16 code units."""
    used = 0
    for index, char in enumerate(text):
        if used >= units:
            return index
        used += 2 if ord(char) > 0xFFFF else 1
    return len(text)


def _original_index(text: str, normalized: str, index: int) -> int:
    """Map an index in `_normalize(text)` back to `text`: the longest prefix that normalises into
    `index` code points or fewer (so a CRLF or a decomposed accent stays whole)."""
    if text == normalized:
        return index
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if len(_normalize(text[:middle])) <= index:
            low = middle
        else:
            high = middle - 1
    return low


# twitter-text's URL pattern backtracks polynomially on long runs of dotted text with no space
# ("a." * 800 takes seconds, 10,000 such characters minutes). No URL or word in a real post comes
# near X_LONGEST_RUN, so a longer run is counted in pieces of X_PIECE characters and the result
# says it is approximate (such a text is far over X's limit anyway).
X_LONGEST_RUN = 300
X_PIECE = 50
_LONG_RUN = re.compile(rf"\S{{{X_LONGEST_RUN + 1},}}")


def _pieces(text: str) -> list[str]:
    """`text` cut so no piece holds a run of more than X_LONGEST_RUN non-space characters.

    Only whitespace-free runs longer than that are cut (into X_PIECE pieces); URLs and emoji
    sequences never contain whitespace, so the text around them is counted as a whole.
    """
    pieces, start = [], 0
    for run in _LONG_RUN.finditer(text):
        for cut in range(run.start() + X_PIECE, run.end(), X_PIECE):
            pieces.append(text[start:cut])
            start = cut
    pieces.append(text[start:])
    return pieces


def x_check(text: str) -> dict:
    """Weighted length of `text` on X, by twitter-text v3.

    `valid` is True when the text fits and holds no character X refuses. Unlike twitter-text, an
    empty text is valid: X accepts a post with media and no text, and whether a post needs text is
    the form's rule. `over_from` is the index of the first character X would not accept (None when
    everything fits); a URL or an emoji sequence that straddles the limit counts as not fitting.
    """
    normalized = _normalize(text)
    pieces = _pieces(normalized)
    if len(pieces) > 1:
        return _x_check_long(text, normalized, pieces)
    parsed = parse_tweet(normalized)
    weighted = parsed.weightedLength
    over_from = None
    if normalized and not parsed.valid:
        # parse_tweet cannot say "nothing is valid": a refused first character still reports
        # validRangeEnd 0, so refused characters are looked for directly.
        cut = _utf16_to_index(normalized, parsed.validRangeEnd + 1)
        over_from = _original_index(text, normalized, _before_refused(normalized, cut))
    return _x_result(
        weighted=weighted,
        valid=not normalized or parsed.valid,
        permillage=parsed.permillage,
        over_from=over_from,
        urls=len(extract_urls_with_indices(normalized)),
        approximate=False,
    )


def _before_refused(normalized: str, cut: int | None) -> int | None:
    """`cut`, or the first character X refuses if that comes earlier (or there is no cut)."""
    refused = invalid_chars.search(normalized)
    if refused is None:
        return cut
    return refused.start() if cut is None else min(cut, refused.start())


def _x_result(
    *,
    weighted: int,
    valid: bool,
    permillage: int,
    over_from: int | None,
    urls: int,
    approximate: bool,
) -> dict:
    return {
        "weighted_length": weighted,
        "max": X_MAX_WEIGHTED_LENGTH,
        "valid": valid,
        "remaining": X_MAX_WEIGHTED_LENGTH - weighted,
        "permillage": permillage,
        "over_from": over_from,
        "urls": urls,
        "approximate": approximate,
    }


def _longest_prefix(piece: str, room: int) -> int:
    """How many characters of `piece` fit in a weight of `room` (binary search on prefixes)."""
    low, high = 0, len(piece)
    while low < high:
        middle = (low + high + 1) // 2
        if parse_tweet(piece[:middle]).weightedLength <= room:
            low = middle
        else:
            high = middle - 1
    return low


def _x_check_long(text: str, normalized: str, pieces: list[str]) -> dict:
    """x_check for a text with a run longer than X_LONGEST_RUN: the pieces' counts added up.

    `over_from` is found within the piece where the text goes over. The result is marked
    `approximate`: a URL inside an over-long run would be counted as text.
    """
    weighted, urls, offset, over_from = 0, 0, 0, None
    for piece in pieces:
        parsed = parse_tweet(piece)
        if over_from is None and weighted + parsed.weightedLength > X_MAX_WEIGHTED_LENGTH:
            over_from = offset + _longest_prefix(piece, X_MAX_WEIGHTED_LENGTH - weighted)
        weighted += parsed.weightedLength
        urls += len(extract_urls_with_indices(piece))
        offset += len(piece)
    over_from = _before_refused(normalized, over_from)
    if over_from is not None:
        over_from = _original_index(text, normalized, over_from)
    return _x_result(
        weighted=weighted,
        valid=over_from is None,
        permillage=weighted * 1000 // X_MAX_WEIGHTED_LENGTH,
        over_from=over_from,
        urls=urls,
        approximate=True,
    )


def facebook_check(text: str) -> dict:
    """Length of `text` on a Facebook Page post.

    Facebook documents no counting rule beyond the 63,206 limit; we count code points with line
    breaks folded to one character. Post.body is capped far below this, so it is a backstop.
    """
    length = len(convert_line_ending(text))
    return {
        "length": length,
        "max": FACEBOOK_MAX_LENGTH,
        "valid": length <= FACEBOOK_MAX_LENGTH,
        "remaining": FACEBOOK_MAX_LENGTH - length,
    }


_TEXT_CHECKS: dict[str, Callable[[str], dict]] = {"x": x_check, "facebook": facebook_check}


def platform_checks(
    text: str,
    platforms: Iterable[str] | None = None,
    media: Sequence[MediaInfo] = (),
) -> dict[str, dict]:
    """Text and media checks for each platform (default: all), keyed by platform code."""
    results = {}
    for platform in PLATFORMS if platforms is None else platforms:
        if platform not in _TEXT_CHECKS:
            raise ValueError(f"Unknown platform {platform!r}")
        result = _TEXT_CHECKS[platform](text)
        result["media_errors"] = media_errors(platform, media)
        results[platform] = result
    return results


# --- media ---------------------------------------------------------------------------------------


def _clock(seconds: float) -> str:
    # "2:20" or "4:00:00": reads the same in every language we ship.
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _kind_error(n: int) -> str:
    return _("Attachment %(n)d is not a photo, GIF or video.") % {"n": n}


def _alt_text_errors(
    platform_name: str, n: int, item: MediaInfo, max_length: int | None
) -> list[str]:
    alt_text = item.alt_text.strip()
    if not alt_text:
        return [
            _("Attachment %(n)d has no alt text. Describe it for people who cannot see it.")
            % {"n": n}
        ]
    if max_length is not None and len(alt_text) > max_length:
        return [
            _(
                "The alt text of attachment %(n)d is %(length)d characters long; "
                "%(platform)s allows at most %(max)d."
            )
            % {"n": n, "length": len(alt_text), "platform": platform_name, "max": max_length}
        ]
    return []


def _type_error(platform_name: str, n: int, item: MediaInfo, accepted: str) -> str:
    return _("Attachment %(n)d is a %(type)s file; %(platform)s accepts %(accepted)s.") % {
        "n": n,
        "type": item.mime or _("unknown"),
        "platform": platform_name,
        "accepted": accepted,
    }


def _size_error(platform_name: str, n: int, item: MediaInfo, max_bytes: int) -> str:
    return _("Attachment %(n)d is %(size)s; %(platform)s accepts files up to %(max)s.") % {
        "n": n,
        "size": filesizeformat(item.size_bytes),
        "platform": platform_name,
        "max": filesizeformat(max_bytes),
    }


def _duration_error(platform_name: str, n: int, item: MediaInfo, max_seconds: int) -> str:
    return _("Attachment %(n)d runs %(duration)s; %(platform)s accepts videos up to %(max)s.") % {
        "n": n,
        "duration": _clock(item.duration_s or 0),
        "platform": platform_name,
        "max": _clock(max_seconds),
    }


def _too_many_photos(platform_name: str, max_photos: int) -> str:
    return ngettext(
        "%(platform)s allows at most %(max)d photo in one post.",
        "%(platform)s allows at most %(max)d photos in one post.",
        max_photos,
    ) % {"platform": platform_name, "max": max_photos}


def _x_media_errors(media: Sequence[MediaInfo]) -> list[str]:
    name = "X"
    errors: list[str] = []
    kinds = [item.kind for item in media]
    present = {kind for kind in kinds if kind in MEDIA_KINDS}
    if len(present) > 1:
        errors.append(_("X does not allow photos, GIFs and videos to be mixed in one post."))
    if kinds.count("image") > X_MAX_PHOTOS:
        errors.append(_too_many_photos(name, X_MAX_PHOTOS))
    if kinds.count("gif") > 1:
        errors.append(_("X allows only one GIF in a post."))
    if kinds.count("video") > 1:
        errors.append(_("X allows only one video in a post."))
    for n, item in enumerate(media, start=1):
        if item.kind == "image":
            if item.mime not in X_PHOTO_TYPES:
                errors.append(_type_error(name, n, item, _("JPEG, PNG and WebP photos")))
            if item.size_bytes > X_MAX_PHOTO_BYTES:
                errors.append(_size_error(name, n, item, X_MAX_PHOTO_BYTES))
            errors += _alt_text_errors(name, n, item, X_MAX_ALT_TEXT)
        elif item.kind == "gif":
            if item.mime not in X_GIF_TYPES:
                errors.append(_type_error(name, n, item, _("GIF files as GIFs")))
            if item.size_bytes > X_MAX_GIF_BYTES:
                errors.append(_size_error(name, n, item, X_MAX_GIF_BYTES))
            errors += _alt_text_errors(name, n, item, X_MAX_ALT_TEXT)
        elif item.kind == "video":
            if item.mime not in X_VIDEO_TYPES:
                errors.append(_type_error(name, n, item, _("MP4 and MOV videos")))
            if item.size_bytes > X_MAX_VIDEO_BYTES:
                errors.append(_size_error(name, n, item, X_MAX_VIDEO_BYTES))
            if item.duration_s is not None and item.duration_s > X_MAX_VIDEO_SECONDS:
                errors.append(_duration_error(name, n, item, X_MAX_VIDEO_SECONDS))
        else:
            errors.append(_kind_error(n))
    return errors


def _facebook_media_errors(media: Sequence[MediaInfo]) -> list[str]:
    name = "Facebook"
    errors: list[str] = []
    photos = sum(1 for item in media if item.kind in ("image", "gif"))
    videos = sum(1 for item in media if item.kind == "video")
    if photos and videos:
        errors.append(_("Facebook does not allow photos and a video to be mixed in one post."))
    if photos > FACEBOOK_MAX_PHOTOS:
        errors.append(_too_many_photos(name, FACEBOOK_MAX_PHOTOS))
    if videos > 1:
        errors.append(_("Facebook allows only one video in a post."))
    for n, item in enumerate(media, start=1):
        if item.kind in ("image", "gif"):
            if item.mime not in FACEBOOK_PHOTO_TYPES:
                errors.append(
                    _type_error(name, n, item, _("JPEG, PNG, GIF, WebP, BMP and TIFF photos"))
                )
            if item.size_bytes > FACEBOOK_MAX_PHOTO_BYTES:
                errors.append(_size_error(name, n, item, FACEBOOK_MAX_PHOTO_BYTES))
            errors += _alt_text_errors(name, n, item, None)
        elif item.kind == "video":
            if item.size_bytes > FACEBOOK_MAX_VIDEO_BYTES:
                errors.append(_size_error(name, n, item, FACEBOOK_MAX_VIDEO_BYTES))
            if item.duration_s is not None and item.duration_s > FACEBOOK_MAX_VIDEO_SECONDS:
                errors.append(_duration_error(name, n, item, FACEBOOK_MAX_VIDEO_SECONDS))
        else:
            errors.append(_kind_error(n))
    return errors


_MEDIA_CHECKS: dict[str, Callable[[Sequence[MediaInfo]], list[str]]] = {
    "x": _x_media_errors,
    "facebook": _facebook_media_errors,
}


def media_errors(platform: str, media: Sequence[MediaInfo]) -> list[str]:
    """Translated sentences, one per problem with `media` on `platform`; empty when all is well."""
    if platform not in _MEDIA_CHECKS:
        raise ValueError(f"Unknown platform {platform!r}")
    return _MEDIA_CHECKS[platform](media)


# --- hashtags ------------------------------------------------------------------------------------

# twitter-text's rules (js/src/regexp/validHashtag.js and extractHashtagsWithIndices.js):
#   (boundary)(#|＃)(?!\uFE0F|\u20E3)(alnum* alpha alnum*)
# where alpha is a Unicode letter or mark (\p{L}\p{M}), alnum adds decimal digits (\p{Nd}) and the
# special characters below, and the boundary is the start of the text, U+FE0E/U+FE0F, or any
# character that is neither alnum nor "&". A tag followed by another hash sign or by "://" is
# dropped, and so is a tag that overlaps a URL. twitter-text builds its classes from generated
# tables; Python's unicodedata is a newer Unicode version, which only differs for recently
# assigned letters.
_HASH_SIGNS = "#＃"
_HASHTAG_SPECIAL_CHARS = frozenset(
    "_\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e\u301c\u309b\u309c\u30a0\u30fb\u3003\u0f0b\u0f0c\u00b7"
)


def _hashtag_alpha(char: str) -> bool:
    return unicodedata.category(char)[0] in "LM"


def _hashtag_alnum(char: str) -> bool:
    return (
        _hashtag_alpha(char) or unicodedata.category(char) == "Nd" or char in _HASHTAG_SPECIAL_CHARS
    )


def extract_hashtags(text: str) -> list[tuple[str, int, int]]:
    """Hashtags in `text` as (tag without the hash sign, start of the hash sign, end)."""
    if not any(sign in text for sign in _HASH_SIGNS):
        return []
    tags: list[tuple[str, int, int]] = []
    for start, char in enumerate(text):
        if char not in _HASH_SIGNS:
            continue
        if start > 0:
            before = text[start - 1]
            if before not in "\ufe0e\ufe0f" and (before == "&" or _hashtag_alnum(before)):
                continue
        end = start + 1
        if text[end : end + 1] in ("\ufe0f", "\u20e3"):  # keycap "#️⃣" is an emoji, not a tag
            continue
        while end < len(text) and _hashtag_alnum(text[end]):
            end += 1
        body = text[start + 1 : end]
        if not any(_hashtag_alpha(c) for c in body):
            continue
        if text.startswith(("#", "＃", "://"), end):
            continue
        tags.append((body, start, end))

    if tags:
        urls = [(url["indices"][0], url["indices"][1]) for url in extract_urls_with_indices(text)]
        if urls:
            tags = _drop_overlapping(tags, urls)
    return tags


def _drop_overlapping(
    tags: list[tuple[str, int, int]], urls: list[tuple[int, int]]
) -> list[tuple[str, int, int]]:
    # twitter-text's removeOverlappingEntities: walk by start; an entity that begins before the
    # previous kept one ends is dropped.
    entities = sorted(
        [(start, end, tag) for tag, start, end in tags]
        + [(start, end, None) for start, end in urls],
        key=lambda entity: entity[0],
    )
    kept: list[tuple[int, int, str | None]] = []
    for entity in entities:
        if kept and kept[-1][1] > entity[0]:
            continue
        kept.append(entity)
    return [(tag, start, end) for start, end, tag in kept if tag is not None]


def is_valid_hashtag(tag: str) -> bool:
    """True when `tag` (with or without its hash sign) is exactly one hashtag to twitter-text."""
    if not tag:
        return False
    candidate = tag if tag[0] in _HASH_SIGNS else "#" + tag
    found = extract_hashtags(candidate)
    return len(found) == 1 and found[0][1] == 0 and found[0][2] == len(candidate)
