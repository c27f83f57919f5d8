"""Merged busy time per provider and per room and UTC day, kept by triggers (PostgreSQL).

The planner's loader reads whole days of merged busy time from here instead of merging
every visit of the horizon on each request: for a six-session series at a 20-provider
location about 1,500 short rows, aggregated to one per provider and room, where the
visits themselves are about 20,000.

`spans` packs the day's merged busy time as [start, end) pairs of epoch seconds, each an
8-byte big-endian integer (int8send), start before end, in order. Busy time is cut at
UTC midnight, so the days of one owner laid end to end are its merged busy time (two
spans may touch at midnight). Times are rounded outwards to whole seconds before merging.

The rows are recomputed by statement-level triggers from the appointments table in the
same transaction that changes it:

* each trigger collects the (owner, id, day) keys the statement touched, from the
  transition tables, counting only live visits (cancellations and no-shows free time)
  and, for updates, only rows whose owner, times or liveness changed;
* the refresh creates missing rows, locks all of them in key order, and only then
  recomputes them, in a new statement. Two transactions changing the same day meet on
  the row lock, and the second recomputes after the first commits (read committed takes
  a fresh snapshot per statement in a volatile function), so neither change is lost.

SQLite has none of this; there the loader merges the visits themselves."""

from django.db import migrations

from clinic.db import PostgresRunSQL

LIVE = "('booked', 'confirmed', 'checked_in', 'completed')"
DAY_START = "(k.day::timestamp AT TIME ZONE 'UTC')"
DAY_END = "((k.day + 1)::timestamp AT TIME ZONE 'UTC')"
# Visits start at most a day before a day they touch (a check constraint says no visit
# lasts a day), which keeps the search on the busy-time indexes by start.
STARTED_NEAR = f"a.starts_at >= {DAY_START} - interval '1 day' AND a.starts_at < {DAY_END}"

CREATE = f"""
CREATE TABLE scheduling_busyday (
    owner varchar(8) NOT NULL CONSTRAINT scheduling_busyday_owner_kind CHECK (owner IN ('provider', 'room')),
    owner_id bigint NOT NULL,
    day date NOT NULL,
    spans bytea NOT NULL DEFAULT ''::bytea CONSTRAINT scheduling_busyday_whole_pairs CHECK (length(spans) % 16 = 0),
    PRIMARY KEY (owner, owner_id, day)
);

COMMENT ON TABLE scheduling_busyday IS
    'Merged busy time of live visits per provider or room and UTC day, as packed int8 [start, end) epoch seconds; kept by triggers on scheduling_appointment.';

CREATE FUNCTION scheduling_busyday_refresh(key_owners text[], key_ids bigint[], key_days date[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO scheduling_busyday (owner, owner_id, day)
    SELECT DISTINCT k.owner, k.owner_id, k.day
      FROM unnest(key_owners, key_ids, key_days) AS k(owner, owner_id, day)
     ORDER BY 1, 2, 3
    ON CONFLICT DO NOTHING;

    -- Waits for any other transaction changing the same days to commit.
    PERFORM 1
       FROM scheduling_busyday b
      WHERE (b.owner, b.owner_id, b.day) IN (SELECT * FROM unnest(key_owners, key_ids, key_days))
      ORDER BY b.owner, b.owner_id, b.day
        FOR UPDATE;

    UPDATE scheduling_busyday b
       SET spans = merged.spans
      FROM (
        SELECT k.owner, k.owner_id, k.day,
               coalesce((SELECT string_agg(int8send(lower(s)) || int8send(upper(s)), ''::bytea ORDER BY s)
                           FROM unnest(busy.spans) AS s), ''::bytea) AS spans
          FROM (SELECT DISTINCT * FROM unnest(key_owners, key_ids, key_days)) AS k(owner, owner_id, day)
         CROSS JOIN LATERAL (
            SELECT range_agg(
                       int8range(floor(extract(epoch FROM visit.lo))::bigint, ceil(extract(epoch FROM visit.hi))::bigint)
                       * int8range(extract(epoch FROM {DAY_START})::bigint, extract(epoch FROM {DAY_END})::bigint)
                   ) AS spans
              FROM (
                SELECT a.provider_starts_at AS lo, a.provider_ends_at AS hi
                  FROM scheduling_appointment a
                 WHERE k.owner = 'provider' AND a.provider_id = k.owner_id AND a.status IN {LIVE} AND {STARTED_NEAR}
                   AND a.provider_ends_at > {DAY_START} AND a.provider_starts_at < {DAY_END}
                UNION ALL
                SELECT a.starts_at, a.room_ends_at
                  FROM scheduling_appointment a
                 WHERE k.owner = 'room' AND a.room_id = k.owner_id AND a.room_id IS NOT NULL AND a.status IN {LIVE}
                   AND {STARTED_NEAR} AND a.room_ends_at > {DAY_START}
              ) AS visit
         ) AS busy
      ) AS merged
     WHERE (b.owner, b.owner_id, b.day) = (merged.owner, merged.owner_id, merged.day);
END
$$;
"""

