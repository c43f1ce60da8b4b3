"""kombu's Redis transport, keeping one client object per channel instead of one per command.

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
