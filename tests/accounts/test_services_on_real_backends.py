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


@pytest.mark.redis
def test_the_broker_takes_from_the_queues_in_the_order_they_are_consumed(require_redis):
    """queue_order_strategy "priority": a worker consuming [publish, celery] takes publishing
    first. kombu's own Redis channel ordered the queues by a set, so the order it used came
    from the names' hashes: for each pair of names below, one of the two orders failed."""
    from kombu import Connection, Queue

    from config.broker import Transport

    options = {"queue_order_strategy": "priority"}
    with Connection(require_redis, transport=Transport, transport_options=options) as conn:
        for _pair in range(4):
            suffix = uuid.uuid4().hex
            queues = {n: Queue(f"beat-tests-order-{n}-{suffix}") for n in ("first", "second")}
            for order in (("first", "second"), ("second", "first")):
                assert _take_one(conn, queues, order) == order[0]


def _take_one(conn, queues, order) -> str:
    """Put one message in each queue (the later queue's first), consume the queues in `order`
    through the BRPOP path a worker uses, and return the queue of the message taken."""
    from kombu import Consumer

    channel = conn.channel()
    received: list[str] = []
    try:
        for queue in queues.values():
            queue(channel).declare()
        for name in reversed(order):
            conn.Producer(channel).publish({"q": name}, routing_key=queues[name].name)
        with Consumer(
            channel,
            [queues[name] for name in order],
            callbacks=[lambda body, message: (received.append(body["q"]), message.ack())],
        ):
            conn.drain_events(timeout=5)
        return received[0]
    finally:
        for queue in queues.values():
            queue(channel).delete()
        channel.close()


@pytest.mark.redis
def test_pipelined_publishing_holds_the_batch_and_sends_it_whole_in_order(require_redis):
    """config.broker.pipelined: the dispatcher's batch reaches Redis whole, when the block ends."""
    from kombu import Connection, Queue

    from config.broker import Transport, pipelined

    queue = Queue(f"beat-tests-pipelined-{uuid.uuid4().hex}")
    with Connection(require_redis, transport=Transport) as conn:
        channel = conn.channel()
        client = channel.client
        try:
            queue(channel).declare()
            producer = conn.Producer(channel)
            with pipelined(producer):
                for n in range(50):
                    producer.publish({"n": n}, routing_key=queue.name)
                assert client.llen(queue.name) == 0  # held until the block ends
            assert client.llen(queue.name) == 50
            bound = queue(channel)
            taken = [bound.get(no_ack=True).payload["n"] for _ in range(50)]
            assert taken == list(range(50))  # in the order published
        finally:
            queue(channel).delete()
            channel.close()
