-- Scheduling national mock exams: a school's time zone, region and rooms; events and their
-- sessions; the forms of a session; registrations with waiting lists; seat allocations.
--
-- A form is a distinct *exam* (with its one published version), not a second version of one
-- exam: a sitting is unique per (exam, student), so a make-up with an unseen form has to be a
-- sitting of another exam, and only one version of an exam can be published at a time.
-- Classes and students come from accounts (0002: classes, users.class_id, users.national_id).

-- Where a school is and which clock it reads; no row means Asia/Jakarta (WIB), region "".
CREATE TABLE school_profiles (
    org_id      uuid PRIMARY KEY REFERENCES orgs (id),
    region      text NOT NULL DEFAULT '',
    time_zone   text NOT NULL DEFAULT 'Asia/Jakarta',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Computer labs and classrooms; seats are numbered in reading order, rows of `columns` seats.
CREATE TABLE school_rooms (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES orgs (id),
    name        text NOT NULL,
    seats       integer NOT NULL CHECK (seats BETWEEN 1 AND 2000),
    columns     integer NOT NULL CHECK (columns BETWEEN 1 AND 200),
    active      boolean NOT NULL DEFAULT true,  -- false: the room is lost (or retired)
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);

-- An organiser's event (e.g. a UTBK try-out) over several days; schools may register and
-- withdraw until changes_close_at.
CREATE TABLE exam_events (
    id                uuid PRIMARY KEY,
    org_id            uuid NOT NULL REFERENCES orgs (id),
    title             text NOT NULL,
    changes_close_at  timestamptz NOT NULL,
    seed              bigint NOT NULL,  -- the allocation's seed: same inputs, same seats
    created_by        uuid NOT NULL REFERENCES users (id),
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX exam_events_org ON exam_events (org_id);

CREATE TABLE exam_sessions (
    id            uuid PRIMARY KEY,
    event_id      uuid NOT NULL REFERENCES exam_events (id),
    org_id        uuid NOT NULL REFERENCES orgs (id),
    label         text NOT NULL,
    kind          text NOT NULL DEFAULT 'regular' CHECK (kind IN ('regular', 'makeup')),
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    national_cap  integer CHECK (national_cap >= 0),
    allocated_at  timestamptz,
    prepared_at   timestamptz,  -- sittings pre-created, papers warmed
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX exam_sessions_event ON exam_sessions (event_id, starts_at);
CREATE INDEX exam_sessions_unprepared ON exam_sessions (starts_at) WHERE prepared_at IS NULL;

-- The forms of a session, in order (the allocator rotates them over seats).
CREATE TABLE session_forms (
    session_id  uuid NOT NULL REFERENCES exam_sessions (id),
    exam_id     uuid NOT NULL REFERENCES exams (id),
    position    integer NOT NULL,
    PRIMARY KEY (session_id, exam_id)
);
CREATE INDEX session_forms_exam ON session_forms (exam_id);

-- A class registered into one or more sessions of an event (one group_id); its students are
-- split over them. `seats` is this row's share, reserved against the school's rooms and the
-- session's national cap; a waitlisted group reserves nothing until it is promoted (FIFO).
CREATE TABLE session_registrations (
    id             uuid PRIMARY KEY,
    group_id       uuid NOT NULL,
    event_id       uuid NOT NULL REFERENCES exam_events (id),
    session_id     uuid NOT NULL REFERENCES exam_sessions (id),
    org_id         uuid NOT NULL REFERENCES orgs (id),
    class_id       uuid NOT NULL REFERENCES classes (id),
    seats          integer NOT NULL CHECK (seats >= 0),
    status         text NOT NULL CHECK (status IN ('registered', 'waitlisted')),
    registered_by  uuid NOT NULL REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (session_id, class_id)
);
CREATE INDEX session_registrations_class ON session_registrations (class_id);
CREATE INDEX session_registrations_org ON session_registrations (org_id, event_id);
CREATE INDEX session_registrations_group ON session_registrations (group_id);

-- Where each student sits. room_id/seat are NULL when the student lost their seat (a lost
-- room with no seat left): the overview lists them for a make-up.
CREATE TABLE seat_allocations (
    session_id  uuid NOT NULL REFERENCES exam_sessions (id),
    student_id  uuid NOT NULL REFERENCES users (id),
    org_id      uuid NOT NULL REFERENCES orgs (id),
    room_id     uuid REFERENCES school_rooms (id),
    seat        integer,
    exam_id     uuid NOT NULL REFERENCES exams (id),  -- the form
    sitting_id  uuid REFERENCES sittings (id),        -- set when pre-created
    PRIMARY KEY (session_id, student_id),
    UNIQUE (session_id, room_id, seat)
);
CREATE INDEX seat_allocations_student ON seat_allocations (student_id);
CREATE INDEX seat_allocations_org ON seat_allocations (org_id, session_id);
