"""Facebook Pages client on python-facebook-api (pyfacebook) 0.24.0's GraphAPI.

pyfacebook returns parsed JSON and raises `FacebookError` for Graph error bodies whatever
the HTTP status, and it does not expose the response. A response hook on its session keeps
the last response per thread so throttling headers and 5xx statuses can still be read.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import requests
from pyfacebook import FacebookError, GraphAPI, LibraryError

from platforms.base import (
    AccountStats,
    AuthExpired,
    InboundItem,
    Media,
    NotFound,
    Page,
    PlatformClient,
    PostMetrics,
    PublishedRef,
    RateLimited,
    RecentPost,
    Rejected,
    StampingAdapter,
    Unavailable,
    default_retry_at,
    read_environment_once,
    shared_adapter,
    utcnow,
)

DEFAULT_API_VERSION = "v21.0"  # in GraphAPI.VALID_API_VERSIONS for pyfacebook 0.24.0
THROTTLE_CODES = {4, 17, 32, 613}
AUTH_CODES = {102, 190}
TRANSIENT_CODES = {1, 2}
# Code 100 with subcode 33: "Object with ID ... does not exist" (or is not visible to us).
MISSING_OBJECT_SUBCODE = 33
COMMENT_FIELDS = "id,message,created_time,from,parent"
INSIGHT_METRICS = "post_media_view,post_reactions_by_type_total"
# followers_count is who sees the page's posts in their feed; fan_count (page likes) is the older
# figure, read as a fallback for pages that do not report followers.
AUDIENCE_FIELDS = "followers_count,fan_count"

T = TypeVar("T")


def parse_graph_time(value: str) -> datetime:
    """Graph writes `2021-08-10T18:45:03+0000`; cursors we hand out are ISO with a colon."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def retry_at_from_headers(headers: Any) -> datetime:
    """Meta only says 'minutes until access is regained', in the business-use-case header."""
    minutes = 0
    raw = headers.get("x-business-use-case-usage") if headers is not None else None
    if raw:
        try:
            usage = json.loads(raw)
            for entries in usage.values():
                for entry in entries:
                    minutes = max(minutes, int(entry.get("estimated_time_to_regain_access") or 0))
        except (ValueError, TypeError, AttributeError):
            minutes = 0
    if minutes > 0:
        return utcnow() + timedelta(minutes=minutes)
    return default_retry_at()


