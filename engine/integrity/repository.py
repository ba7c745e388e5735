"""SQL of the integrity tables (migration 0005), as named constants."""

from __future__ import annotations

EXAM_OF_VERSION = "SELECT id::text, exam_id FROM exam_versions WHERE id = ANY($1::uuid[])"
SITTING_HOMES = "SELECT id::text, exam_id, org_id FROM sittings WHERE id = ANY($1::uuid[])"

THRESHOLDS_OF_EXAM = "SELECT thresholds FROM integrity_thresholds WHERE exam_id = $1"
UPSERT_THRESHOLDS = """
INSERT INTO integrity_thresholds (exam_id, thresholds, updated_by) VALUES ($1, $2, $3)
ON CONFLICT (exam_id) DO UPDATE SET thresholds = $2, updated_by = $3, updated_at = now()
"""

# telemetry rows go in with COPY into a temp table, then one INSERT … ON CONFLICT DO NOTHING
TELEMETRY_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS telemetry_stage (
    exam_id uuid, sitting_id uuid, session text, batch_seq integer, idx smallint, type text,
    ts timestamptz, event text, received_at timestamptz
) ON COMMIT DELETE ROWS
"""
TELEMETRY_MOVE = """
INSERT INTO telemetry_log (exam_id, sitting_id, session, batch_seq, idx, type, ts, event,
                           received_at)
SELECT st.exam_id, st.sitting_id, st.session, st.batch_seq, st.idx, st.type, st.ts,
       st.event::jsonb, st.received_at
FROM telemetry_stage st JOIN sittings s ON s.id = st.sitting_id
ON CONFLICT DO NOTHING
"""
TELEMETRY_COLUMNS = [
    "exam_id",
    "sitting_id",
    "session",
    "batch_seq",
    "idx",
    "type",
    "ts",
    "event",
    "received_at",
]

# evidence and statistics follow the analysis while a flag is open; a reviewed flag keeps
# what the reviewer saw
UPSERT_FLAG = """
INSERT INTO integrity_flags (sitting_id, exam_id, org_id, source, rule, subject, kind,
                             statistic, threshold, direction, p_value, correction, note,
                             evidence, run_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
ON CONFLICT (sitting_id, source, rule, subject) DO UPDATE
SET kind = EXCLUDED.kind, statistic = EXCLUDED.statistic, threshold = EXCLUDED.threshold,
    direction = EXCLUDED.direction, p_value = EXCLUDED.p_value,
    correction = EXCLUDED.correction, note = EXCLUDED.note, evidence = EXCLUDED.evidence,
    run_id = EXCLUDED.run_id, updated_at = now()
WHERE integrity_flags.status = 'open'
"""
# a new run's verdict replaces the open flags of the runs before it
DROP_STALE_FORENSICS = """
DELETE FROM integrity_flags
WHERE exam_id = $1 AND source = 'forensics' AND status = 'open' AND run_id <> $2
RETURNING sitting_id
"""
FLAGS_FOR_RISK = """
SELECT sitting_id, exam_id, org_id, rule, kind, statistic, threshold, p_value
FROM integrity_flags WHERE sitting_id = ANY($1::uuid[]) AND status <> 'dismissed'
"""
UPSERT_RISK = """
INSERT INTO integrity_risk (sitting_id, exam_id, org_id, level, score, rules, smallest_p)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (sitting_id) DO UPDATE
SET level = $4, score = $5, rules = $6, smallest_p = $7, updated_at = now()
"""
DELETE_RISK = "DELETE FROM integrity_risk WHERE sitting_id = ANY($1::uuid[])"

# --- review
_FLAG_COLUMNS = """
f.id, f.sitting_id, f.exam_id, f.org_id, s.student_id, u.username AS student, f.source,
f.rule, f.subject, f.kind, f.statistic, f.threshold, f.direction, f.p_value, f.correction,
f.note, f.status, f.review_note, f.reviewed_by, f.reviewed_at, f.created_at, f.updated_at,
coalesce(r.level, 'none') AS severity, jsonb_array_length(f.evidence) AS evidence_count
"""
_FLAG_FROM = """
FROM integrity_flags f
JOIN sittings s ON s.id = f.sitting_id
JOIN users u ON u.id = s.student_id
JOIN exams e ON e.id = f.exam_id
LEFT JOIN integrity_risk r ON r.sitting_id = f.sitting_id
"""
# visible to the staff of the sitting's school and of the exam's organiser
LIST_FLAGS = f"""
SELECT {_FLAG_COLUMNS} {_FLAG_FROM}
WHERE (f.org_id = ANY($1::uuid[]) OR e.org_id = ANY($1::uuid[]))
  AND ($2::uuid IS NULL OR f.exam_id = $2)
  AND ($3::uuid IS NULL OR f.org_id = $3)
  AND ($4::text IS NULL OR coalesce(r.level, 'none') = $4)
  AND ($5::text IS NULL OR f.status = $5)
  AND ($6::text IS NULL OR f.rule = $6)
ORDER BY coalesce(r.score, 0) DESC, f.p_value NULLS LAST, f.created_at, f.id
LIMIT $7 OFFSET $8
"""
FLAG_BY_ID = f"""
SELECT {_FLAG_COLUMNS}, f.evidence, e.org_id AS exam_org_id {_FLAG_FROM}
WHERE f.id = $1
"""
REVIEW_FLAG = """
UPDATE integrity_flags
SET status = $2, review_note = $3, reviewed_by = $4, reviewed_at = now(), updated_at = now()
WHERE id = $1
"""
RISK_OF_EXAM = """
SELECT r.sitting_id, r.org_id, u.username AS student, r.level, r.score, r.rules, r.smallest_p
FROM integrity_risk r JOIN sittings s ON s.id = r.sitting_id JOIN users u ON u.id = s.student_id
WHERE r.exam_id = $1 AND ($2::uuid IS NULL OR r.org_id = $2) AND r.level <> 'none'
ORDER BY r.score DESC, r.smallest_p NULLS LAST, r.sitting_id
LIMIT $3
"""

# --- forensics runs
INSERT_RUN = """
INSERT INTO integrity_runs (id, job_id, exam_id, org_id, trigger, status, requested_by)
VALUES ($1, $2, $3, $4, $5, 'queued', $6)
ON CONFLICT DO NOTHING
RETURNING id
"""
START_RUN = """
UPDATE integrity_runs SET status = 'running', started_at = now()
WHERE job_id = $1 AND status IN ('queued', 'failed')
RETURNING id, exam_id
"""
FINISH_RUN = """
UPDATE integrity_runs SET status = 'done', finished_at = now(), sittings = $2, items = $3,
       flags = $4, parameters = $5, seconds = $6
WHERE id = $1
"""
FAIL_RUN = """
UPDATE integrity_runs SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1
"""
_RUN_COLUMNS = """id, exam_id, trigger, status, created_at, started_at, finished_at, sittings,
items, flags, parameters, seconds, error"""
LATEST_RUN = f"""
SELECT {_RUN_COLUMNS} FROM integrity_runs WHERE exam_id = $1 ORDER BY created_at DESC LIMIT 1
"""
RUN_BY_ID = f"SELECT {_RUN_COLUMNS} FROM integrity_runs WHERE id = $1"
# exams whose window (and every student's own window) closed, with grace, and not yet analysed
CLOSED_EXAMS = """
SELECT v.exam_id, e.org_id FROM exam_versions v JOIN exams e ON e.id = v.exam_id
WHERE v.status = 'published'
  AND greatest(v.window_close, (SELECT max(o.window_close) FROM exam_overrides o
                                WHERE o.exam_id = v.exam_id))
      + make_interval(secs => v.grace_s + $1) < now()
  AND v.window_close > now() - interval '14 days'
  AND NOT EXISTS (SELECT 1 FROM integrity_runs r WHERE r.exam_id = v.exam_id
                  AND r.trigger = 'close')
LIMIT 20
"""

# --- item contexts for the live heuristics: from a sample of this version's finished sittings
# (bounded, so a 500,000-sitting exam costs the same as a 2,000-sitting one)
ITEM_TIMES = """
WITH sample AS (
    SELECT id, started_at FROM sittings
    WHERE exam_version_id = $1 AND state IN ('submitted', 'graded') LIMIT $3
), g AS (
    SELECT l.item_id,
           row_number() OVER (PARTITION BY l.sitting_id, l.item_id ORDER BY l.seq) AS nth,
           extract(epoch FROM l.server_ts - coalesce(
               lag(l.server_ts) OVER (PARTITION BY l.sitting_id ORDER BY l.seq),
               s.started_at)) AS seconds
    FROM answer_log l JOIN sample s ON s.id = l.sitting_id
    WHERE l.exam_id = $2
)
SELECT item_id, count(*) AS n, avg(greatest(seconds, 0)) AS mean_s,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY greatest(seconds, 0)) AS median_s
FROM g WHERE nth = 1 GROUP BY item_id
"""
ITEM_FACILITY = """
SELECT i.key AS item_id, count(*) AS n,
       avg(CASE WHEN i.value ->> 'status' = 'correct' THEN 1.0 ELSE 0.0 END) AS p
