"""Benchmark: the public booking page's free consultation times under anonymous load,
while front desks keep booking and cancelling.

It builds its own database (needlepoint_bench_public, dropped and rebuilt unless --reuse)
with the demo clinic seeded around today, starts gunicorn on 127.0.0.1 with production
settings and the project's gunicorn.conf.py (the cache in Redis, as in production), and:

1. load:      --clients anonymous clients (default 50) for --seconds (default 120), each
              on its own keep-alive connection, GET /book/<demo>/?from=<one of the next 7
              days> as fast as answers come; meanwhile --desks desk threads (default 2)
              book a consultation through the services (`consultation_book`, the desk's
              own write path) and cancel it again (`appointment_cancel`), over and over,
              each desk waiting --desk-pause seconds (default 1) before each booking.
2. freshness: a time on the page is booked at the desk for every provider, and the page
              is asked every 50 ms until the time is gone; then those visits are cancelled
              and the page asked until it is back. Repeated --rounds times.

One JSON line per phase:

    {"phase": "load", "clients": 50, "seconds": ..., "requests": ..., "rps": ...,
     "median_ms": ..., "p99_ms": ..., "errors": ..., "desk_bookings": ..., "desk_cancellations": ...,
     "server_cpu_ms_per_request": ..., "client_cpu_ms_per_request": ..., "load_average": [before, after]}
    {"phase": "load-paced", "pace_s": 1.0, ...}      (with --pace: each client asks once a second)
    {"phase": "freshness", "rounds": ..., "booked_gone_max_s": ..., "cancelled_back_max_s": ...,
     "booked_gone_s": [...], "cancelled_back_s": [...]}

`errors` counts every answer that is not a 200 (a 5xx, a timeout, a refused connection).

    .venv/bin/python bench/public_availability.py                      # 50 clients, 2 minutes
    .venv/bin/python bench/public_availability.py --seconds 20 --clients 10
    .venv/bin/python bench/public_availability.py --reuse              # keep the database built last time
    .venv/bin/python bench/public_availability.py --pace 1             # and a paced run after the closed loop

The desks run in a process of their own, so their pure-Python work does not take the
interpreter lock from the clients.
"""

import argparse
import gc
import json
import multiprocessing
import os
import random
import resource
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/needlepoint_bench_public")
os.environ.setdefault("BENCH_CACHE_URL", "redis://127.0.0.1:6379/14")

# The API benchmark's server and client: the same gunicorn, the same plain-socket client.
from bench.api_load import (  # noqa: E402 - the environment above must be set first
    SERVER_ENV,
    Client,
    free_port,
    gunicorn_sizes,
    reset_database,
    start_gunicorn,
    stop,
)

SLUG = "needlepoint-demo"
DAYS = 7


class PageClient(Client):
    """The API benchmark's client, keeping the last HTML body for the freshness check."""

    def request(self, method, path, **kwargs):
        self.last_body = ""
        return super().request(method, path, **kwargs)

    def _answer(self):
        status, data, is_json = super()._answer()
        self.last_body = data.decode(errors="replace")
        return status, data, is_json


def _pct(ordered: list[float], share: float) -> float:
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))], 1) if ordered else 0.0


def build(reuse: bool) -> None:
    import django

    if not reuse:
        reset_database()
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))


def days_ahead() -> list[str]:
    from clinic.models import Location

    zone = ZoneInfo(Location.objects.get(slug=SLUG).time_zone)
    today = datetime.now(UTC).astimezone(zone).date()
    return [(today + timedelta(days=n)).isoformat() for n in range(DAYS)]


