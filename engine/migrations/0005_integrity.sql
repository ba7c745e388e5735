-- Integrity (proctoring): telemetry, per-exam thresholds, forensics runs, flags with their
-- evidence and review, and a risk summary per sitting. Flags open a human review; nothing
-- here ever changes a score.

-- Every admitted telemetry event (clipboard lengths, never content), on the server clock.
-- Unique per (sitting, page session, batch, position), so a replayed stream entry is harmless.
CREATE TABLE telemetry_log (
    exam_id      uuid NOT NULL,
    sitting_id   uuid NOT NULL,
    session      text NOT NULL,
    batch_seq    integer NOT NULL,
    idx          smallint NOT NULL,
    type         text NOT NULL,
    ts           timestamptz NOT NULL,
    event        jsonb NOT NULL,  -- proctoring.telemetry event, ts already on the server clock
    received_at  timestamptz NOT NULL,
    UNIQUE (sitting_id, session, batch_seq, idx)
);
CREATE INDEX telemetry_log_exam_type ON telemetry_log (exam_id, type);

-- proctoring.thresholds.Thresholds per exam; no row = the documented defaults.
CREATE TABLE integrity_thresholds (
    exam_id     uuid PRIMARY KEY REFERENCES exams (id),
    thresholds  jsonb NOT NULL,
    updated_by  uuid NOT NULL REFERENCES users (id),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One cross-sitting forensics run: when the exam closes (at most one) or on demand.
CREATE TABLE integrity_runs (
    id            uuid PRIMARY KEY,
    job_id        text NOT NULL UNIQUE,
    exam_id       uuid NOT NULL REFERENCES exams (id),
    org_id        uuid NOT NULL REFERENCES orgs (id),
    trigger       text NOT NULL CHECK (trigger IN ('close', 'demand')),
    status        text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    requested_by  uuid REFERENCES users (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    sittings      integer,
    items         integer,
    flags         integer,
    parameters    text,   -- where the IRT parameters came from: 'calibration' or 'quick'
    seconds       jsonb,  -- wall time per detector
    error         text
);
CREATE UNIQUE INDEX integrity_runs_one_on_close ON integrity_runs (exam_id) WHERE trigger = 'close';
CREATE INDEX integrity_runs_exam ON integrity_runs (exam_id, created_at DESC);

-- A flag: one rule for one sitting (and, for pair rules, one other sitting: ``subject``).
-- 'live' flags come from the per-sitting heuristics as the streams flow, 'forensics' ones from
-- a run; a later run updates its open flags and drops the open ones it no longer raises.
CREATE TABLE integrity_flags (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sitting_id   uuid NOT NULL REFERENCES sittings (id),
    exam_id      uuid NOT NULL REFERENCES exams (id),
    org_id       uuid NOT NULL REFERENCES orgs (id),  -- the sitting's school
    source       text NOT NULL CHECK (source IN ('live', 'forensics')),
    rule         text NOT NULL,
    subject      text NOT NULL DEFAULT '',
    kind         text NOT NULL CHECK (kind IN ('test', 'behaviour')),
    statistic    double precision NOT NULL,
    threshold    double precision NOT NULL,
    direction    text NOT NULL,
    p_value      double precision,
    correction   text NOT NULL DEFAULT 'none',
    note         text NOT NULL DEFAULT '',
    evidence     jsonb NOT NULL DEFAULT '[]'::jsonb,
    run_id       uuid REFERENCES integrity_runs (id),
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'confirmed', 'dismissed')),
    review_note  text,
    reviewed_by  uuid REFERENCES users (id),
    reviewed_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (sitting_id, source, rule, subject)
);
CREATE INDEX integrity_flags_exam ON integrity_flags (exam_id, org_id, status);

-- proctoring.flags.RiskSummary of each flagged sitting over its flags not dismissed.
CREATE TABLE integrity_risk (
    sitting_id  uuid PRIMARY KEY REFERENCES sittings (id),
    exam_id     uuid NOT NULL REFERENCES exams (id),
    org_id      uuid NOT NULL REFERENCES orgs (id),
    level       text NOT NULL CHECK (level IN ('none', 'low', 'medium', 'high')),
    score       double precision NOT NULL,
    rules       text[] NOT NULL,
    smallest_p  double precision,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX integrity_risk_exam ON integrity_risk (exam_id, level);
