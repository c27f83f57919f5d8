"""Merged busy time per provider and per room and UTC week on SQLite, kept by triggers.

The same idea as PostgreSQL's `scheduling_busyweek` (migration scheduling 0010), so the
loader reads a few packed rows per provider and room instead of every visit in the
planning horizon. Each row holds one provider's or room's busy time in one week (from
Monday 00:00 UTC): the live visits' treatment spans or room spans, rounded outwards to
whole seconds, cut at the week's edges, merged, and packed as big-endian uint32 [start,
end) epoch-second pairs written in hex (SQLite has no function that writes bytes, and
hex decodes in one call), so `bytes.fromhex` gives exactly what PostgreSQL keeps.

Why triggers rather than the booking services: a trigger runs in the same transaction as
whatever writes a visit (the booking services, the admin, a bulk update, a data
migration, a shell), so the visits stay the one source of truth and nothing can write a
visit and forget its busy time. Row-level triggers recompute the weeks the old and the
new row touch, from the visits themselves; recomputing a week nobody changed is
harmless, so each trigger names whole weeks generously and never patches spans. SQLite
lets one writer in at a time (the booking services begin immediate transactions), so
no two recomputations of a week can interleave.

SQLite's triggers cannot use a WITH clause, so the statements are written out with
subqueries; and times are worked out from the stored text ('YYYY-MM-DD HH:MM:SS[.ffffff]',
UTC, as Django writes them when no database TIME_ZONE is set, and none is) by SQLite's own
date functions rather than a Python function registered on Django's connection, which any
other connection writing a visit would lack.

A migration that changes the appointments table on SQLite rebuilds it (a new table,
copied, renamed), which drops its triggers: `busy_weeks_repair` runs after every
`migrate` (scheduling/apps.py) and puts them back, rebuilding the table from the visits.
"""

from ..models import Appointment, statuses_sql

TABLE = "scheduling_busyweek"
TRIGGERS = ("scheduling_busyweek_insert", "scheduling_busyweek_update", "scheduling_busyweek_delete")
LIVE = statuses_sql(tuple(Appointment.ACTIVE_STATUSES))
WEEK_SECONDS = 7 * 24 * 3600

CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    owner varchar(8) NOT NULL CHECK (owner IN ('provider', 'room')),
    owner_id integer NOT NULL,
    week text NOT NULL CHECK (week = date(week, '-6 days', 'weekday 1')),
    spans text NOT NULL CHECK (length(spans) % 16 = 0),
    PRIMARY KEY (owner, owner_id, week)
) WITHOUT ROWID"""


def _epoch(column: str) -> str:
    """Whole epoch seconds of a stored time, rounded down (read from the text up to the
    seconds, so no floating point can round a fraction up)."""
    return f"CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER)"


def _epoch_up(column: str) -> str:
    """Rounded up: one more when the stored text has a fraction of a second."""
    return f"({_epoch(column)} + (CAST(substr({column}, 21) AS INTEGER) > 0))"


def _monday(column: str) -> str:
    """The Monday that starts the UTC week of a stored time."""
    return f"date({column}, '-6 days', 'weekday 1')"


def _keys(row: str) -> str:
    """The weeks a version of a visit (NEW or OLD) touches: those of its provider time's
    start and end and of its room time's start and end. A visit lasts less than a day,
    so there is no week in between."""
    return f"""
        SELECT 'provider' AS owner, {row}.provider_id AS owner_id, {_monday(f"{row}.provider_starts_at")} AS week
        UNION SELECT 'provider', {row}.provider_id, {_monday(f"{row}.provider_ends_at")}
        UNION SELECT 'room', {row}.room_id, {_monday(f"{row}.starts_at")} WHERE {row}.room_id IS NOT NULL
        UNION SELECT 'room', {row}.room_id, {_monday(f"{row}.room_ends_at")} WHERE {row}.room_id IS NOT NULL"""


# Every week that has live visits, for building the table from scratch.
ALL_KEYS = f"""
        SELECT 'provider' AS owner, provider_id AS owner_id, {_monday("provider_starts_at")} AS week
          FROM scheduling_appointment WHERE status IN {LIVE}
        UNION SELECT 'provider', provider_id, {_monday("provider_ends_at")}
          FROM scheduling_appointment WHERE status IN {LIVE}
        UNION SELECT 'room', room_id, {_monday("starts_at")}
          FROM scheduling_appointment WHERE status IN {LIVE} AND room_id IS NOT NULL
        UNION SELECT 'room', room_id, {_monday("room_ends_at")}
          FROM scheduling_appointment WHERE status IN {LIVE} AND room_id IS NOT NULL"""

WEEK_START = "CAST(strftime('%s', k.week) AS INTEGER)"
# A visit that touches a week starts at most a day before it, which keeps the search on
# the busy-time indexes by provider or room and start.
STARTED_NEAR = "a.starts_at >= datetime(k.week, '-1 day') AND a.starts_at < datetime(k.week, '+7 days')"


def _spans(keys: str) -> str:
    """Each live visit's time in each of the weeks, cut at the week's edges."""
    return f"""
        SELECT k.owner, k.owner_id, k.week,
               max({_epoch("a.provider_starts_at")}, {WEEK_START}) AS lo,
               min({_epoch_up("a.provider_ends_at")}, {WEEK_START} + {WEEK_SECONDS}) AS hi
          FROM ({keys}) AS k JOIN scheduling_appointment AS a ON a.provider_id = k.owner_id
         WHERE k.owner = 'provider' AND a.status IN {LIVE} AND {STARTED_NEAR}
           AND a.provider_ends_at > datetime(k.week) AND a.provider_starts_at < datetime(k.week, '+7 days')
        UNION ALL
        SELECT k.owner, k.owner_id, k.week,
               max({_epoch("a.starts_at")}, {WEEK_START}),
               min({_epoch_up("a.room_ends_at")}, {WEEK_START} + {WEEK_SECONDS})
          FROM ({keys}) AS k JOIN scheduling_appointment AS a ON a.room_id = k.owner_id
         WHERE k.owner = 'room' AND a.status IN {LIVE} AND {STARTED_NEAR} AND a.room_ends_at > datetime(k.week)"""


def _merged(keys: str) -> str:
    """The weeks' rows: spans in start order, a new run wherever a span starts after
    every earlier one has ended (touching spans merge), each run one span, the runs
    written in order into one string (a window's group_concat takes its rows in the
    window's order)."""
    window = "PARTITION BY owner, owner_id, week ORDER BY lo, hi"
    return f"""
        SELECT owner, owner_id, week, spans FROM (
            SELECT owner, owner_id, week,
                   group_concat(printf('%08X%08X', lo, hi), '') OVER (
                       PARTITION BY owner, owner_id, week ORDER BY lo ROWS UNBOUNDED PRECEDING) AS spans,
                   row_number() OVER (PARTITION BY owner, owner_id, week ORDER BY lo DESC) AS from_last
              FROM (SELECT owner, owner_id, week, min(lo) AS lo, max(hi) AS hi
                      FROM (SELECT *, sum(reach IS NULL OR lo > reach) OVER ({window} ROWS UNBOUNDED PRECEDING) AS run
                              FROM (SELECT *, max(hi) OVER ({window} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                                           AS reach
                                      FROM ({_spans(keys)}) WHERE lo < hi))
                     GROUP BY owner, owner_id, week, run))
         WHERE from_last = 1"""


def _refresh(keys: str) -> str:
    """Recompute the weeks `keys` names from the visits: a week left with no live visit
    has no row."""
    return f"""
    DELETE FROM {TABLE} WHERE (owner, owner_id, week) IN ({keys});
    INSERT INTO {TABLE} (owner, owner_id, week, spans) {_merged(keys)};"""


# The packed numbers hold 1970 to 2106; a live visit outside that is refused.
IN_RANGE = f"""SELECT RAISE(ABORT, 'Visits must lie between 1970 and 2106 (busy time is kept as 32-bit epoch seconds).')
     WHERE NEW.status IN {LIVE} AND (NEW.starts_at < '1970-01-01' OR NEW.room_ends_at >= '2106-01-01');"""

# An update counts only if it changed a visit's owners, times or liveness (confirming,
# checking in or writing notes does not).
MOVED = f"""(OLD.status IN {LIVE}) <> (NEW.status IN {LIVE})
    OR (NEW.status IN {LIVE} AND (
        OLD.provider_id IS NOT NEW.provider_id OR OLD.room_id IS NOT NEW.room_id
        OR OLD.starts_at IS NOT NEW.starts_at OR OLD.provider_starts_at IS NOT NEW.provider_starts_at
        OR OLD.provider_ends_at IS NOT NEW.provider_ends_at OR OLD.room_ends_at IS NOT NEW.room_ends_at))"""

CREATE_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS scheduling_busyweek_insert AFTER INSERT ON scheduling_appointment
    WHEN NEW.status IN {LIVE}
    BEGIN
    {IN_RANGE}{_refresh(_keys("NEW"))}
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS scheduling_busyweek_update AFTER UPDATE ON scheduling_appointment
    WHEN {MOVED}
    BEGIN
    {IN_RANGE}{_refresh(_keys("OLD") + " UNION " + _keys("NEW"))}
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS scheduling_busyweek_delete AFTER DELETE ON scheduling_appointment
    WHEN OLD.status IN {LIVE}
    BEGIN{_refresh(_keys("OLD"))}
    END""",
)

REBUILD = (f"DELETE FROM {TABLE}", f"INSERT INTO {TABLE} (owner, owner_id, week, spans) {_merged(ALL_KEYS)}")

DROP = (*(f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS), f"DROP TABLE IF EXISTS {TABLE}")


def busy_weeks_create(connection) -> None:
    """The table, its triggers, and the rows of the visits already booked."""
    with connection.cursor() as cursor:
        for statement in (CREATE_TABLE, *CREATE_TRIGGERS, *REBUILD):
            cursor.execute(statement)


def busy_weeks_drop(connection) -> None:
    with connection.cursor() as cursor:
        for statement in DROP:
            cursor.execute(statement)


def busy_weeks_repair(connection) -> bool:
    """Put back the triggers a rebuild of the appointments table dropped, and the rows
    the visits written meanwhile changed; True if anything was missing. Nothing to do
    where the table was never made (migration scheduling 0011 not applied)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name IN (%s, %s, %s, %s)", [TABLE, *TRIGGERS])
        present = {name for (name,) in cursor.fetchall()}
    if TABLE not in present or present >= {TABLE, *TRIGGERS}:
        return False
    busy_weeks_create(connection)
    return True
