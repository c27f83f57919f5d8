"""Benchmark: a small clinic's diary, on the embedded default (SQLite) and on PostgreSQL.

One location with ten providers and ten rooms, open Monday to Friday 09:00-17:00, where
a treatment session takes a room for 60 minutes (20 numbing, 30 treatment, 10 turnover).
The next year's hours are filled with such sessions on the hour, each with a provider,
a room and a patient, to 0%, 5%, 50% and 96% of the providers' hours (96%: about 20,000
visits). The fills are nested: each adds visits to the one before. After each fill a
fresh process measures:

- 200 six-session proposals with a named provider (`series_propose`, three alternatives,
  from random start dates in the next two months: loading and planning);
- 500 questions for one provider's free session slots on one weekday in the next two
  months (`availability_find`: loading and planning, nothing cached);

and prints one JSON line:

    {"database": "sqlite", "fill_percent": 96, "visits": ..., "proposal_median_ms": ...,
     "proposal_p99_ms": ..., "slots_median_ms": ..., "slots_p99_ms": ...,
     "statements_per_proposal": ..., "rows_per_proposal": ..., ...}

Statements are the SQL statements sent (PostgreSQL's loader sends several in one round
trip; each counts), rows the rows the database handed back to Python; both are counted
in a separate pass over the first 20 proposals and questions, so counting costs nothing
in the timings. A list means the figure varied ([fewest, most]).

Run:

    .venv/bin/python bench/small_clinic.py                       # SQLite, then PostgreSQL
    .venv/bin/python bench/small_clinic.py --databases sqlite    # one of them
    .venv/bin/python bench/small_clinic.py --fills 0,96          # some fills

SQLite is var/bench_small_clinic.sqlite3; PostgreSQL is needlepoint_bench_small on
127.0.0.1 unless BENCH_DATABASE_URL says otherwise. Both are rebuilt on each run.
"""

import argparse
import gc
import json
import os
import random
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
SQLITE_FILE = ROOT / "var" / "bench_small_clinic.sqlite3"
DATABASES = {
    "sqlite": f"sqlite:///{SQLITE_FILE}",
    "postgres": os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/needlepoint_bench_small"),
}
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.local")
os.environ["DJANGO_DEBUG"] = "false"
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

TZ = ZoneInfo("Europe/London")
PROVIDERS = ROOMS = 10
HOURS = range(9, 17)  # sessions start on the hour, the last at 16:00
PATIENTS = 2000  # whose visits fill the diary
PROPOSALS, SLOT_QUESTIONS, COUNTED = 200, 500, 20
SEED = 20261206


def _django(database: str) -> None:
    os.environ["DATABASE_URL"] = DATABASES[database]
    import django

    django.setup()


