"""kombu's Redis transport, with its queue order kept and one client object per channel.

Queue order: with `queue_order_strategy: priority` kombu is meant to take from the queues in the
order the worker consumes them (CELERY_TASK_QUEUES: publishing first). It builds that order
from a set, though, so each worker process got whatever order the queue names' string hashes
gave it (they change with every process): about half the workers took inbox pulls and metrics
before publishing. In a burst of posts due at one moment, a beat run of inbox pulls then held
every process of such a worker for seconds while thousands of publishes waited. Here the order
is the order of consumption, as documented.

Client objects:
kombu builds a new `redis.Redis` object (not a new connection: they share the channel's pool)
for every message sent, every message received and every acknowledgement. Building one fills a
table of two hundred response callbacks, and in a burst of posts that was about a fifth of a
worker's Celery overhead and of the dispatcher's cost per message. A `redis.Redis` object
holds no connection of its own and is safe to share, so one per channel (and pool) does.

Pipelined publishing (`pipelined`): the dispatcher sends hundreds of messages at a time, one
LPUSH and one round trip each. Under load every round trip also waits for the sending process to
be scheduled again, so a batch of 500 took over a second to enqueue while the workers had already
emptied the queue. Inside `pipelined`, the messages go to Redis together when the block ends.

Used by settings when REDIS_URL is set (CELERY_BROKER_TRANSPORT).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from kombu.transport import redis
from kombu.utils.json import dumps


@contextlib.contextmanager
def pipelined(producer: Any) -> Iterator[None]:
    """Messages `producer` publishes inside the block go to the broker in one round trip at its
    end (with this module's Redis transport; with any other, one by one as usual)."""
    start = getattr(producer.channel, "pipelined", None)
    if start is None:
        yield
        return
    with start():
        yield


class Channel(redis.Channel):
    _beat_pipeline: Any = None

    @contextlib.contextmanager
    def pipelined(self) -> Iterator[None]:
        if self._beat_pipeline is not None:  # nested: the outer block sends
            yield
            return
        pipe = self._beat_pipeline = self._create_client().pipeline(transaction=False)
        try:
            yield
        finally:
            # What was published before an error is sent too, as it would have been unbatched.
            self._beat_pipeline = None
            pipe.execute()

    def _put(self, queue: str, message: dict, **kwargs: Any) -> None:
        pipe = self._beat_pipeline
        if pipe is None:
            super()._put(queue, message, **kwargs)
            return
        priority = self._get_message_priority(message, reverse=False)
        pipe.lpush(self._q_for_pri(queue, priority), dumps(message))

    def _update_queue_cycle(self) -> None:
        # kombu passes `self.active_queues`, a set; the list it is built from keeps the order.
        fanout = self.active_fanout_queues
        ordered = dict.fromkeys(q for q in self._active_queues if q not in fanout)
        self._queue_cycle.update(list(ordered))

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:
            return super()._create_client(asynchronous=True)
        pool = self.pool
        client = self.__dict__.get("_beat_client")
        if client is None or client.connection_pool is not pool:
            # A new pool after a reconnect gets a new client.
            client = self.__dict__["_beat_client"] = super()._create_client()
        return client


class Transport(redis.Transport):
    Channel = Channel
