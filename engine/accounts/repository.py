"""SQL for organisations, classes and users. Rows become Structs here and nowhere else."""

from __future__ import annotations

from typing import Any

from engine.accounts.models import Org, Profile, SchoolClass, User

INSERT_ORG = "INSERT INTO orgs (id, parent_id, name, kind, code) VALUES ($1, $2, $3, $4, $5)"
ORG_BY_ID = "SELECT id, parent_id, name, kind, code FROM orgs WHERE id = $1"
ORGS_BY_IDS = """
SELECT id, parent_id, name, kind, code FROM orgs WHERE id = ANY($1::uuid[]) ORDER BY kind, name
"""
INSERT_CLASS = """
INSERT INTO classes (id, org_id, name) VALUES ($1, $2, $3)
ON CONFLICT (org_id, name) DO NOTHING
"""
CLASS_COLUMNS = """
c.id, c.org_id, c.name,
(SELECT count(*) FROM users u WHERE u.class_id = c.id AND u.role = 'student') AS students
"""
CLASSES_OF_ORG = f"SELECT {CLASS_COLUMNS} FROM classes c WHERE c.org_id = $1 ORDER BY c.name"
CLASS_BY_ID = f"SELECT {CLASS_COLUMNS} FROM classes c WHERE c.id = $1"
CLASS_BY_NAME = f"SELECT {CLASS_COLUMNS} FROM classes c WHERE c.org_id = $1 AND c.name = $2"
USER_COLUMNS = """
u.id, u.org_id, u.username, u.display_name, u.role, u.national_id, u.class_id,
c.name AS class_name, u.extra_time_pct, u.disabled_at IS NOT NULL AS disabled
"""
USER_BY_ID = f"""
SELECT {USER_COLUMNS} FROM users u LEFT JOIN classes c ON c.id = u.class_id
WHERE u.id = $1 AND u.removed_at IS NULL
"""
USERS_OF_ORG = f"""
SELECT {USER_COLUMNS} FROM users u LEFT JOIN classes c ON c.id = u.class_id
WHERE u.org_id = $1 AND u.removed_at IS NULL AND ($2::text IS NULL OR u.role = $2)
  AND ($3::uuid IS NULL OR u.class_id = $3) AND u.username > $4
ORDER BY u.username LIMIT $5
"""
INSERT_USER = """
INSERT INTO users (id, org_id, username, display_name, role, password_hash, national_id,
                   class_id, extra_time_pct)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""
UPDATE_USER = """
UPDATE users SET display_name = $2, class_id = $3, national_id = $4, extra_time_pct = $5
WHERE id = $1
"""
SET_PASSWORD = """
UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1
"""
# what a new password of the account is checked against (names make weak passwords)
PASSWORD_AND_NAMES = """
SELECT password_hash, username, display_name, national_id FROM users WHERE id = $1
"""
SET_DISPLAY_NAME = "UPDATE users SET display_name = $2 WHERE id = $1"
PROFILE = f"""
SELECT {USER_COLUMNS}, o.name AS org_name
FROM users u JOIN orgs o ON o.id = u.org_id LEFT JOIN classes c ON c.id = u.class_id
WHERE u.id = $1 AND u.removed_at IS NULL
"""
SET_DISABLED = """
UPDATE users SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END WHERE id = $1
"""
# the username and national id are freed for a new account, and the account leaves its class
# (rooms, seat plans, head counts, exports); the row stays for the record of its sittings
REMOVE_USER = """
UPDATE users SET removed_at = now(), disabled_at = coalesce(disabled_at, now()),
    username = username || '~removed~' || id::text, national_id = NULL, class_id = NULL,
    password_hash = $2
WHERE id = $1
"""
DELETE_CARDS_OF = "DELETE FROM exam_cards WHERE student_id = $1"


def org(row: Any) -> Org:
    return Org(**{f: row[f] for f in Org.__struct_fields__})


def school_class(row: Any) -> SchoolClass:
    return SchoolClass(**{f: row[f] for f in SchoolClass.__struct_fields__})


def user(row: Any) -> User:
    return User(**{f: row[f] for f in User.__struct_fields__})


def profile(row: Any) -> Profile:
    return Profile(**{f: row[f] for f in Profile.__struct_fields__})
