"""The simulated public: who replies to a post, what they say, and when.

Everything here is a pure function of a `random.Random` the caller seeds from the sandbox
seed and the post's identity, so two sandboxes started with the same seed produce the
same public for the same sequence of posts.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

CATEGORY_WEIGHTS: dict[str, int] = {
    "question": 30,
    "praise": 20,
    "complaint": 18,
    "tip": 12,
    "abuse": 8,
    "chatter": 8,
    "urgent": 4,
}

TEXTS: dict[str, dict[str, list[str]]] = {
    "en": {
        "question": [
            "Which roads are affected exactly?",
            "Is this still going on? Need to drive through later.",
            "How do I report something like this without calling 999?",
            "Any update on this?",
            "Can you say what time this happened?",
            "Do you need witnesses? I was nearby around then.",
            "Is the station on the high street open at weekends?",
            "Where can I get a crime reference number?",
            "Is it safe to walk through the park tonight?",
            "Who do I contact about a lost wallet?",
            "Are the buses being diverted because of this?",
            "Will there be extra patrols this weekend?",
            "Can I report this online or do I have to come in?",
            "What should people do if they see the suspect?",
        ],
        "praise": [
            "Thanks for keeping us posted, really helpful.",
            "Great work by the officers involved.",
            "Brilliant response, thank you all.",
            "Good to see you being so open about this.",
            "The officer who helped my mum last week was lovely. Thank you.",
            "Quick response, much appreciated.",
            "This is exactly the kind of update we need. Cheers.",
            "Well done team, stay safe out there.",
            "Really reassuring to see this, thank you.",
            "Respect to everyone working tonight.",
            "Thank you for the clear advice.",
            "Nice one, glad nobody was hurt.",
        ],
        "complaint": [
            "Reported a break-in three weeks ago and still no call back.",
            "Why does it take so long for anyone to turn up?",
            "Great, another road closed with no warning.",
            "Nobody answered 101 for forty minutes last night.",
            "Cars speed down our street every night and nothing is done.",
            "Maybe spend less time on social media and more on patrol.",
            "This should have been announced hours ago.",
            "My bike was stolen in broad daylight and I got a text with a number. That's it.",
            "The online form keeps crashing when I try to submit.",
            "Still waiting for my property to be returned.",
            "We asked for more patrols months ago.",
            "Parking on the pavement outside the school every morning, please sort it.",
        ],
        "tip": [
            "Saw a grey van hanging around the estate again this evening.",
            "There's CCTV on the corner shop, might be worth checking.",
            "Same thing happened on Mill Lane last month.",
            "Kids have been setting fires behind the leisure centre.",
            "The streetlight by the underpass has been out for weeks, it's where it happens.",
            "A man was trying car door handles on Church Road about an hour ago.",
            "I think the scooter in the photo belongs to someone on our road.",
            "Dashcam caught something similar on the bypass, how do I send it?",
            "People dealing openly by the station steps most afternoons.",
            "Quad bikes tearing across the playing fields again.",
            "The shop on the corner sells to under-age kids, everyone knows.",
            "Heard shouting and glass breaking near the bus depot around 11.",
        ],
        "abuse": [
            "Useless, the lot of you.",
            "You lot couldn't catch a cold.",
            "Absolute clowns.",
            "Pathetic. Do your jobs.",
            "Nobody trusts you anymore.",
            "What a joke of a police force.",
            "Typical. All talk.",
            "Waste of taxpayers' money.",
            "Try catching real criminals for once.",
            "Another PR post while the town falls apart.",
            "Embarrassing.",
            "Don't pretend you care.",
        ],
        "chatter": [
            "My nan lives round there, hope everyone is OK.",
            "Saw the helicopter, wondered what that was.",
            "Sharing so more people see it.",
            "That explains the sirens earlier.",
            "Stay safe everyone.",
            "Tagging my brother who drives that way.",
            "Wow, didn't expect that round here.",
            "Hope they find them soon.",
            "Crazy times.",
            "Following for updates.",
            "Glad it's sorted.",
            "Always something on that road.",
        ],
        "urgent": [
            "URGENT: a man with a knife outside the Co-op on King Street right now.",
            "There's a child on their own on the railway bridge, please send someone.",
            "Car has just crashed into the river by the old mill, people inside.",
            "Someone is trying to break into my neighbour's house as I type this.",
            "Elderly man collapsed at the bus stop on Station Road, not responding.",
            "Smell of gas all along Victoria Terrace, getting stronger.",
            "Fight with weapons outside the nightclub on Bridge Street now.",
            "My daughter hasn't come home and her phone is off, she's 14.",
            "Woman screaming for help from a flat on Park Avenue.",
            "Lorry shed its load on the motorway, cars swerving everywhere.",
            "Someone threatening to jump from the multi-storey car park.",
            "Fire in the flats on Rose Street, smoke everywhere.",
        ],
    },
    "ko": {
        "question": [
            "정확히 어느 도로가 통제되나요?",
            "아직도 진행 중인가요? 이따가 그쪽으로 지나가야 해서요.",
            "112 말고 이런 건 어디에 신고하면 되나요?",
            "혹시 업데이트 있나요?",
            "몇 시쯤 있었던 일인지 알 수 있을까요?",
            "목격자 필요하신가요? 그 시간에 근처에 있었어요.",
            "지구대는 주말에도 운영하나요?",
            "사건 접수번호는 어디서 확인하나요?",
            "오늘 밤 공원 쪽으로 걸어가도 안전할까요?",
            "지갑을 잃어버렸는데 어디로 연락하면 되나요?",
            "이것 때문에 버스도 우회하나요?",
            "이번 주말에 순찰 늘리시나요?",
            "온라인으로 신고해도 되나요, 직접 가야 하나요?",
            "용의자를 보면 어떻게 해야 하나요?",
        ],
        "praise": [
            "빠르게 알려주셔서 감사합니다.",
            "출동하신 경찰관분들 정말 고생 많으셨어요.",
            "신속한 대응 감사드립니다.",
            "이렇게 투명하게 알려주시니 좋네요.",
            "지난주에 저희 어머니 도와주신 경찰관님 정말 친절하셨어요. 감사합니다.",
            "덕분에 안심이 됩니다.",
            "딱 필요한 정보네요. 감사해요!",
            "항상 수고 많으십니다. 안전 조심하세요.",
            "다친 사람이 없어서 다행이에요. 감사합니다.",
            "밤늦게까지 고생하시는 모든 분들 응원합니다.",
            "안내가 명확해서 좋아요.",
            "역시 믿고 갑니다.",
        ],
        "complaint": [
            "3주 전에 도난 신고했는데 아직도 연락이 없어요.",
            "왜 이렇게 출동이 늦나요?",
            "예고도 없이 또 도로 통제네요.",
            "어젯밤 민원 전화 40분 동안 아무도 안 받았어요.",
            "저희 골목은 매일 밤 과속 차량 때문에 위험한데 아무 조치가 없네요.",
            "SNS 할 시간에 순찰이나 더 돌아주세요.",
            "이건 몇 시간 전에 공지했어야죠.",
            "대낮에 자전거 도둑맞았는데 문자 한 통 온 게 끝이에요.",
            "온라인 신고 페이지가 계속 오류 나요.",
            "압수된 물건 아직도 못 돌려받았어요.",
            "몇 달 전부터 순찰 늘려달라고 했잖아요.",
            "학교 앞 불법주차 매일 아침마다 심각해요. 단속 좀 해주세요.",
        ],
        "tip": [
            "오늘 저녁에도 회색 승합차가 아파트 단지 근처를 계속 돌았어요.",
            "모퉁이 편의점에 CCTV 있으니 확인해 보세요.",
            "지난달에 방앗간 골목에서도 똑같은 일이 있었어요.",
            "체육관 뒤에서 애들이 불장난을 하고 있어요.",
            "지하도 옆 가로등이 몇 주째 꺼져 있는데 거기서 자주 그래요.",
            "한 시간 전쯤 교회 앞 길에서 어떤 남자가 차 문을 하나씩 당겨보고 있었어요.",
            "사진 속 킥보드 저희 동네 사람 것 같아요.",
            "블랙박스에 비슷한 장면 찍혔는데 어떻게 보내면 되나요?",
            "역 계단 쪽에서 오후마다 수상한 거래가 있어요.",
            "운동장에서 오토바이들이 또 난폭하게 달리고 있어요.",
            "골목 가게에서 미성년자한테 술 판다는 소문이 파다해요.",
            "11시쯤 버스 차고지 근처에서 고함이랑 유리 깨지는 소리 들었어요.",
        ],
        "abuse": [
            "하는 일이 뭐예요 도대체.",
            "세금이 아깝다.",
            "진짜 한심하네요.",
            "일 좀 제대로 하세요.",
            "이제 아무도 경찰 안 믿어요.",
            "웃기고 있네.",
            "말만 번지르르하네.",
            "보여주기식 홍보 그만하세요.",
            "진짜 범죄자나 잡으세요.",
            "동네는 엉망인데 홍보 글만 올리네.",
            "창피한 줄 아세요.",
            "관심 있는 척하지 마세요.",
        ],
        "chatter": [
            "저희 할머니 댁이 그 근처인데 다들 괜찮으시길.",
            "아까 헬기 떠 있던 게 이거였구나.",
            "더 많은 분들이 보시도록 공유합니다.",
            "아까 사이렌 소리가 이거였네요.",
            "모두 안전 조심하세요.",
            "그쪽으로 출퇴근하는 동생한테 알려줬어요.",
            "우리 동네에서 이런 일이 있을 줄이야.",
            "빨리 찾았으면 좋겠네요.",
            "요즘 세상 참 무섭네요.",
            "계속 소식 지켜볼게요.",
            "잘 해결돼서 다행이에요.",
            "그 도로는 맨날 무슨 일이 있네요.",
        ],
        "urgent": [
            "긴급: 지금 중앙시장 입구에서 어떤 남자가 칼을 들고 있어요.",
            "철길 육교 위에 아이 혼자 있어요. 빨리 와주세요.",
            "방금 옛 방앗간 옆 하천으로 차가 빠졌어요. 사람이 타고 있어요.",
            "지금 옆집에 누가 침입하려고 하고 있어요.",
            "역 앞 버스정류장에서 할아버지가 쓰러지셨는데 반응이 없어요.",
            "행복로 일대에 가스 냄새가 점점 심해지고 있어요.",
            "다리 건너 유흥가 앞에서 흉기 들고 싸우고 있어요.",
            "중학생 딸이 아직 집에 안 왔고 전화기도 꺼져 있어요.",
            "공원로 빌라에서 여자분이 살려달라고 소리쳐요.",
            "고속도로에서 화물차 짐이 쏟아져서 차들이 위험하게 피하고 있어요.",
            "주차타워 옥상에서 누가 뛰어내리려고 해요.",
            "장미아파트에 불났어요. 연기가 가득해요.",
        ],
    },
}

HASHTAG_TEXTS: dict[str, list[str]] = {
    "en": [
        "Good to see this campaign {tag}",
        "Shared with my street's group chat {tag}",
        "Locked my shed after reading this, cheers {tag}",
        "Does this apply to e-scooters too? {tag}",
        "We had a talk about this at school today {tag}",
        "Finally some practical advice {tag}",
        "Wish this had been around last year {tag}",
        "Our community centre has the leaflets {tag}",
        "Not convinced this will change anything {tag}",
        "Passing this on to my parents {tag}",
        "Signed up to the neighbourhood alerts {tag}",
        "More of this please {tag}",
    ],
    "ko": [
        "좋은 캠페인이네요 {tag}",
        "우리 아파트 단톡방에 공유했어요 {tag}",
        "이거 보고 창고 문 잠갔어요 {tag}",
        "전동킥보드도 해당되나요? {tag}",
        "오늘 학교에서 이 내용 배웠어요 {tag}",
        "드디어 실용적인 안내네요 {tag}",
        "작년에 이런 게 있었으면 좋았을 텐데 {tag}",
        "주민센터에 안내문 있더라고요 {tag}",
        "이걸로 뭐가 바뀔지는 모르겠네요 {tag}",
        "부모님께도 알려드렸어요 {tag}",
        "동네 알림 서비스 신청했어요 {tag}",
        "이런 캠페인 더 해주세요 {tag}",
    ],
}

FIRST_NAMES = {
    "en": [
        "Jenny",
        "Tom",
        "Aisha",
        "Liam",
        "Sophie",
        "Raj",
        "Megan",
        "Dan",
        "Chloe",
        "Kwame",
        "Hannah",
        "Callum",
        "Priya",
        "Owen",
        "Zoe",
        "Marek",
        "Ellie",
        "Jack",
        "Fatima",
        "Ben",
    ],
    "ko": [
        "민준",
        "서연",
        "지훈",
        "하은",
        "도윤",
        "수아",
        "예준",
        "지우",
        "현우",
        "서윤",
        "건우",
        "민서",
        "우진",
        "채원",
        "선우",
        "지민",
        "유진",
        "태현",
        "다은",
        "준호",
    ],
}
LAST_NAMES = {
    "en": [
        "Patel",
        "Smith",
        "Jones",
        "Okafor",
        "Brown",
        "Walsh",
        "Khan",
        "Taylor",
        "Evans",
        "Nowak",
        "Hughes",
        "Clarke",
        "Ali",
        "Murphy",
        "Wright",
    ],
    "ko": [
        "김",
        "이",
        "박",
        "최",
        "정",
        "강",
        "조",
        "윤",
        "장",
        "임",
        "한",
        "오",
        "서",
        "신",
        "권",
    ],
}
ROMAN = {
    "김": "kim",
    "이": "lee",
    "박": "park",
    "최": "choi",
    "정": "jung",
    "강": "kang",
    "조": "cho",
    "윤": "yoon",
    "장": "jang",
    "임": "lim",
    "한": "han",
    "오": "oh",
    "서": "seo",
    "신": "shin",
    "권": "kwon",
    "민준": "minjun",
    "서연": "seoyeon",
    "지훈": "jihoon",
    "하은": "haeun",
    "도윤": "doyun",
    "수아": "sua",
    "예준": "yejun",
    "지우": "jiwoo",
    "현우": "hyunwoo",
    "서윤": "seoyun",
    "건우": "gunwoo",
    "민서": "minseo",
    "우진": "woojin",
    "채원": "chaewon",
    "선우": "sunwoo",
    "지민": "jimin",
    "유진": "yujin",
    "태현": "taehyun",
    "다은": "daeun",
    "준호": "junho",
}


@dataclass(frozen=True)
class Person:
    user_id: str
    handle: str
    name: str


@dataclass(frozen=True)
class PlannedReply:
    """One reaction to a post. `parent` indexes an earlier PlannedReply, None = the post."""

    delay_s: float
    parent: int | None
    category: str
    text: str
    person: Person
    mention_only: bool = False  # a standalone mention of the account, not a reply


def seeded(seed: int, *parts: object) -> random.Random:
    """The sandbox's deterministic randomness for one identity (see Store.rng)."""
    return random.Random("|".join(str(p) for p in (seed, *parts)))  # noqa: S311


