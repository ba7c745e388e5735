-- Organisations, users, items, exams, sittings, the answer log and results.
-- Every table that belongs to a school carries org_id; queries are scoped by it.

CREATE TABLE orgs (
    id          uuid PRIMARY KEY,
    parent_id   uuid REFERENCES orgs (id),
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('organiser', 'school')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    org_id         uuid NOT NULL REFERENCES orgs (id),
    username       text NOT NULL UNIQUE,
    display_name   text NOT NULL,
    role           text NOT NULL CHECK (role IN ('admin', 'school_admin', 'teacher', 'proctor', 'student')),
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_org ON users (org_id);

-- An item's versions are immutable: an edit is a new version, exams pin (item, version).
CREATE TABLE items (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES orgs (id),
    created_by  uuid NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX items_org ON items (org_id);

CREATE TABLE item_versions (
    item_id     uuid NOT NULL REFERENCES items (id),
    version     integer NOT NULL,
    kind        text NOT NULL,
    content     jsonb NOT NULL,   -- what a student may see (stem, options)
    answer_key  jsonb NOT NULL,   -- what only grading may see
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (item_id, version)
);

CREATE TABLE exams (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES orgs (id),
    title       text NOT NULL,
    created_by  uuid NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX exams_org ON exams (org_id);

CREATE TABLE exam_versions (
    id               uuid PRIMARY KEY,
    exam_id          uuid NOT NULL REFERENCES exams (id),
    version          integer NOT NULL,
    status           text NOT NULL CHECK (status IN ('draft', 'published')),
    spec             jsonb NOT NULL,  -- sections with pinned (item, version) references
    time_limit_s     integer NOT NULL CHECK (time_limit_s > 0),
    window_open      timestamptz NOT NULL,
    window_close     timestamptz NOT NULL CHECK (window_close > window_open),
    grace_s          integer NOT NULL DEFAULT 0 CHECK (grace_s >= 0),
    instant_results  boolean NOT NULL DEFAULT true,
    shuffle          boolean NOT NULL DEFAULT true,
    published_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (exam_id, version)
);
-- at most one published version is the one students sit
CREATE UNIQUE INDEX exam_versions_one_published ON exam_versions (exam_id) WHERE status = 'published';

-- Which schools (and their students) an exam is assigned to.
CREATE TABLE exam_assignments (
    exam_id  uuid NOT NULL REFERENCES exams (id),
    org_id   uuid NOT NULL REFERENCES orgs (id),
    PRIMARY KEY (exam_id, org_id)
);

CREATE TABLE sittings (
    id               uuid PRIMARY KEY,
    org_id           uuid NOT NULL REFERENCES orgs (id),
    exam_id          uuid NOT NULL REFERENCES exams (id),
    exam_version_id  uuid NOT NULL REFERENCES exam_versions (id),
    student_id       uuid NOT NULL REFERENCES users (id),
    shard            integer NOT NULL,
    state            text NOT NULL CHECK (state IN ('created', 'active', 'submitted', 'graded')),
    extra_time_s     integer NOT NULL DEFAULT 0,
    started_at       timestamptz,
    deadline         timestamptz,
    submitted_at     timestamptz,
    submitted_by     text CHECK (submitted_by IN ('student', 'deadline')),
    graded_at        timestamptz,
    points           double precision,
    max_points       double precision,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (exam_id, student_id)
);
CREATE INDEX sittings_exam ON sittings (exam_id, state);

-- Append-only log of every acknowledged answer event. Unique on (sitting, seq) so a replayed
-- stream entry is harmless. Partitioned by exam: a partition per exam is created on publish,
-- the default one catches anything else, and an old exam's partition can be detached whole.
CREATE TABLE answer_log (
    exam_id     uuid NOT NULL,
    sitting_id  uuid NOT NULL,
    seq         bigint NOT NULL,
    item_id     text NOT NULL,
    response    jsonb,
    client_ts   bigint,
    server_ts   timestamptz NOT NULL,
    UNIQUE (exam_id, sitting_id, seq)
) PARTITION BY LIST (exam_id);
CREATE TABLE answer_log_default PARTITION OF answer_log DEFAULT;

CREATE TABLE results (
    sitting_id  uuid PRIMARY KEY REFERENCES sittings (id),
    org_id      uuid NOT NULL REFERENCES orgs (id),
    exam_id     uuid NOT NULL REFERENCES exams (id),
    points      double precision NOT NULL,
    max_points  double precision NOT NULL,
    items       jsonb NOT NULL,  -- item id -> {points, max_points, status}
    graded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX results_exam ON results (exam_id);
