"""Property-based tests over random small clinics: every plan keeps every hard rule
(checked by an independent checker), and the planner finds a plan exactly when an
exhaustive search does."""

from __future__ import annotations

import os
from datetime import timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from scheduling.planner import find_slots, plan_maintenance, plan_reschedule, plan_series

from .checker import (
    BruteForce,
    Slot,
    all_slots,
    chain_problems,
    local_date,
    reschedule_exists,
    series_problems,
    slot_problems,
)
from .strategies import busy_intervals, instant, locations, series_requests, shapes

# PLANNER_EXAMPLES=2000 for a deeper search than the everyday quick run.
QUICK = settings(max_examples=int(os.environ.get("PLANNER_EXAMPLES", "60")), deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])


def assert_problem_is_explained(problem, label: str) -> None:
    assert problem is not None
    assert problem.message.startswith(f"{label} {problem.session_number} could not be placed")
    assert sum(problem.reasons.values()) == (problem.window_end - problem.window_start).days + 1


@QUICK
@given(series_requests())
def test_series_plans_keep_every_rule_and_exist_exactly_when_brute_force_finds_one(req):
    result = plan_series(req)
    exists = BruteForce(req).series_exists()
    note(f"planner: {result.best is not None}, brute force: {exists}, problem: {result.problem}")
    if result.best is None:
        assert not exists
        assert_problem_is_explained(result.problem, "Session")
        return
    assert result.problem is None
    assert exists
    plans = result.plans
    assert len(plans) <= req.alternatives + 1
    for plan in plans:
        assert series_problems(req, plan.visits) == []
    assert len({plan.key for plan in plans}) == len(plans)
    assert [p.score for p in plans] == sorted((p.score for p in plans), reverse=True)


@QUICK
@given(series_requests(), st.integers(1, 2), st.integers(-3, 2))
def test_maintenance_plans_keep_every_rule_and_exist_exactly_when_brute_force_finds_one(req, count, days_before):
    after = req.earliest_start + timedelta(days=days_before)
    result = plan_maintenance(req, after, count)
    exists = BruteForce(req).maintenance_exists(after, count)
    note(f"planner: {result.best is not None}, brute force: {exists}")
    assert (result.best is not None) == exists
    if result.best is None:
        assert_problem_is_explained(result.problem, "Maintenance visit")
    for plan in result.plans:
        assert chain_problems(req, plan.visits, after, count) == []


@QUICK
@given(locations(), shapes(phone_ok=True), st.data())
def test_find_slots_lists_exactly_the_valid_slots(located, shape, data):
    location, base = located
    zone = ZoneInfo(location.tz)
    start = instant(zone, base, data.draw(st.integers(0, 20)), data.draw(st.integers(0, 47)) * 30)
    end = start + timedelta(hours=data.draw(st.integers(1, 72)))
    patient = data.draw(busy_intervals(zone, base, 24, 3))
    slots = find_slots(location, shape, start, end, patient_busy=patient, limit=100_000)

    expected = set()
    day = local_date(start, zone)
    while day <= local_date(end, zone):
        for slot in all_slots(None, location, shape, day, patient, start, end):
            expected.add((slot.start, slot.provider_id))
        day += timedelta(days=1)
    assert [(s.start, s.provider_id) for s in slots] == sorted(expected)
    for s in slots:
        assert not slot_problems(location, Slot(s.start, s.provider_id, s.room_id, shape), patient, start, end)


@QUICK
@given(series_requests(), st.data())
def test_reschedule_keeps_every_rule_and_fails_only_when_nothing_works(req, data):
    plan = plan_series(req).best
    if plan is None:
        return
    moved = data.draw(st.integers(1, req.rules.session_count))
    candidates = find_slots(req.location, req.rules.session, req.earliest_start, req.horizon_end,
                            patient_busy=req.patient_busy, limit=400)
    if not candidates:
        return
    new_start = data.draw(st.sampled_from(candidates)).start
    result = plan_reschedule(req, plan.visits, moved, new_start)
    exists = reschedule_exists(BruteForce(req), plan.sessions, moved, new_start)
    note(f"planner: {result.ok}, brute force: {exists}, problem: {result.problem}")
    assert result.ok == exists
    if not result.ok:
        assert result.problem.session_number >= moved
        return
    assert series_problems(req, result.visits) == []
    assert result.sessions[: moved - 1] == plan.sessions[: moved - 1]
    assert result.sessions[moved - 1].start == new_start
    for change in result.changes:
        assert change.number >= moved
