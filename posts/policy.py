"""The policy checker: an agency's rules and the built-in detectors, run over a post's text.

Pure Python (no models, no database), so the editor's live preview, the approval gate and the
tests all call the same `check()`. Where an agency's rules are stored is someone else's business;
this module only applies `RuleSpec`s to a text.

Choices worth knowing:
- Offsets are Python str indices (code points), end exclusive, so `text[start:end]` is the
  excerpt whatever emoji or Hangul come before it. A browser counting UTF-16 units must convert.
- A required-* rule that is not met gives one finding at start=end=0 with an empty excerpt: the
  problem is something missing, and no span of the text is to blame.
- A required-* rule is met by any one of its terms, so an agency can list the English and the
  Korean wording of the same disclaimer. To require two things, make two rules.
- Terms containing Hangul (or kana or CJK ideographs) match as substrings, because Korean
  attaches particles to words ("마약을" must match "마약"); other terms match whole words,
  case-insensitively, with any run of whitespace standing for a space.
- On a detector rule, `terms` are the agency's own public values that are never flagged (the
  press office's e-mail, a station's switchboard), compared ignoring spaces, brackets, dots,
  hyphens, "+" and case.
- Detectors aim at what a post leaks by mistake, and skip what police posts contain every day:
  emergency and public service numbers, times, years, road numbers, money, case references,
  counts and dates of events. Each guard against a false alarm has a comment where it is applied.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

BLOCKED_TERM = "blocked_term"
REQUIRED_TERM = "required_term"
REQUIRED_HASHTAG = "required_hashtag"
REQUIRED_DISCLAIMER = "required_disclaimer"
REGEX = "regex"
DETECTOR_PHONE = "detector_phone"
DETECTOR_EMAIL = "detector_email"
DETECTOR_NATIONAL_ID = "detector_national_id"
DETECTOR_VEHICLE_PLATE = "detector_vehicle_plate"
DETECTOR_DATE_OF_BIRTH = "detector_date_of_birth"
DETECTOR_STREET_ADDRESS = "detector_street_address"

TERM_KINDS = (BLOCKED_TERM, REQUIRED_TERM, REQUIRED_HASHTAG, REQUIRED_DISCLAIMER)
REQUIRED_KINDS = (REQUIRED_TERM, REQUIRED_HASHTAG, REQUIRED_DISCLAIMER)
DETECTOR_KINDS = (
    DETECTOR_PHONE,
    DETECTOR_EMAIL,
    DETECTOR_NATIONAL_ID,
    DETECTOR_VEHICLE_PLATE,
    DETECTOR_DATE_OF_BIRTH,
    DETECTOR_STREET_ADDRESS,
)
KINDS = (*TERM_KINDS, REGEX, *DETECTOR_KINDS)

BLOCK = "block"
WARN = "warn"
SEVERITIES = (BLOCK, WARN)

KIND_CHOICES = [
    (BLOCKED_TERM, _("Blocked term")),
    (REQUIRED_TERM, _("Required term")),
    (REQUIRED_HASHTAG, _("Required hashtag")),
    (REQUIRED_DISCLAIMER, _("Required disclaimer")),
    (REGEX, _("Pattern (regular expression)")),
    (DETECTOR_PHONE, _("Detector: phone numbers")),
    (DETECTOR_EMAIL, _("Detector: e-mail addresses")),
    (DETECTOR_NATIONAL_ID, _("Detector: national ID numbers")),
    (DETECTOR_VEHICLE_PLATE, _("Detector: vehicle registration plates")),
    (DETECTOR_DATE_OF_BIRTH, _("Detector: dates of birth")),
    (DETECTOR_STREET_ADDRESS, _("Detector: street addresses")),
]
SEVERITY_CHOICES = [(BLOCK, _("Block approval")), (WARN, _("Warn"))]

DEFAULT_MESSAGES = {
    BLOCKED_TERM: _("This word is on the agency's blocked list."),
    REQUIRED_TERM: _("A required term is missing: %(terms)s."),
    REQUIRED_HASHTAG: _("A required hashtag is missing: %(terms)s."),
    REQUIRED_DISCLAIMER: _("The required disclaimer is missing."),
    REGEX: _("This matches a pattern the agency does not allow."),
    DETECTOR_PHONE: _("This looks like a private phone number."),
    DETECTOR_EMAIL: _("This looks like an e-mail address."),
    DETECTOR_NATIONAL_ID: _(
        "This looks like a national ID number (resident registration, National Insurance "
        "or Social Security number)."
    ),
    DETECTOR_VEHICLE_PLATE: _("This looks like a vehicle registration plate."),
    DETECTOR_DATE_OF_BIRTH: _("This looks like a date of birth."),
    DETECTOR_STREET_ADDRESS: _("This looks like a street address."),
}


@dataclass(frozen=True)
class RuleSpec:
    name: str
    kind: str
    severity: str
    message: str = ""
    terms: tuple[str, ...] = ()
    pattern: str = ""


@dataclass(frozen=True)
class Finding:
    rule: str
    kind: str
    severity: str
    start: int
    end: int
    message: str
    excerpt: str


Span = tuple[int, int]


def check(text: str, rules: Iterable[RuleSpec]) -> list[Finding]:
    """Every finding of every rule in `text`, sorted by (start, end, rule).

    Never raises for a badly configured rule (unknown kind, invalid pattern, no terms): such a
    rule finds nothing here, and `validate_rule` says what is wrong with it.
    """
    findings: list[Finding] = []
    for spec in rules:
        if spec.kind in _DETECTORS:
            allowed = {_canonical(term) for term in _terms(spec)}
            spans = [
                (start, end)
                for start, end in _DETECTORS[spec.kind](text)
                if _canonical(text[start:end]) not in allowed
            ]
        elif spec.kind == BLOCKED_TERM:
            spans = _blocked_terms(text, spec)
        elif spec.kind == REGEX:
            spans = _regex_matches(text, spec)
        elif spec.kind in REQUIRED_KINDS:
            if not _terms(spec) or _requirement_met(text, spec):
                continue
            spans = [(0, 0)]
        else:
            continue
        message = _message(spec)
        findings.extend(
            Finding(
                rule=spec.name,
                kind=spec.kind,
                severity=spec.severity,
                start=start,
                end=end,
                message=message,
                excerpt=text[start:end],
            )
            for start, end in spans
        )
    return sorted(findings, key=lambda f: (f.start, f.end, f.rule, f.kind))


def validate_rule(spec: RuleSpec) -> list[str]:
    """What is wrong with a rule, in words for the person editing it; empty when it is fine."""
    problems: list[str] = []
    if not spec.name.strip():
        problems.append(gettext("Give the rule a name."))
    if spec.kind not in KINDS:
        problems.append(gettext("Unknown kind of rule: %(kind)s.") % {"kind": spec.kind})
    if spec.severity not in SEVERITIES:
        problems.append(gettext("The severity must be “block” or “warn”."))
    if spec.kind in TERM_KINDS and not _terms(spec):
        problems.append(gettext("List at least one term."))
    if spec.kind == REQUIRED_HASHTAG:
        for term in _terms(spec):
            tag = term.lstrip("#")
            if not tag or any(ch.isspace() or ch == "#" for ch in tag):
                problems.append(
                    gettext("“%(term)s” is not a hashtag: one word, without spaces.")
                    % {"term": term}
                )
    if spec.kind == REGEX:
        if not spec.pattern:
            problems.append(gettext("Give a pattern."))
        else:
            error = _pattern_error(spec.pattern)
            if error:
                problems.append(
                    gettext("The pattern is not a valid regular expression: %(error)s.")
                    % {"error": error}
                )
    return problems


def default_rules() -> list[RuleSpec]:
    """The built-in detectors an agency starts with; names in the active language.

    Block: phone numbers, e-mail addresses and national ID numbers. A post has almost no
    legitimate reason to carry a private one, and publishing one cannot be undone. Public lines
    (999, 112, 0800 and 03 numbers, US toll-free) are never flagged at all.
    Warn: vehicle plates, dates of birth and street addresses. Appeals legitimately publish a
    suspect vehicle's plate, a wanted person's year of birth or the address of an incident, so a
    person decides; the warning makes sure somebody looked.
    """
    return [
        RuleSpec(name=gettext("Phone numbers"), kind=DETECTOR_PHONE, severity=BLOCK),
        RuleSpec(name=gettext("E-mail addresses"), kind=DETECTOR_EMAIL, severity=BLOCK),
        RuleSpec(name=gettext("National ID numbers"), kind=DETECTOR_NATIONAL_ID, severity=BLOCK),
        RuleSpec(
            name=gettext("Vehicle registration plates"), kind=DETECTOR_VEHICLE_PLATE, severity=WARN
        ),
        RuleSpec(name=gettext("Dates of birth"), kind=DETECTOR_DATE_OF_BIRTH, severity=WARN),
        RuleSpec(name=gettext("Street addresses"), kind=DETECTOR_STREET_ADDRESS, severity=WARN),
    ]


# --- Rules written by the agency ---------------------------------------------------------------

_SPACELESS_SCRIPT = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7a3]"
)
# Letters and digits of Latin script: a Latin term must not touch one on either side. Hangul does
# not count, so "CCTV를" still matches the blocked term "CCTV".
_LATIN_WORD_BEFORE = r"(?<![0-9A-Za-z\u00c0-\u024f])"
_LATIN_WORD_AFTER = r"(?![0-9A-Za-z\u00c0-\u024f])"
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})


def _terms(spec: RuleSpec) -> list[str]:
    return [term.strip() for term in spec.terms if term.strip()]


@lru_cache(maxsize=1024)
def _term_regex(term: str) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(word) for word in term.split())
    if _SPACELESS_SCRIPT.search(term):
        return re.compile(body, re.IGNORECASE)
    return re.compile(_LATIN_WORD_BEFORE + body + _LATIN_WORD_AFTER, re.IGNORECASE)


@lru_cache(maxsize=256)
def _hashtag_regex(term: str) -> re.Pattern[str]:
    # A hashtag ends where the platform ends it: at the first character that is not a letter,
    # digit or underscore, so "#BeatPoliceUK" does not satisfy a required "#BeatPolice".
    return re.compile(r"(?<!\w)#" + re.escape(term.strip().lstrip("#")) + r"(?!\w)", re.IGNORECASE)


def _normalised(text: str) -> str:
    return " ".join(text.translate(_QUOTES).split()).casefold()


def _blocked_terms(text: str, spec: RuleSpec) -> list[Span]:
    spans = [m.span() for term in _terms(spec) for m in _term_regex(term).finditer(text)]
    return _without_overlaps(spans)


def _requirement_met(text: str, spec: RuleSpec) -> bool:
    if spec.kind == REQUIRED_HASHTAG:
        return any(_hashtag_regex(term).search(text) for term in _terms(spec))
    if spec.kind == REQUIRED_DISCLAIMER:
        haystack = _normalised(text)
        return any(_normalised(term) in haystack for term in _terms(spec))
    return any(_term_regex(term).search(text) for term in _terms(spec))


@lru_cache(maxsize=256)
def _compiled_pattern(pattern: str) -> re.Pattern[str] | str:
    """The compiled pattern, or the compiler's complaint as a string."""
    try:
        return re.compile(pattern)
    except (re.error, OverflowError, RecursionError, ValueError) as exc:
        return str(exc) or exc.__class__.__name__


