"""Merged busy time per provider and per room and UTC week, kept by triggers (PostgreSQL).

The planner's loader reads whole weeks of merged busy time from here instead of merging
every visit of the horizon on each request: for a six-session series at a 20-provider
location a few hundred short rows, where the visits themselves are about 20,000.

`spans` packs the week's merged busy time as [start, end) pairs of epoch seconds, each a
4-byte big-endian unsigned integer (so visits must end before 2106: the refresh refuses
later ones), in order. A row's week starts on Monday 00:00 UTC; busy time is cut at the
week's edges, so the weeks of one owner laid end to end are its merged busy time (two
spans may touch where weeks meet). Times are rounded outwards to whole seconds first.

The rows are recomputed by statement-level triggers from the appointments table in the
same transaction that changes it:

* each trigger collects the (owner, id, week) keys the statement touched, from the
  transition tables, counting only live visits (cancellations and no-shows free time)
  and, for updates, only rows whose owner, times or liveness changed;
* the refresh creates missing rows, locks all of them in key order, and only then
  recomputes them, in a new statement. Two transactions changing the same week meet on
  the row lock, and the second recomputes after the first commits (read committed takes
  a fresh snapshot per statement in a volatile function), so neither change is lost.

SQLite keeps a table of the same shape with triggers of its own (migration 0011)."""

from django.db import migrations

from clinic.db import PostgresRunSQL

LIVE = "('booked', 'confirmed', 'checked_in', 'completed')"
WEEK_START = "(k.week::timestamp AT TIME ZONE 'UTC')"
WEEK_END = "((k.week + 7)::timestamp AT TIME ZONE 'UTC')"
# Visits start at most a day before a week they touch (a check constraint says no visit
# lasts a day), which keeps the search on the busy-time indexes by start.
STARTED_NEAR = f"a.starts_at >= {WEEK_START} - interval '1 day' AND a.starts_at < {WEEK_END}"

CREATE = f"""
CREATE TABLE scheduling_busyweek (
    owner varchar(8) NOT NULL CONSTRAINT scheduling_busyweek_owner_kind CHECK (owner IN ('provider', 'room')),
    owner_id bigint NOT NULL,
    week date NOT NULL CONSTRAINT scheduling_busyweek_monday CHECK (extract(isodow FROM week) = 1),
    spans bytea NOT NULL DEFAULT ''::bytea CONSTRAINT scheduling_busyweek_whole_pairs CHECK (length(spans) % 8 = 0),
    PRIMARY KEY (owner, owner_id, week)
);

COMMENT ON TABLE scheduling_busyweek IS
    'Merged busy time of live visits per provider or room and UTC week (from Monday), as packed uint32 [start, end) epoch seconds; kept by triggers on scheduling_appointment.';

CREATE FUNCTION scheduling_busyweek_refresh(key_owners text[], key_ids bigint[], key_weeks date[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM unnest(key_weeks) AS w WHERE w >= DATE '2106-01-01') THEN
        RAISE EXCEPTION 'Visits must end before 2106 (busy time is kept as 32-bit epoch seconds).';
    END IF;

    INSERT INTO scheduling_busyweek (owner, owner_id, week)
    SELECT DISTINCT k.owner, k.owner_id, k.week
      FROM unnest(key_owners, key_ids, key_weeks) AS k(owner, owner_id, week)
     ORDER BY 1, 2, 3
    ON CONFLICT DO NOTHING;

    -- Waits for any other transaction changing the same weeks to commit.
    PERFORM 1
       FROM scheduling_busyweek b
      WHERE (b.owner, b.owner_id, b.week) IN (SELECT * FROM unnest(key_owners, key_ids, key_weeks))
      ORDER BY b.owner, b.owner_id, b.week
        FOR UPDATE;

    UPDATE scheduling_busyweek b
       SET spans = merged.spans
      FROM (
        SELECT k.owner, k.owner_id, k.week,
               coalesce((SELECT string_agg(substring(int8send(lower(s)) FROM 5) || substring(int8send(upper(s)) FROM 5),
                                           ''::bytea ORDER BY s)
                           FROM unnest(busy.spans) AS s), ''::bytea) AS spans
          FROM (SELECT DISTINCT * FROM unnest(key_owners, key_ids, key_weeks)) AS k(owner, owner_id, week)
         CROSS JOIN LATERAL (
            SELECT range_agg(
                       int8range(floor(extract(epoch FROM visit.lo))::bigint, ceil(extract(epoch FROM visit.hi))::bigint)
                       * int8range(extract(epoch FROM {WEEK_START})::bigint, extract(epoch FROM {WEEK_END})::bigint)
                   ) AS spans
              FROM (
                SELECT a.provider_starts_at AS lo, a.provider_ends_at AS hi
                  FROM scheduling_appointment a
                 WHERE k.owner = 'provider' AND a.provider_id = k.owner_id AND a.status IN {LIVE} AND {STARTED_NEAR}
                   AND a.provider_ends_at > {WEEK_START} AND a.provider_starts_at < {WEEK_END}
                UNION ALL
                SELECT a.starts_at, a.room_ends_at
                  FROM scheduling_appointment a
                 WHERE k.owner = 'room' AND a.room_id = k.owner_id AND a.room_id IS NOT NULL AND a.status IN {LIVE}
                   AND {STARTED_NEAR} AND a.room_ends_at > {WEEK_START}
              ) AS visit
         ) AS busy
      ) AS merged
     WHERE (b.owner, b.owner_id, b.week) = (merged.owner, merged.owner_id, merged.week);
END
$$;
"""

