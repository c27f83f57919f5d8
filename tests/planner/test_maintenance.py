"""plan_maintenance: maintenance visits at the protocol's interval after a series."""

from __future__ import annotations

from datetime import date

import pytest

from scheduling.planner import Preferences, plan_maintenance, plan_series

from .builders import clinic, provider, request, whole_days
from .checker import chain_problems

LONDON = "Europe/London"


def last_session_end(location):
    plan = plan_series(request(location)).best
    assert plan.sessions[-1].local_date == date(2027, 4, 26)
    return plan.sessions[-1].end


def test_first_maintenance_visit_comes_at_the_start_of_its_window():
    location = clinic()
    after = last_session_end(location)
    req = request(location)
    result = plan_maintenance(req, after)
    assert result.ok
    assert chain_problems(req, result.best.visits, after, 1) == []
    visit = result.best.maintenance[0]
    assert (visit.kind, visit.number) == ("maintenance", 1)
    assert visit.local_date == date(2027, 6, 25)  # 60 days after 26 April
    assert (visit.window_start, visit.window_end) == (date(2027, 6, 25), date(2027, 7, 25))


def test_several_maintenance_visits_each_follow_the_one_before():
    location = clinic()
    after = last_session_end(location)
    req = request(location)
    result = plan_maintenance(req, after, count=3)
    assert result.ok
    for plan in result.plans:
        assert chain_problems(req, plan.visits, after, 3) == []
    days = [v.local_date for v in result.best.maintenance]
    assert [v.number for v in result.best.maintenance] == [1, 2, 3]
    gaps = [(b - a).days for a, b in zip([date(2027, 4, 26), *days], days, strict=False)]
    assert gaps == [60, 60, 62]  # 60 days after 24 August is a Saturday
    assert len(set(result.best.provider_ids)) == 1
    assert len({p.key for p in result.plans}) == len(result.plans)


def test_maintenance_respects_a_named_provider():
    location = clinic(providers=[provider(1), provider(2)])
    req = request(location, preferences=Preferences(provider_id=2))
    result = plan_maintenance(req, last_session_end(location), count=2)
    assert {v.provider_id for v in result.best.visits} == {2}


def test_maintenance_window_closed_gives_a_problem():
    location = clinic(closures=[whole_days(LONDON, date(2027, 6, 25), date(2027, 7, 25))])
    after = last_session_end(clinic())
    result = plan_maintenance(request(location), after)
    assert result.best is None
    assert result.problem.kind == "maintenance"
    assert result.problem.message == (
        "Maintenance visit 1 could not be placed between Fri 25 Jun and Sun 25 Jul 2027: "
        "the clinic is closed on all 31 of those days."
    )


def test_maintenance_count_must_be_positive():
    with pytest.raises(ValueError):
        plan_maintenance(request(clinic()), last_session_end(clinic()), count=0)
