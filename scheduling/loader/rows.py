"""What the database says about a location and a patient, read with statements written
out by hand: in one round trip on PostgreSQL, as a few in-process statements on SQLite.
Either way busy time comes already merged per provider and room and UTC week from the
busy-week table that triggers keep (migrations scheduling 0010 and 0011), read only for
the weeks the planning windows touch, so a proposal costs the same whatever the diary
holds. `plain.rows_orm` reads the same through the ORM; tests hold the three to one
answer."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import NamedTuple

from django.db import connection

from clinic.models import Location
from patients.models import Patient

from ..models import Appointment, SeriesHold, statuses_sql
from .busy import LONGEST_VISIT, Busy, busy_from_weeks, week_ranges


class DiaryRows(NamedTuple):
    """What the database says about a location and a patient, before it is shaped for
    the planner."""

    opening: list  # (weekday, opens, closes)
    closures: list  # (starts_at, ends_at, repeats_yearly): a yearly one is its first year's span
    staff: list  # (provider_id, display_name, weekday, starts, ends): active providers' hours here
    time_off: list  # (provider_id, starts_at, ends_at)
    rooms: list  # (id, name), active, by id
    out_of_service: list  # (room_id, starts_at, ends_at) of the active rooms
    held: list  # (provider_id, room_id, provider_starts_at, provider_ends_at, starts_at, room_ends_at)
    patient: list  # (starts_at, ends_at) of the patient's live visits anywhere
    provider_busy: dict[int, Busy]
    room_busy: dict[int, Busy]


_LIVE = statuses_sql(tuple(Appointment.ACTIVE_STATUSES))
_STAFF_IDS = """SELECT h.provider_id FROM clinic_workinghours h JOIN clinic_provider p ON p.id = h.provider_id
                WHERE h.location_id = %s AND p.is_active"""
# The location's active providers and rooms: whose busy weeks are read.
_OWNERS = f"""SELECT DISTINCT 'provider' AS owner, s.provider_id AS id FROM ({_STAFF_IDS}) AS s
              UNION ALL
              SELECT 'room', r.id FROM clinic_room r WHERE r.location_id = %s AND r.is_active"""

# The planner is called for every proposal, so the statements are written out once here
# rather than built by the ORM on each call (building them cost more than running them).
_OPENING_SQL = "SELECT weekday, opens, closes FROM clinic_openinghours WHERE location_id = %s"
# A yearly closure is read whatever its first year, and repeated into the range later.
_CLOSURES_SQL = """
    SELECT starts_at, ends_at, repeats_yearly FROM clinic_closure
     WHERE location_id = %s AND starts_at < %s AND (ends_at > %s OR repeats_yearly)"""
_STAFF_SQL = """
    SELECT h.provider_id, p.display_name, h.weekday, h.starts, h.ends
      FROM clinic_workinghours h JOIN clinic_provider p ON p.id = h.provider_id
     WHERE h.location_id = %s AND p.is_active"""
_TIME_OFF_SQL = f"""
    SELECT provider_id, starts_at, ends_at FROM clinic_timeoff
     WHERE provider_id IN ({_STAFF_IDS}) AND starts_at < %s AND ends_at > %s"""
# The active rooms, each with any spells out of service in the range (one row per spell),
# in one statement so the loader's count stays fixed.
_ROOMS_SQL = """
    SELECT r.id, r.name, s.starts_at, s.ends_at FROM clinic_room r
      LEFT JOIN clinic_roomoutofservice s ON s.room_id = r.id AND s.starts_at < %s AND s.ends_at > %s
     WHERE r.location_id = %s AND r.is_active ORDER BY r.id, s.starts_at"""
# Those with a list of ids are written once per database: PostgreSQL takes the list as one
# array, SQLite as one placeholder per id ({ids}).
_HELD_SQL = """
    SELECT v.provider_id, v.room_id, v.provider_starts_at, v.provider_ends_at, v.starts_at, v.room_ends_at
      FROM scheduling_heldvisit v JOIN scheduling_serieshold h ON h.id = v.hold_id
     WHERE h.status = 'held' AND h.expires_at > %s AND v.starts_at < %s AND v.room_ends_at > %s
       AND NOT (h.id {ids})"""
_PATIENT_SQL = f"""
    SELECT starts_at, ends_at FROM scheduling_appointment
     WHERE patient_id = %s AND status IN {_LIVE} AND starts_at >= %s AND starts_at < %s AND ends_at > %s
       AND NOT (id {{ids}})"""
_IGNORED_SQL = f"""
    SELECT provider_id, room_id, provider_starts_at, provider_ends_at, starts_at, room_ends_at
      FROM scheduling_appointment WHERE id {{ids}} AND status IN {_LIVE}"""
_ANY = "= ANY(%s)"

# PostgreSQL (scheduling_busyweek, migration 0010): for each of the location's active
# providers and rooms and each range of weeks, the weeks laid end to end (one index range
# each).
_POSTGRES_BUSY_WEEKS_SQL = f"""
    SELECT o.owner, o.id, w.lo,
           (SELECT string_agg(b.spans, ''::bytea ORDER BY b.week) FROM scheduling_busyweek b
             WHERE b.owner = o.owner AND b.owner_id = o.id AND b.week BETWEEN w.lo AND w.hi)
      FROM ({_OWNERS}) AS o
     CROSS JOIN unnest(%s::date[], %s::date[]) AS w(lo, hi)
     ORDER BY o.owner, o.id, w.lo"""

# SQLite (scheduling_busyweek, migration 0011): the same, one row per provider or room
# and range of weeks ({ranges}: n, first Monday, last Monday), the weeks' hex strings laid
# end to end in week order. SQLite 3.44 and later take the order in the aggregate itself;
# before that, group_concat takes the rows in the order of the subquery that feeds it (an
# aggregate over an ordered subquery is never flattened into it).
_SQLITE_WEEKS_IN_ORDER = (
    "SELECT group_concat(b.spans, '' ORDER BY b.week) FROM scheduling_busyweek b WHERE {this}"
    if sqlite3.sqlite_version_info >= (3, 44) else
    "SELECT group_concat(spans, '') FROM (SELECT b.spans FROM scheduling_busyweek b WHERE {this} ORDER BY b.week)"
)
_SQLITE_BUSY_WEEKS_SQL = f"""
    SELECT o.owner, o.id, w.n, ({_SQLITE_WEEKS_IN_ORDER.format(
        this="b.owner = o.owner AND b.owner_id = o.id AND b.week BETWEEN w.lo AND w.hi")})
      FROM ({_OWNERS}) AS o CROSS JOIN ({{ranges}}) AS w
     ORDER BY o.owner, o.id, w.n"""

_WEEK_RANGE = "SELECT %s AS n, %s AS lo, %s AS hi"
_NO_WEEKS = "SELECT 0 AS n, 0 AS lo, 0 AS hi WHERE 0"


def rows_postgres(*, location: Location, start: datetime, end: datetime, windows, patient: Patient | None,
                  ignore_ids: list[int], ignore_hold_ids: list, now: datetime) -> DiaryRows:
    """Every statement in one round trip (one string of statements, each result read
    with nextset), busy time from the busy-week table."""
    here = location.pk
    weeks = week_ranges(windows)
    statements = [
        (_OPENING_SQL, [here]),
        (_CLOSURES_SQL, [here, end, start]),
        (_STAFF_SQL, [here]),
        (_TIME_OFF_SQL, [here, end, start]),
        (_ROOMS_SQL, [end, start, here]),
        (_HELD_SQL.format(ids=_ANY), [now, end, start, ignore_hold_ids]),
        (_PATIENT_SQL.format(ids=_ANY), [patient.pk if patient else None, start - LONGEST_VISIT, end, start,
                                         ignore_ids]),
        (_POSTGRES_BUSY_WEEKS_SQL, [here, here, [week[0] for week in weeks], [week[1] for week in weeks]]),
        (_IGNORED_SQL.format(ids=_ANY), [ignore_ids]),
    ]
    with connection.cursor() as cursor:
        cursor.execute(";\n".join(sql for sql, _ in statements),
                       [value for _, params in statements for value in params])
        results = [cursor.fetchall()]
        while cursor.nextset():
            results.append(cursor.fetchall())
    opening, closures, staff, time_off, room_rows, held, patient_rows, busy, ignored = results
    covered = {week[0]: (week[2], week[3]) for week in weeks}
    provider_busy, room_busy = busy_from_weeks(busy, covered, ignored)  # by owner, then in week order
    rooms, out_of_service = rooms_and_spells(room_rows)
    return DiaryRows(opening, closures, staff, time_off, rooms, out_of_service, held, patient_rows, provider_busy,
                     room_busy)


def rooms_and_spells(rows: list[tuple]) -> tuple[list, list]:
    """The rooms statement's rows as (id, name) per room and (room_id, starts_at, ends_at)
    per spell out of service."""
    rooms = list(dict.fromkeys((room_id, name) for room_id, name, _, _ in rows))
    spells = [(room_id, a, b) for room_id, _, a, b in rows if a is not None]
    return rooms, spells


def _in(values: list) -> str:
    return f"IN ({', '.join(['%s'] * len(values))})"


def _aware(rows: list[tuple], *columns: int) -> list[tuple]:
    """SQLite hands times back as they are stored: naive, in UTC."""
    return [tuple(value.replace(tzinfo=UTC) if i in columns and value is not None else value
                  for i, value in enumerate(row))
            for row in rows]


def rows_sqlite(*, location: Location, start: datetime, end: datetime, windows, patient: Patient | None,
                ignore_ids: list[int], ignore_hold_ids: list, now: datetime) -> DiaryRows:
    """The same statements, one at a time (SQLite runs in this process: a statement costs
    no round trip), busy time from SQLite's busy-week table. Times go in as SQLite keeps
    them (naive UTC text, which compares in time order)."""
    here = location.pk
    stored = connection.ops.adapt_datetimefield_value
    weeks = week_ranges(windows)
    holds = [SeriesHold._meta.pk.get_db_prep_value(hold, connection) for hold in ignore_hold_ids]
    ranges = " UNION ALL ".join([_WEEK_RANGE] * len(weeks)) or _NO_WEEKS
    statements = {
        "opening": (_OPENING_SQL, [here]),
        "closures": (_CLOSURES_SQL, [here, stored(end), stored(start)]),
        "staff": (_STAFF_SQL, [here]),
        "time_off": (_TIME_OFF_SQL, [here, stored(end), stored(start)]),
        "rooms": (_ROOMS_SQL, [stored(end), stored(start), here]),
        "held": (_HELD_SQL.format(ids=_in(holds)), [stored(now), stored(end), stored(start), *holds]),
        "busy": (_SQLITE_BUSY_WEEKS_SQL.format(ranges=ranges),
                 [here, here, *(value for n, week in enumerate(weeks) for value in (n, str(week[0]), str(week[1])))]),
    }
    if patient is not None:
        statements["patient"] = (_PATIENT_SQL.format(ids=_in(ignore_ids)),
                                 [patient.pk, stored(start - LONGEST_VISIT), stored(end), stored(start), *ignore_ids])
    if ignore_ids:
        statements["ignored"] = (_IGNORED_SQL.format(ids=_in(ignore_ids)), ignore_ids)
    found = {}
    with connection.cursor() as cursor:
        for name, (sql, params) in statements.items():
            cursor.execute(sql, params)
            found[name] = cursor.fetchall()
    covered = {n: (week[2], week[3]) for n, week in enumerate(weeks)}
    provider_busy, room_busy = busy_from_weeks(found["busy"], covered, _aware(found.get("ignored", []), 2, 3, 4, 5),
                                               decode=bytes.fromhex)
    rooms, out_of_service = rooms_and_spells(_aware(found["rooms"], 2, 3))
    return DiaryRows(
        opening=found["opening"], closures=[(a, b, bool(yearly)) for a, b, yearly in _aware(found["closures"], 0, 1)],
        staff=found["staff"], time_off=_aware(found["time_off"], 1, 2), rooms=rooms, out_of_service=out_of_service,
        held=_aware(found["held"], 2, 3, 4, 5),
        patient=_aware(found.get("patient", []), 0, 1), provider_busy=provider_busy, room_busy=room_busy,
    )
