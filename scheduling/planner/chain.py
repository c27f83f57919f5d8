"""Ranking candidate chains of visits over local days and handing the best out as PlannedVisits.

A chain is a series' sessions (each with a healing check, the last with a review) or a
run of maintenance visits. Which days it can take is `chain_days` (with why that search
is complete); how one chain is built on them is `chain_builder`; `Chain` adds the
ranking and the output.

Ranking is soft and deterministic: candidate chains are built for the whole
allowed provider set (mixing providers where needed) and for each single
provider, always stepping only onto days from which the chain can still be
finished, then scored by the weights in `weights`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from .chain_builder import ChainBuilder, FollowUp
from .chain_days import ANY
from .clock import to_datetime
from .placements import Placement
from .types import PlannedVisit, Problem
from .weights import (
    W_COMPLETION,
    W_FOLLOWUP_DELAY,
    W_FOLLOWUP_PROVIDER,
    W_FOLLOWUP_TIME,
    W_HOURS,
    W_INTERVAL,
    W_SWITCH,
    W_TIME_OF_DAY,
    W_WEEKDAY,
)


@dataclass
class Candidate:
    """A chain being ranked: its visits and their follow-ups (follow-up, its visit, rule)."""

    penalty: float
    key: tuple[tuple[int, int], ...]
    visits: list[Placement]
    followups: list[FollowUp]


class Chain(ChainBuilder):
    """Feasibility, construction and ranking of one chain at one location."""

    # -- ranking ------------------------------------------------------------

    def penalty(self, visits: Sequence[Placement], followups: Sequence[FollowUp]) -> float:
        av, spec = self.av, self.spec
        total = 0.0
        first = visits[0]
        if spec.anchor is not None:
            total += W_INTERVAL * abs(first.ordinal - spec.anchor - spec.gap_target)
        for previous, current in zip(visits, visits[1:], strict=False):
            if current.provider_id != previous.provider_id:
                total += W_SWITCH
            total += W_INTERVAL * abs(current.ordinal - previous.ordinal - spec.gap_target)
            total += W_TIME_OF_DAY * abs(current.wall - first.wall) / 3600
        total += W_COMPLETION * (visits[-1].ordinal - spec.first_lo)
        for visit in list(visits) + [f for f, _, _ in followups]:
            if av.weekday_miss(visit.ordinal):
                total += W_WEEKDAY
            if av.hours_miss(visit.wall, visit.shape):
                total += W_HOURS
        for followup, visit, rule in followups:
            if followup.provider_id != visit.provider_id:
                total += W_FOLLOWUP_PROVIDER
            total += W_FOLLOWUP_DELAY * (followup.ordinal - visit.ordinal - rule.min_days)
            total += W_FOLLOWUP_TIME * abs(followup.wall - visit.wall) / 3600
        return round(total, 6)

    def solve(self, alternatives: int) -> tuple[list[Candidate], Problem | None]:
        """The best chains (best first, at most alternatives + 1), or why there is none."""
        want = alternatives + 1
        days = self.first_days()
        firsts = self.feasible_firsts(ANY, days, 1)
        if not firsts:
            return [], self.diagnose()
        earliest = firsts[0]
        skeletons: dict[tuple[tuple[int, int], ...], tuple[list[int], list[int]]] = {}

        def add(mode: int | None, first: int) -> None:
            path = self.path(mode, first)
            providers = self.assign_providers(path, mode)
            skeletons.setdefault(tuple(zip(path, providers, strict=True)), (path, providers))

        add(ANY, earliest)
        # Other first days are worth proposing only while they stay close to the
        # earliest possible one: one longest interval later at most.
        window = range(earliest, min(earliest + self.spec.gap_max, days.stop - 1) + 1)
        preferred_day = None
        if self.av.preferences.weekdays is not None and not self.av.strict:
            preferred_day = self.preferred_weekday
            for first in self.feasible_firsts(ANY, window, 1, preferred_day):
                add(ANY, first)
        if len(self.allowed) > 1:
            # Single-provider series, for the providers who can start soonest (a few
            # more than the plans wanted: the others would only rank lower on
            # completion, all else being equal).
            found = tried = 0
            for first, p in self._soonest(window):
                if found >= want + 2 or tried >= 2 * (want + 2):
                    break
                tried += 1
                firsts_p = self.feasible_firsts(p, range(first, window.stop), 1)
                if not firsts_p:
                    continue
                found += 1
                add(p, firsts_p[0])
                if preferred_day is not None:
                    for day in self.feasible_firsts(p, window, 1, preferred_day):
                        add(p, day)
        # Too few distinct plans so far (few providers): later first days.
        for first in range(earliest + 1, days.stop):
            if len(skeletons) >= want:
                break
            if self.can_finish(1, first, ANY):
                add(ANY, first)
        ranked = []
        for key, (path, providers) in skeletons.items():
            visits = self.place_times(path, providers)
            ranked.append(Candidate(self.penalty(visits, []), key, visits, []))
        ranked.sort(key=lambda c: (c.penalty, c.key))
        # Follow-ups rarely change the order: place them for the leaders only.
        finals = []
        for candidate in ranked[:want]:
            followups = self.place_followups(candidate.visits)
            finals.append(Candidate(self.penalty(candidate.visits, followups), candidate.key,
                                    candidate.visits, followups))
        finals.sort(key=lambda c: (c.penalty, c.key))
        return finals, None

    def _soonest(self, window: range) -> Iterable[tuple[int, int]]:
        """(first day of the window on which visit 1 fits with p, p) for every allowed
        provider p who has one, ordered by day then provider. Found day by day, so only
        as many are looked for as are taken."""
        shape = self.spec.shape_of(1)
        waiting = sorted(self.allowed)
        open_on = self.av.open_on
        for d in window:
            if not waiting:
                break
            if not open_on(d, shape):
                continue  # nobody's visit fits
            for p in list(waiting):
                if self.visit_ok(d, p, shape):
                    waiting.remove(p)
                    yield d, p

    # -- output -------------------------------------------------------------

    def visit_window(self, k: int, previous: Placement | None) -> tuple[int, int]:
        if k == 1 or previous is None:
            return self.spec.first_lo, self.spec.first_hi
        return previous.ordinal + self.spec.gap_min, previous.ordinal + self.spec.gap_max

    def planned(self, candidate: Candidate, numbers: Sequence[int] | None = None) -> tuple[PlannedVisit, ...]:
        """The candidate as PlannedVisits in time order."""
        out: list[PlannedVisit] = []
        previous = None
        numbers = numbers or list(range(1, len(candidate.visits) + 1))
        for number, visit in zip(numbers, candidate.visits, strict=True):
            out.append(to_planned(self.spec.kind, number, visit, self.visit_window(number, previous)))
            previous = visit
        number_of = {id(v): n for n, v in zip(numbers, candidate.visits, strict=True)}
        for followup, visit, rule in candidate.followups:
            number = number_of[id(visit)] if rule.kind == "healing_check" else 1
            window = (visit.ordinal + rule.min_days, visit.ordinal + rule.max_days)
            out.append(to_planned(rule.kind, number, followup, window))
        out.sort(key=lambda v: (v.start, v.kind))
        return tuple(out)


def to_planned(kind: str, number: int, placement: Placement, window: tuple[int, int]) -> PlannedVisit:
    return PlannedVisit(
        kind=kind,
        number=number,
        provider_id=placement.provider_id,
        room_id=placement.room_id,
        start=to_datetime(placement.start),
        provider_start=to_datetime(placement.provider_start),
        provider_end=to_datetime(placement.provider_end),
        end=to_datetime(placement.end),
        room_end=to_datetime(placement.room_end),
        window_start=date.fromordinal(window[0]),
        window_end=date.fromordinal(window[1]),
        local_date=date.fromordinal(placement.ordinal),
    )