def _pattern_error(pattern: str) -> str:
    compiled = _compiled_pattern(pattern)
    return compiled if isinstance(compiled, str) else ""


def _regex_matches(text: str, spec: RuleSpec) -> list[Span]:
    compiled = _compiled_pattern(spec.pattern) if spec.pattern else ""
    if isinstance(compiled, str):
        return []
    # An empty match (from `x*` or a lone anchor) points at nothing a person could change.
    return [m.span() for m in compiled.finditer(text) if m.end() > m.start()]


def _message(spec: RuleSpec) -> str:
    if spec.message:
        return spec.message
    message = str(DEFAULT_MESSAGES.get(spec.kind, ""))
    if spec.kind in (REQUIRED_TERM, REQUIRED_HASHTAG):
        message = message % {"terms": " / ".join(_terms(spec))}
    return message


def _canonical(value: str) -> str:
    return re.sub(r"[\s().+\-]", "", value).casefold()


def _without_overlaps(spans: Iterable[Span]) -> list[Span]:
    """One span per leaked item: the earliest wins, and of two starting together the longer."""
    kept: list[Span] = []
    for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, end))
    return kept


# --- Detectors ---------------------------------------------------------------------------------
# Korean counters and units. A number followed by one of them is a quantity ("3명", "23km",
# "50만원", "2024년", "3중 추돌"), never a building number or the last block of a plate. Korean
# counters are written glued to the number; a space may come only before Latin units, since
# "중앙대로 123 일대" ("around 123 Jungang-daero") is an address.
_KO_UNITS = (
    r"(?:년|월|일|시|분|초|주|박|원|만|천|억|명|인(?!근)|건|개|곳|회|세|살|배|등|중|가지|가구|마리"
    r"|채|장|통|병|잔|점|발|척|권|편|단계|바퀴|킬로|미터|톤|\s?(?:%|㎞|km|kg|m(?![A-Za-z])))"
)

