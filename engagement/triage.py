"""Keyword triage: which category a message falls in, how pressing it is, and why.

Transparent on purpose: an officer can see the terms that matched, and an agency admin can
change the terms. No model, no score to explain.

Matching:
- text and terms are compared case-folded and NFKC-normalised;
- a term matches as a whole word or phrase ("gun" does not match "begun"); a trailing `*`
  makes it a prefix ("thank*" matches "thanks", "thankful");
- a term containing Hangul matches anywhere in the text, because Korean attaches particles
  to words ("칼을", "칼로"), so prefer specific terms ("피가 나" rather than "피가", which is
  also in "커피가");
- English rules apply to text with Latin letters, Korean rules to text with Hangul, `any`
  rules to all text.

The category of the matching rule with the highest priority wins, except that urgent always
wins. Defaults: urgent > abuse > tip > complaint > question > praise > other.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, Protocol

URGENT = "urgent"
OTHER = "other"

_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)


class Rule(Protocol):
    """What classify needs of a rule: engagement.models.TriageRule or a RuleSpec."""

    category: str
    terms: list[str]
    language: str
    priority: int
    enabled: bool


@dataclass(frozen=True)
class RuleSpec:
    category: str
    terms: list[str]
    language: str = "any"
    priority: int = 0
    enabled: bool = True


class Match(NamedTuple):
    category: str
    term: str


class Triage(NamedTuple):
    category: str
    priority: int
    matched_terms: tuple[Match, ...]


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold()


def language_of(text: str) -> str:
    """'ko' when the text has Hangul, else 'en' (the languages Beat ships)."""
    return "ko" if _HANGUL.search(text or "") else "en"


@lru_cache(maxsize=4096)
def _pattern(term: str) -> re.Pattern[str] | None:
    term = normalise(term).strip()
    prefix = term.endswith("*")
    term = term.rstrip("*").strip()
    if not term:
        return None
    body = r"\s+".join(re.escape(part) for part in term.split())
    if _HANGUL.search(term):
        return re.compile(body)
    # Word boundaries only where the term itself begins or ends with a word character, so
    # "?" matches "today?" and "help me" does not match "help meet".
    left = r"(?<!\w)" if term[0].isalnum() or term[0] == "_" else ""
    right = r"(?!\w)" if not prefix and (term[-1].isalnum() or term[-1] == "_") else ""
    return re.compile(left + body + right)


def _applies(rule: Rule, *, has_latin: bool, has_hangul: bool) -> bool:
    if not rule.enabled:
        return False
    if rule.language == "en":
        return has_latin
    if rule.language == "ko":
        return has_hangul
    return True


def classify(text: str, rules: Iterable[Rule]) -> Triage:
    """(category, priority, matched terms) of one message under an agency's rules."""
    folded = normalise(text)
    has_latin = bool(_LATIN.search(folded))
    has_hangul = bool(_HANGUL.search(folded))
    matches: list[Match] = []
    best: tuple[bool, int] | None = None
    best_category = OTHER
    for rule in rules:
        if not _applies(rule, has_latin=has_latin, has_hangul=has_hangul):
            continue
        hit = False
        for term in rule.terms:
            pattern = _pattern(str(term))
            if pattern is not None and pattern.search(folded):
                matches.append(Match(rule.category, str(term)))
                hit = True
        if hit:
            rank = (rule.category == URGENT, int(rule.priority))
            if best is None or rank > best:
                best, best_category = rank, rule.category
    if best is None:
        return Triage(OTHER, 0, ())
    return Triage(best_category, best[1], tuple(matches))


# -- the default rules every agency starts with ------------------------------------------