FROM (SELECT r.items FROM results r JOIN sittings s ON s.id = r.sitting_id
      WHERE s.exam_version_id = $1 LIMIT $2) r, jsonb_each(r.items) i
GROUP BY i.key
"""

# --- forensics inputs
PUBLISHED_VERSION_OF_EXAM = """
SELECT v.id, v.spec, v.shuffle, e.org_id FROM exam_versions v JOIN exams e ON e.id = v.exam_id
WHERE v.exam_id = $1 AND v.status = 'published'
"""
SINGLE_CHOICE_OPTIONS = """
SELECT item_id::text, content -> 'options' AS options FROM item_versions
WHERE (item_id, version) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))
  AND kind = 'single_choice'
"""
# the room and seat the allocator gave the sitting (scheduled events), when it had one
FINISHED_SITTINGS = """
SELECT s.id, s.org_id, u.class_id, s.started_at, seat.room_id AS seat_room, seat.seat,
       seat.columns AS seat_columns, seat.name AS seat_room_name, seat.session_id AS seat_session
FROM sittings s JOIN users u ON u.id = s.student_id
LEFT JOIN LATERAL (
    SELECT sa.room_id, sa.seat, r.columns, r.name, sa.session_id
    FROM seat_allocations sa JOIN school_rooms r ON r.id = sa.room_id
    WHERE sa.sitting_id = s.id OR (sa.student_id = s.student_id AND sa.exam_id = s.exam_id)
    ORDER BY sa.sitting_id = s.id DESC NULLS LAST
    LIMIT 1
) seat ON true
WHERE s.exam_id = $1 AND s.state IN ('submitted', 'graded')
ORDER BY s.id
"""
FINISHED_ANSWERS = """
SELECT l.sitting_id, l.seq, l.item_id, l.response, l.client_ts, l.server_ts
FROM answer_log l JOIN sittings s ON s.id = l.sitting_id
WHERE l.exam_id = $1 AND s.state IN ('submitted', 'graded')
ORDER BY l.sitting_id, l.seq
"""
FIRST_ADDRESSES = """
SELECT DISTINCT ON (sitting_id) sitting_id::text, event ->> 'ip' AS ip
FROM telemetry_log WHERE exam_id = $1 AND type = 'ip'
ORDER BY sitting_id, ts
"""