def reset_database(database: str) -> None:
    if database == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
        SQLITE_FILE.parent.mkdir(exist_ok=True)
        return
    import psycopg

    base, _, name = DATABASES[database].rpartition("/")
    with psycopg.connect(base.replace("postgres://", "postgresql://") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


# --- Building the clinic --------------------------------------------------------------
def build_clinic() -> dict:
    """The location, its hours, providers, rooms and patients, the protocol's 60-minute
    session, and an eligible consultation for each proposal."""
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from clinic.models import Location, OpeningHours, Provider, Room, WorkingHours
    from patients.models import Consultation, Patient, RecommendedArea
    from scheduling.selectors import protocol_active

    call_command("migrate", verbosity=0)
    location = Location.objects.create(name="Small clinic", slug="small", time_zone="Europe/London")
    OpeningHours.objects.bulk_create(
        OpeningHours(location=location, weekday=d, opens=clock_time(9), closes=clock_time(17)) for d in range(5))
    users = User.objects.bulk_create(User(username=f"bench{i}") for i in range(PROVIDERS))
    providers = Provider.objects.bulk_create(
        Provider(user=u, display_name=f"Provider {i}") for i, u in enumerate(users))
    WorkingHours.objects.bulk_create(
        WorkingHours(provider=p, location=location, weekday=d, starts=clock_time(9), ends=clock_time(17))
        for p in providers for d in range(5))
    rooms = Room.objects.bulk_create(Room(location=location, name=f"Room {i}") for i in range(ROOMS))
    protocol = protocol_active()
    protocol.numbing_minutes, protocol.turnover_minutes = 20, 10
    protocol.area_minutes = {**protocol.area_minutes, "face": 30}
    protocol.save()
    patients = Patient.objects.bulk_create(
        Patient(first_name="Pat", last_name=f"Ient{i}", date_of_birth=date(1980, 1, 1), email=f"p{i}@example.com")
        for i in range(PATIENTS + PROPOSALS))
    now = datetime.now(UTC)
    consultations = Consultation.objects.bulk_create(
        Consultation(patient=p, outcome="eligible", recommended_sessions=6, assessed_at=now - timedelta(days=3))
        for p in patients[PATIENTS:])
    RecommendedArea.objects.bulk_create(RecommendedArea(consultation=c, area="face", depth_mm="1.00")
                                        for c in consultations)
    return {
        "location": location.pk, "providers": [p.pk for p in providers], "rooms": [r.pk for r in rooms],
        "patients": [p.pk for p in patients[:PATIENTS]], "consultations": [c.pk for c in consultations],
    }


def cells(rng: random.Random) -> list[tuple[date, int, int]]:
    """Every provider-hour of the next year's working days, (day, hour, provider index),
    in a random order: a fill of f is the first f of them."""
    today = datetime.now(TZ).date()
    found = [(today + timedelta(days=offset), hour, index)
             for offset in range(1, 366) if (today + timedelta(days=offset)).weekday() < 5
             for hour in HOURS for index in range(PROVIDERS)]
    rng.shuffle(found)
    return found


def visits(clinic: dict, chosen: list[tuple[date, int, int]]):
    """A 60-minute session in each chosen cell. In each hour the providers take distinct
    rooms (turned by a number of that hour) and distinct patients, so nothing overlaps."""
    from scheduling.models import Appointment

    for day, hour, index in chosen:
        slot = day.toordinal() * 24 + hour
        start = datetime.combine(day, clock_time(hour), TZ)
        yield Appointment(
            kind="maintenance", location_id=clinic["location"], provider_id=clinic["providers"][index],
            room_id=clinic["rooms"][(index + slot * 7) % ROOMS],
            patient_id=clinic["patients"][(slot * PROVIDERS + index) % PATIENTS],
            starts_at=start, provider_starts_at=start + timedelta(minutes=20),
            provider_ends_at=start + timedelta(minutes=50), ends_at=start + timedelta(minutes=50),
            room_ends_at=start + timedelta(minutes=60), status="booked",
        )


def add_visits(clinic: dict, chosen: list) -> float:
    """Insert them as bookings would (the busy-time triggers run on each); seconds taken."""
    from django.db import connection

    from scheduling.models import Appointment

    began = time.perf_counter()
    Appointment.objects.bulk_create(visits(clinic, chosen), batch_size=500)
    seconds = time.perf_counter() - began
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # autovacuum's steady state, now
            cursor.execute("VACUUM ANALYZE scheduling_appointment")
            cursor.execute("VACUUM ANALYZE scheduling_busyweek")
            cursor.execute("CHECKPOINT")
    connection.close()
    return seconds


# --- Measuring ------------------------------------------------------------------------
class Counted:
    """Rows handed back to Python, counted at Django's cursor wrapper (every read of the
    ORM and of hand-written SQL goes through it)."""

    rows = 0

    @classmethod
    def install(cls) -> None:
        from django.db.backends import utils

        def counting(name):
            def fetch(self, *args):
                found = getattr(self.cursor, name)(*args)
                cls.rows += (found is not None) if name == "fetchone" else len(found)
                return found
            return fetch

        for name in ("fetchone", "fetchmany", "fetchall"):
            setattr(utils.CursorWrapper, name, counting(name))


def _spread(values: list[int]):
    return values[0] if min(values) == max(values) else [min(values), max(values)]


def _statements(queries) -> int:
    import sqlparse

    return sum(len(sqlparse.split(query["sql"])) for query in queries)


def _summary(timings: list[float]) -> tuple[float, float]:
    timings = sorted(timings)
    return round(statistics.median(timings), 2), round(timings[int(len(timings) * 0.99) - 1], 2)


def measure(clinic: dict, database: str, fill: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clinic.models import Location, Provider
    from patients.models import Consultation
    from scheduling.models import Appointment
    from scheduling.planner import Preferences
    from scheduling.services import availability_find, series_propose

    Counted.install()
    rng = random.Random(SEED + fill)
    location = Location.objects.get(pk=clinic["location"])
    providers = list(Provider.objects.filter(pk__in=clinic["providers"]))
    consultations = list(Consultation.objects.filter(pk__in=clinic["consultations"]).select_related("patient"))
    today = datetime.now(TZ)
    weekdays = [d for d in (today.date() + timedelta(days=n) for n in range(1, 61)) if d.weekday() < 5]
    proposals = [
        dict(consultation=consultations[i], location=location, session_count=6, alternatives=3,
             earliest_start=today + timedelta(days=rng.randrange(1, 60), hours=rng.randrange(0, 10)),
             preferences=Preferences(provider_id=rng.choice(providers).pk))
        for i in range(PROPOSALS)
    ]
    questions = []
    for _ in range(SLOT_QUESTIONS):
        day = rng.choice(weekdays)
        start = datetime.combine(day, clock_time(0), TZ)
        questions.append(dict(location=location, kind="session", start=start, end=start + timedelta(days=1),
                              provider=rng.choice(providers)))
    series_propose(**proposals[-1])  # warm caches and the connection
    availability_find(**questions[-1])
    # What is loaded by now stays out of the collector's full passes, as in a web worker.
    gc.collect()
    gc.freeze()
    proposal_ms, slots_ms, unplanned = [], [], 0
    for arguments in proposals:
        began = time.perf_counter()
        result = series_propose(**arguments)
        proposal_ms.append((time.perf_counter() - began) * 1000)
        unplanned += result.best is None
    for arguments in questions:
        began = time.perf_counter()
        availability_find(**arguments)
        slots_ms.append((time.perf_counter() - began) * 1000)
    counts = {"proposal": ([], []), "slots": ([], [])}
    for name, calls, call in (("proposal", proposals, series_propose), ("slots", questions, availability_find)):
        for arguments in calls[:COUNTED]:
            rows = Counted.rows
            with CaptureQueriesContext(connection) as queries:
                call(**arguments)
            counts[name][0].append(_statements(queries))
            counts[name][1].append(Counted.rows - rows)
    proposal_median, proposal_p99 = _summary(proposal_ms)
    slots_median, slots_p99 = _summary(slots_ms)
    return {
        "database": database, "fill_percent": fill,
        "visits": Appointment.objects.filter(status="booked").count(),
        "proposal_median_ms": proposal_median, "proposal_p99_ms": proposal_p99,
        "slots_median_ms": slots_median, "slots_p99_ms": slots_p99,
        "statements_per_proposal": _spread(counts["proposal"][0]), "rows_per_proposal": _spread(counts["proposal"][1]),
        "statements_per_slots": _spread(counts["slots"][0]), "rows_per_slots": _spread(counts["slots"][1]),
        "proposals": len(proposal_ms), "unplanned": unplanned, "load_average": round(os.getloadavg()[0], 2),
    }


def run(database: str, fills: list[int], chain_file: Path) -> None:
    """Build one database, then fill it step by step, measuring each fill afresh."""
    reset_database(database)
    _django(database)
    rng = random.Random(SEED)
    clinic = build_clinic()
    chain_file.write_text(json.dumps(clinic))
    order = cells(rng)
    placed = 0
    for fill in fills:
        wanted = round(len(order) * fill / 100)
        if wanted > placed:
            seconds = add_visits(clinic, order[placed:wanted])
            print(json.dumps({"database": database, "inserted": wanted - placed, "seconds": round(seconds, 1)}),
                  file=sys.stderr, flush=True)
            placed = wanted
        subprocess.run([sys.executable, __file__, "--measure", database, "--fills", str(fill), "--clinic",
                        str(chain_file)], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--fills", default="0,5,50,96", help="comma-separated percentages of the year's hours")
    parser.add_argument("--build", choices=sorted(DATABASES), help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=sorted(DATABASES), help=argparse.SUPPRESS)
    parser.add_argument("--clinic", help=argparse.SUPPRESS)
    args = parser.parse_args()
    fills = sorted(int(f) for f in args.fills.split(","))
    if args.measure:  # a fresh process for each fill, with the data as it now is
        _django(args.measure)
        print(json.dumps(measure(json.loads(Path(args.clinic).read_text()), args.measure, fills[0])), flush=True)
    elif args.build:  # one process per database: Django is set up for one database per process
        (ROOT / "var").mkdir(exist_ok=True)
        run(args.build, fills, ROOT / "var" / f"bench_small_clinic_{args.build}.json")
    else:
        for database in args.databases.split(","):
            if database not in DATABASES:
                parser.error(f"unknown database {database!r}: sqlite or postgres")
            subprocess.run([sys.executable, __file__, "--build", database, "--fills", args.fills], check=True)


if __name__ == "__main__":
    main()
