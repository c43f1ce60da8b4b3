"""The policy checker: built-in detectors against posts as police forces really write them.

The table is the point. Each row is a sentence, the findings it must get (kind and exact excerpt)
and the detector kinds it must not get; unless a row says otherwise, "must not" is every detector
kind it does not list, so a row with one phone number fails on a stray plate or a second phone.
Half the rows are English and half Korean; half leak personal data, half are everyday posts full
of the things that must not cry wolf (emergency numbers, times, years, roads, money, references).
Pure functions: no database.
"""

from __future__ import annotations

import pytest

from posts import policy
from posts.policy import Finding, RuleSpec, check, default_rules, validate_rule

PHONE = policy.DETECTOR_PHONE
EMAIL = policy.DETECTOR_EMAIL
NID = policy.DETECTOR_NATIONAL_ID
PLATE = policy.DETECTOR_VEHICLE_PLATE
DOB = policy.DETECTOR_DATE_OF_BIRTH
ADDRESS = policy.DETECTOR_STREET_ADDRESS
DETECTORS = frozenset(policy.DETECTOR_KINDS)


def row(row_id: str, text: str, *must: tuple[str, str], must_not: frozenset[str] | None = None):
    """A table row; `must_not` defaults to every detector kind not in `must`."""
    if must_not is None:
        must_not = DETECTORS - {kind for kind, _ in must}
    return pytest.param(text, list(must), must_not, id=row_id)


EN_WITH_PERSONAL_DATA = [
    row(
        "en-missing-teen-mum-mobile",
        "Can you help us find Jordan, 15? He was last seen in Oxford on Friday evening. If you "
        "see him, please call his mum on 07700 900123 or ring 999.",
        (PHONE, "07700 900123"),
    ),
    row(
        "en-collision-appeal-oic-contact",
        "Officers are appealing for witnesses after a collision on the A34 at 9.40pm. Anyone with "
        "dashcam footage can contact DC Evans on +44 7700 900456 or email "
        "dc.evans@example.police.uk quoting CAD 1234 of 12/03/24.",
        (PHONE, "+44 7700 900456"),
        (EMAIL, "dc.evans@example.police.uk"),
    ),
    row(
        "en-charged-home-address",
        "A man, 34, of 14 Acacia Avenue, Reading, has been charged with burglary and will appear "
        "at Reading Magistrates' Court on Monday.",
        (ADDRESS, "14 Acacia Avenue"),
    ),
    row(
        "en-missing-woman-dob",
        "MISSING: Sarah Collins, DOB 12.03.1985, was last seen near the Broad Street multi-storey "
        "car park at 10:30 this morning. Call 101 quoting 24000123456.",
        (DOB, "12.03.1985"),
    ),
    row(
        "en-stop-plate",
        "Our roads policing team stopped a silver Ford Focus, registration AB12 CDE, on the M25 "
        "between junctions 10 and 11. The driver, 41, was arrested on suspicion of drink driving.",
        (PLATE, "AB12 CDE"),
    ),
    row(
        "en-wanted-dob-and-address",
        "Do you know this man? Born 3 March 1985, he is wanted in connection with a robbery at "
        "221B Baker Street on 12 March 2024.",
        (DOB, "3 March 1985"),
        (ADDRESS, "221B Baker Street"),
    ),
    row(
        "en-us-partner-appeal-phones",
        "Our partners in Ohio ask anyone who recognises the suspect to call (555) 123-4567 or "
        "555-987-6543. Do not approach him.",
        (PHONE, "(555) 123-4567"),
        (PHONE, "555-987-6543"),
    ),
    row(
        "en-fraud-nino-and-ssn",
        "Fraud warning: the caller read out the victim's National Insurance number, JK 12 34 56 A, "
        "and a US Social Security number, 536-22-8726, to sound convincing.",
        (NID, "JK 12 34 56 A"),
        (NID, "536-22-8726"),
    ),
    row(
        "en-missing-dob-and-flat-address",
        "Ellie, date of birth: 21 July 1990, has been reported missing from her home at 3 Elm Rd, "
        "Leeds. She was wearing a red coat.",
        (DOB, "21 July 1990"),
        (ADDRESS, "3 Elm Rd"),
    ),
    row(
        "en-abandoned-car-plate-landline",
        "The car, AB12CDE, was later found abandoned in Coventry. If you saw it being driven on "
        "Tuesday, call the owner on 020 7946 0018.",
        (PLATE, "AB12CDE"),
        (PHONE, "020 7946 0018"),
    ),
    row(
        "en-remand-dob-nino",
        "The man, d.o.b. 04/11/1979, National Insurance number AB123456C, was remanded in custody.",
        (DOB, "04/11/1979"),
        (NID, "AB123456C"),
    ),
    row(
        "en-lost-wallet-us-visitor",
        "Lost wallet handed in at our front counter. The owner, a visitor from Boston, can reach "
        "us or be reached on +1 555 123 4567. Email jane.doe@example.com too.",
        (PHONE, "+1 555 123 4567"),
        (EMAIL, "jane.doe@example.com"),
    ),
    row(
        "en-suspect-year-of-birth",
        "The suspect was born in 1985 and is described as white, 6ft tall, with short dark hair.",
        (DOB, "1985"),
    ),
    row(
        "en-lost-dog-owner-mobile-after-tel-dot",
        "Found: a black labrador near the retail park. The owner, Mr Patel, asks whoever has "
        "her lead to ring Tel.07700 900 123.",
        (PHONE, "07700 900 123"),
    ),
    row(
        "en-witness-address-and-landline",
        "Witness Tom Reed, of 7 Mill Lane, Didcot, called us from 01632 960123 at 11pm after "
        "hearing glass break next door.",
        (ADDRESS, "7 Mill Lane"),
        (PHONE, "01632 960123"),
    ),
    row(
        "en-bail-conditions-dob-and-address",
        "Bail conditions: Darren Price, born 17/09/1992, must not enter Castle Street and must "
        "live and sleep at 48 Orchard Close, Banbury.",
        (DOB, "17/09/1992"),
        (ADDRESS, "48 Orchard Close"),
    ),
    row(
        "en-victim-details-shared-in-error",
        "Update to our earlier post: Mrs Khan of 2 Rose Gardens (tel 01865 496000, NI number "
        "NE 12 34 56 B) has been found safe and well.",
        (ADDRESS, "2 Rose Gardens"),
        (PHONE, "01865 496000"),
        (NID, "NE 12 34 56 B"),
    ),
    row(
        "en-stolen-van-plate-owner-mobile",
        "The stolen van, registration LD68 PXY, belongs to a local plumber, who asks anyone who "
        "sees it to text him on 07700 900987.",
        (PLATE, "LD68 PXY"),
        (PHONE, "07700 900987"),
    ),
]