def language_of(language: str) -> str:
    return language if language in TEXTS else "en"


def person(rng: random.Random, language: str) -> Person:
    lang = language_of(language)
    first = rng.choice(FIRST_NAMES[lang])
    last = rng.choice(LAST_NAMES[lang])
    number = rng.randint(1, 99)
    if lang == "ko":
        name = f"{last}{first}"
        handle = f"{ROMAN[first]}_{ROMAN[last]}{number}"
    else:
        name = f"{first} {last}"
        handle = f"{first.lower()}{last[0].lower()}{number}"
    # Public ids are derived from the handle so the same simulated person keeps one id.
    user_id = str(10**17 + sum(ord(c) * 131**i for i, c in enumerate(handle)) % 10**17)
    return Person(user_id=user_id, handle=handle, name=name)


def category(rng: random.Random) -> str:
    names = list(CATEGORY_WEIGHTS)
    return rng.choices(names, weights=[CATEGORY_WEIGHTS[n] for n in names])[0]


def plan_reactions(rng: random.Random, language: str, our_handle: str) -> list[PlannedReply]:
    """Replies to a new post over the next ~20 minutes, some answering each other."""
    lang = language_of(language)
    plans: list[PlannedReply] = []
    for _ in range(rng.randint(3, 7)):
        cat = category(rng)
        plans.append(
            PlannedReply(
                delay_s=rng.uniform(15, 900),
                parent=None,
                category=cat,
                text=rng.choice(TEXTS[lang][cat]),
                person=person(rng, lang),
            )
        )
    # Threads: people answer earlier repliers a little later.
    for _ in range(rng.randint(0, 3)):
        parent = rng.randrange(len(plans))
        cat = rng.choice(["chatter", "question", "complaint", "praise"])
        plans.append(
            PlannedReply(
                delay_s=plans[parent].delay_s + rng.uniform(20, 600),
                parent=parent,
                category=cat,
                text=rng.choice(TEXTS[lang][cat]),
                person=person(rng, lang),
            )
        )
    # Now and then someone tags the account in a post of their own instead of replying.
    if rng.random() < 0.35:
        cat = rng.choice(["tip", "question", "urgent", "complaint"])
        text = rng.choice(TEXTS[lang][cat])
        plans.append(
            PlannedReply(
                delay_s=rng.uniform(30, 1200),
                parent=None,
                category=cat,
                text=f"@{our_handle} {text}",
                person=person(rng, lang),
                mention_only=True,
            )
        )
    return plans


