"""Benchmark: the booking API under gunicorn and PostgreSQL at 20 concurrent clients.

It builds its own database (needlepoint_bench_api, dropped and rebuilt each run), loads the
demo clinic plus patients with eligible consultations, starts gunicorn on 127.0.0.1 with
production settings and the project's gunicorn.conf.py, and drives it from 20 client
threads, each sending keep-alive requests on its own connection (opened again when the
server closes it, as gunicorn's sync workers do after each answer):

1. availability: GET /api/v1/availability/ for one day, any provider or one
2. proposals:    POST /api/v1/series/proposals/ for an eligible consultation
3. contention:   at least 2,000 booking attempts aimed at a few dozen slots: consultations
                 (POST /api/v1/consultations/) and whole series (proposal, hold, confirm),
                 so most attempts collide; then a SQL check counts overlapping live visits.

Each phase prints one JSON line:

    {"endpoint": ..., "requests": ..., "rps": ..., "median_ms": ..., "p99_ms": ...,
     "errors": ..., "double_bookings": ...}

`errors` counts answers that are neither a success nor an expected 400/409 (a 5xx, a
timeout, a refused connection). Every phase is bounded in count and in time. On stderr,
per phase: the spread, the load generator's own CPU time, and the load average before
and after (the figures are only worth keeping from a quiet machine).

    .venv/bin/python bench/api_load.py                 # the three phases
    .venv/bin/python bench/api_load.py --attempts 500  # a shorter contended run
"""

import argparse
import gc
import json
import os
import random
import runpy
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/needlepoint_bench_api")
SECRET_KEY = secrets.token_urlsafe(50)
SERVER_ENV = {
    "DATABASE_URL": DATABASE_URL,
    "DJANGO_SETTINGS_MODULE": "clinic.settings.production",
    "DJANGO_SECRET_KEY": SECRET_KEY,
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain HTTP on the loopback
    "DJANGO_LOG_LEVEL": "ERROR",
    "CELERY_BROKER_URL": "memory://",
    "AXES_FAILURE_LIMIT": "1000",
    # Availability answers shared by all gunicorn workers (keys carry a fingerprint of the diary).
    "DJANGO_CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/13"),
}
os.environ.update(SERVER_ENV)

TZ = ZoneInfo("Europe/London")
CLIENTS = 20
SEED = 20261121
OK = {200, 201, 204}
EXPECTED_REFUSALS = {400, 409}


# --- Database -------------------------------------------------------------------------
def reset_database() -> None:
    import psycopg

    base, _, name = DATABASE_URL.rpartition("/")
    with psycopg.connect(base.replace("postgres://", "postgresql://") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed(consultations: int) -> dict:
    """The demo clinic, a front-desk token, and patients with eligible consultations."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from clinic.models import Location
    from patients.models import Consultation, Patient, RecommendedArea

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
    location = Location.objects.get(slug="needlepoint-demo")
    token = Token.objects.get_or_create(user=User.objects.get(username="frontdesk"))[0].key
    now = datetime.now(UTC)
    patients = Patient.objects.bulk_create(
        Patient(first_name="Bench", last_name=f"Patient {i}", date_of_birth="1985-05-05", email=f"bench{i}@example.com")
        for i in range(consultations + 400)
    )
    eligible = Consultation.objects.bulk_create(
        Consultation(patient=p, outcome="eligible", recommended_sessions=3, assessed_at=now - timedelta(days=2))
        for p in patients[:consultations]
    )
    RecommendedArea.objects.bulk_create(RecommendedArea(consultation=c, area="face", depth_mm="1.00") for c in eligible)
    providers = list(location.working_hours.values_list("provider_id", flat=True).distinct())
    return {
        "location": location.pk,
        "token": token,
        "providers": sorted(providers),
        "consultations": [c.pk for c in eligible],
        "patients": [p.pk for p in patients[consultations:]],
    }


def double_bookings() -> int:
    """Live visits that overlap for one provider (treatment time), one room, or one patient."""
    from django.db import connection

    active = "('booked', 'confirmed', 'checked_in', 'completed')"
    sql = f"""
        SELECT count(*) FROM scheduling_appointment a JOIN scheduling_appointment b ON a.id < b.id
        WHERE a.status IN {active} AND b.status IN {active} AND (
            (a.provider_id = b.provider_id AND a.provider_starts_at < b.provider_ends_at
                                           AND b.provider_starts_at < a.provider_ends_at)
         OR (a.room_id = b.room_id AND a.starts_at < b.room_ends_at AND b.starts_at < a.room_ends_at)
         OR (a.patient_id = b.patient_id AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at))
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


# --- The server -----------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_sizes(workers: int | None, threads: int | None) -> tuple[int, int]:
    """Workers and threads: as given, else what the project's gunicorn.conf.py says."""
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return workers or config["workers"], threads or config["threads"]


def start_gunicorn(port: int, workers: int, threads: int) -> subprocess.Popen:
    """gunicorn with the project's gunicorn.conf.py (read from the project root), on the
    loopback, with the sizes given."""
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "clinic.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--log-level",
        "error",
    ]
    log = open(ROOT / "var" / "bench_api_gunicorn.log", "w")  # 409s are logged as warnings; keep them off the screen
    server = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **SERVER_ENV}, start_new_session=True, stdout=log, stderr=log
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start within 30 seconds")