# Phone numbers. Not glued on the left to a letter, a digit, "+", "/" or "-", nor followed by a
# digit, so dates (12/03/2024), case references (12/34567/24), road numbers (M25) and longer
# reference numbers never yield a phone number from their middle. "Tel.07700 900123" is still one.
_PHONE_BEFORE = r"(?<![0-9A-Za-z+/\-])"
_PHONE_AFTER = r"(?![0-9])"
# UK: +44 or a trunk 0, then 9 or 10 digits in groups (07700 900123, 020 7946 0018,
# +44 (0)20 7946 0018); the digit count is checked in `_uk_phone_is_private`.
_UK_PHONE = re.compile(
    _PHONE_BEFORE
    + r"(?:\+44[ \-]?(?:\(0\)[ \-]?)?|\(?0)\d{2,4}\)?(?:[ \-]?\d{3,6}){1,2}"
    + _PHONE_AFTER
)
# Korea: mobile 01x, Seoul 02, regions 031-064, internet phones 070; +82 drops the trunk 0.
# Representative numbers (1588-xxxx) and 080 freephone are company lines, so not matched.
_KR_PHONE = re.compile(
    _PHONE_BEFORE
    + r"(?:\+82[ \-]?(?:\(0\)[ \-]?)?|\(?0)(?:1[016789]|2|[3-6][1-5]|70)\)?"
    + r"[ .\-]?\d{3,4}[ .\-]?\d{4}"
    + _PHONE_AFTER
)
# US: area code and exchange must be separated ((555) 123-4567, 555-123-4567, +1 555 123 4567):
# ten bare digits are far more often a reference number than a phone number.
_US_PHONE = re.compile(
    _PHONE_BEFORE
    + r"(?:\+1[ .\-]?|1[ .\-])?(?:\((?P<area>[2-9]\d\d)\) ?|(?P<bare_area>[2-9]\d\d)[ .\-])"
    + r"\d{3}[ .\-]\d{4}"
    + _PHONE_AFTER
)
_US_TOLL_FREE = frozenset({"800", "833", "844", "855", "866", "877", "888"})