_HASHTAG = re.compile(r"(?<![\w&])[#＃](\w+)")


def hashtags_of(text: str) -> list[str]:
    """The hashtags in one of our posts (a campaign post), each with its '#'."""
    return ["#" + tag for tag in _HASHTAG.findall(text) if not tag.isdigit()]


def echo_hashtags(rng: random.Random, text: str, hashtags: list[str]) -> str:
    """About a third of the people answering a campaign post repeat one of its hashtags."""
    if not hashtags or rng.random() >= 0.35:
        return text
    return f"{text} {rng.choice(hashtags)}"


def plan_hashtag_posts(
    rng: random.Random, language: str, tag: str, count: int = 200
) -> list[tuple[float, str, Person]]:
    """Public posts using a campaign tag, every few minutes for the next ~half day."""
    lang = language_of(language)
    at = 0.0
    out: list[tuple[float, str, Person]] = []
    for _ in range(count):
        at += rng.uniform(20, 360)
        out.append((at, rng.choice(HASHTAG_TEXTS[lang]).format(tag=tag), person(rng, lang)))
    return out


def metrics(rng: random.Random, age_s: float) -> dict[str, int]:
    """Reach of a post `age_s` seconds old: grows fast, then levels off. Monotonic in age."""
    age = max(0.0, age_s)
    peak = rng.randint(800, 20000)
    tau = rng.uniform(1800, 7200)
    like_rate = rng.uniform(0.01, 0.05)
    share_rate = rng.uniform(0.1, 0.3)
    views = int(peak * (1 - math.exp(-age / tau)))
    likes = int(views * like_rate)
    return {
        "impressions": views,
        "likes": likes,
        "shares": int(likes * share_rate),
        "quotes": int(likes * share_rate / 4),
        "bookmarks": int(likes / 6),
        "clicks": int(views * 0.02),
    }


# Simulated audiences grow from this moment (2024-01-01 UTC), so an account's follower count is a
# function of the sandbox clock alone and needs no stored state to survive a restart.
AUDIENCE_EPOCH = 1704067200.0


def audience(rng: random.Random, at: float, posts: int) -> dict[str, int]:
    """Followers and following of an account at sandbox time `at`, after `posts` posts of ours.

    A base, a steady daily gain with a weekly swell, and a few followers per post. The swell's
    slope never exceeds the daily gain, so the count never falls as time passes or posts are made.
    """
    base = rng.randint(2000, 40000)
    per_day = rng.uniform(3, 30)
    per_post = rng.uniform(1, 12)
    phase = rng.uniform(0, 2 * math.pi)
    following = rng.randint(40, 900)
    days = max(0.0, (at - AUDIENCE_EPOCH) / 86400)
    # d/dt of swing * sin(2*pi*t/7) is at most swing * 2*pi/7 = 0.9 * per_day.
    swing = 0.9 * per_day * 7 / (2 * math.pi)
    grown = per_day * days + swing * (math.sin(2 * math.pi * days / 7 + phase) - math.sin(phase))
    return {
        "followers": base + int(grown) + int(per_post * max(0, posts)),
        "following": following,
    }