EN_WITHOUT_PERSONAL_DATA = [
    row(
        "en-collision-a34-crime-ref",
        "Officers are appealing for witnesses after a collision on the A34 at 9.40pm on Saturday. "
        "Anyone with information should call 101 quoting crime reference 12/34567/24.",
    ),
    row(
        "en-emergency-and-crimestoppers",
        "In an emergency always call 999. If you'd rather not give your name, contact "
        "Crimestoppers anonymously on 0800 555 111.",
    ),
    row(
        "en-motorway-closure-times",
        "Overnight closures on the M25 between junction 10 and J11 will run 9pm–11pm from Monday, "
        "and 10:30-11:45 on Sunday morning.",
    ),
    row(
        "en-road-named-without-number",
        "Baker Street was closed for three hours on 12 March 2024 while officers dealt with a "
        "suspicious package. It has now reopened.",
    ),
    row(
        "en-operation-results-money",
        "Operation Falcon: between 2019–2024 officers made 42 arrests and seized £1,500 in cash "
        "and $2,000 in counterfeit notes.",
    ),
    row(
        "en-match-day-counts-times",
        "More than 3,000 officers will be on duty for the match. Kick-off is at 17:30 and gates "
        "open at 15:00; please allow extra time on the A40.",
    ),
    row(
        "en-fraud-stats-percent",
        "Reports of courier fraud rose by 12% in 2023. If you have been targeted, call Action Fraud "
        "or 101, or 111 for NHS advice.",
    ),
    row(
        "en-bike-returned-ref",
        "Ref 24000123456: the stolen bike has been returned to its owner. Thanks to everyone who "
        "shared our appeal.",
    ),
    row(
        "en-cad-lorry-shed-load",
        "CAD 1234 of 12/03/24 - a lorry has shed its load on the A34 southbound near J10. Please "
        "avoid the area.",
    ),
    row(
        "en-us-911-reminder",
        "Travelling to the US this summer? Remember the emergency number there is 911, and their "
        "tip lines such as 1-800-225-5324 are free to call.",
    ),
    row(
        "en-front-counter-hours",
        "Our front counter on Station Road is open 8am to 8pm, Monday to Friday. You can also "
        "call the non-emergency line on 0300 123 4567.",
    ),
    row(
        "en-operation-launch-date-counts",
        "On 12 March 2024 we launched Operation Lantern; in the first 100 days 250 officers "
        "carried out 1,200 patrols and 3 Road Safety events.",
    ),
    row(
        "en-title-case-headline-and-junction",
        "Police Make 42 Arrests On High Street In Operation Nightjar. The slip road at junction "
        "10 Ring Road reopened at 06:00.",
    ),
    row(
        "en-speed-checks-counts",
        "Speed checks on the A38 this week: 120 drivers caught, 14 of them over 50mph in a 30 "
        "zone. Fines start at £100 and 3 points.",
    ),
    row(
        "en-tip-line-hours-ref",
        "Tip line: call 101 or Crimestoppers on 0800 555 111 between 08:00–20:00, quoting our "
        "reference 2024/123456 or incident 345 of 14 May.",
    ),
    row(
        "en-numbered-a-road-with-name",
        "Collision on the A4074 Oxford Road near Dorchester: the road is closed in both "
        "directions and is likely to remain so until 4pm.",
    ),
]

