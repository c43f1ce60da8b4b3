"""Which role may open which page: one table, used by the navigation and by the views."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Role

OFFICER, SUPERVISOR, ANALYST, ADMIN = Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.ADMIN


@dataclass(frozen=True)
class Section:
    key: str
    label: str | Promise
    url_name: str
    roles: frozenset[str]


SECTIONS: tuple[Section, ...] = (
    Section("drafts", _("Drafts"), "posts:drafts", frozenset({OFFICER, SUPERVISOR, ADMIN})),
    Section("approvals", _("Approvals"), "posts:review_queue", frozenset({SUPERVISOR, ADMIN})),
    Section(
        "calendar",
        _("Calendar"),
        "posts:calendar",
        frozenset({OFFICER, SUPERVISOR, ANALYST, ADMIN}),
    ),
    Section("inbox", _("Inbox"), "engagement:inbox", frozenset({OFFICER, SUPERVISOR, ADMIN})),
    Section(
        "campaigns",
        _("Campaigns"),
        "campaigns:list",
        frozenset({OFFICER, SUPERVISOR, ANALYST, ADMIN}),
    ),
    Section(
        "dashboards",
        _("Dashboards"),
        "engagement:dashboards",
        frozenset({ANALYST, SUPERVISOR, ADMIN}),
    ),
    Section("settings", _("Settings"), "accounts:members", frozenset({ADMIN})),
)
SECTION_ROLES = {section.key: section.roles for section in SECTIONS}


def sections_for(role: str | None) -> list[Section]:
    return [section for section in SECTIONS if role in section.roles]
