"""The one interface every platform client implements, and the errors it may raise.

Callers (publish tasks, inbox pulls) only ever see these types: a client maps its library's
exceptions into `RateLimited`, `AuthExpired`, `Rejected` or `Unavailable` so retry policy can be
decided in one place without knowing which platform answered.
"""

from __future__ import annotations

import abc
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import requests
from requests.adapters import HTTPAdapter

CLIENT_TIME_HEADER = "X-Client-Time"


class PlatformError(Exception):
    """Base of everything a platform client raises."""


class RateLimited(PlatformError):
    """The platform asked us to wait; retry no earlier than `retry_at`."""

    def __init__(self, retry_at: datetime, message: str = "rate limited") -> None:
        super().__init__(f"{message}; retry at {retry_at.isoformat()}")
        self.retry_at = retry_at


class AuthExpired(PlatformError):
    """The token is expired or revoked; a human must reconnect the account."""


class Rejected(PlatformError):
    """Permanent refusal (bad input, forbidden, not found). Retrying will not help."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(Rejected):
    """The object is not on the platform (never was, or deleted there). A Rejected, so callers
    that only care about "permanent" need not know it."""


class Unavailable(PlatformError):
    """Transient failure: network error, timeout, 5xx. Safe to retry reads; publishes must reconcile."""


@dataclass(frozen=True)
class Media:
    data: bytes
    mime_type: str
    alt_text: str
    filename: str


@dataclass(frozen=True)
class PublishedRef:
    external_id: str
    url: str
    published_at: datetime


InboundKind = Literal["reply", "comment", "mention"]


@dataclass(frozen=True)
class InboundItem:
    external_id: str
    text: str
    author_id: str
    author_handle: str
    author_name: str
    created_at: datetime
    conversation_id: str | None
    in_reply_to_id: str | None
    kind: InboundKind
    our_post_id: str | None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    items: list[InboundItem]
    next_cursor: str | None


@dataclass(frozen=True)
class PostMetrics:
    external_id: str
    impressions: int
    likes: int
    replies: int
    shares: int
    quotes: int
    bookmarks: int
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountStats:
    """An account's audience as the platform reports it now.

    `following` is 0 where the platform has no such figure (a Facebook page follows no one).
    """

    followers: int
    following: int
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecentPost:
    external_id: str
    text: str
    created_at: datetime


class PlatformClient(abc.ABC):
    """What the rest of Beat may ask of a platform account."""

    platform: str = ""

    @abc.abstractmethod
    def publish(
        self, text: str, media: Sequence[Media] = (), reply_to: str | None = None
    ) -> PublishedRef: ...

    @abc.abstractmethod
    def fetch_inbound(self, since: str | None, our_post_ids: Sequence[str] = ()) -> Page: ...

    @abc.abstractmethod
    def fetch_metrics(self, ids: Sequence[str]) -> list[PostMetrics]:
        """Public metrics of our posts. An id the platform no longer has (deleted there) is
        left out of the result rather than failing the others."""

    @abc.abstractmethod
    def fetch_account_stats(self) -> AccountStats:
        """The account's own follower and following counts."""

    @abc.abstractmethod
    def search_hashtag(self, tag: str, since: str | None) -> Page: ...

    def search(self, query: str, since: str | None, max_pages: int | None = None) -> Page:
        """Public posts matching a keyword or hashtag query, newer than the cursor `since`.

        `max_pages` caps a first search (no cursor) to the newest pages. Platforms without a
        public search find nothing and keep the cursor (Facebook: campaigns/monitoring.py reads
        the comments the inbox stored instead).
        """
        return Page(items=[], next_cursor=since)

    @abc.abstractmethod
    def recent_posts(self, limit: int = 20) -> list[RecentPost]: ...

    def recent_replies(self, parent_id: str, limit: int = 50) -> list[RecentPost]:
        """Our own recent replies under `parent_id`, for finding a reply a dead worker sent.

        By default the account's recent posts: X lists replies among them.
        """
        return self.recent_posts(limit)

    @abc.abstractmethod
    def hide(self, external_id: str) -> None: ...

    @abc.abstractmethod
    def delete(self, external_id: str) -> None: ...


def utcnow() -> datetime:
    return datetime.now(tz=UTC)


def default_retry_at(seconds: int = 60) -> datetime:
    """Used when a platform throttles without saying for how long."""
    return utcnow() + timedelta(seconds=seconds)


class StampingAdapter(HTTPAdapter):
    """Adds the client's send time to every request and enforces a default timeout.

    The sandbox records the header next to each publish, so a benchmark can measure the
    delay between a worker deciding to publish and the platform accepting it. Real
    platforms ignore unknown headers.
    """

    def __init__(self, timeout: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.timeout = timeout

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        request.headers[CLIENT_TIME_HEADER] = utcnow().isoformat()
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


_adapters: dict[tuple[Any, ...], HTTPAdapter] = {}
_adapters_lock = threading.Lock()
# A forked worker must not share the parent's sockets.
os.register_at_fork(after_in_child=_adapters.clear)


def shared_adapter(kind: type[HTTPAdapter], *args: Any) -> HTTPAdapter:
    """One adapter, and so one pool of connections, per kind and arguments in this process.

    Every account's client has its own session (its own credentials and hooks) but talks to the
    same host, so they share the adapter that holds the connections: a worker publishing for a
    hundred accounts keeps a few connections open instead of one per account, each a new TCP
    connection (and a new thread in the sandbox) the first time. urllib3's pools are safe to
    share between threads.
    """
    key = (kind, *args)
    with _adapters_lock:
        adapter = _adapters.get(key)
        if adapter is None:
            adapter = _adapters[key] = kind(*args)
        return adapter


def read_environment_once(session: requests.Session, url: str) -> None:
    """Take the proxy and CA settings for `url` from the environment now, not on every call.

    requests reads the proxy variables (and NO_PROXY) from the environment for every request,
    which was a tenth of a publish's CPU. A client talks to one host, so the answer for its base
    URL is fixed when the client is built: the same HTTPS_PROXY / NO_PROXY and
    REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE are honoured as before.
    """
    session.proxies.update(requests.utils.get_environ_proxies(url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False