KO_WITH_PERSONAL_DATA = [
    row(
        "ko-missing-family-mobile",
        "실종된 김모(45)씨를 보신 분은 가족 연락처 010-1234-5678 또는 112로 신고해 주세요.",
        (PHONE, "010-1234-5678"),
    ),
    row(
        "ko-voice-phishing-bare-mobile",
        "피해자 명의 휴대전화 01012345678로 문자를 보낸 보이스피싱 일당 3명이 검거됐습니다.",
        (PHONE, "01012345678"),
    ),
    row(
        "ko-witness-home-landline",
        "제보자 A씨의 집 전화 02-123-4567로 협박 전화를 건 30대 남성이 붙잡혔습니다.",
        (PHONE, "02-123-4567"),
    ),
    row(
        "ko-overseas-suspect-intl-mobile",
        "해외에 체류 중인 피의자는 +82 10-1234-5678 번호로 피해자에게 수차례 연락했습니다.",
        (PHONE, "+82 10-1234-5678"),
    ),
    row(
        "ko-rrn-hyphenated",
        "피의자 주민등록번호 850312-1234567이 적힌 서류가 압수된 차량에서 발견됐습니다.",
        (NID, "850312-1234567"),
    ),
    row(
        "ko-rrn-bare-leaked",
        "온라인에 유출된 주민등록번호 9001011234568은 피해자의 것으로 확인됐습니다.",
        (NID, "9001011234568"),
    ),
    row(
        "ko-getaway-car-plate",
        "도주 차량은 흰색 쏘나타(12가 3456)로, 부산 방면으로 달아났습니다.",
        (PLATE, "12가 3456"),
    ),
    row(
        "ko-van-plate-three-digits",
        "123가 4567 번호판을 단 승합차를 보신 분은 112로 신고해 주세요.",
        (PLATE, "123가 4567"),
    ),
    row(
        "ko-regional-plate-drink-driving",
        "서울12가3456 차량 운전자가 혈중알코올농도 0.12% 상태로 운전하다 입건됐습니다.",
        (PLATE, "서울12가3456"),
    ),
    row(
        "ko-missing-dob-labelled",
        "실종자 이OO 씨(생년월일 1985년 3월 12일)는 어제 오후 3시경 집을 나선 뒤 연락이 끊겼습니다.",
        (DOB, "1985년 3월 12일"),
    ),
    row(
        "ko-suspect-year-of-birth",
        "절도 혐의로 붙잡힌 1985년생 남성은 범행 일체를 자백했습니다.",
        (DOB, "1985년생"),
    ),
    row(
        "ko-suspect-two-digit-year-and-road-address",
        "피의자 박모(85년생)씨는 부산 해운대구 해운대로 45번길 12 인근 주택에 침입한 혐의를 받습니다.",
        (DOB, "85년생"),
        (ADDRESS, "해운대로 45번길 12"),
    ),
    row(
        "ko-victim-road-address",
        "피해자는 서울 중구 중앙대로 123에 거주하는 70대 여성으로, 현금 2,000만원을 건넸습니다.",
        (ADDRESS, "중앙대로 123"),
    ),
    row(
        "ko-lot-address-beonji-and-email",
        "절도 사건은 OO동 123-45 번지 상가에서 발생했으며, 피해 업주 이메일(owner.kim@example.com)도 "
        "유출됐습니다.",
        (ADDRESS, "OO동 123-45 번지"),
        (EMAIL, "owner.kim@example.com"),
    ),
    row(
        "ko-lot-address-flat",
        "경찰은 강서구 화곡동 123-4번지 빌라와 인근 아파트 101동 1203호를 압수수색했습니다.",
        (ADDRESS, "화곡동 123-4번지"),
        (ADDRESS, "101동 1203호"),
    ),
    row(
        "ko-masked-rrn-still-leaks-birth-date",
        "피해자 주민등록번호 앞자리가 적힌 850312-1****** 문서가 온라인에 게시돼 삭제를 요청했습니다.",
        (NID, "850312-1******"),
    ),
]