def server_cpu_seconds(master_pid: int) -> float:
    """CPU time used so far by gunicorn's master and its workers (from /proc): what the
    web app itself costs, whatever else the machine is busy with."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == master_pid or int(fields[1]) == master_pid:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


# --- The desks --------------------------------------------------------------------------
class Desk(threading.Thread):
    """Books a free consultation through the services and cancels it, until stopped."""

    def __init__(self, number: int, stop_at: float, pause: float) -> None:
        super().__init__(daemon=True)
        self.pause = pause
        self.rng = random.Random(number)
        self.stop_at = stop_at
        self.booked = self.cancelled = self.refused = 0

    def run(self) -> None:
        from django.db import connection

        from clinic.errors import DomainError
        from clinic.models import Location
        from patients.models import Patient
        from scheduling.services.availability import availability_find
        from scheduling.services.consultations import consultation_book
        from scheduling.services.visits import appointment_cancel

        location = Location.objects.get(slug=SLUG)
        patients = list(Patient.objects.order_by("pk")[:200])
        try:
            while time.monotonic() < self.stop_at:
                start = datetime.now(UTC) + timedelta(days=1 + self.rng.randrange(DAYS - 2))
                slots = availability_find(location=location, kind="consultation", start=start,
                                          end=start + timedelta(days=1), limit=60)
                time.sleep(self.pause)  # a desk talks and types between bookings
                if not slots:
                    continue
                slot = self.rng.choice(slots)
                try:
                    visit = consultation_book(patient=self.rng.choice(patients), location=location,
                                              provider=location_provider(slot.provider_id),
                                              starts_at=slot.start)
                    self.booked += 1
                    time.sleep(0.2)
                    appointment_cancel(appointment=visit, reason="Benchmark: the patient called to cancel.")
                    self.cancelled += 1
                except DomainError:
                    self.refused += 1
        finally:
            connection.close()


def location_provider(provider_id: int):
    from clinic.models import Provider

    return Provider.objects.get(pk=provider_id)


# --- Load -------------------------------------------------------------------------------
def _desks_process(desks: int, deadline: float, pause: float, results) -> None:
    """The desks in a process of their own: their availability searches and bookings are
    pure Python, and in the clients' process they would hold the interpreter lock the
    clients need to read their answers (the wait would be counted against the page)."""
    threads = [Desk(n, deadline, pause) for n in range(desks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put({"booked": sum(d.booked for d in threads), "cancelled": sum(d.cancelled for d in threads),
                 "refused": sum(d.refused for d in threads)})


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_phase(base: str, clients: int, seconds: float, desks: int, pause: float, server_pid: int,
               pace: float = 0.0) -> dict:
    """Closed loop (pace 0): each client asks again as soon as its answer is read. Paced:
    each client asks once every `pace` seconds, as a person clicking would, and waits
    for the answer (a late answer delays its next question, never overlaps it)."""
    days = days_ahead()
    samples: list[tuple[int, float]] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client_loop(number: int) -> None:
        rng = random.Random(number)
        client = PageClient(base, "")
        mine = []
        next_at = time.monotonic() + rng.uniform(0, pace)
        try:
            while time.monotonic() < deadline:
                if pace:
                    time.sleep(max(0.0, next_at - time.monotonic()))
                    next_at = max(next_at + pace, time.monotonic())
                started = time.perf_counter()
                status, _ = client.request("GET", f"/book/{SLUG}/?from={rng.choice(days)}")
                mine.append((status, (time.perf_counter() - started) * 1000))
        finally:
            client.close()
            with lock:
                samples.extend(mine)

    from django.db import connections

    results = multiprocessing.get_context("fork").Queue()
    desk_process = multiprocessing.get_context("fork").Process(
        target=_desks_process, args=(desks, deadline, pause, results), daemon=True
    )
    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(clients)]
    load_before, started, cpu_before = os.getloadavg()[0], time.monotonic(), server_cpu_seconds(server_pid)
    client_cpu_before = _client_cpu()
    connections.close_all()  # closed before the fork: a connection shared by two processes breaks both
    desk_process.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    client_cpu = _client_cpu() - client_cpu_before
    server_cpu = server_cpu_seconds(server_pid) - cpu_before
    desk = results.get(timeout=120)
    desk_process.join(timeout=30)
    ordered = sorted(ms for status, ms in samples if status == 200)
    return {
        "phase": "load-paced" if pace else "load", "clients": clients, "pace_s": pace or None,
        "desks": desks, "desk_pause_s": pause, "seconds": round(elapsed, 1), "requests": len(samples),
        "rps": round(len(samples) / elapsed, 1), "median_ms": round(statistics.median(ordered), 1) if ordered else 0,
        "p99_ms": _pct(ordered, 0.99), "max_ms": round(ordered[-1], 1) if ordered else 0,
        "errors": sum(1 for status, _ in samples if status != 200),
        "desk_bookings": desk["booked"], "desk_cancellations": desk["cancelled"], "desk_refused": desk["refused"],
        "server_cpu_ms_per_request": round(server_cpu * 1000 / max(1, len(samples)), 2),
        "client_cpu_ms_per_request": round(client_cpu * 1000 / max(1, len(samples)), 2),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
    }


# --- Freshness --------------------------------------------------------------------------
def _offered(client: "PageClient", day: str, label: str) -> bool | None:
    """Whether the page for `day` offers the time whose link reads `label` (None: no page)."""
    status, _ = client.request("GET", f"/book/{SLUG}/?from={day}")
    return label in client.last_body if status == 200 else None


def _wait(client: "PageClient", day: str, label: str, *, offered: bool, limit: float = 60) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if _offered(client, day, label) == offered:
            return round(time.monotonic() - started, 3)
        time.sleep(0.05)
    return float("inf")


def freshness_phase(base: str, rounds: int) -> dict:
    from clinic.models import Location
    from patients.models import Patient
    from scheduling.services.availability import availability_find
    from scheduling.services.consultations import consultation_book
    from scheduling.services.visits import appointment_cancel

    location = Location.objects.get(slug=SLUG)
    zone = ZoneInfo(location.time_zone)
    patients = list(Patient.objects.order_by("-pk")[:40])
    client = PageClient(base, "")
    gone, back = [], []
    for number in range(rounds):
        start = datetime.now(UTC) + timedelta(days=1 + number % (DAYS - 2))
        slots = availability_find(location=location, kind="consultation", start=start, end=start + timedelta(days=1))
        when = slots[len(slots) // 2].start
        at_that_time = [s for s in slots if s.start == when]
        local = when.astimezone(zone)
        label = f'aria-label="{local:%A} {local.day} {local:%B} at {local:%H:%M} {local.tzname()}"'
        day = local.date().isoformat()
        assert _offered(client, day, label), "the chosen time is not on the page"
        visits = [consultation_book(patient=patients[(number * 4 + i) % len(patients)], location=location,
                                    provider=location_provider(slot.provider_id), starts_at=when)
                  for i, slot in enumerate(at_that_time)]
        gone.append(_wait(client, day, label, offered=False))
        for visit in visits:
            appointment_cancel(appointment=visit, reason="Benchmark: freshness check.")
        back.append(_wait(client, day, label, offered=True))
    client.close()
    return {"phase": "freshness", "rounds": rounds, "booked_gone_max_s": max(gone),
            "cancelled_back_max_s": max(back), "booked_gone_s": gone, "cancelled_back_s": back}




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120, help="length of the load phase")
    parser.add_argument("--clients", type=int, default=50, help="anonymous clients at once")
    parser.add_argument("--desks", type=int, default=2, help="desk threads booking and cancelling meanwhile")
    parser.add_argument("--desk-pause", type=float, default=1.0, help="seconds each desk waits between bookings")
    parser.add_argument("--rounds", type=int, default=5, help="freshness checks")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: gunicorn.conf.py)")
    parser.add_argument("--pace", type=float, default=0.0,
                        help="also run a paced load phase: each client asks once every PACE seconds")
    parser.add_argument("--reuse", action="store_true", help="keep the database built last time")
    args = parser.parse_args()

    workers, threads = gunicorn_sizes(args.workers, args.threads)
    build(args.reuse)
    port = free_port()
    server = start_gunicorn(port, workers, threads)
    print(json.dumps({"gunicorn_workers": workers, "gunicorn_threads": threads,
                      "database": SERVER_ENV["DATABASE_URL"].rsplit("/", 1)[-1]}), file=sys.stderr, flush=True)
    base = f"http://127.0.0.1:{port}"
    gc.collect()
    gc.freeze()
    try:
        warm = PageClient(base, "")
        for day in days_ahead():
            warm.request("GET", f"/book/{SLUG}/?from={day}")
        warm.close()
        load = load_phase(base, args.clients, args.seconds, args.desks, args.desk_pause, server.pid)
        print(json.dumps(load), flush=True)
        if args.pace:
            paced = load_phase(base, args.clients, args.seconds, args.desks, args.desk_pause, server.pid, args.pace)
            print(json.dumps(paced), flush=True)
        print(json.dumps(freshness_phase(base, args.rounds)), flush=True)
    finally:
        stop(server)


if __name__ == "__main__":
    main()
