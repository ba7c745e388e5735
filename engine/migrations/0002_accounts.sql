-- Accounts, schools and access: classes, student numbers, refresh tokens, exam cards, class
-- assignment, per-student overrides, exam access policy, the audit log and sitting events.

-- a school's own code (e.g. its NPSN), unique nationally when given
ALTER TABLE orgs ADD COLUMN code text;
CREATE UNIQUE INDEX orgs_code ON orgs (code) WHERE code IS NOT NULL;
CREATE INDEX orgs_parent ON orgs (parent_id);

CREATE TABLE classes (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES orgs (id),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);

-- national_id: the national student number (NISN), unique in the country when given;
-- extra_time_pct: a standing accommodation (e.g. 25 for +25% on every exam)
ALTER TABLE users
    ADD COLUMN national_id text,
    ADD COLUMN class_id uuid REFERENCES classes (id),
    ADD COLUMN extra_time_pct integer NOT NULL DEFAULT 0 CHECK (extra_time_pct BETWEEN 0 AND 300),
    ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now();
CREATE UNIQUE INDEX users_national_id ON users (national_id) WHERE national_id IS NOT NULL;
CREATE INDEX users_class ON users (class_id);

-- Opaque refresh tokens: only a hash of the secret is stored. Each use rotates to a new token
-- of the same family; a used token presented again revokes its whole family (theft detection).
CREATE TABLE refresh_tokens (
    id           uuid PRIMARY KEY,
    family_id    uuid NOT NULL,
    user_id      uuid NOT NULL REFERENCES users (id),
    secret_hash  bytea NOT NULL,
    device       text NOT NULL,
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id) WHERE revoked_at IS NULL;
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- One printable access code per (exam, student); only its hash is kept, so issuing again
-- replaces the card.
CREATE TABLE exam_cards (
    exam_id     uuid NOT NULL REFERENCES exams (id),
    student_id  uuid NOT NULL REFERENCES users (id),
    org_id      uuid NOT NULL REFERENCES orgs (id),
    code_hash   bytea NOT NULL UNIQUE,
    issued_by   uuid NOT NULL REFERENCES users (id),
    issued_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (exam_id, student_id)
);

-- An exam assigned to classes: within a school that has class rows for the exam, only those
-- classes' students may sit it (the school row stays in exam_assignments).
CREATE TABLE exam_class_assignments (
    exam_id   uuid NOT NULL REFERENCES exams (id),
    class_id  uuid NOT NULL REFERENCES classes (id),
    org_id    uuid NOT NULL REFERENCES orgs (id),
    PRIMARY KEY (exam_id, class_id)
);
CREATE INDEX exam_class_assignments_org ON exam_class_assignments (exam_id, org_id);

-- Per-student, per-exam overrides (as Moodle's user overrides): a window and/or a time limit
-- of their own, plus extra seconds.
CREATE TABLE exam_overrides (
    exam_id       uuid NOT NULL REFERENCES exams (id),
    student_id    uuid NOT NULL REFERENCES users (id),
    org_id        uuid NOT NULL REFERENCES orgs (id),
    time_limit_s  integer CHECK (time_limit_s > 0),
    window_open   timestamptz,
    window_close  timestamptz,
    extra_time_s  integer NOT NULL DEFAULT 0 CHECK (extra_time_s >= 0),
    updated_by    uuid NOT NULL REFERENCES users (id),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (exam_id, student_id),
    CHECK (window_open IS NULL OR window_close IS NULL OR window_close > window_open)
);

-- What happens when a student starts a sitting from a second device.
CREATE TABLE exam_policies (
    exam_id        uuid PRIMARY KEY REFERENCES exams (id),
    device_policy  text NOT NULL DEFAULT 'take_over' CHECK (device_policy IN ('take_over', 'refuse')),
    updated_by     uuid NOT NULL REFERENCES users (id),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Every privileged action: who (actor), what (action, target, detail), when, from where (ip).
-- org_id is the organisation the target belongs to, so a school reads its own trail.
CREATE TABLE audit_log (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    actor_id      uuid,
    actor_role    text,
    actor_org_id  uuid,
    org_id        uuid,
    action        text NOT NULL,
    target        text,
    detail        jsonb NOT NULL DEFAULT '{}'::jsonb,
    ip            text
);
CREATE INDEX audit_log_org ON audit_log (org_id, at DESC);

-- What happened to a sitting outside its answers, for proctoring to read: device take-over or
-- refusal, pauses, extra time, device-lock resets.
CREATE TABLE sitting_events (
    id          bigserial PRIMARY KEY,
    sitting_id  uuid NOT NULL REFERENCES sittings (id),
    exam_id     uuid NOT NULL REFERENCES exams (id),
    org_id      uuid NOT NULL REFERENCES orgs (id),
    student_id  uuid NOT NULL REFERENCES users (id),
    kind        text NOT NULL,
    actor_id    uuid,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sitting_events_sitting ON sitting_events (sitting_id, at);
CREATE INDEX sitting_events_exam ON sitting_events (exam_id, kind);