KO_WITHOUT_PERSONAL_DATA = [
    row(
        "ko-busan-collision-appeal",
        "부산경찰청은 어제 오후 3시경 해운대구에서 발생한 교통사고와 관련해 목격자를 찾고 있습니다. "
        "제보는 112로 해주세요.",
    ),
    row(
        "ko-expressway-pileup-km",
        "경부고속도로 서울방향 23km 지점에서 5중 추돌사고가 발생해 2개 차로가 통제 중입니다.",
    ),
    row(
        "ko-national-road-closure-times",
        "국도 7호선 공사로 오후 3시~5시 사이 교통이 통제됩니다. 우회도로를 이용해 주세요.",
    ),
    row(
        "ko-voice-phishing-stats",
        "올해 상반기 보이스피싱 피해 신고는 2,345건으로, 전년보다 12% 줄었습니다.",
    ),
    row(
        "ko-case-number-sentence",
        "사건번호 2024고단1234 재판에서 피고인에게 징역 2년에 집행유예 3년이 선고됐습니다.",
    ),
    row(
        "ko-year-range-drink-driving",
        "2019–2024년 5년간 음주운전 단속 건수는 꾸준히 감소했습니다. 2024년에는 1만 2천 건이었습니다.",
    ),
    row(
        "ko-public-service-numbers",
        "학교폭력은 117, 범죄 신고는 112, 화재·구조는 119, 민원 상담은 182로 연락해 주세요.",
    ),
    row(
        "ko-marathon-road-without-number",
        "중앙대로 일대에서 마라톤 대회가 열려 오전 8시부터 11시 30분까지 교통이 통제됩니다.",
    ),
    row(
        "ko-particle-ro-before-counts",
        "해운대로 3개 중대가 투입됐고, 피의자 2명은 경찰서로 20분 만에 압송됐습니다. "
        "피해자는 주로 20~30대였습니다.",
    ),
    row(
        "ko-money-recovered",
        "보이스피싱 피해금 1,500,000원 가운데 50만원을 회수해 피해자에게 돌려드렸습니다.",
    ),
    row(
        "ko-atm-time-range",
        "어제 오후 10시 30분~11시 45분 사이 영업점 3곳에서 현금 인출 시도가 있었습니다. "
        "출근길 3중 추돌사고 처리도 마쳤습니다.",
    ),
    row(
        "ko-campaign-event-date",
        "2024년 3월 12일 오전 9시 부산역 광장에서 범죄예방 캠페인을 엽니다. 경찰관 300명이 참여합니다.",
    ),
    row(
        "ko-law-article-and-birth-stats",
        "도로교통법 제44조 1항 위반으로 적발된 건수가 늘었고, 2024년 출생아 통계와는 관련이 없습니다.",
    ),
    row(
        "ko-particle-ro-before-more-counters",
        "신임 경찰관 40명이 서울로 1박 2일 교육을 다녀왔고, 부산으로 2주 파견된 뒤 2인 1조로 순찰합니다.",
    ),
    row(
        "ko-report-by-text-to-112",
        "말하기 어려운 상황이라면 문자로 112에 신고하세요. 휴대전화로 112 신고 시 위치 확인이 가능합니다.",
    ),
    row(
        "ko-notice-number-and-date",
        "경찰청 고시 12호 2024.3.12. 시행에 따라 집회 소음 기준이 강화됩니다.",
    ),
    row(
        "ko-scam-bank-account-13-digits",
        "사기에 이용된 계좌 1002123456789(우리은행)로는 절대 송금하지 마시고, 피해는 182로 상담하세요.",
    ),
    row(
        "ko-emergency-button-and-text-112",
        "스마트워치 긴급버튼으로 112 상황실에 자동 접수되며, 휴대전화로 112 번호만 눌러도 됩니다. "
        "카카오톡 메시지로 112 신고도 가능합니다.",
    ),
    row(
        "ko-expressway-section-and-straight-on",
        "남해고속도로 1구간 확장 공사가 끝났습니다. 음주 차량은 신호를 무시한 채 그대로 2차로를 따라 "
        "달아났습니다.",
    ),
    row(
        "ko-recruitment-notice-number",
        "경찰청 공고 제12호 2024 하반기 순경 공개채용 일정을 알려드립니다.",
    ),
]

