"""SQL of event equating (engine/analytics/equating_service.py)."""

# the event's forms, the reference form first: the form of the earliest session, then by its
# position in that session
EVENT_FORMS = """
SELECT sf.exam_id, v.spec, v.score_scale, v.window_close
FROM session_forms sf
JOIN exam_sessions s ON s.id = sf.session_id
JOIN exam_versions v ON v.exam_id = sf.exam_id AND v.status = 'published'
WHERE s.event_id = $1
GROUP BY sf.exam_id, v.spec, v.score_scale, v.window_close
ORDER BY min(s.starts_at), min(sf.position), sf.exam_id
"""
INSERT_EQUATING = """
INSERT INTO equating_runs (id, event_id, org_id, model, status, requested_by)
VALUES ($1, $2, $3, $4, 'running', $5)
"""
RUNNING_EQUATING = """
SELECT id FROM equating_runs
WHERE event_id = $1 AND status = 'running' AND started_at > now() - interval '1 hour'
"""
FINISH_EQUATING = """
UPDATE equating_runs SET status = 'done', finished_at = now(), report = $2 WHERE id = $1
"""
FAIL_EQUATING = """
UPDATE equating_runs SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1
"""
EQUATING_COLUMNS = "id, event_id, model, status, started_at, finished_at, report, error"
LATEST_EQUATING = f"""
SELECT {EQUATING_COLUMNS} FROM equating_runs WHERE event_id = $1
ORDER BY started_at DESC LIMIT 1
"""
EQUATING_BY_ID = f"SELECT {EQUATING_COLUMNS} FROM equating_runs WHERE id = $1"
UPDATE_EQUATED_ABILITIES = """
UPDATE results r SET theta = u.theta, theta_se = u.se, scaled_score = u.scaled,
       equating_id = $1, updated_at = now()
FROM (SELECT unnest($2::uuid[]) AS sitting_id, unnest($3::float8[]) AS theta,
             unnest($4::float8[]) AS se, unnest($5::float8[]) AS scaled) u
WHERE r.sitting_id = u.sitting_id
"""
