"""The synthetic busy clinic of the product benchmark: 20 providers, 8 rooms, ~70% booked."""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, timedelta

import pytest

from scheduling.planner import find_slots, plan_reschedule, plan_series

from .checker import series_problems
from .synthetic import busy_location, series_request

FIRST = date(2027, 1, 4)


@pytest.fixture(scope="module")
def calendar():
    """The busy clinic's calendar for the planner (no database: not the shared `location`)."""
    return busy_location(seed=3, first=FIRST, days=330)


def test_six_session_series_in_a_busy_clinic_keep_every_rule(calendar):
    rng = random.Random(11)
    for _ in range(5):
        req = series_request(calendar, rng, first=FIRST)
        result = plan_series(req)
        assert result.best is not None, result.problem
        assert len(result.best.sessions) == 6
        assert len(result.alternatives) == req.alternatives
        for plan in result.plans:
            assert series_problems(req, plan.visits) == []
        # Busy as it is, the clinic still gives one provider for the whole series.
        assert len(result.best.provider_ids) == 1


def test_reschedule_in_a_busy_clinic_keeps_every_rule(calendar):
    req = series_request(calendar, random.Random(5), first=FIRST)
    plan = plan_series(req).best
    second = plan.sessions[1]
    # The first free slot a week or so later, with whoever is free then.
    week_later = second.start + timedelta(days=7)
    slot = find_slots(calendar, req.rules.session, week_later, week_later + timedelta(days=3),
                      patient_busy=req.patient_busy, limit=1)[0]
    result = plan_reschedule(req, plan.visits, 2, slot.start, provider_id=slot.provider_id)
    assert result.ok, result.problem
    assert series_problems(req, result.visits) == []
    assert result.sessions[0] == plan.sessions[0]
    assert result.sessions[1].start == slot.start


def test_planning_a_busy_clinic_takes_milliseconds(calendar):
    rng = random.Random(7)
    requests = [series_request(calendar, rng, first=FIRST) for _ in range(15)]
    plan_series(requests[0])
    took = []
    for req in requests:
        started = time.perf_counter()
        plan_series(req)
        took.append(time.perf_counter() - started)
    # Generous: the real figure is ~25 ms median on a developer machine (see synthetic.py).
    assert statistics.median(took) < 0.25
