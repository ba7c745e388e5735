"""SQL of a student's review of their own graded sitting (engine/web/student_review.py)."""

from __future__ import annotations

SITTING_TO_REVIEW = """
SELECT s.id, s.exam_id, s.student_id, s.state, s.exam_version_id, v.instant_results, v.spec,
       r.points, r.max_points, r.items
FROM sittings s JOIN exam_versions v ON v.id = s.exam_version_id
LEFT JOIN results r ON r.sitting_id = s.id
WHERE s.id = $1
"""
AUTHORED_ITEMS = """
SELECT item_id, kind, authored FROM item_versions
WHERE (item_id, version) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))
"""
LATEST_ANSWERS = """
SELECT DISTINCT ON (item_id) item_id, response FROM answer_log
WHERE exam_id = $1 AND sitting_id = $2 ORDER BY item_id, seq DESC
"""
