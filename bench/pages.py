"""Benchmark: server time and SQL queries of every front-desk page and the dashboard.

The database holds the demo clinic (`manage.py seed_demo`) plus 50,000 appointments: twelve
more providers and rooms at the demo location, each pair fully booked Monday to Friday
with four-session series 28 days apart, over the past 100 weeks and the next 20 (past
visits completed, a few missed or cancelled; future ones booked). Each page is requested
through Django's test client, signed in as the role that uses it, after a warm-up; for
each it prints one JSON line:

    {"page": ..., "median_ms": ..., "p99_ms": ..., "queries": ...}

Run (PostgreSQL on 127.0.0.1 unless BENCH_DATABASE_URL says otherwise):

    .venv/bin/python bench/pages.py                 # build the data, then time every page
    .venv/bin/python bench/pages.py --reuse         # time again on the data already built
    .venv/bin/python bench/pages.py --repeat 50     # more requests per page

It uses its own database (needlepoint_bench_pages), dropped and rebuilt unless --reuse.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/needlepoint_bench_pages")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.local")
os.environ["DJANGO_DEBUG"] = "false"
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

APPOINTMENTS = 50_000
PAIRS = 12  # bench providers, each with a room of their own
SLOTS = 7  # visits per provider per day: 09:00, 10:15, ... 16:30 (70 minutes of room each)
PAST_WEEKS, FUTURE_WEEKS = 100, 20
TZ = ZoneInfo("Europe/London")


def reset_database() -> None:
    import psycopg

    base, _, name = DATABASE_URL.rpartition("/")
    with psycopg.connect(base.replace("postgres://", "postgresql://") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def build() -> None:
    """Migrate, load the demo clinic, then bulk-insert the extra appointments."""
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from clinic import roles
    from clinic.models import Location, Provider, Room, WorkingHours
    from patients.models import Consultation, Patient
    from scheduling.models import Appointment, TreatmentProtocol, TreatmentSeries

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    rng = random.Random(6)
    location = Location.objects.get(slug="needlepoint-demo")
    protocol = TreatmentProtocol.objects.get(slug="facial-microneedling")
    today = timezone.localdate(timezone=TZ)
    first_monday = today - timedelta(days=today.weekday()) - timedelta(weeks=PAST_WEEKS)
    now = timezone.now()

    with transaction.atomic():
        group = Group.objects.get(name=roles.PROVIDER)
        providers, rooms = [], []
        for index in range(PAIRS):
            user = User.objects.create_user(f"bench.provider{index}", password=None)
            user.groups.add(group)
            provider = Provider.objects.create(user=user, display_name=f"Bench Provider {index + 1:02d}")
            WorkingHours.objects.bulk_create(
                WorkingHours(provider=provider, location=location, weekday=w, starts=clock_time(9), ends=clock_time(18))
                for w in range(5))
            providers.append(provider)
            rooms.append(Room.objects.create(location=location, name=f"Bench room {index + 1:02d}"))

        # A track is (pair, slot, weekday, week mod 4): it sees one visit every 28 days, so
        # consecutive visits on a track are the sessions of one series after another.
        visits = []
        week = 0
        while len(visits) < APPOINTMENTS:
            for weekday in range(5):
                day = first_monday + timedelta(weeks=week, days=weekday)
                for pair in range(PAIRS):
                    for slot in range(SLOTS):
                        if len(visits) < APPOINTMENTS:
                            visits.append((pair, slot, weekday, week % 4, week // 4, day))
            week += 1

        series_keys = sorted({(p, s, w, k, n // 4) for p, s, w, k, n, _ in visits})
        patients = Patient.objects.bulk_create(
            Patient(first_name=rng.choice(["Ada", "Ben", "Cara", "Dev", "Eve", "Finn", "Gia", "Hal"]),
                    last_name=f"Bench{i:05d}", date_of_birth=date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                    email=f"bench{i}@example.com", phone=f"+447701{i:06d}", consent_email=True)
            for i in range(len(series_keys)))
        by_key = {key: patients[i] for i, key in enumerate(series_keys)}
        first_day = {}
        for p, s, w, k, n, day in visits:
            first_day.setdefault((p, s, w, k, n // 4), day)
        consultations = Consultation.objects.bulk_create(
            Consultation(patient=by_key[key], provider=providers[key[0]], outcome="eligible", recommended_sessions=4,
                         assessed_at=datetime.combine(first_day[key] - timedelta(days=14), clock_time(12), TZ))
            for key in series_keys)
        count = {}
        for p, s, w, k, n, _ in visits:
            count[(p, s, w, k, n // 4)] = count.get((p, s, w, k, n // 4), 0) + 1
        series = TreatmentSeries.objects.bulk_create(
            TreatmentSeries(patient=by_key[key], consultation=consultations[i], protocol=protocol, location=location,
                            provider=providers[key[0]], session_count=4,
                            status="completed" if count[key] == 4 and first_day[key] + timedelta(days=84) < today
                            else "active")
            for i, key in enumerate(series_keys))
        series_by_key = {key: series[i] for i, key in enumerate(series_keys)}

        rows = []
        for p, s, w, k, n, day in visits:
            key = (p, s, w, k, n // 4)
            start = datetime.combine(day, clock_time(9), TZ) + timedelta(minutes=75 * s)
            status, reason, late = "booked", "", False
            if start < now:
                roll = rng.random()
                status = "completed" if roll > 0.05 else ("no_show" if roll > 0.02 else "cancelled")
                if status == "cancelled":
                    reason, late = "Patient unwell", roll < 0.01
            rows.append(Appointment(
                kind="session", location=location, patient=by_key[key], provider=providers[p], room=rooms[p],
                series=series_by_key[key], session_number=n % 4 + 1, starts_at=start,
                provider_starts_at=start + timedelta(minutes=30), provider_ends_at=start + timedelta(minutes=60),
                ends_at=start + timedelta(minutes=60), room_ends_at=start + timedelta(minutes=70), status=status,
                cancel_reason=reason, late_cancellation=late, cancelled_at=now if status == "cancelled" else None,
                device="pen" if status == "completed" else "",
                completed_at=start + timedelta(minutes=60) if status == "completed" else None))
        Appointment.objects.bulk_create(rows, batch_size=5000)

        # A fresh eligible consultation for the series-planning page.
        patient = Patient.objects.create(first_name="Plan", last_name="Me", date_of_birth=date(1990, 1, 1),
                                         email="plan.me@example.com", consent_email=True)
        Consultation.objects.create(patient=patient, provider=Provider.objects.get(user__username="dr.patel"),
                                    outcome="eligible", recommended_sessions=4, assessed_at=now)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def pages() -> list[tuple[str, str, str, dict]]:
    """(name, login, path, query) for every page, on the busiest records."""
    from django.urls import reverse
    from django.utils import timezone

    from patients.models import Consultation
    from scheduling.models import Appointment, TreatmentSeries

    today = timezone.localdate(timezone=TZ)
    weekday = today - timedelta(days=max(0, today.weekday() - 4))  # the last weekday on or before today
    demo_series = TreatmentSeries.objects.filter(patient__last_name__startswith="Bench").order_by("-pk").first()
    demo_patient = (
        TreatmentSeries.objects.exclude(patient__last_name__startswith="Bench").order_by("pk").first().patient
    )
    future = (
        Appointment.objects.filter(series=demo_series, status="booked").order_by("starts_at").first()
        or Appointment.objects.filter(status="booked", starts_at__gt=timezone.now()).order_by("starts_at").first()
    )
    plan_for = Consultation.objects.get(patient__last_name="Me")
    location = future.location_id
    return [
        ("schedule day (providers)", "frontdesk", reverse("frontdesk:schedule"), {"date": weekday.isoformat()}),
        (
            "schedule day (rooms)",
            "frontdesk",
            reverse("frontdesk:schedule"),
            {"date": weekday.isoformat(), "by": "room"},
        ),
        ("schedule week", "frontdesk", reverse("frontdesk:schedule"), {"date": weekday.isoformat(), "view": "week"}),
        ("patient search page", "frontdesk", reverse("frontdesk:patients"), {"q": "Bench0001"}),
        ("patient search as you type", "frontdesk", reverse("frontdesk:patient-search-json"), {"q": "ben"}),
        ("patient page (demo)", "frontdesk", reverse("frontdesk:patient", args=[demo_patient.pk]), {}),
        ("patient page (bench)", "frontdesk", reverse("frontdesk:patient", args=[demo_series.patient_id]), {}),
        ("register patient form", "frontdesk", reverse("frontdesk:patient-new"), {}),
        (
            "book consultation (7 days of free times)",
            "frontdesk",
            reverse("frontdesk:consultation-new", args=[demo_patient.pk]),
            {"location": location, "day": (today + timedelta(days=1)).isoformat()},
        ),
        ("assessment form", "dr.patel", reverse("frontdesk:assess", args=[plan_for.pk]), {}),
        (
            "plan a series (proposal)",
            "frontdesk",
            reverse("frontdesk:plan", args=[plan_for.pk]),
            {"location": location, "session_count": 4, "target_interval_days": 28},
        ),
        ("visit page", "frontdesk", reverse("frontdesk:visit", args=[future.pk]), {}),
        ("reschedule form", "frontdesk", reverse("frontdesk:reschedule", args=[future.pk]), {}),
        ("waitlist", "frontdesk", reverse("frontdesk:waitlist"), {}),
        ("dashboard", "admin", reverse("frontdesk:dashboard"), {}),
        ("dashboard CSV (provider utilisation)", "admin", reverse("frontdesk:dashboard-csv", args=["providers"]), {}),
    ]


def reschedule_preview(repeat: int) -> dict:
    """The cascade preview is a POST: timed on its own."""
    from django.contrib.auth.models import User
    from django.db.models import Exists, OuterRef
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from scheduling.models import Appointment

    # A series with every session still live (a missed session would leave it to re-plan).
    missed = Appointment.objects.filter(series=OuterRef("series"), status__in=["cancelled", "no_show"])
    visit = (Appointment.objects.filter(kind="session", session_number=2, status="booked",
                                        starts_at__gt=timezone.now() + timedelta(days=2))
             .filter(~Exists(missed)).order_by("starts_at").first())
    client = Client()
    client.force_login(User.objects.get(username="frontdesk"))
    local = (visit.starts_at + timedelta(days=7)).astimezone(TZ)
    body = {"day": local.date().isoformat(), "at": local.strftime("%H:%M"), "action": "preview"}
    return measure(
        "reschedule preview (cascade)",
        lambda: client.post(reverse("frontdesk:reschedule", args=[visit.pk]), body),
        repeat,
    )


def measure(name: str, request, repeat: int) -> dict:
    from django.db import connection

    for _ in range(3):
        response = request()
        assert response.status_code == 200, (name, response.status_code)
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        request()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        request()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, int(round(0.99 * (len(times) - 1))))]
    return {"page": name, "median_ms": round(statistics.median(times), 1), "p99_ms": round(p99, 1),
            "queries": len(queries)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reuse", action="store_true", help="time again on the data already built")
    parser.add_argument("--repeat", type=int, default=30, help="measured requests per page (default 30)")
    args = parser.parse_args()
    if not args.reuse:
        reset_database()
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    if not args.reuse:
        started = time.perf_counter()
        build()
        print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    from django.contrib.auth.models import User
    from django.test import Client

    from scheduling.models import Appointment

    print(f"appointments: {Appointment.objects.count()}", file=sys.stderr)
    clients = {}
    results = []
    for name, login, path, query in pages():
        if login not in clients:
            clients[login] = Client()
            clients[login].force_login(User.objects.get(username=login))
        client = clients[login]
        results.append(measure(name, lambda c=client, p=path, q=query: c.get(p, q), args.repeat))
        print(json.dumps(results[-1]), flush=True)
    results.append(reschedule_preview(args.repeat))
    print(json.dumps(results[-1]), flush=True)
    out = ROOT / "var" / "bench_pages.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(json.dumps(r) for r in results) + "\n")


if __name__ == "__main__":
    main()
