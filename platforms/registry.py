"""Build the right client for an account from plain values (no Django needed here).

The Django side reads credentials and base URLs from its models and settings and passes
them in, so this module stays importable without settings.
"""

from __future__ import annotations

from typing import Any

from platforms.base import PlatformClient
from platforms.facebook import DEFAULT_API_VERSION, FacebookPageClient
from platforms.x import XClient

DEFAULT_BASE_URLS = {
    "x": "https://api.twitter.com",
    "facebook": "https://graph.facebook.com",
}


def client_for(
    *,
    platform: str,
    external_id: str,
    credentials: dict[str, Any],
    base_urls: dict[str, str],
    timeout: float = 10,
) -> PlatformClient:
    base_url = base_urls.get(platform) or DEFAULT_BASE_URLS.get(platform)
    if platform == "x":
        return XClient(
            base_url=base_url or DEFAULT_BASE_URLS["x"],
            consumer_key=credentials["consumer_key"],
            consumer_secret=credentials["consumer_secret"],
            access_token=credentials["access_token"],
            access_token_secret=credentials["access_token_secret"],
            user_id=external_id,
            timeout=timeout,
        )
    if platform == "facebook":
        return FacebookPageClient(
            base_url=base_url or DEFAULT_BASE_URLS["facebook"],
            page_id=external_id,
            page_access_token=credentials["page_access_token"],
            api_version=credentials.get("api_version") or DEFAULT_API_VERSION,
            timeout=timeout,
        )
    raise ValueError(f"unknown platform {platform!r}")
