-- IRT models named as the literature names them, on the logit scale.
--
-- Until now every slope was stored in the normal-ogive metric (P = logistic(1.702·a·(θ - b)))
-- and "1PL" meant "slope 1 in that metric, θ ~ N(0, 1)". From here on the parameters are on
-- the logit scale ltm and mirt report (P = logistic(a·(θ - b))): the stored slopes are
-- converted once (b and c keep their meaning). Runs calibrated before keep their model label;
-- their "1PL" is the old fixed-slope model, now visible as a = 1.702 on every item.
UPDATE item_parameters SET a = a * 1.702;

ALTER TABLE calibration_runs DROP CONSTRAINT IF EXISTS calibration_runs_model_check;
ALTER TABLE calibration_runs ADD CONSTRAINT calibration_runs_model_check
    CHECK (model IN ('Rasch', '1PL', '2PL', '3PL', 'GRM'));
-- the SD of θ: estimated by the Rasch model (slope 1), 1 for the others
ALTER TABLE calibration_runs ADD COLUMN latent_sd double precision;

-- the category boundaries b_1 < ... < b_{K-1} of a graded-response item (NULL: dichotomous)
ALTER TABLE item_parameters ADD COLUMN thresholds double precision[];

-- Equating the forms of one event (engine/analytics/equating_service.py): the run, its report
-- (each form's design, population on the reference scale and Stocking–Lord constants with
-- their standard errors) and, on every result it re-scored, the run that did it.
CREATE TABLE equating_runs (
    id            uuid PRIMARY KEY,
    event_id      uuid NOT NULL REFERENCES exam_events (id),
    org_id        uuid NOT NULL REFERENCES orgs (id),
    model         text NOT NULL CHECK (model IN ('Rasch', '1PL', '2PL', '3PL', 'GRM')),
    status        text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    requested_by  uuid NOT NULL REFERENCES users (id),
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    report        jsonb,
    error         text
);
CREATE INDEX equating_runs_event ON equating_runs (event_id, started_at DESC);
ALTER TABLE results ADD COLUMN equating_id uuid;
