"""One error shape everywhere: {"error": {"code", "message", "fields"}}, whatever raised it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import client_for


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content)
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def test_400_names_the_fields(world):
    client = client_for(world.cast.officer, world.agency)
    error = error_of(
        client.post("/api/v1/posts/", {"style": "poetry", "accounts": ["x"]}, format="json"),
        400,
        "invalid",
    )
    assert set(error["fields"]) == {"body", "style", "accounts"}
    assert all(isinstance(m, str) for ms in error["fields"].values() for m in ms)


def test_400_for_a_body_that_is_not_json(world):
    client = client_for(world.cast.officer, world.agency)
    response = client.post("/api/v1/posts/", "{nope", content_type="application/json")
    error_of(response, 400, "parse_error")


def test_400_for_a_bad_filter(world):
    client = client_for(world.cast.officer, world.agency)
    error = error_of(client.get("/api/v1/posts/", {"status": "lost"}), 400, "invalid")
    assert list(error["fields"]) == ["status"]
    error = error_of(client.get("/api/v1/calendar/", {"days": 400}), 400, "invalid")
    assert list(error["fields"]) == ["days"]


def test_400_from_a_services_validation_error(world):
    """A service's ValidationError (here: a label too long for the inbox) in the same shape."""
    conversation = world.conversation()
    client = client_for(world.cast.officer, world.agency)
    error = error_of(
        client.post(
            f"/api/v1/inbox/conversations/{conversation.pk}/labels/",
            {"labels": ["x" * 41]},
            format="json",
        ),
        400,
        "invalid",
    )
    assert "at most 40 characters" in error["message"] and error["fields"] == {}


def test_400_from_a_services_field_error_names_the_field(world):
    conversation = world.conversation()
    client = client_for(world.cast.officer, world.agency)
    error = error_of(
        client.post(
            f"/api/v1/inbox/conversations/{conversation.pk}/reply/",
            {"text": "x" * 300},
            format="json",
        ),
        400,
        "invalid",
    )
    assert list(error["fields"]) == ["text"] and "too long for X" in error["fields"]["text"][0]


def test_401_without_credentials(db):
    response = APIClient().get("/api/v1/posts/")
    error = error_of(response, 401, "not_authenticated")
    assert error["fields"] == {}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_403_for_a_role_that_may_not(world):
    client = client_for(world.cast.analyst, world.agency)
    error = error_of(client.get("/api/v1/posts/"), 403, "permission_denied")
    assert error["message"] == "Your role may not do this."


def test_403_from_a_service(world):
    conversation = world.conversation()
    client = client_for(world.cast.officer, world.agency)
    response = client.post(
        f"/api/v1/inbox/conversations/{conversation.pk}/assign/",
        {"assignee": world.cast.supervisor.pk},
        format="json",
    )
    error_of(response, 403, "permission_denied")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/posts/999999/",
        "/api/v1/posts/99999999999999999999999/",
        "/api/v1/posts/abc/",
        "/api/v1/inbox/conversations/999999/",
        "/api/v1/nowhere/",
        "/api/v1/posts",  # no trailing slash: no redirect under /api/
        "/api/v2/posts/",
    ],
)
def test_404(world, path):
    client = client_for(world.cast.officer, world.agency)
    error_of(client.get(path), 404, "not_found")


def test_404_for_a_page_past_the_last(world):
    client = client_for(world.cast.officer, world.agency)
    error_of(client.get("/api/v1/posts/", {"page": 5}), 404, "not_found")


def test_405(world):
    post = world.draft()
    client = client_for(world.cast.officer, world.agency)
    error = error_of(client.delete(f"/api/v1/posts/{post.pk}/"), 405, "method_not_allowed")
    assert "DELETE" in error["message"]
    error_of(client.put(f"/api/v1/posts/{post.pk}/", {}, format="json"), 405, "method_not_allowed")
    error_of(client.options("/api/v1/posts/"), 405, "method_not_allowed")


def test_409_when_the_workflow_refuses(world):
    post = world.draft()
    client = client_for(world.cast.supervisor, world.agency)
    error = error_of(client.post(f"/api/v1/posts/{post.pk}/approve/"), 409, "refused")
    assert error["message"].startswith("Only a post in review can be approved.")


def test_415_for_a_form_body(world):
    client = client_for(world.cast.officer, world.agency)
    response = client.post("/api/v1/posts/", {"body": "x"}, format="multipart")
    error_of(response, 415, "unsupported_media_type")


def test_429_when_a_token_goes_over_its_rate(world, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "3/minute"},
    }
    client = client_for(world.cast.officer, world.agency)
    for _ in range(3):
        assert client.get("/api/v1/me/").status_code == 200
    response = client.get("/api/v1/me/")
    error = error_of(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0 and "throttled" in error["message"]
    # The limit is per token: another token of the same person has its own.
    assert client_for(world.cast.officer, world.agency).get("/api/v1/me/").status_code == 200


def test_the_browser_session_has_its_own_rate(world, settings, login):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "2/minute"},
    }
    browser = login(world.cast.officer, world.agency)
    assert [browser.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 429]


def test_500_in_the_error_shape(world, monkeypatch):
    from accounts import api

    def broken(self, request):
        raise RuntimeError("a bug")

    monkeypatch.setattr(api.MeView, "get", broken)
    client = client_for(world.cast.officer, world.agency)
    client.raise_request_exception = False
    error = error_of(client.get("/api/v1/me/"), 500, "server_error")
    assert "a bug" not in error["message"]
