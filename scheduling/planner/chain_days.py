"""Which local days each visit of a chain can take: what makes the chain search complete and fast.

Why this is complete: no two visits of a chain share a local date (SeriesRules
guarantees a healing check falls strictly between sessions; the last healing
check and the review, which may share a date, are placed together), and a visit
never crosses local midnight. So visits on different dates cannot collide, and
the only thing linking visit k to visit k+1 is the day interval (plus the
provider, when one provider is pinned for the whole chain). A day is therefore
"good for visit k" on its own (the visit fits and so do its follow-ups), and a
chain exists exactly when good days for visits 1..n can be linked by allowed
intervals: a dynamic programme over (k, local date), evaluated lazily from the
earliest dates and memoised. Greedy "earliest day, then the next" is not enough:
an early session 2 can leave no allowed day for session 3.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from .availability import Availability
from .placements import Placement, Shape
from .problems import days_text, explain_days
from .types import Problem

ANY = None  # mode: any allowed provider for each visit (mixing allowed)


@dataclass(frozen=True)
class FollowUpRule:
    kind: str  # "healing_check" or "review"
    shape: Shape
    min_days: int
    max_days: int

    def days(self) -> str:
        return f"due {days_text(self.min_days, self.max_days)} later"


@dataclass(frozen=True)
class ChainSpec:
    kind: str  # "session" or "maintenance": the kind of the chain's own visits
    label: str  # "Session" or "Maintenance visit", for messages
    count: int
    shape: Shape
    first_lo: int  # local ordinals of the window for visit 1
    first_hi: int
    gap_min: int
    gap_target: int
    gap_max: int
    each: FollowUpRule | None = None  # after every visit (the healing check)
    last: FollowUpRule | None = None  # after the last visit (the series review)
    shapes: tuple[Shape, ...] = ()  # per visit, when they differ (a re-plan keeps each session's own)
    anchor: int | None = None  # the visit before visit 1 (maintenance: the last session), if any

    def shape_of(self, k: int) -> Shape:
        return self.shapes[k - 1] if self.shapes else self.shape


class ChainDays:
    """Feasibility of one chain at one location, day by day (memoised), and why not when none."""

    def __init__(self, av: Availability, spec: ChainSpec, allowed: tuple[int, ...]) -> None:
        self.av = av
        self.spec = spec
        self.allowed = allowed
        self.last_day = av.last_ordinal
        self._visit: dict[tuple[int, int | None, int], bool] = {}
        self._fu_day: dict[tuple[str, int], bool] = {}
        self._each: dict[int, bool] = {}
        self._last: dict[int, bool] = {}
        self._joint: dict[int, bool] = {}
        self._finish: dict[tuple[int, int, int | None], bool] = {}
        self._shapes = (spec.shape,) + tuple(spec.shape_of(k) for k in range(1, spec.count + 1))

    # -- feasibility of one day ------------------------------------------------

    def providers(self, mode: int | None) -> tuple[int, ...]:
        return self.allowed if mode is ANY else (mode,)

    def visit_ok(self, day: int, mode: int | None, shape: Shape) -> bool:
        key = (day, mode, shape.key)
        found = self._visit.get(key)
        if found is None:
            if day > self.last_day:
                found = False
            elif mode is ANY:
                found = self.av.any_starts(day, shape, self.allowed)
            else:
                found = self.av.has_starts(day, shape, mode)
            self._visit[key] = found
        return found

    def followup_day_ok(self, rule: FollowUpRule, day: int) -> bool:
        key = (rule.kind, day)
        found = self._fu_day.get(key)
        if found is None:
            av = self.av
            found = day <= self.last_day and av.any_starts(day, rule.shape, self.allowed)
            self._fu_day[key] = found
        return found

    def followup_days(self, rule: FollowUpRule, day: int) -> list[int]:
        hi = min(day + rule.max_days, self.last_day)
        return [e for e in range(day + rule.min_days, hi + 1) if self.followup_day_ok(rule, e)]

    def each_ok(self, day: int) -> bool:
        rule = self.spec.each
        if rule is None:
            return True
        found = self._each.get(day)
        if found is None:
            hi = min(day + rule.max_days, self.last_day)
            found = any(self.followup_day_ok(rule, e) for e in range(day + rule.min_days, hi + 1))
            self._each[day] = found
        return found

    def last_ok(self, day: int) -> bool:
        """Whether the last visit's healing check and review both fit after this day."""
        each, last = self.spec.each, self.spec.last
        if last is None:
            return self.each_ok(day)
        found = self._last.get(day)
        if found is not None:
            return found
        if not self.each_ok(day):
            found = False
        elif each is None or each.max_days < last.min_days:
            # The windows do not share a date: the two cannot collide.
            hi = min(day + last.max_days, self.last_day)
            found = any(self.followup_day_ok(last, e) for e in range(day + last.min_days, hi + 1))
        else:
            reviews = self.followup_days(last, day)
            checks = self.followup_days(each, day)
            found = False
            for c in checks:
                for r in reviews:
                    # On different dates they cannot collide; on the same date, see if
                    # some pair of placements fits side by side.
                    if c != r or self.joint_ok(c):
                        found = True
                        break
                if found:
                    break
        self._last[day] = found
        return found

    def joint_ok(self, day: int) -> bool:
        found = self._joint.get(day)
        if found is None:
            each, last = self.spec.each, self.spec.last
            assert each is not None and last is not None
            found = any(
                self._any_placement(last, day, [check]) for check in self._placements(each, day)
            )
            self._joint[day] = found
        return found

    def _placements(self, rule: FollowUpRule, day: int) -> Iterable[Placement]:
        """Every placement on the day: the room matters here, since a check's turnover
        in one room can block a review that the other room would have allowed."""
        for p in self.allowed:
            utcs, walls = self.av.starts(day, rule.shape, p)
            for utc, wall in zip(utcs, walls, strict=True):
                yield from self.av.placements(day, rule.shape, p, utc, wall)

    def _any_placement(self, rule: FollowUpRule, day: int, avoid: Sequence[Placement]) -> bool:
        for p in self.allowed:
            utcs, walls = self.av.starts(day, rule.shape, p)
            for utc, wall in zip(utcs, walls, strict=True):
                if self.av.place(day, rule.shape, p, utc, wall, avoid) is not None:
                    return True
        return False

    def node_ok(self, k: int, day: int, mode: int | None) -> bool:
        """Visit k fits on this day, and so do the follow-ups that hang on it."""
        if not self.visit_ok(day, mode, self.spec.shape_of(k)):
            return False
        if k < self.spec.count:
            return self.each_ok(day)
        return self.last_ok(day)

    # -- feasibility of the rest of the chain ----------------------------------

    def next_days(self, day: int) -> range:
        # Local calendar dates: a daylight-saving change never stretches or shrinks an interval.
        return range(day + self.spec.gap_min, min(day + self.spec.gap_max, self.last_day) + 1)

    def first_days(self) -> range:
        lo = max(self.spec.first_lo, self.av.first_ordinal)
        return range(lo, min(self.spec.first_hi, self.last_day) + 1)

    def can_finish(self, k: int, day: int, mode: int | None) -> bool:
        """Visit k can go on this day and visits k+1..n can all follow (memoised)."""
        key = (k, day, mode)
        found = self._finish.get(key)
        if found is None:
            found = self._finish[key] = self._can_finish(k, day, mode)
        return found

    def _can_finish(self, k: int, day: int, mode: int | None) -> bool:
        spec = self.spec
        if day > self.last_day:
            return False
        # node_ok, with a single provider's look-up memoised by the availability alone.
        if mode is ANY:
            if not self.visit_ok(day, ANY, self._shapes[k]):
                return False
        elif not self.av.has_starts(day, self._shapes[k], mode):
            return False
        if k == spec.count:
            return self.last_ok(day)
        if not self.each_ok(day):
            return False
        # A date the visit-independent rules close (most, between the loaded windows)
        # cannot take the next visit: skip it without a look-up per mode.
        shape = self._shapes[k + 1]
        is_open = self.av.open_days(shape)
        open_on = self.av.open_on
        finish = self._finish
        for d in range(day + spec.gap_min, min(day + spec.gap_max, self.last_day) + 1):
            flag = is_open.get(d)
            if flag is None:
                flag = open_on(d, shape)
            if flag:
                found = finish.get((k + 1, d, mode))
                if found is None:
                    found = finish[(k + 1, d, mode)] = self._can_finish(k + 1, d, mode)
                if found:
                    return True
        return False

    def feasible_firsts(self, mode: int | None, days: Iterable[int], limit: int,
                        accept: Callable[[int], bool] | None = None) -> list[int]:
        found: list[int] = []
        open_on = self.av.open_on
        shape = self._shapes[1]
        for day in days:
            if len(found) >= limit:
                break
            if (accept is None or accept(day)) and open_on(day, shape) and self.can_finish(1, day, mode):
                found.append(day)
        return found

    # -- explaining why not -------------------------------------------------

    def explain_node(self, k: int, day: int) -> str | None:
        reason = self.av.explain(day, self.spec.shape_of(k), self.allowed)
        if reason is not None:
            return reason
        if k < self.spec.count:
            return None if self.each_ok(day) else "no_healing_check"
        if self.last_ok(day):
            return None
        return "no_healing_check" if not self.each_ok(day) else "no_review"

    def diagnose(self, start: int = 1, previous: set[int] | None = None,
                 kept: Callable[[int, int], bool] | None = None) -> Problem:
        """Walk forward through the visits, collecting the days each could take given the
        days the one before could take; the first visit left with none is the problem.
        `kept(k, day)` lets a re-plan count a booked visit that can stay where it is."""
        spec = self.spec
        for k in range(start, spec.count + 1):
            if previous is None:
                candidates = set(range(spec.first_lo, spec.first_hi + 1))
            else:
                candidates = set()
                for day in previous:
                    candidates.update(range(day + spec.gap_min, day + spec.gap_max + 1))
            reachable = {d for d in candidates if self.node_ok(k, d, ANY) or (kept is not None and kept(k, d))}
            if not reachable:
                return self.problem(k, min(candidates), max(candidates))
            previous = reachable
        raise AssertionError("diagnose called on a feasible chain")

    def problem(self, k: int, lo: int, hi: int) -> Problem:
        reasons: Counter[str] = Counter()
        for day in range(lo, hi + 1):
            reasons[self.explain_node(k, day) or "interval"] += 1
        spec = self.spec
        context = {"interval": f"not {days_text(spec.gap_min, spec.gap_max)} after any possible day for "
                               f"{spec.label.lower()} {k - 1}"}
        if spec.each is not None:
            context["healing"] = spec.each.days()
        if spec.last is not None:
            context["review"] = spec.last.days()
        named = self.av.provider_name(self.allowed[0]) if len(self.allowed) == 1 else None
        start, end = date.fromordinal(lo), date.fromordinal(hi)
        message = explain_days(f"{spec.label} {k}", start, end, dict(reasons), named, context)
        return Problem(session_number=k, kind=spec.kind, window_start=start, window_end=end,
                       message=message, reasons=dict(reasons))