def stop(server: subprocess.Popen) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)  # gunicorn and its own workers, nothing else
        server.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(server.pid, signal.SIGKILL)


# --- Load -----------------------------------------------------------------------------
class Phase:
    """Runs `work(client, rng, index)` from CLIENTS threads until `total` calls are done or
    `seconds` have passed; each call returns [(status, milliseconds), ...]."""

    def __init__(self, base: str, token: str, total: int, seconds: float) -> None:
        self.base, self.token, self.total, self.seconds = base, token, total, seconds
        self.lock = threading.Lock()
        self.issued = 0
        self.samples: list[tuple[int, float]] = []

    def _next(self) -> int | None:
        with self.lock:
            if self.issued >= self.total:
                return None
            self.issued += 1
            return self.issued - 1

    def run(self, work) -> float:
        deadline = time.monotonic() + self.seconds

        def client_loop(number: int) -> None:
            rng = random.Random(SEED + number)
            client = Client(self.base, self.token)
            try:
                while time.monotonic() < deadline:
                    index = self._next()
                    if index is None:
                        return
                    results = work(client, rng, index)
                    with self.lock:
                        self.samples.extend(results)
            finally:
                client.close()

        self.load_before = os.getloadavg()[0]
        started, cpu = time.monotonic(), time.process_time()
        threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.client_cpu = time.process_time() - cpu  # this process: the load generator itself
        self.load_after = os.getloadavg()[0]
        return time.monotonic() - started


