"""Benchmark: re-planning every visit a one-week closure disrupts at a busy location.

Builds the busy location of `bench/plan_series.py` (20 providers, 8 rooms, about 70% booked
over the next 12 months, with its own builder), closes it for one week (Monday to Sunday,
two weeks from today), then asks for the whole re-planning board: a proposal for every
disrupted visit (`scheduling.services.replan.replan_proposals`, detection included), and
prints one JSON line:

    {"disrupted": ..., "planned": ..., "proposed": ..., "unsolved": ..., "total_s": ..., "median_ms": ...,
     "p90_ms": ..., "queries": ...}

`total_s` is the whole board, detection included; `median_ms` and `p90_ms` are each
visit's own proposal within it (the first one also loads the location's diary). The
target is the whole board in under 10 s on this machine.

Run (PostgreSQL on 127.0.0.1 unless BENCH_DATABASE_URL says otherwise; it uses its own
database, needlepoint_bench_replan, dropped and rebuilt on each run unless --reuse):

    .venv/bin/python bench/replan_closure.py
    .venv/bin/python bench/replan_closure.py --reuse   # measure again on the data built before
    .venv/bin/python bench/replan_closure.py --reuse --visits 300   # the first 300 only
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/needlepoint_bench_replan")

import plan_series as busy  # noqa: E402  (the busy location's builder; it reads BENCH_DATABASE_URL)


def build() -> dict:
    busy.reset_database()
    busy._django()
    rng = random.Random(busy.SEED)
    chain = busy.build_chain(rng)
    busy.copy_rows(list(busy.central_rows(chain, rng)))
    return chain


def close_a_week(location_id: int):
    from clinic.models import Closure, Location

    location = Location.objects.get(pk=location_id)
    today = datetime.now(busy.TZ).date()
    monday = today + timedelta(days=14 - today.weekday())
    start = datetime.combine(monday, datetime.min.time(), busy.TZ)  # local midnight, whatever the offset
    Closure.objects.filter(location=location).delete()
    Closure.objects.create(location=location, reason="Refurbishment", starts_at=start,
                           ends_at=start + timedelta(days=7))
    return location


def measure(location, visits: int | None = None) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from scheduling.disruptions import visits_disrupted
    from scheduling.services import replan

    timings: list[float] = []
    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        found = visits_disrupted(location_ids=[location.pk])
        proposals = replan.replan_proposals(disruptions=found[:visits] if visits else found, timings=timings)
        total = time.perf_counter() - began
    per_visit = sorted(t * 1000 for t in timings)
    acting = [p for p in proposals if p.follows is None]
    return {
        "disrupted": len(found),
        "planned": len(proposals),
        "proposed": sum(1 for p in acting if p.best is not None),
        "unsolved": sum(1 for p in acting if p.best is None),
        "total_s": round(total, 2),
        "detection_and_loading_s": round(total - sum(timings), 2),
        "median_ms": round(statistics.median(per_visit), 1) if per_visit else None,
        "p90_ms": round(per_visit[int(len(per_visit) * 0.9) - 1], 1) if per_visit else None,
        "queries": len(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reuse", action="store_true", help="measure on the database built by an earlier run")
    parser.add_argument("--visits", type=int, help="propose for the first N disrupted visits only (all by default)")
    args = parser.parse_args()
    if args.reuse:
        busy._django()
        from clinic.models import Location

        location_id = Location.objects.get(slug="central").pk
    else:
        began = time.perf_counter()
        location_id = build()["central"]
        print(json.dumps({"built_seconds": round(time.perf_counter() - began, 1)}), file=sys.stderr, flush=True)
    location = close_a_week(location_id)
    print(json.dumps(measure(location, args.visits)), flush=True)


if __name__ == "__main__":
    main()
