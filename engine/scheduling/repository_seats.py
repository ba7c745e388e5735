"""SQL of allocation, make-ups, lost rooms and pre-created sittings."""

from __future__ import annotations

# sessions whose seats may still change: not yet prepared (no sittings exist for them)
OPEN_REGULAR_SESSIONS = """
SELECT s.id, s.starts_at, s.ends_at, s.national_cap,
       ARRAY(SELECT exam_id FROM session_forms f WHERE f.session_id = s.id ORDER BY position)
           AS forms
FROM exam_sessions s
WHERE s.event_id = $1 AND s.kind = 'regular' AND s.prepared_at IS NULL
ORDER BY s.starts_at, s.id
"""
REGISTERED_ROWS = """
SELECT group_id, session_id, org_id, class_id FROM session_registrations
WHERE session_id = ANY($1::uuid[]) AND status = 'registered'
"""
STUDENTS_OF_CLASSES = """
SELECT id, class_id, org_id FROM users WHERE class_id = ANY($1::uuid[]) AND role = 'student'
"""
ACTIVE_ROOMS = """
SELECT id, org_id, seats, columns FROM school_rooms WHERE org_id = ANY($1::uuid[]) AND active
"""
# what these students already sit outside the sessions being allocated
BUSY = """
SELECT a.student_id, s.starts_at, s.ends_at
FROM seat_allocations a JOIN exam_sessions s ON s.id = a.session_id
WHERE a.student_id = ANY($1::uuid[]) AND NOT (a.session_id = ANY($2::uuid[]))
"""
# when these rooms are held by sessions outside those being (re)seated: a room hosts one at a time
ROOM_BOOKINGS = """
SELECT DISTINCT a.room_id, s.starts_at, s.ends_at
FROM seat_allocations a JOIN exam_sessions s ON s.id = a.session_id
WHERE a.room_id = ANY($1::uuid[]) AND NOT (a.session_id = ANY($2::uuid[]))
"""
DELETE_ALLOCATIONS = "DELETE FROM seat_allocations WHERE session_id = ANY($1::uuid[])"
INSERT_ALLOCATIONS = """
INSERT INTO seat_allocations (session_id, student_id, org_id, room_id, seat, exam_id)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::int[], $6::uuid[])
"""
MARK_ALLOCATED = "UPDATE exam_sessions SET allocated_at = now() WHERE id = ANY($1::uuid[])"

# -- lost rooms ------------------------------------------------------------------------------
# sessions not yet over that seat someone in the room
SESSIONS_USING_ROOM = """
SELECT DISTINCT s.id, s.starts_at, s.ends_at, s.prepared_at, e.seed,
       ARRAY(SELECT exam_id FROM session_forms f WHERE f.session_id = s.id ORDER BY position)
           AS forms
FROM seat_allocations a JOIN exam_sessions s ON s.id = a.session_id
JOIN exam_events e ON e.id = s.event_id
WHERE a.room_id = $1 AND s.ends_at > now()
"""
SCHOOL_PLACEMENTS = """
SELECT a.student_id, a.room_id, a.seat, a.exam_id, a.sitting_id, st.state AS sitting_state
FROM seat_allocations a LEFT JOIN sittings st ON st.id = a.sitting_id
WHERE a.session_id = $1 AND a.org_id = $2 AND a.room_id IS NOT NULL
"""
MOVE_SEAT = """
UPDATE seat_allocations SET room_id = $3, seat = $4, exam_id = $5
WHERE session_id = $1 AND student_id = $2
"""
UNSEAT = """
UPDATE seat_allocations SET room_id = NULL, seat = NULL WHERE session_id = $1 AND student_id = $2
"""
# a pre-created sitting that nobody started can go: the new form gets its own at prepare
UNLINK_SITTING = """
UPDATE seat_allocations SET sitting_id = NULL WHERE session_id = $1 AND student_id = $2
"""
DROP_UNSTARTED_SITTING = "DELETE FROM sittings WHERE id = $1 AND state = 'created'"