class Client:
    """One keep-alive HTTP/1.1 connection on a plain socket. Each request is written in one
    piece and its answer read by Content-Length, which costs the load generator a fraction
    of what http.client spends (its header parsing alone), so the cores go to the server.
    A connection the server closes is opened again for the next request."""

    def __init__(self, base: str, token: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.head = f"Host: {host}:{port}\r\nAuthorization: Token {token}\r\nAccept: application/json\r\n"
        self.sock: socket.socket | None = None
        self.reader = None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json_body: dict | None = None,
        headers: dict | None = None,
    ) -> tuple[int, dict | list | None]:
        if params:
            path = f"{path}?{urlencode(params)}"
        head = f"{method} {path} HTTP/1.1\r\n{self.head}"
        head += "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        body = b""
        if json_body is not None:
            body = json.dumps(json_body).encode()
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        message = head.encode() + b"\r\n" + body
        for attempt in (1, 2):
            reused = self.sock is not None
            try:
                if self.sock is None:
                    self._connect()
                self.sock.sendall(message)
                status, data, is_json = self._answer()
                break
            except (OSError, ValueError):
                self.close()
                if not reused or attempt == 2:  # a kept connection may have timed out: once more
                    return 599, None
        return status, (json.loads(data) if data and is_json else None)

    def _connect(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")

    def _answer(self) -> tuple[int, bytes, bool]:
        status_line = self.reader.readline(65537)
        if not status_line:
            raise ValueError("connection closed")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, close, is_json = 0, False, False, False
        while (line := self.reader.readline(65537)) not in (b"\r\n", b"\n", b""):
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value
            elif name == b"connection":
                close = value == b"close"
            elif name == b"content-type":
                is_json = value.startswith(b"application/json")
        data = self._chunks() if chunked else self.reader.read(length)
        if len(data) < length:
            raise ValueError("answer cut short")
        if close:
            self.close()
        return status, data, is_json

    def _chunks(self) -> bytes:
        parts = []
        while size := int(self.reader.readline(65537).split(b";")[0], 16):
            parts.append(self.reader.read(size))
            self.reader.readline(65537)
        self.reader.readline(65537)
        return b"".join(parts)

    def close(self) -> None:
        if self.sock is not None:
            self.reader.close()
            self.sock.close()
        self.sock = self.reader = None


def timed(client: Client, method: str, path: str, **kwargs) -> tuple[int, float, dict | None]:
    started = time.perf_counter()
    status, body = client.request(method, path, **kwargs)
    return status, (time.perf_counter() - started) * 1000, body


def report(endpoint: str, phase: Phase, elapsed: float, expected=OK, bookings: int = 0) -> dict:
    samples = phase.samples
    latencies = sorted(ms for _, ms in samples)
    errors = sum(1 for status, _ in samples if status not in expected)
    line = {
        "endpoint": endpoint,
        "requests": len(samples),
        "rps": round(len(samples) / elapsed, 1) if elapsed else 0.0,
        "median_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1) if latencies else None,
        "errors": errors,
        "double_bookings": bookings,
    }
    print(json.dumps(line), flush=True)
    # On stderr: the spread, the second half alone (after the cache has warmed up), what
    # the load generator itself cost, and how busy the machine was.
    warm = sorted(ms for _, ms in samples[len(samples) // 2 :])
    if warm:
        print(
            json.dumps(
                {
                    "endpoint": endpoint,
                    "p90_ms": _pct(latencies, 0.90),
                    "p95_ms": _pct(latencies, 0.95),
                    "second_half_median_ms": _pct(warm, 0.5),
                    "second_half_p99_ms": _pct(warm, 0.99),
                    "client_cpu_s": round(phase.client_cpu, 2),
                    "client_cpu_ms_per_request": round(phase.client_cpu * 1000 / len(samples), 2),
                    "client_cores": round(phase.client_cpu / elapsed, 2) if elapsed else 0.0,
                    "load_before": round(phase.load_before, 2),
                    "load_after": round(phase.load_after, 2),
                }
            ),
            file=sys.stderr,
            flush=True,
        )
    return line


def _pct(ordered: list[float], share: float) -> float:
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))], 1)


def weekdays_ahead(count: int, start_in_days: int = 2) -> list:
    today = datetime.now(TZ).date()
    days = [today + timedelta(days=offset) for offset in range(start_in_days, start_in_days + count * 2)]
    return [day for day in days if day.weekday() < 5][:count]


def availability_phase(base: str, world: dict, total: int, seconds: float) -> dict:
    days = weekdays_ahead(40)

    def work(client, rng, index):
        day = rng.choice(days)
        start = datetime.combine(day, datetime.min.time(), TZ)
        params = {
            "location": world["location"],
            "kind": rng.choice(["consultation", "session", "review"]),
            "start": start.isoformat(),
            "end": (start + timedelta(days=1)).isoformat(),
            "limit": 20,
        }
        if rng.random() < 0.5:
            params["provider"] = rng.choice(world["providers"])
        status, ms, _ = timed(client, "GET", "/api/v1/availability/", params=params)
        return [(status, ms)]

    phase = Phase(base, world["token"], total, seconds)
    elapsed = phase.run(work)
    return report("GET /api/v1/availability/", phase, elapsed)


def proposal_phase(base: str, world: dict, total: int, seconds: float) -> dict:
    def work(client, rng, index):
        body = {"consultation": rng.choice(world["consultations"]), "location": world["location"], "alternatives": 2}
        if rng.random() < 0.5:
            body["preferences"] = {"provider": rng.choice(world["providers"])}
        status, ms, _ = timed(client, "POST", "/api/v1/series/proposals/", json_body=body)
        return [(status, ms)]

    phase = Phase(base, world["token"], total, seconds)
    elapsed = phase.run(work)
    return report("POST /api/v1/series/proposals/", phase, elapsed)