class FacebookPageClient(PlatformClient):
    platform = "facebook"

    def __init__(
        self,
        *,
        base_url: str,
        page_id: str,
        page_access_token: str,
        api_version: str = DEFAULT_API_VERSION,
        timeout: float = 10,
        page_size: int = 100,
    ) -> None:
        self.page_id = str(page_id)
        self.page_size = max(1, min(100, page_size))
        # pyfacebook builds URLs as base_url + "v21.0/...", so the base needs its slash.
        base = base_url.rstrip("/") + "/"
        self._api = GraphAPI(
            access_token=page_access_token,
            version=api_version,
            base_url=base,
            timeout=timeout,  # type: ignore[arg-type]  # requests accepts floats
            # Never sleep inside a worker: throttling becomes RateLimited and the caller
            # reschedules.
            sleep_on_rate_limit=False,
        )
        self._api.session.mount(base, shared_adapter(StampingAdapter, timeout))
        read_environment_once(self._api.session, base)
        self._local = threading.local()
        self._api.session.hooks["response"].append(self._remember)

    def _remember(self, response: requests.Response, **_: Any) -> None:
        self._local.response = response

    # -- error mapping --------------------------------------------------------------------

    def _call(self, fn: Callable[[], T]) -> T:
        self._local.response = None
        try:
            return fn()
        except FacebookError as exc:
            raise self._translate(exc) from exc
        except LibraryError as exc:
            # Raised for non-JSON bodies (an HTML 502 page from a proxy, say).
            status = self._status()
            if status is not None and status >= 500:
                raise Unavailable(f"HTTP {status}: {exc}") from exc
            raise Rejected(str(getattr(exc, "message", exc))) from exc
        except requests.RequestException as exc:
            raise Unavailable(str(exc)) from exc
        except ValueError as exc:
            raise Unavailable(f"bad response: {exc}") from exc

    def _status(self) -> int | None:
        response = getattr(self._local, "response", None)
        return response.status_code if response is not None else None

    def _translate(self, exc: FacebookError) -> Exception:
        code = int(getattr(exc, "code", -1) or -1)
        message = str(getattr(exc, "message", "") or exc)
        status = self._status()
        if code in THROTTLE_CODES:
            response = getattr(self._local, "response", None)
            headers = response.headers if response is not None else None
            return RateLimited(retry_at_from_headers(headers), message)
        if code in AUTH_CODES:
            return AuthExpired(message)
        if code == 100 and int(getattr(exc, "error_subcode", 0) or 0) == MISSING_OBJECT_SUBCODE:
            return NotFound(message)
        if code in TRANSIENT_CODES or getattr(exc, "is_transient", False):
            return Unavailable(message)
        if status is not None and status >= 500:
            return Unavailable(message)
        return Rejected(message)

    # -- publishing -----------------------------------------------------------------------

    def publish(
        self, text: str, media: Sequence[Media] = (), reply_to: str | None = None
    ) -> PublishedRef:
        if reply_to is not None:
            external_id = self._comment(reply_to, text, media)
        elif len(media) == 1:
            external_id = self._photo_post(text, media[0])
        elif media:
            external_id = self._multi_photo_post(text, media)
        else:
            external_id = self._call(
                lambda: self._api.post_object(self.page_id, "feed", data={"message": text})
            )["id"]
        return PublishedRef(
            external_id=str(external_id),
            url=f"https://www.facebook.com/{external_id}",
            published_at=utcnow(),
        )

    def _upload(self, media: Media, *, published: bool, caption: str = "") -> dict[str, Any]:
        data = {
            "published": "true" if published else "false",
            "alt_text_custom": media.alt_text,
        }
        if caption:
            data["caption"] = caption
        return self._call(
            lambda: self._api.post_object(
                self.page_id,
                "photos",
                data=data,
                files={"source": (media.filename, media.data, media.mime_type)},
            )
        )

    def _photo_post(self, text: str, media: Media) -> str:
        result = self._upload(media, published=True, caption=text)
        return str(result.get("post_id") or result["id"])

    def _multi_photo_post(self, text: str, media: Sequence[Media]) -> str:
        # Unpublished uploads are attached to one feed post, so the post appears once.
        photo_ids = [str(self._upload(m, published=False)["id"]) for m in media]
        data = {"message": text}
        for i, photo_id in enumerate(photo_ids):
            data[f"attached_media[{i}]"] = json.dumps({"media_fbid": photo_id})
        return str(self._call(lambda: self._api.post_object(self.page_id, "feed", data=data))["id"])

    def _comment(self, reply_to: str, text: str, media: Sequence[Media]) -> str:
        data = {"message": text}
        if media:
            # A comment carries at most one photo.
            data["attachment_id"] = str(self._upload(media[0], published=False)["id"])
        return str(self._call(lambda: self._api.post_object(reply_to, "comments", data=data))["id"])

    def hide(self, external_id: str) -> None:
        self._call(lambda: self._api.post_object(external_id, data={"is_hidden": "true"}))

    def delete(self, external_id: str) -> None:
        self._call(lambda: self._api.delete_object(external_id))

    # -- reading --------------------------------------------------------------------------

    def fetch_inbound(self, since: str | None, our_post_ids: Sequence[str] = ()) -> Page:
        post_ids = list(our_post_ids) or [p.external_id for p in self.recent_posts(25)]
        args: dict[str, Any] = {
            "filter": "stream",
            "order": "chronological",
            "fields": COMMENT_FIELDS,
        }
        if since:
            args["since"] = int(parse_graph_time(since).timestamp())
        items: dict[str, InboundItem] = {}
        for post_id in post_ids:
            result = self._call(
                lambda post_id=post_id: self._api.get_full_connections(
                    post_id, "comments", count=None, limit=self.page_size, **dict(args)
                )
            )
            for comment in result.get("data", []):
                author = comment.get("from") or {}
                if str(author.get("id")) == self.page_id:
                    continue  # the page's own replies are outbound
                items[comment["id"]] = _comment_item(comment, str(post_id))
        ordered = sorted(items.values(), key=lambda i: (i.created_at, i.external_id))
        newest = ordered[-1].created_at.isoformat() if ordered else since
        return Page(items=ordered, next_cursor=newest)

    def search_hashtag(self, tag: str, since: str | None) -> Page:
        # The Pages API has no public hashtag search; nothing to find, cursor unchanged.
        return Page(items=[], next_cursor=since)

    def fetch_metrics(self, ids: Sequence[str]) -> list[PostMetrics]:
        out = []
        for post_id in ids:
            try:
                out.append(self._metrics(str(post_id)))
            except NotFound:
                continue  # deleted on Facebook: left out, as X leaves out a deleted tweet
        return out

    def fetch_account_stats(self) -> AccountStats:
        page = self._call(lambda: self._api.get_object(self.page_id, fields=AUDIENCE_FIELDS))
        followers = page.get("followers_count")
        if followers is None:
            followers = page.get("fan_count", 0)
        return AccountStats(followers=int(followers or 0), following=0, raw=dict(page))

    def _metrics(self, post_id: str) -> PostMetrics:
        insights = self._call(
            lambda: self._api.get_connection(post_id, "insights", metric=INSIGHT_METRICS)
        )
        values = {row["name"]: row["values"][0]["value"] for row in insights.get("data", [])}
        counts = self._call(
            lambda: self._api.get_object(post_id, fields="shares,comments.summary(true).limit(0)")
        )
        reactions = values.get("post_reactions_by_type_total") or {}
        return PostMetrics(
            external_id=post_id,
            impressions=int(values.get("post_media_view", 0)),
            likes=sum(int(v) for v in reactions.values()),
            replies=int(
                ((counts.get("comments") or {}).get("summary") or {}).get("total_count", 0)
            ),
            shares=int((counts.get("shares") or {}).get("count", 0)),
            quotes=0,
            bookmarks=0,
            raw={"insights": values, "object": counts},
        )

    def recent_replies(self, parent_id: str, limit: int = 50) -> list[RecentPost]:
        # A page's comments are not in its feed: read the comments under the parent and keep
        # the page's own. Graph nests one level, so a reply to a reply sits under the top one.
        parent = self._call(lambda: self._api.get_object(parent_id, fields="parent"))
        top = str((parent.get("parent") or {}).get("id") or parent_id)
        result = self._call(
            lambda: self._api.get_connection(
                top,
                "comments",
                fields=COMMENT_FIELDS,
                order="reverse_chronological",
                limit=min(100, limit),
            )
        )
        return [
            RecentPost(
                external_id=str(c["id"]),
                text=c.get("message", ""),
                created_at=parse_graph_time(c["created_time"]),
            )
            for c in result.get("data", [])
            if str((c.get("from") or {}).get("id")) == self.page_id
        ]

    def recent_posts(self, limit: int = 20) -> list[RecentPost]:
        result = self._call(
            lambda: self._api.get_connection(
                self.page_id, "posts", fields="id,message,created_time", limit=min(100, limit)
            )
        )
        return [
            RecentPost(
                external_id=str(p["id"]),
                text=p.get("message", ""),
                created_at=parse_graph_time(p["created_time"]),
            )
            for p in result.get("data", [])[:limit]
        ]


def _comment_item(comment: dict[str, Any], post_id: str) -> InboundItem:
    author = comment.get("from") or {}
    parent = (comment.get("parent") or {}).get("id")
    return InboundItem(
        external_id=str(comment["id"]),
        text=comment.get("message", ""),
        author_id=str(author.get("id", "")),
        # Graph exposes no username for commenters, only an app-scoped id and a name.
        author_handle="",
        author_name=str(author.get("name", "")),
        created_at=parse_graph_time(comment["created_time"]),
        conversation_id=post_id,
        in_reply_to_id=str(parent) if parent else post_id,
        kind="comment",
        our_post_id=post_id,
        raw=comment,
    )
