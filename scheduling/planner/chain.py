"""Planning a chain of visits over local days: a series' sessions (each with a
healing check, the last with a review) or a run of maintenance visits.

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

Ranking is soft and deterministic: candidate chains are built for the whole
allowed provider set (mixing providers where needed) and for each single
provider, always stepping only onto days from which the chain can still be
finished, then scored by the weights below.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from .availability import Availability, Placement, Shape
from .clock import to_datetime
from .problems import days_text, explain_days
from .types import PlannedVisit, Problem

# Ranking weights: a plan's penalty is the sum below; its score is minus that.
W_SWITCH = 100.0  # each change of provider between consecutive sessions
W_INTERVAL = 3.0  # each day an interval is off its target
W_COMPLETION = 1.0  # each day from the first allowed date to the last session
W_TIME_OF_DAY = 2.0  # each hour a session's local start differs from the first session's
W_WEEKDAY = 15.0  # each visit on a weekday the patient did not prefer
W_HOURS = 10.0  # each visit outside the patient's preferred hours
W_FOLLOWUP_PROVIDER = 10.0  # each follow-up not with its session's provider
W_FOLLOWUP_DELAY = 0.5  # each day a follow-up comes after the first day of its window
W_FOLLOWUP_TIME = 0.25  # each hour a follow-up's local start differs from its session's

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


FollowUp = tuple[Placement, Placement, FollowUpRule]


@dataclass
class Candidate:
    """A chain being ranked: its visits and their follow-ups (follow-up, its visit, rule)."""

    penalty: float
    key: tuple[tuple[int, int], ...]
    visits: list[Placement]
    followups: list[FollowUp]


class Chain:
    """Feasibility, construction and ranking of one chain at one location."""

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

    # -- building a chain -------------------------------------------------------

    def preferred_weekday(self, day: int) -> bool:
        return not self.av.weekday_miss(day)

    def day_cost(self, day: int, previous: int) -> float:
        gap = day - previous
        cost = W_INTERVAL * abs(gap - self.spec.gap_target) + W_COMPLETION * gap
        if self.av.weekday_miss(day):
            cost += W_WEEKDAY
        return cost

    def path(self, mode: int | None, first: int) -> list[int]:
        """Dates for visits 1..n from a first date that can finish: each step takes the
        cheapest next date from which the chain can still be finished."""
        days = [first]
        for k in range(2, self.spec.count + 1):
            previous = days[-1]
            options = sorted((self.day_cost(d, previous), d) for d in self.next_days(previous))
            days.append(next(d for _, d in options if self.can_finish(k, d, mode)))
        return days

    def assign_providers(self, days: Sequence[int], mode: int | None) -> list[int]:
        """One provider per visit with as few changes as possible: at each change take the
        provider who can carry on furthest (greedy furthest reach is optimal here)."""
        if mode is not ANY:
            return [mode] * len(days)
        av = self.av
        shapes = [self.spec.shape_of(k) for k in range(1, len(days) + 1)]

        def free(p: int, k: int) -> bool:
            return av.has_starts(days[k], shapes[k], p)

        chosen: list[int] = []
        n = len(days)
        k = 0
        while k < n:
            best, reach = -1, -1
            for p in self.allowed:
                if reach >= k:
                    # To go further than the best so far, p must be free on every visit
                    # from k to `reach`; the last of them rules most out.
                    if not free(p, reach) or not all(free(p, i) for i in range(k, reach)):
                        continue
                    j = reach + 1
                else:
                    j = k
                while j < n and free(p, j):
                    j += 1
                if j > reach:
                    best, reach = p, j
                    if reach == n:
                        break  # nobody can go further
            assert reach > k, "a feasible day has a provider"
            chosen.extend([best] * (reach - k))
            k = reach
        return chosen

    def place_times(self, days: Sequence[int], providers: Sequence[int]) -> list[Placement]:
        """Start times: an anchor time for visit 1 that the later visits can stay close
        to, then for each later visit the start nearest that anchor (soft hours first)."""
        av = self.av
        shapes = [self.spec.shape_of(k) for k in range(1, len(days) + 1)]
        lists = [av.starts(d, sh, p) for d, p, sh in zip(days, providers, shapes, strict=True)]
        first_walls = lists[0][1]
        best_index, best_cost = 0, None
        for i, wall in enumerate(first_walls):
            cost = W_HOURS if av.hours_miss(wall, shapes[0]) else 0.0
            for _, walls in lists[1:]:
                cost += W_TIME_OF_DAY * _nearest_distance(walls, wall) / 3600
            if best_cost is None or cost < best_cost - 1e-9:
                best_index, best_cost = i, cost
        anchor = first_walls[best_index]
        chosen: list[Placement] = []
        for k, ((utcs, walls), day, provider) in enumerate(zip(lists, days, providers, strict=True)):
            if k == 0:
                index = best_index
            else:
                index = min(((W_HOURS if av.hours_miss(w, shapes[k]) else 0.0)
                             + W_TIME_OF_DAY * abs(w - anchor) / 3600, i) for i, w in enumerate(walls))[1]
            prefer = chosen[-1].room_id if chosen else None
            placed = av.place(day, shapes[k], provider, utcs[index], walls[index], prefer_room=prefer)
            assert placed is not None, "an allowed start always has a room"
            chosen.append(placed)
        return chosen

    def followup_options(self, rule: FollowUpRule, visit: Placement,
                         complete: bool = False) -> list[tuple[float, int, int, int, int]]:
        """(cost, utc, provider, day, wall) for starts of a follow-up, cheapest first.

        Normally the visit's own provider is tried first and others only when they
        have nothing, and since later days cost more the scan stops at the first day
        that cannot beat the best option found. With `complete`, every start of every
        allowed provider on every day of the window is listed (for placing the last
        healing check and the review side by side)."""
        av = self.av
        lo = visit.ordinal + rule.min_days
        hi = min(visit.ordinal + rule.max_days, self.last_day)
        mine = (visit.provider_id,) if visit.provider_id in self.allowed else ()
        others = tuple(p for p in self.allowed if p != visit.provider_id)
        groups = [mine + others] if complete else [mine, others]
        for group in groups:
            options: list[tuple[float, int, int, int, int]] = []
            best = None
            for day in range(lo, hi + 1):
                delay = W_FOLLOWUP_DELAY * (day - lo)
                if not complete and best is not None and delay >= best:
                    break
                day_cost = delay + (W_WEEKDAY if av.weekday_miss(day) else 0.0)
                for p in group:
                    provider_cost = day_cost + (W_FOLLOWUP_PROVIDER if p != visit.provider_id else 0.0)
                    utcs, walls = av.starts(day, rule.shape, p)
                    for utc, wall in zip(utcs, walls, strict=True):
                        cost = provider_cost + W_FOLLOWUP_TIME * abs(wall - visit.wall) / 3600
                        if av.hours_miss(wall, rule.shape):
                            cost += W_HOURS
                        options.append((cost, utc, p, day, wall))
                        if best is None or cost < best:
                            best = cost
            if options:
                options.sort()
                return options
        return []

    def place_followup(self, rule: FollowUpRule, visit: Placement,
                       avoid: Sequence[Placement] = ()) -> Placement | None:
        for complete in (False, True):
            for _, utc, p, day, wall in self.followup_options(rule, visit, complete):
                placed = self.av.place(day, rule.shape, p, utc, wall, avoid, prefer_room=visit.room_id)
                if placed is not None:
                    return placed
            if not avoid:
                break  # without visits to avoid, the first option always fits
        return None

    def place_followups(self, visits: Sequence[Placement],
                        numbers: Iterable[int] | None = None) -> list[FollowUp]:
        """Healing checks (and the review after the last visit) for the given visits,
        1-based `numbers` telling which are which (default: all of them)."""
        each, last = self.spec.each, self.spec.last
        count = self.spec.count
        out: list[FollowUp] = []
        for number, visit in zip(numbers or range(1, len(visits) + 1), visits, strict=True):
            check = self.place_followup(each, visit) if each is not None else None
            if number == count and last is not None:
                review = self.place_followup(last, visit, [check] if check else [])
                if review is None and check is not None:
                    # The review only fits on the healing check's date and not beside
                    # this check: try every other check (any provider, any room).
                    for _, utc, p, day, wall in self.followup_options(each, visit, complete=True):
                        for other in self.av.placements(day, each.shape, p, utc, wall):
                            review = self.place_followup(last, visit, [other])
                            if review is not None:
                                check = other
                                break
                        if review is not None:
                            break
                if review is None:
                    raise AssertionError("review placement failed on a day marked feasible")
                out.append((review, visit, last))
            if each is not None:
                if check is None:
                    raise AssertionError("healing check placement failed on a day marked feasible")
                out.append((check, visit, each))
        return out

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


def _nearest_distance(walls: Sequence[int], wall: int) -> int:
    i = bisect_left(walls, wall)
    best = 10 * 86400
    if i < len(walls):
        best = walls[i] - wall
    if i > 0:
        best = min(best, wall - walls[i - 1])
    return best


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