def contention_phase(base: str, world: dict, attempts: int, seconds: float) -> dict:
    """Most attempts book a consultation at one of a few dozen slots; one in ten books a
    whole series (propose, hold, confirm) that competes for the same providers' time."""
    days = weekdays_ahead(3)
    slots = [
        datetime.combine(day, datetime.min.time(), TZ).replace(hour=hour, minute=minute)
        for day in days
        for hour in (10, 11, 14)
        for minute in (0, 30)
    ]
    patients = list(world["patients"])
    series_consultations = list(world["consultations"])[-200:]
    random.Random(SEED).shuffle(series_consultations)
    taken = threading.Lock()

    def work(client, rng, index):
        if index % 10 == 9 and series_consultations:
            with taken:
                consultation = series_consultations.pop() if series_consultations else None
            if consultation is None:
                return []
            results = []
            status, ms, body = timed(
                client,
                "POST",
                "/api/v1/series/proposals/",
                json_body={
                    "consultation": consultation,
                    "location": world["location"],
                    "alternatives": 0,
                    "earliest_start": slots[0].isoformat(),
                    "preferences": {"provider": rng.choice(world["providers"])},
                },
            )
            results.append((status, ms))
            if status != 200 or not body or not body.get("best"):
                return results
            status, ms, hold = timed(
                client,
                "POST",
                "/api/v1/series/holds/",
                json_body={"proposal": body["best"]["proposal"]},
                headers={"Idempotency-Key": f"hold-{index}"},
            )
            results.append((status, ms))
            if status == 201:
                status, ms, _ = timed(
                    client,
                    "POST",
                    f"/api/v1/series/holds/{hold['id']}/confirm/",
                    headers={"Idempotency-Key": f"confirm-{index}"},
                )
                results.append((status, ms))
            return results
        body = {
            "patient": patients[index % len(patients)],
            "location": world["location"],
            "provider": rng.choice(world["providers"]),
            "starts_at": rng.choice(slots).isoformat(),
        }
        status, ms, _ = timed(
            client, "POST", "/api/v1/consultations/", json_body=body, headers={"Idempotency-Key": f"consult-{index}"}
        )
        return [(status, ms)]

    phase = Phase(base, world["token"], attempts, seconds)
    elapsed = phase.run(work)
    booked = sum(1 for status, _ in phase.samples if status == 201)
    line = report(
        "contended booking (POST consultations, series hold+confirm)",
        phase,
        elapsed,
        expected=OK | EXPECTED_REFUSALS,
        bookings=double_bookings(),
    )
    print(json.dumps({"attempts": phase.issued, "booked": booked}), file=sys.stderr)
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--availability", type=int, default=3000, help="availability requests")
    parser.add_argument("--proposals", type=int, default=400, help="proposal requests")
    parser.add_argument("--attempts", type=int, default=2400, help="contended booking attempts (at least 2,000)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: gunicorn.conf.py)")
    parser.add_argument("--seconds", type=float, default=120, help="time limit per phase")
    args = parser.parse_args()

    workers, threads = gunicorn_sizes(args.workers, args.threads)
    reset_database()
    world = seed(consultations=args.proposals + 400)
    port = free_port()
    server = start_gunicorn(port, workers, threads)
    sizes = {
        "gunicorn_workers": workers,
        "gunicorn_threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
    }
    print(json.dumps(sizes), file=sys.stderr, flush=True)
    base = f"http://127.0.0.1:{port}"
    # This process loaded Django to seed the database: keep those objects out of the
    # collector's full passes, whose pauses would stop every client thread mid-request
    # and be counted as the server's latency.
    gc.collect()
    gc.freeze()
    try:
        # Load the code in every worker before timing: from all the clients at once, since
        # a kept-alive connection stays with the one worker that accepted it.
        Phase(base, world["token"], CLIENTS * 10, 60).run(
            lambda client, rng, index: [client.request("GET", "/api/v1/me/")]
        )
        if args.availability:
            availability_phase(base, world, args.availability, args.seconds)
        if args.proposals:
            proposal_phase(base, world, args.proposals, args.seconds)
        if args.attempts:
            contention_phase(base, world, args.attempts, args.seconds * 2)
    finally:
        stop(server)


if __name__ == "__main__":
    main()
