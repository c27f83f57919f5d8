"""Moving one session of a booked series and re-planning only what has to change."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime
from functools import cache

from .availability import Availability
from .chain import Candidate, Chain, to_planned
from .chain_days import ANY
from .clock import utc_seconds
from .placements import Placement, Shape
from .problems import day_label, explain_slot, range_label
from .series import allowed_providers, availability_for, series_spec
from .types import (
    PlannedVisit,
    Preferences,
    Problem,
    RescheduleResult,
    SeriesRequest,
    SessionChange,
    VisitShape,
)

# Lexicographic cost of a re-plan: sessions moved, total days shifted, provider
# changes, minutes of time-of-day change.
Cost = tuple[int, int, int, int]
_ZERO: Cost = (0, 0, 0, 0)
_YEAR_3000 = 32503680000  # epoch seconds: "no end" for the check that a booked session may stay


def _add(a: Cost, b: Cost) -> Cost:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3])


def _shape_of(visit: PlannedVisit) -> VisitShape:
    """The booked visit's own phases (a move does not change the treatment)."""
    def minutes(a: datetime, b: datetime) -> int:
        return int((b - a).total_seconds()) // 60

    return VisitShape(
        prep_minutes=minutes(visit.start, visit.provider_start),
        provider_minutes=minutes(visit.provider_start, visit.provider_end),
        turnover_minutes=minutes(visit.end, visit.room_end),
        needs_room=visit.room_id is not None,
    )