def _uk_phone_is_private(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    national = digits[2:] if candidate.startswith("+") else digits
    national = national.removeprefix("0")
    if len(national) not in (9, 10) or national[0] not in "1235789":
        return False
    # Freephone (080x, such as Crimestoppers' 0800 555 111) and 03 numbers (reserved for public
    # bodies and charities, such as police non-emergency lines) are published on purpose.
    return not national.startswith(("80", "3"))


def _phone_numbers(text: str) -> list[Span]:
    spans = [m.span() for m in _UK_PHONE.finditer(text) if _uk_phone_is_private(m.group())]
    spans += [m.span() for m in _KR_PHONE.finditer(text)]
    for m in _US_PHONE.finditer(text):
        area = m.group("area") or m.group("bare_area")
        # Toll-free numbers (1-800 tip lines and the like) are organisations' public lines.
        if area not in _US_TOLL_FREE:
            spans.append(m.span())
    # Short codes (112, 999, 911, 101, 119, 182, 111) never match: every pattern needs 9+ digits.
    return _without_overlaps(spans)


_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
    r"(?![A-Za-z0-9\-])"
)


def _email_addresses(text: str) -> list[Span]:
    return [m.span() for m in _EMAIL.finditer(text)]


# Korean resident registration number: YYMMDD-SNNNNNN, hyphen optional, also with the last six
# digits masked (850312-1******), which still gives away the date of birth and sex.
_KR_RRN = re.compile(
    r"(?<![0-9\-])(?P<yy>\d\d)(?P<mm>\d\d)(?P<dd>\d\d)(?P<hyphen>-?)(?P<sex>[1-8])"
    r"(?P<rest>\d{6}|[*xX●]{6})(?![0-9])"
)
# UK National Insurance number: two prefix letters (D, F, I, Q, U, V never first; D, F, I, O, Q,
# U, V never second), six digits, suffix A-D. Capitals only, as printed on every document.
_UK_NINO = re.compile(
    r"(?<![0-9A-Za-z])(?P<prefix>[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?\d\d ?\d\d ?\d\d ?[A-D]"
    r"(?![0-9A-Za-z])"
)
_NINO_UNUSED_PREFIXES = frozenset({"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"})
# US Social Security number, hyphenated only: "123 45 6789" reads as three counts too easily.
_US_SSN = re.compile(
    r"(?<![0-9A-Za-z/.\-])(?P<area>\d{3})-(?P<group>\d\d)-(?P<serial>\d{4})(?![0-9]|[/.\-]\d)"
)


