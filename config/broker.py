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

Used by settings when REDIS_URL is set (CELERY_BROKER_TRANSPORT).
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis


class Channel(redis.Channel):
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
