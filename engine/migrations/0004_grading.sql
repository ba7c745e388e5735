-- Scoring policy per exam version, exam outcomes, essay marks, IRT calibration runs.

-- weights, sections, negative marking, pass mark (grading.outcomes.ScoringPolicy)
ALTER TABLE exam_versions ADD COLUMN scoring jsonb NOT NULL DEFAULT '{}'::jsonb;
-- the reporting scale of IRT scores (grading.irt.ScoreScale); null = the default 200-1000
ALTER TABLE exam_versions ADD COLUMN score_scale jsonb;

-- raw/weighted totals, percent, pass verdict, section sub-scores (grading.outcomes.ExamOutcome
-- without its items, which stay in results.items)
ALTER TABLE results ADD COLUMN outcome jsonb;
ALTER TABLE results ADD COLUMN theta double precision;
ALTER TABLE results ADD COLUMN theta_se double precision;
ALTER TABLE results ADD COLUMN scaled_score double precision;
ALTER TABLE results ADD COLUMN calibration_id uuid;
ALTER TABLE results ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

CREATE TABLE manual_marks (
    sitting_id  uuid NOT NULL REFERENCES sittings (id),
    item_id     text NOT NULL,
    points      double precision,
    criteria    jsonb NOT NULL DEFAULT '{}'::jsonb,
    note        text NOT NULL DEFAULT '',
    marked_by   uuid NOT NULL REFERENCES users (id),
    marked_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sitting_id, item_id)
);

CREATE TABLE calibration_runs (
    id              uuid PRIMARY KEY,
    exam_id         uuid NOT NULL REFERENCES exams (id),
    org_id          uuid NOT NULL REFERENCES orgs (id),
    model           text NOT NULL CHECK (model IN ('1PL', '2PL', '3PL')),
    status          text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    requested_by    uuid NOT NULL REFERENCES users (id),
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    persons         integer,
    items           integer,
    iterations      integer,
    converged       boolean,
    log_likelihood  double precision,
    error           text
);
CREATE INDEX calibration_runs_exam ON calibration_runs (exam_id, started_at DESC);

CREATE TABLE item_parameters (
    run_id   uuid NOT NULL REFERENCES calibration_runs (id),
    item_id  text NOT NULL,
    a        double precision NOT NULL,
    b        double precision NOT NULL,
    c        double precision NOT NULL,
    PRIMARY KEY (run_id, item_id)
);