def _is_resident_number(m: re.Match[str]) -> bool:
    # The seventh digit gives the century: 1, 2, 5, 6 for the 1900s, 3, 4, 7, 8 for the 2000s.
    century = 1900 if m.group("sex") in "1256" else 2000
    try:
        date(century + int(m.group("yy")), int(m.group("mm")), int(m.group("dd")))
    except ValueError:
        return False
    if m.group("hyphen") or not m.group("rest").isdigit():
        return True
    # Thirteen bare digits are also bank accounts (우리은행 1002…) and barcodes, so without the
    # hyphen the check digit must hold too. Numbers issued since October 2020 have none and are
    # only caught when written with the hyphen, as they almost always are.
    digits = [int(d) for d in m.group().replace("-", "")]
    total = sum(
        d * w for d, w in zip(digits[:12], (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5), strict=True)
    )
    return (11 - total % 11) % 10 == digits[12]


def _ssn_is_possible(m: re.Match[str]) -> bool:
    area = m.group("area")
    return (
        area not in ("000", "666")
        and not area.startswith("9")
        and m.group("group") != "00"
        and m.group("serial") != "0000"
    )


def _national_ids(text: str) -> list[Span]:
    spans = [m.span() for m in _KR_RRN.finditer(text) if _is_resident_number(m)]
    spans += [
        m.span() for m in _UK_NINO.finditer(text) if m.group("prefix") not in _NINO_UNUSED_PREFIXES
    ]
    spans += [m.span() for m in _US_SSN.finditer(text) if _ssn_is_possible(m)]
    return _without_overlaps(spans)


# UK plates since 2001: memory tag (two letters, never I, Q or Z), age identifier (02-30 for
# March, 51-80 for September), three random letters (never I or Q). Capitals only, and the digits
# in the middle, so no ordinary seven-letter word or road number (A34, M25) can match.
_UK_PLATE = re.compile(
    r"(?<![0-9A-Za-z])[A-HJ-PR-Y]{2}(?:0[2-9]|[12]\d|30|5[1-9]|[67]\d|80) ?[A-HJ-PR-Z]{3}"
    r"(?![0-9A-Za-z])"
)
# Korean plates: 12가 3456, 123가 4567, older 서울12가3456. Only the Hangul letters plates use.
_KR_PLATE_LETTERS = (
    "가나다라마거너더러머버서어저고노도로모보소오조구누두루무부수우주아바사자배하허호"
)
_KR_REGIONS = "서울|부산|대구|인천|광주|대전|울산|세종|경기|강원|충북|충남|전북|전남|경북|경남|제주"
_KR_PLATE = re.compile(
    rf"(?:(?:{_KR_REGIONS}) ?)?"
    # "제12호" is an ordinal (a notice, an article of a law), never the start of a plate.
    r"(?<![0-9제])\d{2,3} ?"
    rf"[{_KR_PLATE_LETTERS}] ?\d{{4}}"
    # Not a year or a date ("고시 12호 2024.3.12. 시행") nor a quantity.
    rf"(?![0-9]|[./\-]\d|{_KO_UNITS})"
)


