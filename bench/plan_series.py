"""Benchmark: planning six-session series at a busy location of a clinic chain.

The planned location has 20 providers and 8 rooms and is about 70% booked over the next
12 months (consultations, sessions and follow-ups). N further appointments lie in other
locations and in the past three years, for N = 0, 50,000 and 1,000,000. For each N a
fresh process plans 200 six-session series with any provider from random start dates
and prints one JSON line:

    {"appointments": N, "median_ms": ..., "p99_ms": ..., "queries": ..., "statements": ...,
     "peak_rss_mb": ...}

`queries` counts round trips to the database (what Django counts), `statements` the SQL
statements they carried (the loader sends its statements in one round trip).

Run (PostgreSQL on 127.0.0.1 unless BENCH_DATABASE_URL says otherwise):

    .venv/bin/python bench/plan_series.py            # all three N
    .venv/bin/python bench/plan_series.py --sizes 0  # just one

It uses its own database (needlepoint_bench_plan), dropped and rebuilt on each run.
"""

import argparse
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/needlepoint_bench_plan")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.local")
os.environ["DJANGO_DEBUG"] = "false"

TZ = ZoneInfo("Europe/London")
PROVIDERS, ROOMS = 20, 8
OTHER_LOCATIONS, OTHER_PAIRS = 5, 40
PLANS = 200
SERIES_PATIENTS = PLANS
GRID = 15  # minutes
OPEN, CLOSE = 9 * 60, 19 * 60  # the location's day, in minutes
TARGET_BUSY = 0.70
SEED = 20261121

EXCLUSIONS = ("appointment_no_provider_overlap", "appointment_no_room_overlap", "appointment_no_patient_overlap")
COLUMNS = ("kind", "location_id", "patient_id", "provider_id", "room_id", "starts_at", "ends_at", "provider_starts_at",
           "provider_ends_at", "room_ends_at", "status", "cancel_reason", "late_cancellation", "device", "side_effects",
           "notes", "created_at", "updated_at")


def _django():
    import django

    django.setup()


def _admin_dsn() -> tuple[str, str]:
    base, _, name = DATABASE_URL.rpartition("/")
    return base + "/postgres", name


