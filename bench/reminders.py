"""Benchmark and drills for the reminder pipeline, end to end.

100,000 due reminders go through the real pipeline: the dispatcher task (as beat runs it),
Redis, one Celery worker with its default concurrency, PostgreSQL and the file-backed SMS
channel. Three runs: clean; the worker SIGKILLed halfway and restarted; Redis restarted
halfway. Each prints one JSON line:

    {"scenario": ..., "reminders": ..., "seconds": ..., "per_second": ..., "duplicates": ..., "missing": ...}

Duplicates and missing are counted from the database and from the channel's files (one
JSON line per message sent): a reminder is delivered once when its row is 'sent' and
exactly one line in the files carries its key.

    .venv/bin/python bench/reminders.py                     # all three scenarios
    .venv/bin/python bench/reminders.py --scenarios clean --reminders 20000

It uses its own database (needlepoint_bench_reminders, created if missing), Redis database
12, and a scratch folder; it restarts the local redis-server on 127.0.0.1:6379 for the
third drill and always leaves it running."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE_NAME = "needlepoint_bench_reminders"
BROKER_URL = "redis://127.0.0.1:6379/12"
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]


def bench_environment(scratch: Path, lease_seconds: int, batch_size: int = 1000) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "clinic.settings.local",
        "DJANGO_DEBUG": "false",  # DEBUG keeps every query in memory
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE_NAME}",
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_BEAT_SCHEDULE_FILENAME": str(scratch / "beat-schedule"),
        "REMINDERS_SMS_BACKEND": "scheduling.reminders.sms.FileSmsBackend",
        "REMINDERS_SMS_FILE_DIR": str(scratch / "sms"),
        # Quiet hours would hold texts overnight; this measures the pipeline, not the night.
        "REMINDERS_SMS_QUIET_HOURS": "",
        "REMINDERS_CLAIM_LEASE_SECONDS": str(lease_seconds),
        "REMINDERS_SEND_LEASE_SECONDS": str(lease_seconds),
        "REMINDERS_DISPATCH_BATCH_SIZE": str(batch_size),
    }


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return True
    except OSError:
        return False


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)


def ensure_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def seed_visits(count: int) -> None:
    """One location, 100 providers, 2,000 patients and `count` future visits (kept across
    scenarios). Visits are spread so no provider or patient overlaps."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.utils import timezone

    from clinic.models import Location, Provider
    from patients.models import Patient
    from scheduling.models import Appointment

    if Appointment.objects.count() >= count:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE scheduling_reminder, scheduling_appointment, patients_patient, clinic_provider, "
            "clinic_location, auth_user CASCADE"
        )
    location = Location.objects.create(name="Bench Clinic", slug="bench", time_zone="Europe/London")
    users = User.objects.bulk_create([User(username=f"bench-provider-{n}") for n in range(100)])
    providers = Provider.objects.bulk_create(
        [Provider(user=u, display_name=f"Provider {n}") for n, u in enumerate(users)]
    )
    patients = Patient.objects.bulk_create(
        [
            Patient(
                first_name=f"Pat{n}",
                last_name="Bench",
                date_of_birth="1990-01-01",
                phone=f"+4477009{n:05d}",
                preferred_channel="sms",
                consent_sms=True,
                time_zone="Europe/London",
            )
            for n in range(2000)
        ]
    )
    base = timezone.now().replace(second=0, microsecond=0) + timezone.timedelta(days=2)
    provider_ids = [p.pk for p in providers]
    patient_ids = [p.pk for p in patients]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO scheduling_appointment
                (kind, location_id, patient_id, provider_id, starts_at, ends_at, provider_starts_at, provider_ends_at,
                 room_ends_at, status, cancel_reason, late_cancellation, device, side_effects, notes, created_at,
                 updated_at)
            SELECT 'consultation', %(location)s, (%(patients)s::bigint[])[1 + i %% 2000],
                   (%(providers)s::bigint[])[1 + i %% 100],
                   %(base)s + (i / 100) * interval '30 minutes',
                   %(base)s + (i / 100) * interval '30 minutes' + interval '30 minutes',
                   %(base)s + (i / 100) * interval '30 minutes',
                   %(base)s + (i / 100) * interval '30 minutes' + interval '30 minutes',
                   %(base)s + (i / 100) * interval '30 minutes' + interval '30 minutes',
                   'booked', '', false, '', '[]'::jsonb, '', now(), now()
            FROM generate_series(0, %(last)s) AS i
            """,
            {
                "location": location.pk,
                "patients": patient_ids,
                "providers": provider_ids,
                "base": base,
                "last": count - 1,
            },
        )


def seed_reminders(count: int) -> list[str]:
    """`count` pre-visit reminders, one per visit, all due a minute ago."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE scheduling_reminder")
        cursor.execute(
            """
            INSERT INTO scheduling_reminder
                (key, kind, slot, channel, status, patient_id, appointment_id, due_at, visit_starts_at,
                 deferred_for_quiet_hours, payload, attempts, last_error, provider_message_id, created_at, updated_at)
            SELECT 'bench:' || a.id, 'pre_visit', 'lead:24', 'sms', 'pending', a.patient_id, a.id,
                   now() - interval '1 minute', a.starts_at, false, '{"lead_hours": 24}'::jsonb, 0, '', '', now(), now()
            FROM (SELECT id, patient_id, starts_at FROM scheduling_appointment ORDER BY id LIMIT %s) AS a
            """,
            [count],
        )
        cursor.execute("ANALYZE scheduling_reminder")
        cursor.execute("SELECT key FROM scheduling_reminder")
        return [row[0] for row in cursor.fetchall()]