def _vehicle_plates(text: str) -> list[Span]:
    spans = [m.span() for m in _UK_PLATE.finditer(text)]
    spans += [m.span() for m in _KR_PLATE.finditer(text)]
    return _without_overlaps(spans)


# Dates of birth are only ever found next to a birth marker ("born", "DOB", "생년월일", "년생"):
# a date on its own is the date of an event, which posts give all the time.
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_EN_DATE = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d\d)"  # 12/03/1985, 12.03.85
    r"|\d{4}-\d{1,2}-\d{1,2}"  # 1985-03-12
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}"  # 3rd of March 1985
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # March 3, 1985
    r"|(?:19|20)\d\d)"  # born in 1985: a year of birth is flagged too (see _dates_of_birth)
)
_EN_DOB = re.compile(
    r"(?<![A-Za-z])(?:born|dob|d\.o\.b\.?|date\s+of\s+birth|birth\s*date)(?![A-Za-z])"
    r"[\s:,\-–]*(?:(?:on|in|is|was)\s+)?"
    rf"(?P<date>{_EN_DATE})(?![0-9])",
    re.IGNORECASE,
)
_KO_YMD = r"(?:19|20)?\d\d\s?년\s?\d{1,2}\s?월\s?\d{1,2}\s?일"
_KO_DATE = (
    rf"(?:{_KO_YMD}"  # 1985년 3월 12일
    r"|(?:19|20)?\d\d\s?[./\-]\s?\d{1,2}\s?[./\-]\s?\d{1,2}\.?"  # 1985.03.12, 85. 3. 12.
    r"|(?:19|20)?\d{6})"  # 850312, 19850312
)
# 생년월일 1985년 3월 12일, 출생일: 1985.03.12
_KO_DOB_LABELLED = re.compile(
    rf"(?:생년월일|출생일자?)\s*[:：]?\s*(?:은|는|이)?\s*(?P<date>{_KO_DATE})(?![0-9])"
)
# 1985년생, 85년생, 1985년 3월 12일생: "생" glued to the date is the birth marker. Not before the
# syllables that make "생" the start of another word (2024년생산 "production", 생활 "life").
_KO_BORN_SUFFIX = re.compile(
    r"(?<![0-9])(?P<date>(?:19|20)?\d\d\s?년(?:\s?\d{1,2}\s?월\s?\d{1,2}\s?일)?생)"
    r"(?![산활겼긴존애각명])"
)
# 1985년 3월 12일 출생. Not "출생아" / "출생률" (births, birth rate: statistics, not a person).
_KO_BORN_AFTER = re.compile(rf"(?<![0-9])(?P<date>{_KO_DATE})\s?(?:출생|태생)(?!아|률)")


def _dates_of_birth(text: str) -> list[Span]:
    # A bare year of birth ("born in 1985", "85년생") is flagged as well: with a name, an area or
    # a photo it narrows a person down, and Korean practice is to give an age ("김모(39)씨")
    # instead. The default severity is warn, so an appeal that needs it can still go out.
    patterns = (_EN_DOB, _KO_DOB_LABELLED, _KO_BORN_SUFFIX, _KO_BORN_AFTER)
    spans = [m.span("date") for pattern in patterns for m in pattern.finditer(text)]
    return _without_overlaps(spans)


