"""The guard that keeps CI from silently skipping the PostgreSQL and Redis tests."""

import pytest

from tests.conftest import require_service


def test_a_missing_service_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI"):
        require_service("Redis", False, "connection refused")


def test_a_missing_service_skips_on_a_laptop(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require_service("Redis", False, "connection refused")


def test_an_available_service_neither_fails_nor_skips(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert require_service("Redis", True, "") is None
