"""SQL of the schedule's views and exports."""

from __future__ import annotations

OVERVIEW_REGISTRATIONS = """
SELECT r.session_id, coalesce(p.region, '') AS region, count(DISTINCT r.org_id) AS schools,
       coalesce(sum(r.seats) FILTER (WHERE r.status = 'registered'), 0)::int AS reserved,
       coalesce(sum(r.seats) FILTER (WHERE r.status = 'waitlisted'), 0)::int AS waitlisted
FROM session_registrations r LEFT JOIN school_profiles p ON p.org_id = r.org_id
WHERE r.event_id = $1 GROUP BY 1, 2
"""
OVERVIEW_ALLOCATED = """
SELECT a.session_id, coalesce(p.region, '') AS region, count(DISTINCT a.org_id) AS schools,
       count(*) FILTER (WHERE a.room_id IS NOT NULL) AS allocated,
       count(*) FILTER (WHERE a.room_id IS NULL) AS unseated
FROM seat_allocations a JOIN exam_sessions s ON s.id = a.session_id
LEFT JOIN school_profiles p ON p.org_id = a.org_id
WHERE s.event_id = $1 GROUP BY 1, 2
"""
# the seats of the schools taking part in each session (their active rooms)
OVERVIEW_SEATS = """
SELECT x.session_id, coalesce(p.region, '') AS region, coalesce(sum(rm.seats), 0)::int AS seats
FROM (
    SELECT DISTINCT session_id, org_id FROM session_registrations
    WHERE event_id = $1 AND status = 'registered'
    UNION
    SELECT a.session_id, a.org_id FROM seat_allocations a
    JOIN exam_sessions s ON s.id = a.session_id WHERE s.event_id = $1
) x
JOIN school_rooms rm ON rm.org_id = x.org_id AND rm.active
LEFT JOIN school_profiles p ON p.org_id = x.org_id
GROUP BY 1, 2
"""
TIMETABLE = """
SELECT e.id AS event_id, e.title AS event_title, s.id AS session_id, s.label, s.starts_at,
       s.ends_at,
       ARRAY(SELECT c.name FROM session_registrations r JOIN classes c ON c.id = r.class_id
             WHERE r.session_id = s.id AND r.org_id = $1 ORDER BY c.name) AS classes,
       EXISTS (SELECT 1 FROM session_registrations r WHERE r.session_id = s.id
               AND r.org_id = $1 AND r.status = 'registered')
       OR EXISTS (SELECT 1 FROM seat_allocations a WHERE a.session_id = s.id
                  AND a.org_id = $1) AS registered,
       (SELECT coalesce(sum(seats), 0) FROM session_registrations r WHERE r.session_id = s.id
        AND r.org_id = $1 AND r.status = 'registered')::int AS reserved,
       (SELECT count(*) FROM seat_allocations a WHERE a.session_id = s.id
        AND a.org_id = $1)::int AS allocated,
       s.allocated_at,
       ARRAY(SELECT DISTINCT rm.name FROM seat_allocations a
             JOIN school_rooms rm ON rm.id = a.room_id
             WHERE a.session_id = s.id AND a.org_id = $1 ORDER BY rm.name) AS rooms,
       coalesce((SELECT time_zone FROM school_profiles WHERE org_id = $1),
                'Asia/Jakarta') AS time_zone
FROM exam_sessions s JOIN exam_events e ON e.id = s.event_id
WHERE EXISTS (SELECT 1 FROM session_registrations r WHERE r.session_id = s.id AND r.org_id = $1)
   OR EXISTS (SELECT 1 FROM seat_allocations a WHERE a.session_id = s.id AND a.org_id = $1)
ORDER BY s.starts_at, s.id
"""
MY_EXAMS = """
SELECT e.title AS event_title, s.id AS session_id, s.label, s.starts_at, s.ends_at,
       a.exam_id, rm.name AS room, a.seat, a.sitting_id, o.name AS school,
       coalesce(p.time_zone, 'Asia/Jakarta') AS time_zone
FROM seat_allocations a
JOIN exam_sessions s ON s.id = a.session_id
JOIN exam_events e ON e.id = s.event_id
JOIN orgs o ON o.id = a.org_id
LEFT JOIN school_rooms rm ON rm.id = a.room_id
LEFT JOIN school_profiles p ON p.org_id = a.org_id
WHERE a.student_id = $1
ORDER BY s.starts_at, s.id
"""
# one row per seated (or unseated) student of a session, for room lists and exam cards
SEATING = """
SELECT o.name AS school, coalesce(o.code, '') AS school_code, rm.name AS room, rm.columns,
       a.seat, u.username, u.display_name, coalesce(u.national_id, '') AS national_id,
       coalesce(c.name, '') AS class, f.position AS form_position, x.title AS form_title,
       coalesce(p.time_zone, 'Asia/Jakarta') AS time_zone
FROM seat_allocations a
JOIN users u ON u.id = a.student_id
JOIN orgs o ON o.id = a.org_id
JOIN exams x ON x.id = a.exam_id
LEFT JOIN session_forms f ON f.session_id = a.session_id AND f.exam_id = a.exam_id
LEFT JOIN school_rooms rm ON rm.id = a.room_id
LEFT JOIN classes c ON c.id = u.class_id
LEFT JOIN school_profiles p ON p.org_id = a.org_id
WHERE a.session_id = $1 AND a.org_id = ANY($2::uuid[])
ORDER BY o.name, rm.name NULLS LAST, a.seat, u.username
"""
# how many students each session of an event seats (allocated, else reserved)
SESSION_LOADS = """
SELECT s.id, s.label, s.starts_at, s.ends_at,
       greatest(
           (SELECT count(*) FROM seat_allocations a WHERE a.session_id = s.id),
           (SELECT coalesce(sum(seats), 0) FROM session_registrations r
            WHERE r.session_id = s.id AND r.status = 'registered'))::int AS students
FROM exam_sessions s WHERE s.event_id = $1 ORDER BY s.starts_at, s.id
"""