TABLE = (
    EN_WITH_PERSONAL_DATA
    + EN_WITHOUT_PERSONAL_DATA
    + KO_WITH_PERSONAL_DATA
    + KO_WITHOUT_PERSONAL_DATA
)


def test_the_table_is_big_and_balanced():
    english = len(EN_WITH_PERSONAL_DATA) + len(EN_WITHOUT_PERSONAL_DATA)
    korean = len(KO_WITH_PERSONAL_DATA) + len(KO_WITHOUT_PERSONAL_DATA)
    with_data = len(EN_WITH_PERSONAL_DATA) + len(KO_WITH_PERSONAL_DATA)
    assert len(TABLE) >= 40
    assert abs(english - korean) <= 4
    assert abs(with_data - (len(TABLE) - with_data)) <= 4


@pytest.mark.parametrize(("text", "must", "must_not"), TABLE)
def test_detectors_on_real_posts(text, must, must_not):
    findings = check(text, default_rules())
    got = [(f.kind, f.excerpt) for f in findings]
    for kind, excerpt in must:
        assert (kind, excerpt) in got, f"missed {kind} {excerpt!r}; got {got}"
    unwanted = [(f.kind, f.excerpt) for f in findings if f.kind in must_not]
    assert unwanted == [], f"false alarm: {unwanted}"
    # Nothing extra of the kinds the row expects either (a second, wrong phone number).
    assert sorted(got) == sorted(must)
    for f in findings:
        assert text[f.start : f.end] == f.excerpt


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("QQ123456C", NID),  # the HMRC example number: QQ is not an issued prefix
        ("GB123456A TN123456A NK123456A ZZ123456D", NID),  # prefixes never issued
        ("000-12-3456 666-12-3456 912-12-3456 123-00-4567 123-45-0000", NID),  # impossible SSNs
        ("850332-1234567 851312-2234567", NID),  # 32 March, month 13
        ("ab12 cde AB12 CD", PLATE),  # lower case, too short
        ("2024년생산 목표 2023년생활안전", DOB),  # "생" starting another word
        ("2024년 3월 12일 출생아 수", DOB),  # births as a statistic
        ("He celebrated his 100th birthday on 12 March 2024.", DOB),
        ("Station Road, 3 miles; 12 March Road Safety Week", ADDRESS),
        ("1588-1234 080-123-4567 1-800-225-5324 0300 123 4567 0808 800 5000", PHONE),
    ],
)
def test_near_misses_are_not_flagged(text, kind):
    assert [f.excerpt for f in check(text, default_rules()) if f.kind == kind] == []


@pytest.mark.parametrize(
    ("text", "kind", "excerpt"),
    [
        ("Ring +44 (0)20 7946 0018 today.", PHONE, "+44 (0)20 7946 0018"),
        ("Manchester office: 0161 496 0000.", PHONE, "0161 496 0000"),
        ("연락처:010.1234.5678", PHONE, "010.1234.5678"),
        ("현지 번호 +82-2-123-4567", PHONE, "+82-2-123-4567"),
        ("born on March 3, 1985", DOB, "March 3, 1985"),
        ("생년월일: 850312", DOB, "850312"),
        ("1985.03.12 출생", DOB, "1985.03.12"),
        ("세종대로23길 47에서", ADDRESS, "세종대로23길 47"),
        ("중앙대로 123인근에서", ADDRESS, "중앙대로 123"),
        ("부산 해운대구 우동 1394-65 주택", ADDRESS, "우동 1394-65"),
        ("차량번호 12 가 3456", PLATE, "12 가 3456"),
    ],
)
def test_other_written_forms_are_caught(text, kind, excerpt):
    assert [f.excerpt for f in check(text, default_rules()) if f.kind == kind] == [excerpt]


