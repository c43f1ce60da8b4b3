"""The parts that depend on the real PostgreSQL and Redis (run by CI; fail there if missing)."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection

from accounts.audit import audit_record, verify_chain
from accounts.models import AuditEvent


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_audit_writers_keep_one_unbroken_chain(cast):
    writers, per_writer = 8, 15
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(per_writer):
                audit_record(
                    action="tests.race", actor=None, agency=cast.agency, data={"w": n, "i": i}
                )
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    before = AuditEvent.objects.count()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditEvent.objects.count() == before + writers * per_writer
    assert list(verify_chain()) == []


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)  # the worker's Django fixup closes DB connections
def test_a_task_round_trips_through_redis_to_a_real_worker(require_redis):
    """Our Celery configuration over the real Redis: a worker receives a task and answers."""
    from celery import Celery
    from celery.contrib.testing.worker import start_worker

    app = Celery("beat-redis-test")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = require_redis
    app.conf.result_backend = require_redis

    @app.task(name="tests.echo", ignore_result=False)
    def echo(value: str) -> str:
        return value

    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        assert echo.delay("pong").get(timeout=20) == "pong"


@pytest.mark.redis
def test_the_broker_keeps_one_redis_client_per_channel_and_still_delivers(require_redis):
    """config.broker: kombu's Redis transport without a client object built per command."""
    from kombu import Connection

    from config.broker import Transport

    with Connection(require_redis, transport=Transport) as conn:
        channel = conn.default_channel
        with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
            assert first is second
        queue = conn.SimpleQueue(f"beat-tests-broker-{uuid.uuid4().hex}")
        try:
            queue.put({"n": 1})
            message = queue.get(timeout=5)
            assert message.payload == {"n": 1}
            message.ack()
            with pytest.raises(queue.Empty):
                queue.get_nowait()
        finally:
            queue.close()
