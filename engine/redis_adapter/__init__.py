"""The one Redis adapter: everything the engine says to Redis goes through this package.

- ``connections``: the clients (``RedisClient``: one Redis or a Redis Cluster) and the shared
  pipelined connection the sitting scripts take (hiredis, redis-py as the fallback), its
  sockets in ``wire``;
- ``durability``: what an acknowledged write waits for (a replica's WAIT, ADR 0019);
- ``keys``: every sitting key, its shard's hash tag and the shard stored with the sitting;
- ``scripts`` and ``lua/``: every Lua script the engine runs, loaded in one place;
- ``streams`` and ``stream_consumer``: stream entries, consumer groups and the acknowledgement
  (with the integrity copy written by the same script), parsed into typed values;
- ``replies``: the scripts' replies as Structs whose statuses are a closed set, so a reply a
  script was never written to give is an error, never mistaken for a refusal;
- small stores with one job each: ``results_version``, ``job_payloads``, ``run_lock``,
  ``rate_limits``, ``backlog``, ``clock``.

Stores of an aggregate that need several of these (the sitting's ``engine/sittings/store.py``,
the proctor's ``engine/sittings/proctor_store.py``, caches named ``*_cache.py``) live beside
their aggregate, as repositories do beside theirs; no other module calls a Redis command
(tests/unit/architecture/test_redis_in_adapter.py) or imports redis-py (the ``redis-adapter``
import contract). ADR 0017.
"""
