"""What the editor, the approval screen and the API show about a post's text: the per-platform
counts and media limits (posts.textcheck) and the agency's policy findings (posts.policy).

`rules_for_agency` is the one place an agency's stored PolicyRules become RuleSpecs, and
`content_hash` is the one definition of "the content a supervisor approved".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any

from django.utils.translation import gettext as _

from accounts.models import Agency, PlatformAccount
from posts import policy
from posts.models import PolicyRule, Post, PostKind
from posts.textcheck import PLATFORMS, MediaInfo, platform_checks


def rules_for_agency(agency: Agency) -> list[policy.RuleSpec]:
    """The built-in detectors, as the agency adjusted them, plus the agency's own rules.

    A stored rule of a detector kind replaces that detector (its severity, message and public
    values), or switches it off when disabled.
    """
    stored = list(PolicyRule.objects.filter(agency=agency).order_by("kind", "name", "pk"))
    adjusted = {rule.kind for rule in stored if rule.kind in policy.DETECTOR_KINDS}
    specs = [spec for spec in policy.default_rules() if spec.kind not in adjusted]
    for rule in stored:
        if rule.enabled:
            specs.append(spec_for_rule(rule))
    return specs


def spec_for_rule(rule: PolicyRule) -> policy.RuleSpec:
    return policy.RuleSpec(
        name=rule.name,
        kind=rule.kind,
        severity=rule.severity,
        message=rule.message,
        terms=tuple(str(t) for t in (rule.terms or [])),
        pattern=rule.pattern,
    )


def campaign_rules(hashtags: Iterable[str]) -> list[policy.RuleSpec]:
    """A campaign's hashtags, each required (as a warning) in the campaign's posts."""
    return [
        policy.RuleSpec(
            name=_("Campaign hashtag %(tag)s") % {"tag": tag},
            kind=policy.REQUIRED_HASHTAG,
            severity=policy.WARN,
            message=_("The campaign's hashtag %(tag)s is missing.") % {"tag": tag},
            terms=(tag,),
        )
        for tag in hashtags
    ]


def findings_for(
    *, agency: Agency, text: str, campaign_hashtags: Iterable[str] = ()
) -> list[policy.Finding]:
    return policy.check(text, [*rules_for_agency(agency), *campaign_rules(campaign_hashtags)])


def preview(
    *,
    agency: Agency,
    text: str,
    accounts: Sequence[PlatformAccount] | None = None,
    media: Sequence[MediaInfo] = (),
    platform_texts: dict[str, str] | None = None,
    campaign_hashtags: Iterable[str] = (),
) -> dict[str, Any]:
    """The editor's live check, also served as POST /api/v1/posts/preview.

    Platforms are those of the chosen accounts (all platforms when none are chosen). Each
    platform is checked on its own text when the post has one. Findings are for the body.
    """
    platforms = sorted({a.platform for a in accounts}) if accounts else list(PLATFORMS)
    texts = platform_texts or {}
    result: dict[str, Any] = {"platforms": {}}
    for platform in platforms:
        checked = platform_checks(texts.get(platform) or text, [platform], media)
        result["platforms"][platform] = checked[platform]
    result["findings"] = [
        finding_dict(f)
        for f in findings_for(agency=agency, text=text, campaign_hashtags=campaign_hashtags)
    ]
    for platform, body in texts.items():
        if body and platform in result["platforms"]:
            found = findings_for(agency=agency, text=body, campaign_hashtags=campaign_hashtags)
            result["platforms"][platform]["findings"] = [finding_dict(f) for f in found]
    return result


def finding_dict(finding: policy.Finding) -> dict[str, Any]:
    return asdict(finding) | {"message": str(finding.message)}


def post_findings(post: Post) -> list[policy.Finding]:
    """Findings on a stored post's body and on each of its per-platform texts."""
    hashtags = post.campaign.hashtag_list if post.campaign_id else []
    found = findings_for(agency=post.agency, text=post.body, campaign_hashtags=hashtags)
    for body in (post.platform_texts or {}).values():
        if body:
            found += findings_for(agency=post.agency, text=body, campaign_hashtags=hashtags)
    if post.kind == PostKind.REPLY:
        # Required terms, hashtags and disclaimers are rules for posts; a reply to a citizen
        # is checked for what it must not say, not for what a post must carry.
        found = [f for f in found if f.kind not in policy.REQUIRED_KINDS]
    return found


def blocking(findings: Iterable[policy.Finding]) -> list[policy.Finding]:
    return [f for f in findings if f.severity == policy.BLOCK]


def content_hash(post: Post) -> str:
    """A digest of everything a supervisor approves: texts, style, campaign, place, accounts
    and media (file and alt text). Scheduled time is not part of it: moving a post is not a
    change of content."""
    media = (
        [[m.pk, m.file.name, m.alt_text, m.kind] for m in post.media.order_by("position", "pk")]
        if post.pk
        else []
    )
    payload = {
        "body": post.body,
        "platform_texts": {k: v for k, v in sorted((post.platform_texts or {}).items()) if v},
        "style": post.style,
        "campaign": post.campaign_id,
        "location": post.location,
        "accounts": sorted(post.accounts.values_list("pk", flat=True)) if post.pk else [],
        "media": media,
    }
    encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()
