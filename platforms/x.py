"""X (Twitter) API v2 client on tweepy 4.17, OAuth 1.0a user context.

tweepy hard-codes https://api.twitter.com, so a rewriting adapter mounted on the client's
session sends every call to `base_url` instead (the sandbox, or the real host unchanged).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
import tweepy
from requests_oauthlib import OAuth1

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

TWEEPY_HOST = "https://api.twitter.com"
TWEET_FIELDS = [
    "author_id",
    "conversation_id",
    "created_at",
    "in_reply_to_user_id",
    "referenced_tweets",
]
USER_FIELDS = ["username", "name"]

T = TypeVar("T")


class RewritingAdapter(StampingAdapter):
    """Sends requests addressed to tweepy's fixed host to `base_url`.

    The OAuth1 signature was computed over the original https URL; the sandbox does not
    verify signatures and the real host is never rewritten, so that is harmless.
    """

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        url = request.url or ""
        if self.base_url != TWEEPY_HOST and url.startswith(TWEEPY_HOST):
            request.url = self.base_url + url[len(TWEEPY_HOST) :]
        return super().send(request, **kwargs)


def _api_message(exc: tweepy.HTTPException) -> str:
    if exc.api_messages:
        return "; ".join(str(m) for m in exc.api_messages)
    return str(exc)


def _call(fn: Callable[[], T]) -> T:
    """Run one library call, translating its failures into our error vocabulary."""
    try:
        return fn()
    except tweepy.TooManyRequests as exc:
        reset = exc.reset_time
        retry_at = (
            datetime.fromtimestamp(reset, tz=UTC) if reset is not None else default_retry_at()
        )
        raise RateLimited(retry_at, _api_message(exc)) from exc
    except tweepy.Unauthorized as exc:
        raise AuthExpired(_api_message(exc)) from exc
    except tweepy.NotFound as exc:
        raise NotFound(_api_message(exc)) from exc
    except (tweepy.BadRequest, tweepy.Forbidden) as exc:
        raise Rejected(_api_message(exc)) from exc
    except tweepy.TwitterServerError as exc:
        raise Unavailable(_api_message(exc)) from exc
    except tweepy.HTTPException as exc:
        # Any other non-2xx (e.g. 409, 422) is a refusal the caller cannot fix by waiting.
        raise Rejected(_api_message(exc)) from exc
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise Unavailable(str(exc)) from exc
    except requests.RequestException as exc:
        raise Unavailable(str(exc)) from exc
    except ValueError as exc:
        # Undecodable JSON from a half-broken upstream is transient from our point of view.
        raise Unavailable(f"bad response: {exc}") from exc


def _raise_for_response(resp: requests.Response) -> None:
    """Same mapping for the media calls that go through the raw session."""
    if resp.status_code < 400:
        return
    _call(lambda: _raise_tweepy(resp))


def _raise_tweepy(resp: requests.Response) -> None:
    code = resp.status_code
    if code == 429:
        reset = resp.headers.get("x-rate-limit-reset")
        raise tweepy.TooManyRequests(resp, reset_time=int(reset) if reset else None)
    errors: dict[int, type[tweepy.HTTPException]] = {
        400: tweepy.BadRequest,
        401: tweepy.Unauthorized,
        403: tweepy.Forbidden,
        404: tweepy.NotFound,
    }
    if code in errors:
        raise errors[code](resp)
    if code >= 500:
        raise tweepy.TwitterServerError(resp)
    raise tweepy.HTTPException(resp)


class XClient(PlatformClient):
    platform = "x"

    def __init__(
        self,
        *,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        access_token: str,
        access_token_secret: str,
        user_id: str,
        timeout: float = 10,
        page_size: int = 100,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.user_id = str(user_id)
        self.page_size = max(5, min(100, page_size))
        self._oauth = OAuth1(consumer_key, consumer_secret, access_token, access_token_secret)
        self._client = tweepy.Client(
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            access_token=access_token,
            access_token_secret=access_token_secret,
        )
        # tweepy.BaseClient.request calls self.session.request(...) for every endpoint, so
        # an adapter mounted here sees all traffic, including our raw media calls.
        self._client.session.mount(
            TWEEPY_HOST, shared_adapter(RewritingAdapter, self.base_url, timeout)
        )
        # Proxies for where the adapter sends (base_url), not for api.twitter.com, so
        # NO_PROXY=127.0.0.1 keeps sandbox traffic local.
        read_environment_once(self._client.session, self.base_url)

    # -- publishing -------------------------------------------------------------------

    def publish(
        self, text: str, media: Sequence[Media] = (), reply_to: str | None = None
    ) -> PublishedRef:
        media_ids = [self._upload(m) for m in media] or None
        resp = _call(
            lambda: self._client.create_tweet(
                text=text, media_ids=media_ids, in_reply_to_tweet_id=reply_to, user_auth=True
            )
        )
        tweet_id = str(resp.data["id"])
        return PublishedRef(
            external_id=tweet_id, url=self._tweet_url(tweet_id), published_at=utcnow()
        )

    def _upload(self, media: Media) -> str:
        """v2 simple upload, then alt text; tweepy.Client has no v2 media method."""
        session = self._client.session
        resp = _call(
            lambda: session.post(
                f"{TWEEPY_HOST}/2/media/upload",
                files={"media": (media.filename, media.data, media.mime_type)},
                data={"media_category": _media_category(media.mime_type)},
                auth=self._oauth,
            )
        )
        _raise_for_response(resp)
        media_id = str(_call(resp.json)["data"]["id"])
        if media.alt_text:
            meta = _call(
                lambda: session.post(
                    f"{TWEEPY_HOST}/2/media/metadata",
                    json={"id": media_id, "metadata": {"alt_text": {"text": media.alt_text}}},
                    auth=self._oauth,
                )
            )
            _raise_for_response(meta)
        return media_id

    def delete(self, external_id: str) -> None:
        _call(lambda: self._client.delete_tweet(external_id, user_auth=True))

    def hide(self, external_id: str) -> None:
        _call(lambda: self._client.hide_reply(external_id, user_auth=True))

    # -- reading ------------------------------------------------------------------------

    def fetch_inbound(self, since: str | None, our_post_ids: Sequence[str] = ()) -> Page:
        """Mentions since `since`, and each of our posts' conversations, all pages.

        Read through a second tweepy.Client on the same session and credentials that returns
        plain JSON (`return_type=dict`): the same calls, parameters, signing and errors,
        without a Tweet and a User object built for every item first (a backlog of
        thousands spent more time in tweepy's date parsing than on the wire).
        """
        ours = {str(i) for i in our_post_ids}
        reader = self._json_reader()
        seen: dict[str, InboundItem] = {}
        params = self._read_params()
        mentions = self._paged_json(
            lambda token: reader.get_users_mentions(
                self.user_id, user_auth=True, since_id=since, pagination_token=token, **params
            )
        )
        for data, users in mentions:
            self._collect_json(seen, data, users, ours)
        # search/recent takes 10..100, mentions 5..100
        search = {**params, "max_results": max(10, self.page_size)}
        for post_id in sorted(ours):
            replies = self._paged_json(
                lambda token, query=f"conversation_id:{post_id}": reader.search_recent_tweets(
                    query, user_auth=True, since_id=since, next_token=token, **search
                )
            )
            for data, users in replies:
                self._collect_json(seen, data, users, ours)
        items = sorted(seen.values(), key=lambda i: int(i.external_id))
        return Page(items=items, next_cursor=_newest(items, since))

    def _json_reader(self) -> tweepy.Client:
        reader = getattr(self, "_reader", None)
        if reader is None:
            client = self._client
            reader = tweepy.Client(
                consumer_key=client.consumer_key,
                consumer_secret=client.consumer_secret,
                access_token=client.access_token,
                access_token_secret=client.access_token_secret,
                return_type=dict,
            )
            reader.session = client.session  # the rewriting adapter and open connections
            self._reader = reader
        return reader

    def _paged_json(
        self, fetch: Callable[[str | None], Any]
    ) -> Iterator[tuple[dict[str, Any], dict[str, dict[str, Any]]]]:
        """Yield (tweet JSON, users-by-id JSON) across all pages; tokens are opaque to us."""
        token: str | None = None
        while True:
            body = _call(lambda token=token: fetch(token))
            users = {str(u["id"]): u for u in (body.get("includes") or {}).get("users", [])}
            for data in body.get("data") or []:
                yield data, users
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                return

    def _collect_json(
        self,
        seen: dict[str, InboundItem],
        data: dict[str, Any],
        users: dict[str, dict[str, Any]],
        ours: set[str],
    ) -> None:
        author_id = str(data["author_id"]) if data.get("author_id") is not None else ""
        if author_id == self.user_id:
            return  # our own replies are outbound, not inbox material
        seen[str(data["id"])] = _inbound_json(data, users.get(author_id), ours)

    def search_hashtag(self, tag: str, since: str | None) -> Page:
        query = tag if tag.startswith("#") else f"#{tag}"
        seen: dict[str, InboundItem] = {}
        for tweet, users in self._search(query, since):
            self._collect(seen, tweet, users, set(), include_own=True)
        items = sorted(seen.values(), key=lambda i: int(i.external_id))
        return Page(items=items, next_cursor=_newest(items, since))

    def search(self, query: str, since: str | None, max_pages: int | None = None) -> Page:
        """Recent search (`GET /2/tweets/search/recent`) for keywords or a #hashtag, newer than
        `since`, with each post's public metrics; our own posts are left out.

        Pages run newest first, so `max_pages` (for a first search, without a cursor) keeps the
        newest; with a cursor every page since it is read, or the cursor would skip some.
        """
        reader = self._json_reader()
        params = {
            **self._read_params(),
            "tweet_fields": [*TWEET_FIELDS, "public_metrics"],
            "max_results": max(10, self.page_size),  # search/recent takes 10..100
        }
        seen: dict[str, InboundItem] = {}
        token: str | None = None
        pages = 0
        while True:
            body = _call(
                lambda token=token: reader.search_recent_tweets(
                    query, user_auth=True, since_id=since, next_token=token, **params
                )
            )
            pages += 1
            users = {str(u["id"]): u for u in (body.get("includes") or {}).get("users", [])}
            for data in body.get("data") or []:
                self._collect_json(seen, data, users, set())
            token = (body.get("meta") or {}).get("next_token")
            if not token or (max_pages is not None and pages >= max_pages):
                break
        items = sorted(seen.values(), key=lambda i: int(i.external_id))
        return Page(items=items, next_cursor=_newest(items, since))

    def fetch_metrics(self, ids: Sequence[str]) -> list[PostMetrics]:
        out: list[PostMetrics] = []
        id_list = [str(i) for i in ids]
        for start in range(0, len(id_list), 100):  # the endpoint takes at most 100 ids
            chunk = id_list[start : start + 100]
            resp = _call(
                lambda chunk=chunk: self._client.get_tweets(
                    chunk, tweet_fields=["public_metrics"], user_auth=True
                )
            )
            out.extend(_metrics(t.data) for t in resp.data or [])
        return out

    def fetch_account_stats(self) -> AccountStats:
        """`GET /2/users/:id?user.fields=public_metrics` for our own account."""
        resp = _call(
            lambda: self._client.get_user(
                id=self.user_id, user_fields=["public_metrics"], user_auth=True
            )
        )
        if resp.data is None:
            # X answers 200 with only `errors` for a user it does not have (suspended, deleted).
            raise NotFound(
                "; ".join(str(e.get("detail") or e) for e in resp.errors or [])
                or f"user {self.user_id} not found"
            )
        metrics = resp.data.public_metrics or {}
        return AccountStats(
            followers=int(metrics.get("followers_count", 0)),
            following=int(metrics.get("following_count", 0)),
            raw=dict(resp.data.data),
        )

    def recent_posts(self, limit: int = 20) -> list[RecentPost]:
        resp = _call(
            lambda: self._client.get_users_tweets(
                self.user_id,
                user_auth=True,
                max_results=max(5, min(100, limit)),
                tweet_fields=["created_at"],
            )
        )
        return [
            RecentPost(external_id=str(t.id), text=t.text, created_at=t.created_at or utcnow())
            for t in (resp.data or [])[:limit]
        ]

    # -- helpers ------------------------------------------------------------------------

    def _read_params(self) -> dict[str, Any]:
        return {
            "tweet_fields": TWEET_FIELDS,
            "expansions": ["author_id"],
            "user_fields": USER_FIELDS,
            "max_results": self.page_size,
        }

    def _search(self, query: str, since: str | None) -> Iterator[tuple[Any, dict[str, Any]]]:
        return self._paged(
            lambda token: self._client.search_recent_tweets(
                query,
                user_auth=True,
                since_id=since,
                next_token=token,
                # search/recent takes 10..100, mentions 5..100
                **{**self._read_params(), "max_results": max(10, self.page_size)},
            )
        )

    def _paged(self, fetch: Callable[[str | None], Any]) -> Iterator[tuple[Any, dict[str, Any]]]:
        """Yield (tweet, users-by-id) across all pages; tokens are opaque to us."""
        token: str | None = None
        while True:
            resp = _call(lambda token=token: fetch(token))
            users = {str(u.id): u for u in resp.includes.get("users", [])}
            for tweet in resp.data or []:
                yield tweet, users
            token = resp.meta.get("next_token")
            if not token:
                return

    def _collect(
        self,
        seen: dict[str, InboundItem],
        tweet: Any,
        users: dict[str, Any],
        ours: set[str],
        include_own: bool = False,
    ) -> None:
        author_id = str(tweet.author_id) if tweet.author_id is not None else ""
        if author_id == self.user_id and not include_own:
            return  # our own replies are outbound, not inbox material
        seen[str(tweet.id)] = _inbound(tweet, users.get(author_id), ours)

    def _tweet_url(self, tweet_id: str) -> str:
        return f"https://x.com/i/web/status/{tweet_id}"


def _media_category(mime_type: str) -> str:
    if mime_type == "image/gif":
        return "tweet_gif"
    if mime_type.startswith("video/"):
        return "tweet_video"
    return "tweet_image"


def _inbound(tweet: Any, user: Any, ours: set[str]) -> InboundItem:
    return _inbound_json(tweet.data, user.data if user is not None else None, ours)


def _inbound_json(data: dict[str, Any], user: dict[str, Any] | None, ours: set[str]) -> InboundItem:
    replied_to = next(
        (
            str(r["id"])
            for r in data.get("referenced_tweets") or []
            if r.get("type") == "replied_to"
        ),
        None,
    )
    conversation_id = str(data["conversation_id"]) if data.get("conversation_id") else None
    our_post_id = next((i for i in (conversation_id, replied_to) if i in ours), None)
    created = data.get("created_at")
    return InboundItem(
        external_id=str(data["id"]),
        text=data["text"],
        author_id=str(data.get("author_id") or ""),
        author_handle=str(user.get("username", "")) if user else "",
        author_name=str(user.get("name", "")) if user else "",
        # X writes 2026-01-02T03:04:05.678Z, which fromisoformat reads as UTC.
        created_at=datetime.fromisoformat(created) if created else utcnow(),
        conversation_id=conversation_id,
        in_reply_to_id=replied_to,
        kind="reply" if replied_to else "mention",
        our_post_id=our_post_id,
        raw=data,
    )


def _newest(items: Sequence[InboundItem], since: str | None) -> str | None:
    ids = [int(i.external_id) for i in items]
    if since:
        ids.append(int(since))
    return str(max(ids)) if ids else None


def _metrics(data: dict[str, Any]) -> PostMetrics:
    m = data.get("public_metrics") or {}
    return PostMetrics(
        external_id=str(data["id"]),
        impressions=int(m.get("impression_count", 0)),
        likes=int(m.get("like_count", 0)),
        replies=int(m.get("reply_count", 0)),
        shares=int(m.get("retweet_count", 0)),
        quotes=int(m.get("quote_count", 0)),
        bookmarks=int(m.get("bookmark_count", 0)),
        raw=m,
    )
