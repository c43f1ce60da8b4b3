"""Campaign hashtags and monitoring queries: parsing, validation and matching. Pure functions.

Validity is twitter-text's (posts.textcheck.extract_hashtags follows its
extractHashtagsWithIndices rules and is tested against its conformance cases): a hash sign
(`#` or the full-width `＃`) followed by Unicode letters, marks, decimal digits and underscores,
not all digits, so `#부산경찰` and `#StaySafe2026` are hashtags and `#2026`, `#stay-safe` and
`#` are not. Matching is case-insensitive, as the platforms' hashtag search is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from posts.textcheck import extract_hashtags, is_valid_hashtag

MAX_HASHTAGS = 10
MAX_HASHTAGS_LENGTH = 500  # Campaign.hashtags
MAX_QUERY_LENGTH = 200  # MonitorColumn.query; X recent search allows 512
HASH_SIGNS = "#＃"
_SEPARATORS = re.compile(r"[\s,;]+")


def _problem(token: str) -> str:
    """Why `token` (with its hash sign) is not a hashtag, in words an officer can act on."""
    body = token[1:]
    if not body:
        return _("“%(tag)s” is not a hashtag: there is nothing after the #.") % {"tag": token}
    word_chars = all(
        unicodedata.category(c)[0] in "LMN" or c == "_" for c in body if c not in HASH_SIGNS
    )
    if word_chars and not any(unicodedata.category(c)[0] in "LM" for c in body):
        return _(
            "“%(tag)s” is not a hashtag: it needs at least one letter (a tag of digits only "
            "is not linked by the platforms)."
        ) % {"tag": token}
    return _(
        "“%(tag)s” is not a hashtag: use only letters, digits and underscores after the #, "
        "without spaces, hyphens or punctuation."
    ) % {"tag": token}


def parse_hashtags(value: str | Iterable[str]) -> list[str]:
    """The hashtags in what a person typed, each once, with an ASCII `#`, in their order.

    Separated by spaces, commas or semicolons; the `#` may be left out. Raises ValidationError
    (one message per invalid tag) when any is not a hashtag by twitter-text's rules, and when
    there are more than MAX_HASHTAGS. Duplicates (ignoring case) are dropped.
    """
    tokens = _SEPARATORS.split(value.strip()) if isinstance(value, str) else list(value)
    tags: list[str] = []
    seen: set[str] = set()
    problems: list[str] = []
    for raw in tokens:
        token = raw.strip()
        if not token:
            continue
        tag = token if token[0] in HASH_SIGNS else "#" + token
        if not is_valid_hashtag(tag):
            problems.append(_problem(tag))
            continue
        tag = "#" + tag[1:]
        key = tag.casefold()
        if key not in seen:
            seen.add(key)
            tags.append(tag)
    if problems:
        raise ValidationError(problems)
    if len(tags) > MAX_HASHTAGS:
        raise ValidationError(
            _("A campaign may have at most %(n)d hashtags.") % {"n": MAX_HASHTAGS}
        )
    if len(" ".join(tags)) > MAX_HASHTAGS_LENGTH:
        raise ValidationError(
            _("The hashtags together may have at most %(n)d characters.")
            % {"n": MAX_HASHTAGS_LENGTH}
        )
    return tags


def hashtags_in(text: str) -> set[str]:
    """The hashtags a text carries, as twitter-text finds them: casefolded keys like '#tag'."""
    return {"#" + tag.casefold() for tag, _start, _end in extract_hashtags(text)}


def tag_key(tag: str) -> str:
    """'#Tag', '＃TAG' and 'tag' all become '#tag'."""
    tag = tag.strip()
    return "#" + (tag[1:] if tag[:1] in HASH_SIGNS else tag).casefold()


def parse_query(value: str) -> tuple[str, str]:
    """A monitoring column's search as typed: ("hashtag", "#Tag") or ("keyword", "words").

    A single token that starts with a hash sign must be a valid hashtag; anything else is a
    keyword search (X recent search syntax: every word must appear). Raises ValidationError.
    """
    query = " ".join(value.split())
    if not query:
        raise ValidationError(_("Type a keyword or a hashtag to follow."))
    if len(query) > MAX_QUERY_LENGTH:
        raise ValidationError(
            _("A search may have at most %(n)d characters.") % {"n": MAX_QUERY_LENGTH}
        )
    if " " not in query and query[0] in HASH_SIGNS:
        if not is_valid_hashtag(query):
            raise ValidationError(_problem(query))
        return "hashtag", "#" + query[1:]
    return "keyword", query


def query_key(kind: str, query: str) -> str:
    """What a search cursor is keyed on: one cursor for every spelling of the same search."""
    if kind == "hashtag":
        return tag_key(query)
    return " ".join(query.split()).casefold()


def keyword_matches(query: str, text: str) -> bool:
    """Every word of a keyword query is in `text` (case-insensitive), as X recent search
    requires. Operators (`from:`, `-word`, `lang:` ...) are left to the platform."""
    folded = text.casefold()
    words = [
        w for w in query.casefold().split() if not w.startswith("-") and ":" not in w and w != "or"
    ]
    return all(w.strip('"') in folded for w in words)


def matches(kind: str, query: str, text: str) -> bool:
    """Whether a public post's text answers a search of `kind`."""
    if kind == "hashtag":
        return tag_key(query) in hashtags_in(text)
    return keyword_matches(query, text)
