"""SQL of events, sessions, forms, school profiles, rooms and registrations."""

from __future__ import annotations

# an organisation and every one above it: the organisers whose events a school may see
ORG_AND_ANCESTORS = """
WITH RECURSIVE up AS (
    SELECT id, parent_id FROM orgs WHERE id = $1
    UNION ALL SELECT o.id, o.parent_id FROM orgs o JOIN up ON o.id = up.parent_id
)
SELECT id FROM up
"""
INSERT_EVENT = """
INSERT INTO exam_events (id, org_id, title, changes_close_at, seed, created_by)
VALUES ($1, $2, $3, $4, $5, $6)
"""
EVENT_COLUMNS = "id, org_id, title, changes_close_at, seed"
EVENT_BY_ID = f"SELECT {EVENT_COLUMNS}, created_by FROM exam_events WHERE id = $1"
EVENTS_OF_ORGS = f"""
SELECT {EVENT_COLUMNS} FROM exam_events WHERE org_id = ANY($1::uuid[]) ORDER BY created_at DESC
"""
# the forms must be published exams; their own window must cover the session
FORMS_CHECK = """
SELECT e.id, e.org_id, v.window_open, v.window_close
FROM exams e JOIN exam_versions v ON v.exam_id = e.id AND v.status = 'published'
WHERE e.id = ANY($1::uuid[])
"""
INSERT_SESSION = """
INSERT INTO exam_sessions (id, event_id, org_id, label, kind, starts_at, ends_at, national_cap)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
INSERT_FORMS = """
INSERT INTO session_forms (session_id, exam_id, position)
SELECT $1, f, n - 1 FROM unnest($2::uuid[]) WITH ORDINALITY AS t (f, n)
"""
SESSION_COLUMNS = """
s.id, s.event_id, s.label, s.kind, s.starts_at, s.ends_at, s.national_cap, s.allocated_at,
s.prepared_at,
ARRAY(SELECT exam_id FROM session_forms f WHERE f.session_id = s.id ORDER BY position)
    AS form_exam_ids
"""
SESSION_BY_ID = f"""
SELECT {SESSION_COLUMNS}, e.org_id AS event_org_id, e.changes_close_at, e.seed, e.title,
       e.created_by
FROM exam_sessions s JOIN exam_events e ON e.id = s.event_id WHERE s.id = $1
"""
SESSIONS_OF_EVENT = f"""
SELECT {SESSION_COLUMNS} FROM exam_sessions s WHERE s.event_id = $1 ORDER BY s.starts_at, s.id
"""
SET_CAP = "UPDATE exam_sessions SET national_cap = $2 WHERE id = $1"
UPSERT_PROFILE = """
INSERT INTO school_profiles (org_id, region, time_zone) VALUES ($1, $2, $3)
ON CONFLICT (org_id) DO UPDATE
SET region = EXCLUDED.region, time_zone = EXCLUDED.time_zone, updated_at = now()
"""
PROFILE = """
SELECT o.id, o.kind, coalesce(p.region, '') AS region,
       coalesce(p.time_zone, 'Asia/Jakarta') AS time_zone
FROM orgs o LEFT JOIN school_profiles p ON p.org_id = o.id WHERE o.id = $1
"""
INSERT_ROOM = """
INSERT INTO school_rooms (id, org_id, name, seats, columns) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (org_id, name) DO NOTHING
RETURNING id, org_id, name, seats, columns, active
"""
ROOMS_OF_ORG = """
SELECT id, org_id, name, seats, columns, active FROM school_rooms WHERE org_id = $1 ORDER BY name
"""
ROOM_BY_ID = "SELECT id, org_id, name, seats, columns, active FROM school_rooms WHERE id = $1"
SET_ROOM_LOST = "UPDATE school_rooms SET active = false WHERE id = $1"

# -- registrations ---------------------------------------------------------------------------
CLASS_BY_ID = "SELECT id, org_id, name FROM classes WHERE id = $1"
CLASS_HEADCOUNT = "SELECT count(*) FROM users WHERE class_id = $1 AND role = 'student'"
# taken in id order so two registrations for overlapping sessions cannot deadlock
LOCK_SESSIONS = "SELECT id FROM exam_sessions WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE"
SCHOOL_SEATS = """
SELECT coalesce(sum(seats), 0) FROM school_rooms WHERE org_id = $1 AND active
"""
RESERVED_BY_SCHOOL = """
SELECT session_id, sum(seats)::int AS seats FROM session_registrations
WHERE status = 'registered' AND session_id = ANY($1::uuid[]) AND org_id = $2
GROUP BY session_id
"""
RESERVED_NATIONALLY = """
SELECT session_id, sum(seats)::int AS seats FROM session_registrations
WHERE status = 'registered' AND session_id = ANY($1::uuid[]) GROUP BY session_id
"""
ALREADY_REGISTERED = """
SELECT group_id FROM session_registrations WHERE class_id = $1 AND event_id = $2 LIMIT 1
"""
# the class's sessions in other events that overlap the wanted ones: its students would clash
CLASHES = """
SELECT s.id, s.label, s.starts_at, s.ends_at
FROM session_registrations r JOIN exam_sessions s ON s.id = r.session_id
WHERE r.class_id = $1 AND r.event_id <> $2 AND EXISTS (
    SELECT 1 FROM exam_sessions c
    WHERE c.id = ANY($3::uuid[]) AND c.starts_at < s.ends_at AND s.starts_at < c.ends_at)
"""
INSERT_REGISTRATION = """
INSERT INTO session_registrations (id, group_id, event_id, session_id, org_id, class_id, seats,
                                   status, registered_by)
SELECT gen_random_uuid(), $1, $2, s, $3, $4, n, $5, $6
FROM unnest($7::uuid[], $8::int[]) AS t (s, n)
"""
GROUP_ROWS = """
SELECT r.group_id, r.event_id, r.session_id, r.org_id, r.class_id, r.seats, r.status,
       e.changes_close_at
FROM session_registrations r JOIN exam_events e ON e.id = r.event_id
WHERE r.group_id = $1 ORDER BY r.session_id
"""
DELETE_GROUP = "DELETE FROM session_registrations WHERE group_id = $1"
REGISTRATIONS_OF_ORG = """
SELECT group_id, event_id, session_id, org_id, class_id, seats, status
FROM session_registrations WHERE org_id = $1 ORDER BY created_at, session_id
"""
# waiting groups touching these sessions, first come first served
WAITING_GROUPS = """
SELECT group_id, min(created_at) AS since FROM session_registrations
WHERE status = 'waitlisted' AND group_id IN (
    SELECT group_id FROM session_registrations WHERE session_id = ANY($1::uuid[]))
GROUP BY group_id ORDER BY since, group_id
"""
PROMOTE_GROUP = """
UPDATE session_registrations SET status = 'registered' WHERE group_id = $1
"""