DEFAULT_RULES: list[RuleSpec] = [
    RuleSpec(
        "urgent",
        [
            "help me",
            "someone is hurt",
            "someone's hurt",
            "is hurt",
            "badly hurt",
            "bleeding",
            "knife",
            "knives",
            "gun",
            "guns",
            "weapon*",
            "stabbed",
            "stabbing",
            "shooting",
            "shots fired",
            "fire in",
            "on fire",
            "house fire",
            "emergency",
            "urgent",
            "collapsed",
            "not breathing",
            "not responding",
            "unconscious",
            "overdose",
            "smell of gas",
            "gas leak",
            "crashed into",
            "screaming for help",
            "break into",
            "breaking into",
            "breaking in",
            "kidnap*",
            "abduct*",
            "threatening to jump",
            "going to jump",
            "suicid*",
            "kill myself",
            "child on their own",
            "child alone",
            "send someone",
            "come quickly",
            "hasn't come home",
            "has not come home",
            "people inside",
        ],
        "en",
        100,
    ),
    RuleSpec(
        "urgent",
        [
            "살려",
            "도와주세요",
            "칼을",
            "칼로",
            "칼 들",
            "칼부림",
            "흉기",
            "총을",
            "피가 나",
            "피를 흘",
            "불이 났",
            "불났",
            "불이야",
            "화재",
            "응급",
            "긴급",
            "신고합니다 지금",
            "쓰러",
            "반응이 없",
            "의식이 없",
            "숨을 안",
            "가스 냄새",
            "뛰어내리",
            "자살",
            "침입",
            "납치",
            "빨리 와",
            "아이 혼자",
            "집에 안 왔",
            "사람이 타고",
        ],
        "ko",
        100,
    ),
    RuleSpec(
        "abuse",
        [
            "idiot*",
            "moron*",
            "clown*",
            "pathetic",
            "scum",
            "pigs",
            "fuck*",
            "shit*",
            "bastard*",
            "wanker*",
            "joke of a",
            "waste of",
            "embarrassing",
        ],
        "en",
        60,
    ),
    RuleSpec(
        "abuse",
        ["씨발", "시발", "ㅅㅂ", "개새끼", "병신", "닥쳐", "짭새", "한심", "세금이 아깝"],
        "ko",
        60,
    ),
    RuleSpec(
        "tip",
        [
            "i saw",
            "i've seen",
            "saw a",
            "seen a",
            "licence plate",
            "license plate",
            "number plate",
            "registration number",
            "cctv",
            "dashcam",
            "witness*",
            "suspicious",
            "hanging around",
            "heard shouting",
            "dealing",
            "belongs to",
        ],
        "en",
        50,
    ),
    RuleSpec(
        "tip",
        [
            "목격",
            "제보",
            "봤어요",
            "봤는데",
            "번호판",
            "차량 번호",
            "블랙박스",
            "수상한",
            "들었어요",
        ],
        "ko",
        50,
    ),
    RuleSpec(
        "complaint",
        [
            "disgrace*",
            "useless",
            "complain*",
            "unacceptable",
            "still no",
            "still waiting",
            "no call back",
            "nobody answered",
            "nothing is done",
            "nothing was done",
            "no warning",
            "take so long",
            "takes so long",
            "should have been",
        ],
        "en",
        40,
    ),
    RuleSpec(
        "complaint",
        ["불만", "항의", "연락이 없", "왜 이렇게", "아무 조치", "안 받았", "오류", "했잖아요"],
        "ko",
        40,
    ),
    RuleSpec("question", ["?"], "any", 30),
    RuleSpec(
        "question",
        ["how do i", "how can i", "where can i", "who do i", "is it safe", "any update*"],
        "en",
        30,
    ),
    RuleSpec("question", ["어떻게", "문의", "어디서", "어디로", "궁금"], "ko", 30),
    RuleSpec(
        "praise",
        [
            "thank*",
            "well done",
            "great work",
            "good work",
            "brilliant",
            "cheers",
            "appreciated",
            "respect to",
            "reassuring",
        ],
        "en",
        10,
    ),
    RuleSpec("praise", ["감사", "수고", "고생", "고마", "다행", "응원", "덕분에"], "ko", 10),
]