# The (owner, id, day) keys of the live visits in `source`, into the three arrays: every
# UTC day a visit's provider time or room time touches.
KEYS = f"""
        SELECT array_agg(k.owner), array_agg(k.owner_id), array_agg(k.day) INTO key_owners, key_ids, key_days
          FROM (SELECT 'provider' AS owner, v.provider_id AS owner_id, d::date AS day
                  FROM {{source}} AS v,
                       generate_series((v.provider_starts_at AT TIME ZONE 'UTC')::date,
                                       ((v.provider_ends_at - interval '1 microsecond') AT TIME ZONE 'UTC')::date,
                                       interval '1 day') AS d
                 WHERE v.status IN {LIVE}
                UNION
                SELECT 'room', v.room_id, d::date
                  FROM {{source}} AS v,
                       generate_series((v.starts_at AT TIME ZONE 'UTC')::date,
                                       ((v.room_ends_at - interval '1 microsecond') AT TIME ZONE 'UTC')::date,
                                       interval '1 day') AS d
                 WHERE v.status IN {LIVE} AND v.room_id IS NOT NULL) AS k;"""

# An update touches busy time only if it changed a visit's owners, times or liveness
# (confirming, checking in or writing notes does not); then both versions count.
MOVED = f"""(
            SELECT version.*
              FROM old_rows o JOIN new_rows n ON n.id = o.id
             CROSS JOIN LATERAL (SELECT o.* UNION ALL SELECT n.*) AS version
             WHERE (o.status IN {LIVE}) <> (n.status IN {LIVE})
                OR (o.provider_id, o.room_id, o.starts_at, o.provider_starts_at, o.provider_ends_at, o.room_ends_at)
                   IS DISTINCT FROM
                   (n.provider_id, n.room_id, n.starts_at, n.provider_starts_at, n.provider_ends_at, n.room_ends_at)
        )"""

TRIGGERS = f"""
CREATE FUNCTION scheduling_busyday_after_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    key_owners text[];
    key_ids bigint[];
    key_days date[];
BEGIN
    -- Each branch names only the transition tables its event has.
    IF TG_OP = 'INSERT' THEN {KEYS.format(source="new_rows")}
    ELSIF TG_OP = 'DELETE' THEN {KEYS.format(source="old_rows")}
    ELSE {KEYS.format(source=MOVED)}
    END IF;
    IF key_owners IS NOT NULL THEN
        PERFORM scheduling_busyday_refresh(key_owners, key_ids, key_days);
    END IF;
    RETURN NULL;
END
$$;

-- Emptying the appointments (a test database's flush) empties their busy time too.
CREATE FUNCTION scheduling_busyday_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM scheduling_busyday;
    RETURN NULL;
END
$$;

CREATE TRIGGER scheduling_busyday_insert AFTER INSERT ON scheduling_appointment
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION scheduling_busyday_after_write();
CREATE TRIGGER scheduling_busyday_update AFTER UPDATE ON scheduling_appointment
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION scheduling_busyday_after_write();
CREATE TRIGGER scheduling_busyday_delete AFTER DELETE ON scheduling_appointment
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION scheduling_busyday_after_write();
CREATE TRIGGER scheduling_busyday_truncate AFTER TRUNCATE ON scheduling_appointment
    FOR EACH STATEMENT EXECUTE FUNCTION scheduling_busyday_after_truncate();
"""

# The visits already booked when this migration runs.
BACKFILL = f"""
DO $$
DECLARE
    key_owners text[];
    key_ids bigint[];
    key_days date[];
BEGIN {KEYS.format(source="scheduling_appointment")}
    IF key_owners IS NOT NULL THEN
        PERFORM scheduling_busyday_refresh(key_owners, key_ids, key_days);
    END IF;
END
$$;
"""

DROP = """
DROP TRIGGER scheduling_busyday_truncate ON scheduling_appointment;
DROP TRIGGER scheduling_busyday_delete ON scheduling_appointment;
DROP TRIGGER scheduling_busyday_update ON scheduling_appointment;
DROP TRIGGER scheduling_busyday_insert ON scheduling_appointment;
DROP FUNCTION scheduling_busyday_after_truncate();
DROP FUNCTION scheduling_busyday_after_write();
DROP FUNCTION scheduling_busyday_refresh(text[], bigint[], date[]);
DROP TABLE scheduling_busyday;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0009_reminder_lease_index"),
    ]

    operations = [
        PostgresRunSQL(sql=CREATE + TRIGGERS + BACKFILL, reverse_sql=DROP),
    ]
