"""SQL of the analytics endpoints."""

from __future__ import annotations

EXAM_SCOPE = """
SELECT e.id, e.org_id, v.id AS version_id, v.window_close, v.spec, v.score_scale
FROM exams e JOIN exam_versions v ON v.exam_id = e.id AND v.status = 'published'
WHERE e.id = $1
"""
# staff of the exam's own organisation see every sitting; staff of an assigned school see
# their school's sittings only
RESULTS = """
SELECT s.id AS sitting_id, s.student_id, u.username, u.display_name, s.org_id, s.state,
       s.started_at, s.submitted_at, r.points, r.max_points,
       (r.outcome ->> 'percent')::float AS percent, (r.outcome ->> 'passed')::boolean AS passed,
       r.scaled_score
FROM sittings s JOIN users u ON u.id = s.student_id
LEFT JOIN results r ON r.sitting_id = s.id
WHERE s.exam_id = $1 AND ($2::uuid IS NULL OR s.org_id = $2)
ORDER BY u.username
"""
# the statistics job's inputs as JSON text, one row per sitting: the text goes to a worker
# process as it is (cheap to pickle) and is decoded there, not on the event loop
GRADED_ITEMS_TEXT = """
SELECT r.sitting_id::text AS sitting_id, r.items::text AS items FROM results r
WHERE r.exam_id = $1 AND ($2::uuid IS NULL OR r.org_id = $2)
ORDER BY r.sitting_id
"""
LATEST_CHOICES_TEXT = """
SELECT l.sitting_id::text AS sitting_id,
       jsonb_object_agg(l.item_id, l.response ->> 'choice')::text AS choices
FROM (SELECT DISTINCT ON (l.sitting_id, l.item_id) l.sitting_id, l.item_id, l.response
      FROM answer_log l JOIN results r ON r.sitting_id = l.sitting_id
      WHERE l.exam_id = $1 AND ($2::uuid IS NULL OR r.org_id = $2)
      ORDER BY l.sitting_id, l.item_id, l.seq DESC) l
WHERE l.response ->> 'choice' IS NOT NULL
GROUP BY l.sitting_id
"""
# time attributed to an item: the gap between an answer event and the sitting's previous one
# (or its start), summed per sitting and item, then averaged over sittings
MEAN_TIME_ON_ITEM = """
WITH gaps AS (
    SELECT l.item_id, l.sitting_id,
           extract(epoch FROM l.server_ts - coalesce(
               lag(l.server_ts) OVER (PARTITION BY l.sitting_id ORDER BY l.seq),
               s.started_at)) AS seconds
    FROM answer_log l JOIN sittings s ON s.id = l.sitting_id
    WHERE l.exam_id = $1 AND ($2::uuid IS NULL OR s.org_id = $2)
), per_sitting AS (
    SELECT item_id, sitting_id, sum(greatest(seconds, 0)) AS seconds FROM gaps
    GROUP BY item_id, sitting_id
)
SELECT item_id, avg(seconds) AS mean_seconds FROM per_sitting GROUP BY item_id
"""
# an exam's items with their keys as the exam grades them: a key fixed for the exam
# (exam_key_corrections) replaces the published version's own
ITEM_CONTENTS = """
SELECT v.item_id, v.version, v.kind, v.content,
       coalesce(c.answer_key, v.answer_key) AS answer_key, c.exam_id IS NOT NULL AS key_fixed
FROM item_versions v
LEFT JOIN exam_key_corrections c ON c.exam_id = $3 AND c.item_id = v.item_id::text
WHERE (v.item_id, v.version) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))
"""
# the latest dichotomous calibration (a, b, c on the logit scale), for the 3PL-family readers
LATEST_PARAMETERS = """
SELECT p.item_id, p.a, p.b, p.c FROM item_parameters p
WHERE p.run_id = (SELECT id FROM calibration_runs WHERE exam_id = $1 AND status = 'done'
                    AND model IN ('Rasch', '1PL', '2PL', '3PL')
                  ORDER BY started_at DESC LIMIT 1)
"""
# the latest calibration of any model, graded items with their category boundaries
LATEST_ITEM_PARAMETERS = """
SELECT p.item_id, p.a, p.b, p.c, p.thresholds FROM item_parameters p
WHERE p.run_id = (SELECT id FROM calibration_runs WHERE exam_id = $1 AND status = 'done'
                  ORDER BY started_at DESC LIMIT 1)
"""
INSERT_RUN = """
INSERT INTO calibration_runs (id, exam_id, org_id, model, status, requested_by)
VALUES ($1, $2, $3, $4, 'running', $5)
"""
RUNNING_RUN = """
SELECT id FROM calibration_runs
WHERE exam_id = $1 AND status = 'running' AND started_at > now() - interval '1 hour'
"""
FINISH_RUN = """
UPDATE calibration_runs SET status = 'done', finished_at = now(), persons = $2, items = $3,
       iterations = $4, converged = $5, log_likelihood = $6, latent_sd = $7
WHERE id = $1
"""
FAIL_RUN = """
UPDATE calibration_runs SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1
"""
LATEST_RUN = """
SELECT id, exam_id, model, status, started_at, finished_at, persons, items, iterations,
       converged, log_likelihood, error, latent_sd
FROM calibration_runs WHERE exam_id = $1 ORDER BY started_at DESC LIMIT 1
"""
RUN_BY_ID = """
SELECT id, exam_id, model, status, started_at, finished_at, persons, items, iterations,
       converged, log_likelihood, error, latent_sd
FROM calibration_runs WHERE id = $1
"""
INSERT_PARAMETERS = """
INSERT INTO item_parameters (run_id, item_id, a, b, c, thresholds)
SELECT $1, item_id, a, b, c, thresholds::float8[]
FROM unnest($2::text[], $3::float8[], $4::float8[], $5::float8[], $6::text[])
     AS u(item_id, a, b, c, thresholds)
"""
UPDATE_ABILITIES = """
UPDATE results r SET theta = u.theta, theta_se = u.se, scaled_score = u.scaled,
       calibration_id = $1, updated_at = now()
FROM (SELECT unnest($2::uuid[]) AS sitting_id, unnest($3::float8[]) AS theta,
             unnest($4::float8[]) AS se, unnest($5::float8[]) AS scaled) u
WHERE r.sitting_id = u.sitting_id
"""
SITTING_FOR_MARKING = """
SELECT s.id, s.exam_id, s.state, e.org_id AS exam_org_id, s.org_id
FROM sittings s JOIN exams e ON e.id = s.exam_id WHERE s.id = $1
"""
UPSERT_MARK = """
INSERT INTO manual_marks (sitting_id, item_id, points, criteria, note, marked_by)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (sitting_id, item_id) DO UPDATE
SET points = EXCLUDED.points, criteria = EXCLUDED.criteria, note = EXCLUDED.note,
    marked_by = EXCLUDED.marked_by, marked_at = now()
"""
MARKS_OF_SITTING = """
SELECT item_id, points, criteria, marked_by FROM manual_marks WHERE sitting_id = $1
"""
PENDING_MARKS = """
SELECT r.sitting_id, u.username, i.key AS item_id, l.response
FROM results r
JOIN sittings s ON s.id = r.sitting_id
JOIN users u ON u.id = s.student_id
CROSS JOIN LATERAL jsonb_each(r.items) AS i(key, value)
LEFT JOIN LATERAL (
    SELECT response FROM answer_log
    WHERE exam_id = r.exam_id AND sitting_id = r.sitting_id AND item_id = i.key
    ORDER BY seq DESC LIMIT 1
) l ON true
WHERE r.exam_id = $1 AND i.value ->> 'status' = 'pending_manual'
  AND ($2::uuid IS NULL OR r.org_id = $2)
ORDER BY r.graded_at, u.username
LIMIT 500
"""