# The (owner, id, week) keys of the live visits in `source`, into the three arrays: every
# UTC week a visit's provider time or room time touches.
KEYS = f"""
        SELECT array_agg(k.owner), array_agg(k.owner_id), array_agg(k.week) INTO key_owners, key_ids, key_weeks
          FROM (SELECT 'provider' AS owner, v.provider_id AS owner_id, w::date AS week
                  FROM {{source}} AS v,
                       generate_series(date_trunc('week', v.provider_starts_at AT TIME ZONE 'UTC'),
                                       date_trunc('week', (v.provider_ends_at - interval '1 microsecond') AT TIME ZONE 'UTC'),
                                       interval '1 week') AS w
                 WHERE v.status IN {LIVE}
                UNION
                SELECT 'room', v.room_id, w::date
                  FROM {{source}} AS v,
                       generate_series(date_trunc('week', v.starts_at AT TIME ZONE 'UTC'),
                                       date_trunc('week', (v.room_ends_at - interval '1 microsecond') AT TIME ZONE 'UTC'),
                                       interval '1 week') AS w
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
CREATE FUNCTION scheduling_busyweek_after_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    key_owners text[];
    key_ids bigint[];
    key_weeks date[];
BEGIN
    -- Each branch names only the transition tables its event has.
    IF TG_OP = 'INSERT' THEN {KEYS.format(source="new_rows")}
    ELSIF TG_OP = 'DELETE' THEN {KEYS.format(source="old_rows")}
    ELSE {KEYS.format(source=MOVED)}
    END IF;
    IF key_owners IS NOT NULL THEN
        PERFORM scheduling_busyweek_refresh(key_owners, key_ids, key_weeks);
    END IF;
    RETURN NULL;
END
$$;

-- Emptying the appointments (a test database's flush) empties their busy time too.
CREATE FUNCTION scheduling_busyweek_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM scheduling_busyweek;
    RETURN NULL;
END
$$;

CREATE TRIGGER scheduling_busyweek_insert AFTER INSERT ON scheduling_appointment
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION scheduling_busyweek_after_write();
CREATE TRIGGER scheduling_busyweek_update AFTER UPDATE ON scheduling_appointment
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION scheduling_busyweek_after_write();
CREATE TRIGGER scheduling_busyweek_delete AFTER DELETE ON scheduling_appointment
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION scheduling_busyweek_after_write();
CREATE TRIGGER scheduling_busyweek_truncate AFTER TRUNCATE ON scheduling_appointment
    FOR EACH STATEMENT EXECUTE FUNCTION scheduling_busyweek_after_truncate();
"""

# The visits already booked when this migration runs.
BACKFILL = f"""
DO $$
DECLARE
    key_owners text[];
    key_ids bigint[];
    key_weeks date[];
BEGIN {KEYS.format(source="scheduling_appointment")}
    IF key_owners IS NOT NULL THEN
        PERFORM scheduling_busyweek_refresh(key_owners, key_ids, key_weeks);
    END IF;
END
$$;
"""

DROP = """
DROP TRIGGER scheduling_busyweek_truncate ON scheduling_appointment;
DROP TRIGGER scheduling_busyweek_delete ON scheduling_appointment;
DROP TRIGGER scheduling_busyweek_update ON scheduling_appointment;
DROP TRIGGER scheduling_busyweek_insert ON scheduling_appointment;
DROP FUNCTION scheduling_busyweek_after_truncate();
DROP FUNCTION scheduling_busyweek_after_write();
DROP FUNCTION scheduling_busyweek_refresh(text[], bigint[], date[]);
DROP TABLE scheduling_busyweek;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0009_reminder_lease_index"),
    ]

    operations = [
        PostgresRunSQL(sql=CREATE + TRIGGERS + BACKFILL, reverse_sql=DROP),
    ]
