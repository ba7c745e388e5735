-- How a student may move through the paper: 'free' (any order, back and forth) or 'linear'
-- (in order, no going back: the page offers no way back, as Moodle's sequential navigation).
ALTER TABLE exam_versions ADD COLUMN navigation text NOT NULL DEFAULT 'free'
    CHECK (navigation IN ('free', 'linear'));
