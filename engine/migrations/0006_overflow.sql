-- Cross-sitting forensics reports written by the forensics job (engine/overflow), wherever it
-- ran: in the cluster or on the overflow Lambda. Keyed by job id, so a redelivered job
-- writes nothing twice.
CREATE TABLE forensics_reports (
    job_id      text PRIMARY KEY,
    exam_id     uuid NOT NULL REFERENCES exams (id),
    org_id      uuid NOT NULL REFERENCES orgs (id),
    sittings    integer NOT NULL,
    flags       integer NOT NULL,
    report      jsonb NOT NULL,  -- proctoring.forensics.ForensicsReport
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX forensics_reports_exam ON forensics_reports (exam_id, created_at DESC);
