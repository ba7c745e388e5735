"""SQL for sittings and results."""

from __future__ import annotations

SITTING_OF_STUDENT = """
SELECT id, exam_version_id, state, started_at, deadline, extra_time_s
FROM sittings WHERE exam_id = $1 AND student_id = $2
"""
INSERT_SITTING = """
INSERT INTO sittings (id, org_id, exam_id, exam_version_id, student_id, shard, state)
VALUES ($1, $2, $3, $4, $5, $6, 'created')
ON CONFLICT (exam_id, student_id) DO NOTHING
"""
MARK_ACTIVE = """
UPDATE sittings SET state = 'active', started_at = $2, deadline = $3
WHERE id = $1 AND state = 'created'
"""
SITTING_FOR_GRADING = """
SELECT s.id, s.org_id, s.exam_id, s.exam_version_id, s.student_id, s.state, s.submitted_at,
       s.submitted_by
FROM sittings s WHERE s.id = $1
"""
SITTINGS_FOR_GRADING = """
SELECT s.id, s.org_id, s.exam_id, s.exam_version_id, s.student_id, s.state, s.submitted_at,
       s.submitted_by
FROM sittings s WHERE s.id = ANY($1::uuid[]) AND s.state <> 'graded'
"""
# a batch of graded sittings in one statement; only those not graded meanwhile come back
MARK_GRADED_MANY = """
UPDATE sittings s
SET state = 'graded', submitted_at = coalesce(s.submitted_at, g.submitted_at),
    submitted_by = coalesce(s.submitted_by, g.submitted_by), graded_at = now(),
    points = g.points, max_points = g.max_points
FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::float8[], $5::float8[])
     AS g(id, submitted_at, submitted_by, points, max_points)
WHERE s.id = g.id AND s.state <> 'graded'
RETURNING s.id, s.graded_at
"""
RESULT_COLUMNS = (
    "sitting_id",
    "org_id",
    "exam_id",
    "points",
    "max_points",
    "items",
    "graded_at",
    "outcome",
)
# The latest answer of each item from the durable log: used when the Redis session is gone.
LATEST_LOGGED_ANSWERS = """
SELECT DISTINCT ON (item_id) item_id, response
FROM answer_log WHERE exam_id = $1 AND sitting_id = $2
ORDER BY item_id, seq DESC
"""
MARK_GRADED = """
UPDATE sittings
SET state = 'graded', submitted_at = coalesce(submitted_at, $2),
    submitted_by = coalesce(submitted_by, $3), graded_at = now(), points = $4, max_points = $5
WHERE id = $1 AND state <> 'graded'
RETURNING graded_at
"""
INSERT_RESULT = """
INSERT INTO results (sitting_id, org_id, exam_id, points, max_points, items, graded_at, outcome)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
UPDATE_RESULT = """
UPDATE results SET points = $2, max_points = $3, items = $4, outcome = $5, updated_at = now()
WHERE sitting_id = $1
"""
UPDATE_SITTING_POINTS = "UPDATE sittings SET points = $2, max_points = $3 WHERE id = $1"
SITTING_WITH_RESULT = """
SELECT s.id, s.exam_id, s.student_id, s.org_id, s.state, e.org_id AS exam_org_id,
       v.instant_results, r.points, r.max_points, r.items, r.graded_at, r.outcome,
       r.theta, r.theta_se, r.scaled_score
FROM sittings s
JOIN exams e ON e.id = s.exam_id
JOIN exam_versions v ON v.id = s.exam_version_id
LEFT JOIN results r ON r.sitting_id = s.id
WHERE s.id = $1
"""
VERSION_INSTANT_RESULTS = "SELECT instant_results FROM exam_versions WHERE id = $1"
