"""Proposing a whole initial series, and maintenance visits after one."""

from __future__ import annotations

from datetime import datetime

from .availability import Availability
from .chain import Chain
from .chain_days import ChainSpec, FollowUpRule
from .clock import utc_seconds
from .types import Plan, PlanResult, SeriesRequest


def availability_for(request: SeriesRequest) -> Availability:
    return Availability(request.location, request.patient_busy, request.earliest_start,
                        request.horizon_end, request.preferences)


def allowed_providers(av: Availability, request: SeriesRequest) -> tuple[int, ...]:
    """A named provider is a hard constraint: only that provider, for every visit."""
    named = request.preferences.provider_id
    return (named,) if named is not None else av.provider_ids


def series_spec(av: Availability, request: SeriesRequest) -> ChainSpec:
    rules = request.rules
    each = last = None
    if rules.healing_check is not None:
        each = FollowUpRule("healing_check", av.shape(rules.healing_check),
                            rules.healing_check_min_days, rules.healing_check_max_days)
    if rules.review is not None:
        last = FollowUpRule("review", av.shape(rules.review), rules.review_min_days, rules.review_max_days)
    return ChainSpec(
        kind="session", label="Session", count=rules.session_count, shape=av.shape(rules.session),
        first_lo=av.first_ordinal, first_hi=av.last_ordinal,
        gap_min=rules.min_interval_days, gap_target=rules.target_interval_days, gap_max=rules.max_interval_days,
        each=each, last=last,
    )


def _result(chain: Chain, alternatives: int) -> PlanResult:
    candidates, problem = chain.solve(alternatives)
    if problem is not None:
        return PlanResult(best=None, alternatives=(), problem=problem)
    plans = [Plan(visits=chain.planned(c), score=0.0 - c.penalty) for c in candidates]
    return PlanResult(best=plans[0], alternatives=tuple(plans[1:]), problem=None)


def plan_series(request: SeriesRequest) -> PlanResult:
    """Propose a whole initial series: every session, a healing check after each and a
    review after the last, all inside [earliest_start, horizon_end].

    Complete: if any series satisfies the hard constraints, one is returned. Otherwise
    `problem` names the first session that cannot be placed and why, day by day.
    The best plan comes first; `alternatives` differ in some session's date or provider.
    """
    av = availability_for(request)
    chain = Chain(av, series_spec(av, request), allowed_providers(av, request))
    return _result(chain, request.alternatives)


def plan_maintenance(request: SeriesRequest, after: datetime, count: int = 1) -> PlanResult:
    """Propose `count` maintenance visits, the first maintenance_min..max days after `after`
    (the last session, or the last maintenance visit), each later one that many days after
    the one before. Earlier within the window ranks better: results fade."""
    if count < 1:
        raise ValueError("count must be at least 1")
    rules = request.rules
    av = availability_for(request)
    # Days are counted between local dates, like session intervals.
    after_day = av.clock.ordinal(utc_seconds(after))
    spec = ChainSpec(
        kind="maintenance", label="Maintenance visit", count=count, shape=av.shape(rules.maintenance),
        first_lo=after_day + rules.maintenance_min_days, first_hi=after_day + rules.maintenance_max_days,
        gap_min=rules.maintenance_min_days, gap_target=rules.maintenance_min_days,
        gap_max=rules.maintenance_max_days, anchor=after_day,
    )
    chain = Chain(av, spec, allowed_providers(av, request))
    return _result(chain, request.alternatives)
