"""What a service may ask of the process's collaborators, one protocol per collaborator.

A service module names what it uses by combining these (``class Needs(WithPool, WithSettings,
Protocol)``) and takes that, not the whole ``Services`` container: its signature says which
stores it touches, a test can hand it just those, and the module does not import the container
(engine/services.py), which imports every engine package and made them one import cycle.

The concrete types are imported for the type checker only: at run time the caller passes the
process's ``Services``, which has every one of these attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from engine.cpu_jobs import CpuJobs
    from engine.kernel.sql import Pool
    from engine.redis_adapter.connections import PipelinedRedis, RedisClient
    from engine.redis_adapter.keys import KeySpace
    from engine.settings import Settings
    from engine.sittings.grader import KeysCache
    from engine.sittings.store import SittingStore
    from question_bank.cache import PaperCache


class WithPool(Protocol):
    @property
    def pool(self) -> Pool: ...


class WithRedis(Protocol):
    @property
    def redis(self) -> RedisClient: ...


class WithSettings(Protocol):
    @property
    def settings(self) -> Settings: ...


class WithCpu(Protocol):
    """Where CPU-heavy jobs run (engine/cpu_jobs.py)."""

    @property
    def cpu(self) -> CpuJobs: ...


class WithKeySpace(Protocol):
    @property
    def keyspace(self) -> KeySpace: ...


class WithStore(Protocol):
    """The sittings' live state in Redis (engine/sittings/store.py)."""

    @property
    def store(self) -> SittingStore: ...


class WithPipelined(Protocol):
    """The lean Redis lane the answer, timer and telemetry requests use."""

    @property
    def pipelined(self) -> PipelinedRedis: ...


class WithPapers(Protocol):
    @property
    def papers(self) -> PaperCache: ...


class WithKeys(Protocol):
    """Each exam version's grading keys, cached."""

    @property
    def keys(self) -> KeysCache: ...
