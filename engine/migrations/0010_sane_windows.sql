-- Exam windows, overrides and scheduling sessions within 1970..2100.
--
-- The API refuses a naive or extreme datetime as it decodes the request (engine/datetimes.py:
-- 2000..2100, at most a year). Before it did, a window from year 1 to 9999 could be stored,
-- and adding the card's early margin or a grace period to it overflowed Python's datetime at
-- card sign-in and start (a 500 on every later try). Here the stored values are brought into
-- range once, and the database keeps them there whatever path writes them. 1970 stays allowed:
-- scheduling writes an override window at the epoch for "never opens"
-- (engine/scheduling/repository_seats.py).

UPDATE exam_versions
SET window_open = least(greatest(window_open, timestamptz '1970-01-01 00:00:00+00'),
                        timestamptz '2099-12-31 23:59:59+00'),
    window_close = greatest(least(window_close, timestamptz '2100-01-01 00:00:00+00'),
                            timestamptz '1970-01-01 00:00:01+00')
WHERE window_open < timestamptz '1970-01-01 00:00:00+00'
   OR window_close > timestamptz '2100-01-01 00:00:00+00';

-- NULL keeps meaning "the exam's own end" (greatest/least would turn it into a bound)
UPDATE exam_overrides
SET window_open = CASE WHEN window_open IS NULL THEN NULL
                  ELSE least(greatest(window_open, timestamptz '1970-01-01 00:00:00+00'),
                             timestamptz '2099-12-31 23:59:59+00') END,
    window_close = CASE WHEN window_close IS NULL THEN NULL
                   ELSE greatest(least(window_close, timestamptz '2100-01-01 00:00:00+00'),
                                 timestamptz '1970-01-01 00:00:01+00') END
WHERE window_open < timestamptz '1970-01-01 00:00:00+00'
   OR window_open > timestamptz '2099-12-31 23:59:59+00'
   OR window_close > timestamptz '2100-01-01 00:00:00+00'
   OR window_close < timestamptz '1970-01-01 00:00:01+00';

UPDATE exam_sessions
SET starts_at = least(greatest(starts_at, timestamptz '1970-01-01 00:00:00+00'),
                      timestamptz '2099-12-31 23:59:59+00'),
    ends_at = greatest(least(ends_at, timestamptz '2100-01-01 00:00:00+00'),
                       timestamptz '1970-01-01 00:00:01+00')
WHERE starts_at < timestamptz '1970-01-01 00:00:00+00'
   OR ends_at > timestamptz '2100-01-01 00:00:00+00';

ALTER TABLE exam_versions ADD CONSTRAINT exam_versions_window_in_range
    CHECK (window_open >= timestamptz '1970-01-01 00:00:00+00'
           AND window_close <= timestamptz '2100-01-01 00:00:00+00');

ALTER TABLE exam_overrides ADD CONSTRAINT exam_overrides_window_in_range
    CHECK ((window_open IS NULL OR window_open BETWEEN timestamptz '1970-01-01 00:00:00+00'
                                                   AND timestamptz '2100-01-01 00:00:00+00')
           AND (window_close IS NULL
                OR window_close BETWEEN timestamptz '1970-01-01 00:00:00+00'
                                    AND timestamptz '2100-01-01 00:00:00+00'));

ALTER TABLE exam_sessions ADD CONSTRAINT exam_sessions_in_range
    CHECK (starts_at >= timestamptz '1970-01-01 00:00:00+00'
           AND ends_at <= timestamptz '2100-01-01 00:00:00+00');