# English: house number (221B), one to three capitalised words, a street suffix: "14 Acacia
# Avenue", "3 Elm Rd". A street named without a number ("Baker Street was closed") is a place,
# not someone's address.
_STREET_SUFFIX = (
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Close|Crescent|Cres|Court|Ct|Place|Pl"
    r"|Gardens|Gdns|Grove|Terrace|Way|Walk|Square|Sq|Mews|Row|Parade|Boulevard|Blvd|Hill|Rise"
    r"|Green)"
)
# Words that cannot be part of a street's name, so "on 12 March Road Safety Week" and the title
# case "42 Arrests On High Street" are not addresses.
_NOT_STREET_WORD = (
    r"(?:Jan|January|Feb|February|Mar|March|Apr|April|May|June?|July?|Aug|August|Sept?|September"
    r"|Oct|October|Nov|November|Dec|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday"
    r"|Sunday|On|In|At|Of|And|For|Near|From|To|By|With|After|Before|Between)"
)
_EN_ADDRESS = re.compile(
    # Not glued to what comes before: "A4074 Oxford Road" is a road number, "£1,500" money.
    r"(?<![0-9A-Za-z,.£$€/:\-])\d{1,4}[A-Za-z]?\s+"
    rf"(?:(?!{_NOT_STREET_WORD}\b)[A-Z][A-Za-z'’\-]*\.?\s+){{1,3}}"
    rf"{_STREET_SUFFIX}(?![A-Za-z])"
)
# "junction 10 Ring Road", "bus 42 Park Lane": the number belongs to the word before it.
_NUMBERED_THING_BEFORE = re.compile(
    r"(?:junctions?|jct|exit|route|bus|platform|gate|flight|number|no\.?)\s+$", re.IGNORECASE
)
# Korean road-name address: road (…대로, …로, …길), optional side road (45번길, 23길), building
# number (123, 10-1): "중앙대로 123", "해운대로 45번길 12". "로" is also the particle "to, by"
# ("경찰서로", "서울로", "문자로"), so a number after a word ending in 로 is only an address when
# - the word is not "…으로" (always the particle) nor "…도로" ("road", "motorway" in general);
# - it is not "전화로"/"문자로" ("by phone, by text"), which precede 112 and other service numbers;
# - the number is not a quantity or a range ("해운대로 3개 중대", "서울로 1박", "주로 20~30대");
# - the number is not called or reported to ("…로 112에 신고", "…로 182 문의").
_KO_ROAD_ADDRESS = re.compile(
    r"[가-힣]{1,12}(?:대로|로|길)(?<!으로)(?<!도로)(?<!전화로)(?<!문자로)"
    r"(?:\s?\d{1,4}(?:번|[가-힣])?길)?"
    r"\s?\d{1,4}(?:-\d{1,4})?"
    rf"(?![0-9]|[:.,~〜–·]\s?\d|{_KO_UNITS}|차|대|층|번|호)"
    r"(?!(?:에|로|으로)?\s?(?:신고|전화|연락|문의|제보|상담))"
)
# Lot-number address: "OO동 123-45 번지", "화곡동 123-4번지", or "우동 1394-65" without 번지 (the
# hyphen is required then: "3동 12" is too often something else).
_KO_LOT_ADDRESS = re.compile(
    r"(?:[가-힣A-Z○◯]{1,10}[동리]\s?)?(?<![0-9])\d{1,5}(?:-\d{1,4})?\s?번지"
    rf"|[가-힣A-Z○◯]{{1,10}}[동리]\s?\d{{1,5}}-\d{{1,4}}(?![0-9]|{_KO_UNITS})"
)
# Flat in a block: "101동 1203호". Not "7호선" (an underground or road line).
_KO_FLAT = re.compile(r"(?<![0-9])\d{1,4}\s?동\s?\d{1,4}\s?호(?![선실])")


def _street_addresses(text: str) -> list[Span]:
    spans = [
        m.span()
        for m in _EN_ADDRESS.finditer(text)
        if not _NUMBERED_THING_BEFORE.search(text[max(0, m.start() - 12) : m.start()])
    ]
    for pattern in (_KO_ROAD_ADDRESS, _KO_LOT_ADDRESS, _KO_FLAT):
        spans += [m.span() for m in pattern.finditer(text)]
    return _without_overlaps(spans)


_DETECTORS: dict[str, Callable[[str], list[Span]]] = {
    DETECTOR_PHONE: _phone_numbers,
    DETECTOR_EMAIL: _email_addresses,
    DETECTOR_NATIONAL_ID: _national_ids,
    DETECTOR_VEHICLE_PLATE: _vehicle_plates,
    DETECTOR_DATE_OF_BIRTH: _dates_of_birth,
    DETECTOR_STREET_ADDRESS: _street_addresses,
}
