"""The OpenAPI 3 schema (drf-spectacular) at /api/schema/ and its documentation pages."""

from __future__ import annotations

import io
import json
import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.api.conftest import client_for


def test_the_schema_validates_without_a_single_warning(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(target), stdout=out, stderr=err
    )
    assert err.getvalue() == ""
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


def _schema(client) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_live_schema_is_served_to_members_only(cast):
    assert APIClient().get("/api/schema/").status_code == 401
    schema = _schema(client_for(cast.analyst, cast.agency))
    assert schema["info"]["title"] == "Beat API"
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["tokenAuth"]["description"],
    }


def test_every_operation_documents_its_errors_in_the_one_shape(cast):
    schema = _schema(client_for(cast.officer, cast.agency))
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            for code in ("401", "403", "429"):
                ref = responses[code]["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error", (method, path, code)
            if "{" in path:
                assert "404" in responses, (method, path)
            if method in ("post", "patch"):
                assert {"400", "415"} <= set(responses), (method, path)


def test_credentials_are_no_field_of_any_schema(cast):
    schema = _schema(client_for(cast.admin, cast.agency))
    fields = {
        name
        for component in schema["components"]["schemas"].values()
        for name in component.get("properties", {})
    }
    assert not {f for f in fields if "credential" in f or "ciphertext" in f or "token_hash" in f}


@pytest.mark.parametrize("page", ["/api/docs/"])
def test_the_documentation_page_uses_vendored_assets_not_a_cdn(cast, login, page):
    assert APIClient().get(page).status_code == 401
    html = login(cast.officer).get(page).content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(not a.startswith(("http://", "https://", "//")) for a in assets), assets
    assert any("drf_spectacular_sidecar" in a for a in assets)
    assert "cdn." not in html and "jsdelivr" not in html


def test_the_vendored_assets_are_static_files():
    for name in (
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
    ):
        assert finders.find(name), name