def status_counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT status, count(*) FROM scheduling_reminder GROUP BY status")
        return dict(cursor.fetchall())


def recovered_counts() -> str:
    """How the drill's interrupted sends were finished: confirmed by the channel, or sent again."""
    from scheduling.models import Reminder
    from scheduling.reminders.dispatch import RECOVERED_SENT

    confirmed = Reminder.objects.filter(last_error=RECOVERED_SENT).count()
    return f"{confirmed} interrupted sends confirmed by the channel and not sent again"


class Processes:
    """The worker and beat, each in its own process group so a kill takes its children too."""

    def __init__(self, environment: dict[str, str], scratch: Path) -> None:
        self.environment = {**os.environ, **environment}
        self.scratch = scratch
        self.worker: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.worker_starts = 0

    def _start(self, arguments: list[str], log_name: str) -> subprocess.Popen:
        log = open(self.scratch / log_name, "ab")  # noqa: SIM115 - closed with the process
        return subprocess.Popen(
            [str(ROOT / ".venv/bin/celery"), "--app", "clinic", *arguments],
            cwd=ROOT,
            env=self.environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_worker(self) -> None:
        self.worker_starts += 1
        log_name = f"worker-{self.worker_starts}.log"
        # One worker, default concurrency (one process per CPU).
        self.worker = self._start(["worker", "--loglevel", "INFO", "--without-gossip", "--without-mingle"], log_name)
        _wait(lambda: b"ready." in (self.scratch / log_name).read_bytes(), 60, "the worker to be ready")

    def start_beat(self) -> None:
        self.beat = self._start(
            ["beat", "--loglevel", "INFO", "--schedule", str(self.scratch / "beat-schedule")], "beat.log"
        )

    def kill_worker(self) -> None:
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()

    def stop(self) -> None:
        for process in (self.beat, self.worker):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in (self.beat, self.worker):
            if process is None:
                continue
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def restart_redis() -> None:
    """Stop the local Redis without saving (its queues are lost, as in a crash) and start
    it again with the command it was started with."""
    subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], check=False, capture_output=True)
    _wait(lambda: not _port_open(6379), 20, "Redis to stop")
    subprocess.run(REDIS_START, check=True)
    _wait(lambda: _port_open(6379), 20, "Redis to start")