# --- Blocked and required terms ----------------------------------------------------------------


def blocked(*terms: str) -> RuleSpec:
    return RuleSpec(name="Banned words", kind=policy.BLOCKED_TERM, severity="block", terms=terms)


def test_blocked_english_term_matches_whole_words_in_any_case():
    text = "Skilled officers said the KILL switch was found; killers were not. Kill."
    findings = check(text, [blocked("kill")])
    assert [(f.start, f.excerpt) for f in findings] == [
        (text.index("KILL"), "KILL"),
        (text.index("Kill."), "Kill"),
    ]


def test_blocked_multi_word_term_spans_any_whitespace():
    text = "No more knife\ncrime in our town."
    [finding] = check(text, [blocked("knife crime")])
    assert finding.excerpt == "knife\ncrime"


def test_blocked_korean_term_matches_with_a_particle_attached():
    text = "마약을 소지한 혐의로 체포된 남성은 마약 거래도 인정했습니다."
    findings = check(text, [blocked("마약")])
    assert [(f.start, f.end, f.excerpt) for f in findings] == [
        (0, 2, "마약"),
        (text.index("마약 거래"), text.index("마약 거래") + 2, "마약"),
    ]


def test_blocked_latin_term_followed_by_a_korean_particle_still_matches():
    [finding] = check("CCTV를 확인했습니다.", [blocked("cctv")])
    assert (finding.start, finding.end, finding.excerpt) == (0, 4, "CCTV")


def test_blocked_finding_carries_rule_and_default_message():
    [finding] = check("a knife", [blocked("knife")])
    assert finding == Finding(
        rule="Banned words",
        kind="blocked_term",
        severity="block",
        start=2,
        end=7,
        message="This word is on the agency's blocked list.",
        excerpt="knife",
    )


def test_the_agencys_own_message_replaces_the_default():
    rule = RuleSpec(
        name="Slang",
        kind="blocked_term",
        severity="warn",
        message="Say 'police officer'.",
        terms=("cop",),
    )
    [finding] = check("A cop said hello.", [rule])
    assert finding.message == "Say 'police officer'."


def test_missing_required_term_is_reported_at_the_start_with_no_excerpt():
    rule = RuleSpec(
        name="Force name", kind="required_term", severity="warn", terms=("Beat Police",)
    )
    [finding] = check("Officers attended a burglary.", [rule])
    assert (finding.start, finding.end, finding.excerpt) == (0, 0, "")
    assert "Beat Police" in finding.message
    assert check("Beat  Police officers attended.", [rule]) == []


def test_required_term_is_met_by_any_of_its_terms():
    rule = RuleSpec(
        name="Force name", kind="required_term", severity="warn", terms=("Beat Police", "비트경찰")
    )
    assert check("비트경찰청은 오늘 캠페인을 열었습니다.", [rule]) == []


def test_required_hashtag_missing_and_present():
    rule = RuleSpec(name="Tag", kind="required_hashtag", severity="block", terms=("BeatPolice",))
    [missing] = check("Thanks for sharing! #BeatPoliceUK", [rule])
    assert (missing.kind, missing.start, missing.end) == ("required_hashtag", 0, 0)
    assert "BeatPolice" in missing.message
    assert check("Thanks for sharing! #beatpolice", [rule]) == []
    assert check("#BeatPolice 공유해 주셔서 감사합니다.", [rule]) == []


def test_required_disclaimer_ignores_case_spacing_and_curly_quotes():
    rule = RuleSpec(
        name="Disclaimer",
        kind="required_disclaimer",
        severity="block",
        terms=("Don't report crime here. Call 101 or 999.", "이곳은 신고 창구가 아닙니다."),
    )
    assert check("Lost dog found.\n\ndon’t report crime here.  Call 101 or 999.", [rule]) == []
    assert check("주인을 찾습니다. 이곳은 신고 창구가  아닙니다.", [rule]) == []
    [missing] = check("Lost dog found.", [rule])
    assert (missing.start, missing.end, missing.excerpt) == (0, 0, "")
    assert missing.message == "The required disclaimer is missing."


# --- Regular expressions and validation --------------------------------------------------------