def plan_reschedule(request: SeriesRequest, booked: Sequence[PlannedVisit], moved_number: int,
                    new_start: datetime, provider_id: int | None = None) -> RescheduleResult:
    """Move session `moved_number` to `new_start` and re-plan what has to follow.

    `booked` is the series as booked: every session, and the follow-ups if any. The
    request's busy data must NOT contain this series' own visits (the loader leaves
    them out), or the series would collide with itself.

    The moved session must fit at exactly `new_start` (with `provider_id`, or else its
    own provider if free, or else any allowed provider) and within its interval after
    the session before. Earlier sessions never move. Each later session stays where it
    is if its interval is still within the rules and its slot is still free; otherwise
    later sessions move by the smallest change: fewest sessions moved, then fewest days
    shifted in total, then keeping providers, then keeping the time of day. Follow-ups
    of unchanged sessions are carried over from `booked`; those of changed sessions are
    placed anew (the review too, if the last session changed).
    """
    rules = request.rules
    n = rules.session_count
    sessions = sorted((v for v in booked if v.kind == "session"), key=lambda v: v.number)
    if [v.number for v in sessions] != list(range(1, n + 1)):
        raise ValueError(f"booked must hold sessions 1..{n} of the series")
    if not 1 <= moved_number <= n:
        raise ValueError(f"moved_number must be between 1 and {n}")

    av = availability_for(request)
    allowed = allowed_providers(av, request)
    shapes = tuple(av.shape(_shape_of(v)) for v in sessions)
    spec = dataclasses.replace(series_spec(av, request), shapes=shapes)
    chain = Chain(av, spec, allowed)
    # Whether a booked session may stay: its exact slot still free. It is already booked,
    # so the planning period and strict preferences do not apply to it.
    wide = Availability(request.location, request.patient_busy, 0, _YEAR_3000, Preferences())
    old = [_placement(av, v, shape) for v, shape in zip(sessions, shapes, strict=True)]

    m = moved_number
    moved_old = old[m - 1]
    start = utc_seconds(new_start)
    day, wall = av.clock.local(start)
    label = f"Session {m}"
    when = f"{day_label(date.fromordinal(day), True)} at {wall // 3600:02d}:{wall % 3600 // 60:02d}"
    lo, hi = chain.visit_window(m, old[m - 2] if m > 1 else None)

    def slot_problem(reason: str, provider: str | None, context: dict[str, str] | None = None) -> RescheduleResult:
        message = explain_slot(label, when, reason, provider, context)
        problem = Problem(session_number=m, kind="session", window_start=date.fromordinal(lo),
                          window_end=date.fromordinal(hi), message=message, reasons={reason: 1})
        return RescheduleResult(visits=(), changes=(), problem=problem)

    if not lo <= day <= hi:
        if m == 1:
            return slot_problem("outside_horizon", None)
        message = (f"{label} cannot move to {when}: it must be {rules.min_interval_days}-"
                   f"{rules.max_interval_days} days after session {m - 1}, so "
                   f"{range_label(date.fromordinal(lo), date.fromordinal(hi))}.")
        problem = Problem(session_number=m, kind="session", window_start=date.fromordinal(lo),
                          window_end=date.fromordinal(hi), message=message, reasons={"interval": 1})
        return RescheduleResult(visits=(), changes=(), problem=problem)

    if provider_id is not None:
        candidates: tuple[int, ...] = (provider_id,)
        av.location.provider(provider_id)  # KeyError for an unknown provider
    else:
        candidates = tuple(p for p in (moved_old.provider_id, *allowed) if p in allowed)
        candidates = tuple(dict.fromkeys(candidates))
    shape_m = shapes[m - 1]
    named = av.provider_name(candidates[0]) if len(candidates) == 1 else None
    utcs = av.clock.grid(day, av.slot)[0]
    if start not in utcs:
        return slot_problem("off_grid", None, {"slot": str(request.location.slot_minutes)})
    moved = None
    for p in candidates:
        if av.can_start(day, shape_m, p, start):
            moved = av.place(day, shape_m, p, start, wall, prefer_room=moved_old.room_id)
            if moved is not None:
                break
    if moved is None:
        reason = av.explain(day, shape_m, candidates, point=start) or "providers_fully_booked"
        return slot_problem(reason, named)
    if m < n and not chain.each_ok(day):
        return slot_problem("no_healing_check", None, {"healing": spec.each.days() if spec.each else ""})
    if m == n and not chain.last_ok(day):
        reason = "no_healing_check" if not chain.each_ok(day) else "no_review"
        return slot_problem(reason, None, {"healing": spec.each.days() if spec.each else "",
                                           "review": spec.last.days() if spec.last else ""})

    def can_keep(k: int) -> bool:
        v = old[k - 1]
        if not wide.fits(v.ordinal, v.shape, v.provider_id, v.start):
            return False
        found, room = wide.room_for(v.shape, v.start, prefer=v.room_id)
        return found and room == v.room_id

    keepable = {k: can_keep(k) for k in range(m + 1, n + 1)}

    def pick(k: int, on: int) -> Placement:
        """The session on a new day: its own provider if free, and the nearest time of day."""
        was = old[k - 1]
        shape = shapes[k - 1]
        best = None
        for p in allowed:
            utcs_p, walls_p = av.starts(on, shape, p)
            for utc, w in zip(utcs_p, walls_p, strict=True):
                rank = (p != was.provider_id, abs(w - was.wall), p, utc)
                if best is None or rank < best[0]:
                    best = (rank, p, utc, w)
        assert best is not None
        placed = av.place(on, shape, best[1], best[2], best[3], prefer_room=was.room_id)
        assert placed is not None
        return placed

    @cache
    def plan_from(k: int, previous: int) -> tuple[Cost, tuple[Placement | None, ...]] | None:
        """Cheapest way to place sessions k..n after a session on day `previous`;
        None in the choices means "stays where it is"."""
        if k > n:
            return _ZERO, ()
        was = old[k - 1]
        best: tuple[Cost, tuple[Placement | None, ...]] | None = None
        first, last = previous + spec.gap_min, previous + spec.gap_max
        if first <= was.ordinal <= last and keepable[k]:
            rest = plan_from(k + 1, was.ordinal)
            if rest is not None:
                best = (rest[0], (None, *rest[1]))
        for on in chain.next_days(previous):
            if best is not None and best[0][0] == 0:
                break  # nothing beats keeping every later session
            if not chain.node_ok(k, on, ANY):
                continue
            rest = plan_from(k + 1, on)
            if rest is None:
                continue
            placed = pick(k, on)
            cost = _add((1, abs(on - was.ordinal), int(placed.provider_id != was.provider_id),
                         abs(placed.wall - was.wall) // 60), rest[0])
            if best is None or cost < best[0]:
                best = (cost, (placed, *rest[1]))
        return best

    outcome = plan_from(m + 1, day)
    if outcome is None:
        problem = chain.diagnose(
            start=m + 1, previous={day},
            kept=lambda k, d: d == old[k - 1].ordinal and keepable[k],
        )
        return RescheduleResult(visits=(), changes=(), problem=problem)

    new_placements: list[Placement] = old[: m - 1] + [moved] + [
        placed if placed is not None else old[k - 1] for k, placed in zip(range(m + 1, n + 1), outcome[1], strict=True)
    ]
    unmoved = (moved.start, moved.provider_id, moved.room_id) == (moved_old.start, moved_old.provider_id,
                                                                 moved_old.room_id)
    changed_numbers = ([] if unmoved else [m]) + [
        k for k, placed in zip(range(m + 1, n + 1), outcome[1], strict=True) if placed is not None]
    return _assemble(chain, booked, sessions, old, new_placements, changed_numbers)


def _placement(av: Availability, visit: PlannedVisit, shape: Shape) -> Placement:
    start = utc_seconds(visit.start)
    day, wall = av.clock.local(start)
    return Placement(day, start, wall, visit.provider_id, visit.room_id, shape)


def _assemble(chain: Chain, booked: Sequence[PlannedVisit], sessions: list[PlannedVisit],
              old: list[Placement], new: list[Placement], changed: list[int]) -> RescheduleResult:
    n = len(sessions)
    changed_set = set(changed)
    visits: list[PlannedVisit] = []
    changes: list[SessionChange] = []
    previous: Placement | None = None
    for k, (was, placed) in enumerate(zip(sessions, new, strict=True), 1):
        lo, hi = chain.visit_window(k, previous)
        if k in changed_set:
            now = to_planned("session", k, placed, (lo, hi))
            if (now.start, now.provider_id, now.room_id) != (was.start, was.provider_id, was.room_id):
                changes.append(SessionChange(number=k, old=was, new=now))
        else:
            # Same slot; only the window it now has to respect may differ.
            now = dataclasses.replace(was, window_start=date.fromordinal(lo), window_end=date.fromordinal(hi),
                                      local_date=date.fromordinal(placed.ordinal))
        visits.append(now)
        previous = placed
    # Follow-ups: carried over for unchanged sessions, placed anew for changed ones.
    for v in booked:
        if v.kind == "healing_check" and v.number not in changed_set:
            visits.append(v)
        elif v.kind == "review" and n not in changed_set:
            visits.append(v)
    fresh = chain.place_followups([new[k - 1] for k in changed], changed)
    candidate = Candidate(0.0, (), [new[k - 1] for k in changed], fresh)
    numbered = chain.planned(candidate, changed)
    visits.extend(v for v in numbered if v.kind != "session")
    visits.sort(key=lambda v: (v.start, v.kind))
    return RescheduleResult(visits=tuple(visits), changes=tuple(changes), problem=None)