def ensure_redis_running() -> None:
    if not _port_open(6379):
        os.makedirs("/var/lib/redis", exist_ok=True)
        os.makedirs("/var/log/redis", exist_ok=True)
        subprocess.run(REDIS_START, check=False)
        _wait(lambda: _port_open(6379), 20, "Redis to start")


def count_delivered(keys: list[str], sms_dir: Path) -> tuple[int, int]:
    """(duplicates, missing) from the database and the channel's files."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) - count(DISTINCT key) FROM scheduling_reminder")
        database_duplicates = cursor.fetchone()[0]
        cursor.execute("SELECT key FROM scheduling_reminder WHERE status = 'sent'")
        sent = {row[0] for row in cursor.fetchall()}
    from scheduling.reminders.sms import FileSmsBackend

    per_key: dict[str, int] = {}
    for message in FileSmsBackend(sms_dir).messages():
        per_key[message["key"]] = per_key.get(message["key"], 0) + 1
    file_duplicates = sum(n - 1 for n in per_key.values() if n > 1)
    missing = sum(1 for key in keys if key not in sent or key not in per_key)
    return database_duplicates + file_duplicates, missing


def run_scenario(
    name: str, count: int, scratch_root: Path, lease_seconds: int, batch_size: int, timeout: float
) -> dict:
    import redis
    from django.db import connections

    scratch = scratch_root / name
    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / "sms").mkdir(parents=True)
    environment = bench_environment(scratch, lease_seconds, batch_size)
    os.environ.update(environment)
    keys = seed_reminders(count)
    redis.Redis.from_url(BROKER_URL).flushdb()
    processes = Processes(environment, scratch)
    try:
        processes.start_worker()
        processes.start_beat()
        from clinic.celery import app

        started = time.monotonic()
        # Beat's first tick comes a minute after it starts; send the same task at once so
        # the clock starts with the work. Beat's own ticks pick up whatever a drill loses.
        app.send_task("scheduling.reminders_dispatch", expires=55)
        disrupted = name == "clean"
        while True:
            counts = status_counts()
            connections.close_all()
            done = sum(counts.get(s, 0) for s in ("sent", "failed", "skipped", "cancelled"))
            if not disrupted and counts.get("sent", 0) >= count // 2:
                if name == "worker_killed":
                    processes.kill_worker()
                    processes.start_worker()
                elif name == "redis_restarted":
                    restart_redis()
                disrupted = True
            if done >= count:
                break
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"{name}: not drained after {timeout:.0f} s: {counts}")
            time.sleep(0.2)
        seconds = time.monotonic() - started
        time.sleep(1.0)  # anything sent twice would have landed by now
    finally:
        processes.stop()
        ensure_redis_running()
    duplicates, missing = count_delivered(keys, scratch / "sms")
    print(f"{name}: statuses {status_counts()}; {recovered_counts()}", file=sys.stderr)
    return {
        "scenario": name,
        "reminders": count,
        "seconds": round(seconds, 1),
        "per_second": round(count / seconds),
        "duplicates": duplicates,
        "missing": missing,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reminders", type=int, default=100_000)
    parser.add_argument("--scenarios", default="clean,worker_killed,redis_restarted")
    parser.add_argument(
        "--lease-seconds",
        type=int,
        default=20,
        help="claim lease: how soon work lost with a worker or with Redis is handed out again",
    )
    parser.add_argument("--batch-size", type=int, default=1000, help="reminders per claim and per send task")
    parser.add_argument("--timeout", type=float, default=600)
    arguments = parser.parse_args()

    scratch_root = Path(tempfile.gettempdir()) / "needlepoint-bench-reminders"
    os.environ.update(bench_environment(scratch_root, arguments.lease_seconds))
    ensure_redis_running()
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    seed_visits(arguments.reminders)
    for name in arguments.scenarios.split(","):
        result = run_scenario(
            name.strip(),
            arguments.reminders,
            scratch_root,
            arguments.lease_seconds,
            arguments.batch_size,
            arguments.timeout,
        )
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
