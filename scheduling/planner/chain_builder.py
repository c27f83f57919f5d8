"""Building one chain on days known to work: dates, providers, start times, then follow-ups."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence

from .chain_days import ANY, ChainDays, FollowUpRule
from .placements import Placement
from .weights import (
    W_COMPLETION,
    W_FOLLOWUP_DELAY,
    W_FOLLOWUP_PROVIDER,
    W_FOLLOWUP_TIME,
    W_HOURS,
    W_INTERVAL,
    W_TIME_OF_DAY,
    W_WEEKDAY,
)

FollowUp = tuple[Placement, Placement, FollowUpRule]


class ChainBuilder(ChainDays):
    """Construction of one chain: each step stays on days from which it can still be finished."""

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


def _nearest_distance(walls: Sequence[int], wall: int) -> int:
    i = bisect_left(walls, wall)
    best = 10 * 86400
    if i < len(walls):
        best = walls[i] - wall
    if i > 0:
        best = min(best, wall - walls[i - 1])
    return best
