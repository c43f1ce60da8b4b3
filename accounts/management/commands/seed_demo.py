"""A fictional demo agency, one person per role, two sandbox accounts and some sample content.

Running it again changes nothing: everything is looked up before it is created, and passwords
of people who already exist are left alone.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import services
from accounts.models import Agency, Membership, PlatformAccount, Role, User
from campaigns.models import Campaign, GoalKind, MonitorColumn
from campaigns.services import campaign_create, campaign_update, monitor_column_create
from engagement import metrics
from engagement.models import AccountSnapshot, CannedResponse, MetricSnapshot, TargetMetrics
from engagement.threads import canned_response_save
from platforms.base import AccountStats
from platforms.sandbox import public
from posts.models import (
    PolicyRule,
    Post,
    PostStatus,
    PostStyle,
    PostTarget,
    PostTemplate,
    TargetStatus,
)
from posts.publishing import post_schedule
from posts.services import post_create
from posts.settings_services import policy_rule_create, template_create

AGENCY = {"name": "Harbour City Police (demo)", "slug": "harbour-demo", "timezone": "Europe/London"}
PEOPLE = [
    # (role, e-mail, full name, password): demo-only logins, printed for the newcomer.
    (Role.OFFICER, "officer@harbour.demo", "Olivia Officer", "demo-officer-pass"),
    (Role.SUPERVISOR, "supervisor@harbour.demo", "Sam Supervisor", "demo-supervisor-pass"),
    (Role.ANALYST, "analyst@harbour.demo", "Ana Analyst", "demo-analyst-pass"),
    (Role.ADMIN, "admin@harbour.demo", "Adam Admin", "demo-admin-pass-1"),
]
# Credentials the platform sandbox accepts for these accounts (see platforms/sandbox).
SANDBOX_ACCOUNTS = [
    {
        "platform": "x",
        "handle": "@HarbourCityPolice",
        "external_id": "1700000000000000001",
        "display_name": "Harbour City Police",
        "credentials": {
            "consumer_key": "demo-consumer-key",
            "consumer_secret": "demo-consumer-secret",
            "access_token": "demo-x-harbour-token",
            "access_token_secret": "demo-x-harbour-secret",
        },
    },
    {
        "platform": "facebook",
        "handle": "Harbour City Police",
        "external_id": "100200300400500",
        "display_name": "Harbour City Police",
        "credentials": {"page_access_token": "demo-fb-harbour-token"},
    },
]
SAMPLE_POSTS = [
    (
        PostStyle.NARRATIVE,
        PostStatus.PUBLISHED,
        -2,
        "Last night PC Shah found Biscuit, a very confused spaniel, trotting along the harbour "
        "wall at 2am. A warm blanket and two biscuits later, Biscuit is home. Good night, Biscuit.",
    ),
    (
        PostStyle.APPEAL,
        PostStatus.IN_REVIEW,
        1,
        "Did you see a blue bicycle being taken from outside the library on Market Street "
        "yesterday afternoon? If you can help, message us or call 101.",
    ),
    (
        PostStyle.CAMPAIGN,
        PostStatus.APPROVED,
        2,
        "Children don't always say it out loud. Know the signs, and know who to call. "
        "#KnowTheSigns",
    ),
    (
        PostStyle.COMMUNITY,
        PostStatus.APPROVED,
        None,
        "Thank you to everyone who came to the coffee-with-a-cop morning at the harbour market. "
        "Same time next month!",
    ),
    (
        PostStyle.ANNOUNCEMENT,
        PostStatus.DRAFT,
        None,
        "Our front counter on Quay Road will be closed on Saturday morning for repairs.",
    ),
]


TEMPLATES = [
    (
        "Missing person appeal",
        PostStyle.APPEAL,
        "We are concerned for the welfare of {name}, {age}, who was last seen in {area} at "
        "{time}. {name} is described as {description}. If you have seen {name}, please call 101 "
        "quoting reference {reference}. In an emergency, always call 999.",
    ),
    (
        "Road closure",
        PostStyle.ANNOUNCEMENT,
        "{road} is closed between {from_place} and {to_place} while officers deal with {reason}. "
        "Please avoid the area and allow extra time for your journey.",
    ),
]
# (name, kind, severity, message, terms): an example of each kind of rule an agency writes.
# Canned responses for the inbox's reply box; {handle} becomes the citizen's handle.
CANNED_RESPONSES = [
    (
        "Not monitored 24/7",
        "en",
        "{handle} This account is not monitored 24/7. If someone is in danger, call 999 now; "
        "otherwise call 101 or report online.",
    ),
    (
        "Thanks for the information",
        "en",
        "Thank you {handle}. We have passed this to the investigating team.",
    ),
    (
        "Report it online",
        "en",
        "{handle} Please report this online or call 101 so an officer can follow it up. "
        "Please don't share personal details here.",
    ),
]

POLICY_RULES = [
    (
        "Speculation about suspects",
        "blocked_term",
        "block",
        "Do not name or describe a suspect before charge.",
        ["suspect is", "the culprit"],
    ),
    (
        "Plain words, not jargon",
        "blocked_term",
        "warn",
        "Write for the public: say crash rather than RTC, and describe people plainly.",
        ["RTC", "perp", "IC1", "IC3"],
    ),
]


class Command(BaseCommand):
    help = "Create the demo agency, its people, sandbox accounts and sample content (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        agency = Agency.objects.filter(slug=AGENCY["slug"]).first()
        if agency is None:
            agency = services.agency_create(
                name=AGENCY["name"],
                slug=AGENCY["slug"],
                timezone_name=AGENCY["timezone"],
                language="en",
                by=None,
            )
        people = {}
        for role, email, full_name, password in PEOPLE:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email=email, password=password, full_name=full_name)
            if not Membership.objects.filter(agency=agency, user=user).exists():
                services.membership_add(agency=agency, user=user, role=role, by=None)
            people[role] = user
        for spec in SANDBOX_ACCOUNTS:
            exists = PlatformAccount.objects.filter(
                agency=agency, platform=spec["platform"], external_id=spec["external_id"]
            ).exists()
            if not exists:
                services.platform_account_connect(agency=agency, by=None, **spec)
        campaign = Campaign.objects.filter(agency=agency, name="Know the signs").first()
        demo_accounts = list(PlatformAccount.objects.filter(agency=agency))
        if campaign is None:
            today = timezone.localdate()
            # Monitoring searches its hashtag every minute; the sandbox's public starts using
            # a tag once it is searched for, so public uses come in while the demo runs.
            campaign = campaign_create(
                agency=agency,
                by=people[Role.SUPERVISOR],
                name="Know the signs",
                description="Child-abuse prevention: how to spot the signs and whom to call.",
                hashtags="#KnowTheSigns",
                starts_on=today - timedelta(days=7),
                ends_on=today + timedelta(days=21),
                target_accounts=demo_accounts,
                goal_kind=GoalKind.PUBLIC_USES,
                goal_target=150,
            )
        elif campaign.goal_target is None:
            # A demo seeded before campaigns had goals: give it the same goal once.
            campaign = campaign_update(
                campaign=campaign,
                by=people[Role.SUPERVISOR],
                target_accounts=demo_accounts,
                goal_kind=GoalKind.PUBLIC_USES,
                goal_target=150,
            )
        if not MonitorColumn.objects.filter(agency=agency).exists():
            monitor_column_create(
                agency=agency,
                by=people[Role.OFFICER],
                query="#KnowTheSigns",
                title="Know the signs",
            )
        for name, style, body in TEMPLATES:
            if not PostTemplate.objects.filter(agency=agency, name=name).exists():
                template_create(
                    agency=agency, by=people[Role.ADMIN], name=name, body=body, style=style
                )
        for name, kind, severity, message, terms in POLICY_RULES:
            if not PolicyRule.objects.filter(agency=agency, name=name).exists():
                policy_rule_create(
                    agency=agency,
                    by=people[Role.ADMIN],
                    name=name,
                    kind=kind,
                    severity=severity,
                    message=message,
                    terms=terms,
                )
        for title, language, text in CANNED_RESPONSES:
            if not CannedResponse.objects.filter(agency=agency, title=title).exists():
                canned_response_save(
                    agency=agency, by=people[Role.ADMIN], title=title, text=text, language=language
                )
        if not Post.objects.filter(agency=agency).exists():
            now = timezone.now().replace(second=0, microsecond=0)
            demo_accounts = list(PlatformAccount.objects.filter(agency=agency))
            for style, status, days, body in SAMPLE_POSTS:
                at = now + timedelta(days=days) if days is not None else None
                post = post_create(
                    agency=agency,
                    author=people[Role.OFFICER],
                    body=body,
                    style=style,
                    status=status,
                    campaign=campaign if style == PostStyle.CAMPAIGN else None,
                    scheduled_at=at if status != PostStatus.APPROVED else None,
                )
                post.accounts.set(demo_accounts)
                if status == PostStatus.PUBLISHED and at is not None:
                    _published_before_the_demo(post, demo_accounts, at)
                if status == PostStatus.APPROVED and at is not None:
                    # Through the publishing engine, so the demo publishes it when it is due.
                    post_schedule(post=post, by=people[Role.SUPERVISOR], at=at)
        _analytics_history(agency, timezone.now())
        self.stdout.write(self.style.SUCCESS(f"Demo agency: {agency.name}"))
        self.stdout.write("Demo logins (e-mail / password):")
        for role, email, _name, password in PEOPLE:
            self.stdout.write(f"  {Role(role).label:<14} {email:<26} {password}")


# --- Analytics history, so the dashboards have something to show on the first `make run` ------

# The seed `make run` starts the sandbox with (its default): the audience history below follows
# the sandbox's own follower curves, so the daily snapshots taken live continue the same lines.
SANDBOX_SEED = 42
AUDIENCE_DAYS = 14


def _published_before_the_demo(post: Post, accounts: list[PlatformAccount], at) -> None:
    """Targets for the sample post recorded as published.

    It went out before the demo's sandbox existed, so its targets carry no platform id: the inbox
    does not look for replies to it and its metrics are not read from the platform (collection
    stops at once for a target without an id). Its readings are made up by _analytics_history.
    """
    for account in accounts:
        PostTarget.objects.create(
            agency=post.agency,
            post=post,
            account=account,
            status=TargetStatus.PUBLISHED,
            due_at=at,
            next_attempt_at=at,
            published_at=at,
            attempts=1,
        )


def _figures(platform: str, key: str, age_s: float) -> dict[str, int]:
    """The sandbox public's curve for one post (views level off after a few hours)."""
    values = public.metrics(public.seeded(SANDBOX_SEED, "demo-metrics", platform, key), age_s)
    return {
        "impressions": values["impressions"],
        "likes": values["likes"],
        "replies": int(values["likes"] * 0.3),
        "shares": values["shares"],
        "quotes": values["quotes"],
        "bookmarks": values["bookmarks"],
    }