# -- fixing a key (engine/analytics/key_fix_service.py)
# one key fix of an exam at a time: a second waits, then builds on the first
LOCK_EXAM_KEYS = "SELECT pg_advisory_xact_lock(hashtextextended('key-fix:' || $1::text, 0))"
ITEM_FOR_KEY_FIX = """
SELECT v.kind, v.content, v.answer_key, v.authored, c.changes, c.answer_key AS fixed_key
FROM item_versions v
LEFT JOIN exam_key_corrections c ON c.exam_id = $3 AND c.item_id = v.item_id::text
WHERE v.item_id = $1 AND v.version = $2
"""
# sittings that are not finished yet: their grading would still read the old key
UNFINISHED_SITTINGS = """
SELECT count(*) FROM sittings WHERE exam_id = $1 AND state IN ('active', 'submitted')
"""
GRADED_WITH_ANSWER = """
SELECT r.sitting_id, r.items, a.response
FROM results r
LEFT JOIN LATERAL (
    SELECT response FROM answer_log
    WHERE exam_id = r.exam_id AND sitting_id = r.sitting_id AND item_id = $2
    ORDER BY seq DESC LIMIT 1
) a ON true
WHERE r.exam_id = $1
FOR UPDATE OF r
"""
UPSERT_KEY_CORRECTION = """
INSERT INTO exam_key_corrections (exam_id, item_id, answer_key, previous_key, changes, reason,
                                  corrected_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (exam_id, item_id) DO UPDATE
SET answer_key = EXCLUDED.answer_key, changes = EXCLUDED.changes, reason = EXCLUDED.reason,
    corrected_by = EXCLUDED.corrected_by, corrected_at = now()
"""
UPDATE_REGRADED = """
UPDATE results r SET points = u.points, items = u.items, outcome = u.outcome, updated_at = now()
FROM (SELECT unnest($1::uuid[]) AS sitting_id, unnest($2::float8[]) AS points,
             unnest($3::jsonb[]) AS items, unnest($4::jsonb[]) AS outcome) u
WHERE r.sitting_id = u.sitting_id
"""
UPDATE_REGRADED_SITTINGS = """
UPDATE sittings s SET points = u.points
FROM (SELECT unnest($1::uuid[]) AS id, unnest($2::float8[]) AS points) u
WHERE s.id = u.id
"""
WINDOW_OF_EXAM = """
SELECT v.window_close + make_interval(secs => v.grace_s) < now() AS closed
FROM exam_versions v WHERE v.exam_id = $1 AND v.status = 'published'
"""
# the latest answer of one item in every graded sitting in scope, grouped and counted
COMMON_ANSWERS = """
SELECT a.response, count(*) AS n, sum(count(*)) OVER () AS answered
FROM (SELECT DISTINCT ON (l.sitting_id) l.response
      FROM answer_log l JOIN results r ON r.sitting_id = l.sitting_id
      WHERE l.exam_id = $1 AND l.item_id = $2 AND ($3::uuid IS NULL OR r.org_id = $3)
      ORDER BY l.sitting_id, l.seq DESC) a
WHERE a.response IS NOT NULL
GROUP BY a.response ORDER BY n DESC, a.response::text LIMIT $4
"""
