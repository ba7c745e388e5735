-- A corrected answer key per exam and item. Published item versions stay immutable (what the
-- students saw never changes); a key found wrong after the exam is fixed for that exam only,
-- and grading reads the correction over the item version's own key. The previous key is kept
-- so the audit log and the dashboard can say what changed.
CREATE TABLE exam_key_corrections (
    exam_id       uuid NOT NULL REFERENCES exams (id),
    item_id       text NOT NULL,
    answer_key    jsonb NOT NULL,
    -- the authoring fields the corrections changed (merged over the item's authored form)
    changes       jsonb NOT NULL,
    previous_key  jsonb NOT NULL,
    reason        text NOT NULL DEFAULT '',
    corrected_by  uuid NOT NULL REFERENCES users (id),
    corrected_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (exam_id, item_id)
);
