"""Settings, read once from the environment (``UJIAN_*``) into one immutable object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

import msgspec

ENV_PREFIX = "UJIAN_"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    # None means "start the embedded server under data_dir" (the newcomer's default)
    database_url: str | None = None
    redis_url: str | None = None
    data_dir: str = ".ujian"
    # prefix of every Redis key, so several deployments (or test runs) can share one Redis
    redis_namespace: str = "uj"
    # UJIAN_REDIS_URL names one node of a Redis Cluster (the client discovers the rest)
    redis_cluster: bool = False
    # per process; a request waits (up to 10 s) for a free connection rather than failing
    redis_max_connections: int = 512
    # what an acknowledged answer (and start, submit) means (ADR 0019): "none", the primary
    # holds it; "replica", redis_ack_replicas replicas hold it (WAIT); "aof", the primary's and
    # the replicas' AOF have it fsynced (WAITAOF, Redis 7.2+). Not held within the timeout:
    # 503 write_not_durable, and the page sends the batch again
    redis_ack_durability: Literal["none", "replica", "aof"] = "none"
    redis_ack_replicas: int = 1
    redis_ack_timeout_ms: int = 500

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    server: Literal["granian", "uvicorn"] = "granian"
    log_level: str = "INFO"

    # no default: the embedded mode makes one per data folder, anything else refuses to start
    # without a strong one (engine/auth/signing_keys.py)
    jwt_secret: str = ""
    # key rotation: older secrets (comma-separated) that still verify, each named by its key id
    # (``kid``); drop one once the tokens it signed have expired (a day covers exam cards)
    jwt_previous_secrets: str = ""
    access_token_ttl_s: int = 900
    # each process refreshes its copy of the revoked sign-ins (logout, password change, disabled
    # account, re-issued exam card) this often: a revoked access token is refused within it
    revocation_refresh_s: float = 5.0
    # accounts and sign-in (engine/auth): argon2id cost (OWASP's minimum: 19 MiB, t=2, p=1 keeps
    # sign-in cheap at scale; hashes made with other values are upgraded at the next sign-in)
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19456
    argon2_parallelism: int = 1
    refresh_token_ttl_s: int = 12 * 3600
    # failed sign-in attempts (password, refresh, exam card) allowed per window
    # (engine/auth/ratelimit.py). Only failures count. Per address: a whole school signs in
    # behind one NAT address, so this is generous (a typo rate of a few percent of 2,000 pupils
    # stays far below it) and it only guards against spraying many accounts from one place.
    signin_rate_per_ip: str = "1000/minute"
    # per account, shared by every client that has not signed in to it before: guessing
    signin_rate_per_account: str = "10/minute"
    # per (account, device) for a device that signed in before (its device token): someone
    # else's failures never lock it out, only its own
    signin_rate_per_device: str = "10/minute"
    # how long a device token (returned by a successful sign-in) keeps the device trusted
    device_token_ttl_s: int = 90 * 24 * 3600
    trust_forwarded_for: bool = False
    # argon2 threads (engine/auth/passwords.py): sign-in verifies on its own pool; enrolment
    # hashes on a smaller one, so a bulk import never queues in front of a sign-in and cannot
    # take more than this many cores from them (2: ~40 hashes/s at the default cost)
    password_signin_threads: int = 4
    password_bulk_threads: int = 2
    # a new password must reach this zxcvbn score (0-4; 2 refuses "12345678", "password",
    # "qwertyuiop" and other common or keyboard passwords: engine/auth/password_policy.py)
    password_min_score: int = 2
    # an exam card signs in from this long before its exam's window opens until it closes
    card_early_s: int = 1800
    enrolment_max_bytes: int = 32 * 1024 * 1024
    # a sitting seen (start, answers) within this long counts as online in the proctor's room view
    online_window_s: int = 120

    db_pool_min: int = 2
    db_pool_max: int = 20
    # answer streams are sharded; each shard is one Redis Cluster slot (redis_adapter/keys.py)
    stream_shards: int = 16
    max_body_bytes: int = 256 * 1024
    max_batch_events: int = 50
    # the longest text answer stored, whatever an item's own max_length says
    answer_max_text_chars: int = 100_000
    # each sitting's write budget, counted by the answer script itself (no extra round trip):
    # events and bytes per minute, and the bursts a sitting saves up while quiet (an offline
    # page resends its backlog at once); far above a real student's pace. Either rate 0: none
    answer_budget_events_per_min: int = 1200
    answer_budget_events_burst: int = 6000
    answer_budget_bytes_per_min: int = 2 * 1024 * 1024
    answer_budget_bytes_burst: int = 16 * 1024 * 1024
    # how the answers hash keeps each item's latest answer (engine/sittings/latest.py): compact
    # msgpack; "json" only while pods of a release before it still serve live sittings
    latest_answer_format: Literal["msgpack", "json"] = "msgpack"
    # HTTP requests one process serves at once before it counts as fully utilised (overflow)
    max_in_flight_requests: int = 256
    # background consumers (persister, sweeper, grader) inside the API process; off in
    # production, where ``ujian worker`` pods run them
    run_workers_in_api: bool = True
    # apply migrations when a process starts; production runs the migration Job instead
    migrate_on_start: bool = True
    # a stream entry read by a consumer that died is taken over after this long unacknowledged
    consumer_claim_idle_ms: int = 30_000
    # worker processes for CPU-heavy jobs, off the event loop (engine/cpu_jobs.py): scoring
    # sittings, and statistics/forensics/calibration; 0 runs them in the caller
    cpu_grading_workers: int = 1
    cpu_analysis_workers: int = 1
    # submits graded in the request at once (instant results): past it a submit is only its
    # state change, and the grader's stream grades it in bulk a moment later (the deadline
    # burst); the page asks for the result until it is there. 0: never in the request
    instant_grading_in_request: int = 2

    # overflow to Lambda (engine/overflow): no queue URL means every job runs here
    overflow_queue_url: str | None = None
    overflow_dlq_url: str | None = None
    # the only switch between AWS (unset: the region's endpoint) and a local SQS (moto)
    overflow_endpoint_url: str | None = None
    # jobs go away once cluster utilisation passes the threshold and come home below
    # threshold - hysteresis, so the route does not flap around the threshold
    overflow_threshold: float = 0.70
    overflow_hysteresis: float = 0.10
    aws_region: str = "ap-southeast-3"

    # scheduling (engine/scheduling): sessions opening within this many seconds get their
    # sittings pre-created and their papers warmed in every pod; pods poll the warm-up set
    # this often (0 turns the loop off)
    schedule_prepare_lead_s: int = 1800
    schedule_warm_poll_s: float = 15.0
    # the capacity forecast's requests/s one API pod holds (measure: python bench/loadtest.py)
    forecast_pod_rps: float = 400.0

    # media shown in item stems: files under data_dir/media, or S3 (presigned URLs) when a
    # bucket is named; the endpoint URL points at a local S3 (moto, MinIO) in development
    media_s3_bucket: str | None = None
    media_s3_endpoint_url: str | None = None
    media_max_bytes: int = 5 * 1024 * 1024
    media_url_ttl_s: int = 3600
    # QTI packages and CSV files are larger than an answer batch
    import_max_bytes: int = 50 * 1024 * 1024

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``UJIAN_<FIELD>`` variables; unknown ones are ignored."""
        env = os.environ if environ is None else environ
        raw: dict[str, str] = {}
        for field in msgspec.structs.fields(cls):
            value = env.get(ENV_PREFIX + field.name.upper())
            if value is not None and value != "":
                raw[field.name] = value
        # strict=False lets msgspec turn the strings into ints, bools and paths
        return msgspec.convert(raw, cls, strict=False)

    @property
    def embedded(self) -> bool:
        return self.database_url is None or self.redis_url is None


def setting_env_names() -> list[str]:
    """Every environment variable the service reads (used by the infra consistency tests)."""
    return [ENV_PREFIX + f.name.upper() for f in msgspec.structs.fields(Settings)]
