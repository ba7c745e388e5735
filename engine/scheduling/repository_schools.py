"""SQL of a school's scheduling profile (region, time zone) and its rooms."""

from __future__ import annotations

import uuid

from engine.kernel.sql import Connection
from engine.scheduling.models import Room, RoomCreate, SchoolProfile

UPSERT_PROFILE = """
INSERT INTO school_profiles (org_id, region, time_zone) VALUES ($1, $2, $3)
ON CONFLICT (org_id) DO UPDATE
SET region = EXCLUDED.region, time_zone = EXCLUDED.time_zone, updated_at = now()
"""
# an organisation without a profile yet reads as WIB with no region
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


async def set_profile(conn: Connection, org_id: uuid.UUID, profile: SchoolProfile) -> None:
    await conn.execute(UPSERT_PROFILE, org_id, profile.region, profile.time_zone)


async def profile(conn: Connection, org_id: uuid.UUID) -> SchoolProfile | None:
    """None: no such organisation."""
    row = await conn.fetchrow(PROFILE, org_id)
    return None if row is None else SchoolProfile(time_zone=row["time_zone"], region=row["region"])


async def insert_room(
    conn: Connection, room_id: uuid.UUID, org_id: uuid.UUID, data: RoomCreate
) -> Room | None:
    """None: the school already has a room of that name."""
    row = await conn.fetchrow(INSERT_ROOM, room_id, org_id, data.name, data.seats, data.columns)
    return None if row is None else Room(**dict(row))


async def rooms_of_school(conn: Connection, org_id: uuid.UUID) -> list[Room]:
    return [Room(**dict(r)) for r in await conn.fetch(ROOMS_OF_ORG, org_id)]


async def room_by_id(conn: Connection, room_id: uuid.UUID) -> Room | None:
    row = await conn.fetchrow(ROOM_BY_ID, room_id)
    return None if row is None else Room(**dict(row))


async def take_out_of_service(conn: Connection, room_id: uuid.UUID) -> None:
    await conn.execute(SET_ROOM_LOST, room_id)
