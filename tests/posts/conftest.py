"""Publishing fixtures: two accounts of the cast's agency, registered with the sandbox."""

from __future__ import annotations

import pytest

from accounts.services import platform_account_connect

X_ID, X_TOKEN = "1600000000000000001", "x-token-alpha"
FB_ID, FB_TOKEN = "1600000001", "fb-token-alpha"


@pytest.fixture
def accounts(cast, sandbox, settings):
    settings.PLATFORM_BASE_URLS = {"x": sandbox.url, "facebook": sandbox.url}
    sandbox.account("x", X_ID, X_TOKEN, handle="alphapolice", name="Alpha Police")
    sandbox.account("facebook", FB_ID, FB_TOKEN, handle="alphapolice", name="Alpha Police")
    x = platform_account_connect(
        agency=cast.agency,
        by=None,
        platform="x",
        handle="@alphapolice",
        external_id=X_ID,
        credentials={
            "consumer_key": "ck",
            "consumer_secret": "cs",
            "access_token": X_TOKEN,
            "access_token_secret": "ats",
        },
    )
    fb = platform_account_connect(
        agency=cast.agency,
        by=None,
        platform="facebook",
        handle="Alpha Police",
        external_id=FB_ID,
        credentials={"page_access_token": FB_TOKEN},
    )
    return x, fb