def test_regex_rule_reports_each_match_with_offsets():
    rule = RuleSpec(name="Op names", kind="regex", severity="warn", pattern=r"Operation [A-Z]\w+")
    text = "Operation Falcon ended; Operation Lantern begins."
    findings = check(text, [rule])
    assert [(f.start, f.end, f.excerpt) for f in findings] == [
        (0, 16, "Operation Falcon"),
        (24, 41, "Operation Lantern"),
    ]


def test_regex_rule_skips_empty_matches():
    rule = RuleSpec(name="Digits", kind="regex", severity="warn", pattern=r"\d*")
    assert [f.excerpt for f in check("a 12 b 3", [rule])] == ["12", "3"]


def test_invalid_regex_is_reported_by_validate_and_never_crashes_check():
    rule = RuleSpec(name="Broken", kind="regex", severity="block", pattern=r"(unclosed[")
    [problem] = validate_rule(rule)
    assert "not a valid regular expression" in problem
    assert check("anything (unclosed[", [rule]) == []


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (RuleSpec(name="", kind="blocked_term", severity="block", terms=("x",)), "name"),
        (RuleSpec(name="R", kind="telepathy", severity="block"), "Unknown kind"),
        (RuleSpec(name="R", kind="blocked_term", severity="urgent", terms=("x",)), "severity"),
        (RuleSpec(name="R", kind="blocked_term", severity="block", terms=(" ", "")), "term"),
        (
            RuleSpec(name="R", kind="required_hashtag", severity="warn", terms=("#Beat Police",)),
            "hashtag",
        ),
        (RuleSpec(name="R", kind="regex", severity="warn"), "pattern"),
    ],
)
def test_validate_rule_explains_a_bad_rule(spec, expected):
    problems = validate_rule(spec)
    assert len(problems) == 1
    assert expected in problems[0]


def test_validate_rule_accepts_good_rules_and_every_default():
    good = [
        RuleSpec(name="Words", kind="blocked_term", severity="block", terms=("마약",)),
        RuleSpec(name="Tag", kind="required_hashtag", severity="warn", terms=("#BeatPolice",)),
        RuleSpec(name="Refs", kind="regex", severity="warn", pattern=r"\bref \d+"),
    ]
    for spec in good + default_rules():
        assert validate_rule(spec) == []
    assert check("anything", [RuleSpec(name="X", kind="telepathy", severity="block")]) == []


def test_default_rules_cover_every_detector_with_the_documented_severities():
    severities = {spec.kind: spec.severity for spec in default_rules()}
    assert severities == {
        PHONE: "block",
        EMAIL: "block",
        NID: "block",
        PLATE: "warn",
        DOB: "warn",
        ADDRESS: "warn",
    }


# --- Offsets, ordering, allow-list -------------------------------------------------------------


def test_offsets_are_python_string_indices_after_emoji_and_korean():
    text = "🚨👮‍♀️ 긴급 실종 알림 🙏 가족 연락처 010-1234-5678, 메일 family@example.com 🚓"
    findings = check(text, default_rules())
    assert [(f.kind, f.excerpt) for f in findings] == [
        (PHONE, "010-1234-5678"),
        (EMAIL, "family@example.com"),
    ]
    phone, email = findings
    assert phone.start == text.index("010") and phone.end == phone.start + len("010-1234-5678")
    assert email.start == text.index("family@") and text[email.start : email.end] == email.excerpt


def test_findings_are_sorted_by_start_end_and_rule():
    rules = [
        *default_rules(),
        blocked("knife"),
        RuleSpec(name="Any digits", kind="regex", severity="warn", pattern=r"\d+"),
        RuleSpec(name="Tag", kind="required_hashtag", severity="warn", terms=("BeatPolice",)),
    ]
    text = "Knife seized at 14 Acacia Avenue; call 07700 900123. Another knife found."
    findings = check(text, rules)
    keys = [(f.start, f.end, f.rule) for f in findings]
    assert keys == sorted(keys)
    assert findings[0].kind == "required_hashtag"  # missing: at 0, before everything
    assert [f.excerpt for f in findings if f.rule == "Any digits"] == ["14", "07700", "900123"]


def test_a_detector_rule_never_flags_the_agencys_own_public_values():
    rule = RuleSpec(
        name="Phones",
        kind=PHONE,
        severity="block",
        terms=("051-899-2000", "press@example.police.uk"),
    )
    text = "해운대경찰서 (051) 899-2000 또는 051-123-4567로 문의하세요."
    assert [f.excerpt for f in check(text, [rule])] == ["051-123-4567"]