def reset_database() -> None:
    import psycopg

    admin, name = _admin_dsn()
    with psycopg.connect(admin.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


# --- Building the chain ---------------------------------------------------------------
def build_chain(rng: random.Random) -> dict:
    """The planned location (opening Mon-Sat), its providers and rooms, other locations,
    patients, and eligible consultations for the series to plan."""
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from clinic.models import Location, OpeningHours, Provider, Room, WorkingHours
    from patients.models import Consultation, Patient, RecommendedArea

    call_command("migrate", verbosity=0)
    central = Location.objects.create(name="Central", slug="central", time_zone="Europe/London")
    OpeningHours.objects.bulk_create(
        OpeningHours(location=central, weekday=d, opens=clock_time(9), closes=clock_time(19)) for d in range(6))
    users = User.objects.bulk_create(User(username=f"bench{i}") for i in range(PROVIDERS + OTHER_PAIRS))
    providers = Provider.objects.bulk_create(
        Provider(user=u, display_name=f"Provider {i}") for i, u in enumerate(users)
    )
    central_providers, other_providers = providers[:PROVIDERS], providers[PROVIDERS:]
    # Each provider works five of the six opening days.
    WorkingHours.objects.bulk_create(
        WorkingHours(provider=p, location=central, weekday=d, starts=clock_time(9), ends=clock_time(19))
        for i, p in enumerate(central_providers) for d in range(6) if d != i % 6
    )
    rooms = Room.objects.bulk_create(Room(location=central, name=f"Room {i}") for i in range(ROOMS))
    others = [Location.objects.create(name=f"Branch {i}", slug=f"branch-{i}", time_zone="Europe/London")
              for i in range(OTHER_LOCATIONS)]
    other_rooms = Room.objects.bulk_create(Room(location=others[i % OTHER_LOCATIONS], name=f"Room {i}")
                                           for i in range(OTHER_PAIRS))
    patients = Patient.objects.bulk_create(
        Patient(first_name="Pat", last_name=f"Ient{i}", date_of_birth=date(1980, 1, 1), email=f"p{i}@example.com")
        for i in range(20000))
    now = datetime.now(UTC)
    consultations = Consultation.objects.bulk_create(
        Consultation(
            patient=patients[i], outcome="eligible", recommended_sessions=6, assessed_at=now - timedelta(days=3)
        )
        for i in range(SERIES_PATIENTS)
    )
    RecommendedArea.objects.bulk_create(
        RecommendedArea(consultation=c, area="face", depth_mm="1.00") for c in consultations
    )
    return {
        "central": central.pk, "central_providers": [p.pk for p in central_providers], "rooms": [r.pk for r in rooms],
        "other_locations": [loc.pk for loc in others], "other_providers": [p.pk for p in other_providers],
        "other_rooms": [r.pk for r in other_rooms], "patients": [p.pk for p in patients],
        "series_patients": [c.patient_id for c in consultations], "consultations": [c.pk for c in consultations],
    }


def central_year(chain: dict, rng: random.Random):
    """About 70% of the location's provider and room time over the next 12 months."""
    from clinic.models import WorkingHours

    works = {(w.provider_id, w.weekday) for w in WorkingHours.objects.filter(location_id=chain["central"])}
    today = datetime.now(TZ).date()
    pool = [p for p in chain["patients"] if p not in set(chain["series_patients"])]
    cells = (CLOSE - OPEN) // GRID
    patient_cursor = 0
    for offset in range(1, 366):
        day = today + timedelta(days=offset)
        if day.weekday() == 6:
            continue
        provider_free = {p: [True] * cells for p in chain["central_providers"] if (p, day.weekday()) in works}
        room_free = {r: [True] * cells for r in chain["rooms"]}
        providers = list(provider_free)

        def take(owner: list[bool], first: int, count: int) -> bool:
            if first + count > cells or not all(owner[first:first + count]):
                return False
            owner[first:first + count] = [False] * count
            return True

        # Room visits: treatment sessions (numbing 2 cells, treatment 2, turnover 1; stored as
        # maintenance visits, which need no series row) and consultations (2 cells).
        for room, free in room_free.items():
            cell = rng.randrange(3)
            while cell < cells:
                if rng.random() > TARGET_BUSY:
                    cell += rng.choice((1, 2))
                    continue
                session = rng.random() < 0.6
                room_cells, p_off, p_cells, patient_cells = (5, 2, 2, 4) if session else (2, 0, 2, 2)
                rng.shuffle(providers)
                for provider in providers:
                    if room_free[room][cell:cell + room_cells] == [True] * room_cells and \
                            take(provider_free[provider], cell + p_off, p_cells):
                        take(free, cell, room_cells)
                        yield (day, "maintenance" if session else "consultation", provider, room, cell, p_off, p_cells,
                               patient_cells, room_cells, pool[patient_cursor % len(pool)])
                        patient_cursor += 1
                        break
                cell += room_cells
        # Phone follow-ups fill each provider's day up to about 70%.
        for provider, free in provider_free.items():
            busy = 1 - sum(free) / cells
            chance = max(0.0, (TARGET_BUSY - busy) / (1 - busy)) if busy < 1 else 0.0
            for cell in range(cells):
                if free[cell] and rng.random() < chance:
                    free[cell] = False
                    yield (day, "healing_check", provider, None, cell, 0, 1, 1, 1, pool[patient_cursor % len(pool)])
                    patient_cursor += 1


def central_rows(chain: dict, rng: random.Random):
    now = datetime.now(UTC).isoformat()
    for day, kind, provider, room, cell, p_off, p_cells, patient_cells, room_cells, patient in central_year(chain, rng):
        start = datetime.combine(day, clock_time(0), TZ) + timedelta(minutes=OPEN + cell * GRID)
        minute = timedelta(minutes=GRID)
        yield (kind, chain["central"], patient, provider, room, start, start + patient_cells * minute,
               start + p_off * minute, start + (p_off + p_cells) * minute, start + room_cells * minute,
               "booked", "", False, "", "[]", "", now, now)


def history_rows(chain: dict, count: int, skip: int):
    """`count` more appointments in other locations and in the past three years, laid on
    a half-hour grid so none overlaps; `skip` continues where a previous batch stopped."""
    now = datetime.now(UTC)
    stamp = now.isoformat()
    base = now.replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
    lanes_other, lanes_past = OTHER_PAIRS, PROVIDERS
    lanes = lanes_other + lanes_past
    patients = chain["patients"]
    for j in range(skip, skip + count):
        slot, lane = divmod(j, lanes)
        start = base - timedelta(minutes=30 * (slot + 1))
        end = start + timedelta(minutes=30)
        patient = patients[(slot * lanes + lane) % len(patients)]
        if lane < lanes_other:
            location = chain["other_locations"][lane % OTHER_LOCATIONS]
            provider, room = chain["other_providers"][lane], chain["other_rooms"][lane]
        else:
            location, provider, room = chain["central"], chain["central_providers"][lane - lanes_other], None
        yield ("consultation", location, patient, provider, room, start, end, start, end, end, "completed", "", False,
               "", "[]", "", stamp, stamp)


def copy_rows(rows) -> int:
    """COPY with the exclusion constraints dropped, then re-added (which re-checks every row)."""
    from django.db import connection

    definitions = {}
    with connection.cursor() as cursor:
        for name in EXCLUSIONS:
            cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s", [name])
            definitions[name] = cursor.fetchone()[0]
            cursor.execute(f"ALTER TABLE scheduling_appointment DROP CONSTRAINT {name}")
        written = 0
        with cursor.copy(f"COPY scheduling_appointment ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
        for name, definition in definitions.items():
            cursor.execute(f"ALTER TABLE scheduling_appointment ADD CONSTRAINT {name} {definition}")
        cursor.execute("ANALYZE scheduling_appointment")
    with connection.cursor() as cursor:  # outside a transaction: VACUUM sets the visibility map
        cursor.execute("VACUUM ANALYZE scheduling_appointment")
        # The triggers rewrote the busy weeks the rows touched; autovacuum would get there.
        cursor.execute("VACUUM ANALYZE scheduling_busyweek")
        # Write the bulk load out now, so the checkpointer is not busy with it while planning.
        cursor.execute("CHECKPOINT")
    return written


# --- Measuring ------------------------------------------------------------------------
def peak_rss_mb() -> float:
    """This process's own high-water mark. Not ru_maxrss: Linux keeps that across
    execve, so a child would report the seeding parent's peak as its own."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure(chain: dict, history: int) -> dict:
    import sqlparse
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clinic.models import Location
    from patients.models import Consultation
    from scheduling.services import series_propose

    rng = random.Random(SEED + 1)
    location = Location.objects.get(pk=chain["central"])
    consultations = list(Consultation.objects.filter(pk__in=chain["consultations"]).select_related("patient"))
    today = datetime.now(TZ)
    timings, query_counts, statement_counts, unplanned = [], set(), set(), 0
    series_propose(consultation=consultations[0], location=location)  # warm caches and connection
    # What is loaded by now stays out of the collector's full passes, as in a web worker
    # (clinic/wsgi.py).
    gc.collect()
    gc.freeze()
    for consultation in consultations[:PLANS]:
        start = today + timedelta(days=rng.randrange(1, 60), hours=rng.randrange(0, 10))
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            result = series_propose(consultation=consultation, location=location, earliest_start=start,
                                    session_count=6, alternatives=3)
            timings.append((time.perf_counter() - began) * 1000)
        query_counts.add(len(queries))
        # The loader sends several statements in one round trip; count them too.
        statement_counts.add(sum(len(sqlparse.split(query["sql"])) for query in queries))
        unplanned += result.best is None
    timings.sort()
    return {
        "appointments": history,
        "median_ms": round(statistics.median(timings), 1),
        "p99_ms": round(timings[int(len(timings) * 0.99) - 1], 1),
        "queries": sorted(query_counts)[0] if len(query_counts) == 1 else sorted(query_counts),
        "statements": sorted(statement_counts)[0] if len(statement_counts) == 1 else sorted(statement_counts),
        "peak_rss_mb": peak_rss_mb(),
        "plans": len(timings),
        "unplanned": unplanned,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0,50000,1000000", help="comma-separated N")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--chain", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure is not None:  # the child: a fresh process, so peak RSS is its own
        _django()
        print(json.dumps(measure(json.loads(Path(args.chain).read_text()), args.measure)), flush=True)
        return

    reset_database()
    _django()
    rng = random.Random(SEED)
    began = time.perf_counter()
    chain = build_chain(rng)
    central = copy_rows(list(central_rows(chain, rng)))  # it reads working hours: not during COPY
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM scheduling_appointment")
    print(json.dumps({"seeded_location_appointments": central, "seconds": round(time.perf_counter() - began, 1)}),
          file=sys.stderr, flush=True)
    chain_file = ROOT / "var" / "bench_plan_chain.json"
    chain_file.parent.mkdir(exist_ok=True)
    chain_file.write_text(json.dumps(chain))
    loaded = 0
    for size in sorted(int(s) for s in args.sizes.split(",")):
        if size > loaded:
            began = time.perf_counter()
            loaded += copy_rows(history_rows(chain, size - loaded, loaded))
            print(json.dumps({"seeded_history": loaded, "seconds": round(time.perf_counter() - began, 1)}),
                  file=sys.stderr, flush=True)
        connection.close()
        subprocess.run([sys.executable, __file__, "--measure", str(size), "--chain", str(chain_file)], check=True)


if __name__ == "__main__":
    main()
