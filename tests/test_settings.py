"""Settings come from the environment; production settings pass Django's deploy checks."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import run_manage

# Each start-up test begins from a clean environment: only what it sets counts.
DROP = ("DJANGO_", "BEAT_")

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k7Qw9-production-like-secret-with-plenty-of-entropy-2bX4vN8mZ1pL6tR3yH",
    "DJANGO_ALLOWED_HOSTS": "beat.police.example",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://beat.police.example",
    "BEAT_ENCRYPTION_KEYS": "2x9n1Zm2mK2v5k0cQ0pSxV3mJ2n8hXh6b0Yc9d4eF1A=",
}


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {**PRODUCTION_ENV, "BEAT_VAR_DIR": str(tmp_path)}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env, drop=DROP)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_missing_secret_key_in_production_is_named(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = run_manage("check", env={**env, "BEAT_VAR_DIR": str(tmp_path)}, drop=DROP)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_bad_boolean_is_named(tmp_path):
    result = run_manage(
        "check",
        env={**PRODUCTION_ENV, "DJANGO_DEBUG": "maybe", "BEAT_VAR_DIR": str(tmp_path)},
        drop=DROP,
    )
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be true or false" in result.stderr


def test_broker_is_redis_when_set_else_the_filesystem(monkeypatch, settings):
    # What the running settings module chose for this process.
    if os.environ.get("REDIS_URL"):
        assert settings.CELERY_BROKER_URL == os.environ["REDIS_URL"]
    else:
        assert settings.CELERY_BROKER_URL == "filesystem://"
        assert Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]).is_dir()


def test_health_check_answers_without_signing_in(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