# -- make-ups --------------------------------------------------------------------------------
# who of these sessions did not submit: no sitting, or one never finished
NOT_SUBMITTED = """
SELECT a.student_id, a.org_id FROM seat_allocations a
LEFT JOIN sittings st ON st.exam_id = a.exam_id AND st.student_id = a.student_id
WHERE a.session_id = ANY($1::uuid[])
  AND (st.id IS NULL OR st.state IN ('created', 'active'))
"""
STUDENTS_BY_ID = """
SELECT id, org_id FROM users WHERE id = ANY($1::uuid[]) AND role = 'student'
"""
# every form a student was given or has a sitting of: a make-up needs one outside these
SEEN_FORMS = """
SELECT student_id, exam_id FROM seat_allocations
WHERE student_id = ANY($1::uuid[]) AND session_id <> $2
UNION SELECT student_id, exam_id FROM sittings WHERE student_id = ANY($1::uuid[])
"""
ALLOCATED_IN = "SELECT student_id, org_id FROM seat_allocations WHERE session_id = $1"

# -- preparation (pre-created sittings, access, warm-up) -------------------------------------
FORM_VERSIONS = """
SELECT f.exam_id, v.id AS version_id
FROM session_forms f JOIN exam_versions v ON v.exam_id = f.exam_id AND v.status = 'published'
WHERE f.session_id = $1
"""
SESSION_PLACEMENTS = """
SELECT a.student_id, a.org_id, a.exam_id, u.class_id
FROM seat_allocations a JOIN users u ON u.id = a.student_id WHERE a.session_id = $1
"""
ASSIGN_SCHOOLS = """
INSERT INTO exam_assignments (exam_id, org_id)
SELECT DISTINCT * FROM unnest($1::uuid[], $2::uuid[]) ON CONFLICT DO NOTHING
"""
ASSIGN_CLASSES = """
INSERT INTO exam_class_assignments (exam_id, class_id, org_id)
SELECT DISTINCT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) ON CONFLICT DO NOTHING
"""
# Each form opens, for a student of the classes that sit it, only in the session where they
# were given that form; for their classmates on other forms it never opens (a window in 1970:
# starting says exam_closed). Only the window is written: time limits and extra time a
# teacher set (accommodations) stay.
ALLOW_ONLY_ALLOCATED = """
INSERT INTO exam_overrides (exam_id, student_id, org_id, window_open, window_close, updated_by)
SELECT f.exam_id, u.id, u.org_id,
       coalesce(mine.starts_at, 'epoch'::timestamptz),
       coalesce(mine.ends_at, 'epoch'::timestamptz + interval '1 second'), $4
FROM unnest($1::uuid[]) AS f (exam_id)
CROSS JOIN users u
LEFT JOIN LATERAL (
    SELECT s.starts_at, s.ends_at FROM seat_allocations a
    JOIN exam_sessions s ON s.id = a.session_id
    WHERE a.student_id = u.id AND a.exam_id = f.exam_id ORDER BY s.starts_at LIMIT 1
) mine ON true
WHERE u.role = 'student' AND (u.class_id = ANY($2::uuid[]) OR u.id = ANY($3::uuid[]))
ON CONFLICT (exam_id, student_id) DO UPDATE
SET window_open = EXCLUDED.window_open, window_close = EXCLUDED.window_close,
    updated_by = EXCLUDED.updated_by, updated_at = now()
"""
INSERT_SITTINGS = """
INSERT INTO sittings (id, org_id, exam_id, exam_version_id, student_id, shard, state)
SELECT *, 'created' FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[],
                                $6::int[])
ON CONFLICT (exam_id, student_id) DO NOTHING
"""
LINK_SITTINGS = """
UPDATE seat_allocations a SET sitting_id = st.id
FROM sittings st
WHERE a.session_id = $1 AND st.exam_id = a.exam_id AND st.student_id = a.student_id
  AND a.sitting_id IS DISTINCT FROM st.id
"""
MARK_PREPARED = "UPDATE exam_sessions SET prepared_at = now() WHERE id = $1"
# allocated sessions opening within the lead time that are not prepared yet
DUE_SESSIONS = """
SELECT s.id, e.created_by FROM exam_sessions s JOIN exam_events e ON e.id = s.event_id
WHERE s.prepared_at IS NULL AND s.allocated_at IS NOT NULL
  AND s.starts_at <= now() + make_interval(secs => $1) AND s.ends_at > now()
ORDER BY s.starts_at
"""