def _analytics_history(agency: Agency, now: datetime) -> None:
    """Readings of the sample posts published before the demo, on the collection schedule up to
    now, and two weeks of daily account audiences up to yesterday (today's is taken live). Made
    once: a target already tracked and an account with any snapshot are left alone, and posts
    published through the sandbox (with a platform id) are only ever read live."""
    untracked = PostTarget.objects.filter(
        agency=agency, status=TargetStatus.PUBLISHED, external_id="", metrics__isnull=True
    ).select_related("post", "account")
    for target in untracked:
        if not metrics.track_target(target=target):
            continue
        published = target.published_at
        key = target.post.body[:60]
        readings: list[MetricSnapshot] = []
        at = published + metrics.YOUNG_EVERY
        while at is not None and at <= now:
            figures = _figures(target.account.platform, key, (at - published).total_seconds())
            readings.append(MetricSnapshot(target=target, agency=agency, taken_at=at, **figures))
            at = metrics.next_refresh_after(published_at=published, at=at)
        if not readings:
            continue
        MetricSnapshot.objects.bulk_create(readings)
        last = readings[-1]
        latest = {name: getattr(last, name) for name in metrics.FIGURES}
        TargetMetrics.objects.filter(pk=target.pk).update(
            **latest,
            engagements=last.likes + last.replies + last.shares + last.quotes,
            measured_at=last.taken_at,
            snapshot_count=len(readings),
            next_refresh_at=None,
        )
    today = now.astimezone(UTC).date()
    for account in PlatformAccount.objects.filter(agency=agency):
        if AccountSnapshot.objects.filter(account=account).exists():
            continue
        rng_parts = ("audience", account.platform, account.external_id)
        for days_ago in range(AUDIENCE_DAYS, 0, -1):
            day = today - timedelta(days=days_ago)
            taken_at = datetime.combine(day, time(6, 0), tzinfo=UTC)
            audience = public.audience(
                public.seeded(SANDBOX_SEED, *rng_parts), taken_at.timestamp(), posts=0
            )
            stats = AccountStats(
                followers=audience["followers"],
                # A Facebook page reports no following, as the live client says.
                following=audience["following"] if account.platform == "x" else 0,
            )
            metrics.account_snapshot_store(account=account, stats=stats, on=day, at=taken_at)
