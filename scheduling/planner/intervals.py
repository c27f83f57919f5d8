"""Sorted integer interval lists, the planner's working representation of time.

A span is (lo, hi) meaning the integers lo <= t < hi (epoch seconds). Lists of
spans are kept sorted and disjoint so that two-pointer merges and bisect do the
work, never a scan over every slot.

"Start sets" are spans of allowed start instants: a phase that runs from
start + offset for `length` seconds fits inside a free span [a, b) exactly when
start lies in [a - offset, b - offset - length + 1), and overlaps a busy span
[u, v) exactly when start lies in [u - offset - length + 1, v - offset).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence

Span = tuple[int, int]
Spans = list[Span]


def merge(spans: Iterable[Span]) -> Spans:
    """Sort and merge overlapping or touching spans; drop empty ones."""
    out: Spans = []
    for lo, hi in sorted(s for s in spans if s[1] > s[0]):
        if out and lo <= out[-1][1]:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def intersect(a: Sequence[Span], b: Sequence[Span]) -> Spans:
    out: Spans = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: Sequence[Span], b: Sequence[Span]) -> Spans:
    """The parts of `a` not covered by `b` (both sorted and disjoint)."""
    if not b:
        return list(a)
    out: Spans = []
    j = 0
    for lo, hi in a:
        while j < len(b) and b[j][1] <= lo:
            j += 1
        k = j
        cur = lo
        while k < len(b) and b[k][0] < hi:
            if b[k][0] > cur:
                out.append((cur, b[k][0]))
            cur = max(cur, b[k][1])
            if cur >= hi:
                break
            k += 1
        if cur < hi:
            out.append((cur, hi))
    return out


def clip(a: Sequence[Span], lo: int, hi: int) -> Spans:
    return intersect(a, [(lo, hi)]) if lo < hi else []


def starts_inside(free: Sequence[Span], offset: int, length: int) -> Spans:
    """Starts whose phase [start+offset, start+offset+length) lies inside one free span."""
    return [(a - offset, b - offset - length + 1) for a, b in free if b - a >= length]


def starts_inside_of(free: Sequence[Span], offset: int, length: int, allowed: Sequence[Span]) -> Spans:
    """`intersect(starts_inside(free, offset, length), allowed)` in one pass."""
    out: Spans = []
    j = 0
    m = len(allowed)
    for a, b in free:
        if b - a < length:
            continue
        lo = a - offset
        hi = b - offset - length + 1
        while j < m and allowed[j][1] <= lo:
            j += 1
        while j < m:
            x, y = allowed[j]
            if x >= hi:
                break
            out.append((x if x > lo else lo, y if y < hi else hi))
            if y > hi:
                break  # it may meet the next span too
            j += 1
    return out


def starts_overlapping(busy: Sequence[Span], offset: int, length: int) -> Spans:
    """Starts whose phase [start+offset, start+offset+length) overlaps some busy span."""
    return merge((u - offset - length + 1, v - offset) for u, v in busy)


def union(lists: Iterable[Sequence[Span]]) -> Spans:
    return merge(span for spans in lists for span in spans)


def union_starts_inside(frees: Iterable[Sequence[Span]], offset: int, length: int) -> Spans:
    """`union(starts_inside(free, offset, length) for free in frees)` in one pass."""
    return _merge_sorted(sorted([(a - offset, b - offset - length + 1)
                                 for free in frees for a, b in free if b - a >= length]))


def union_free_starts(timelines: Iterable[Timeline], lo: int, hi: int, length: int) -> Spans:
    """Starts s at which [s, s+length) lies inside [lo, hi) and meets nothing busy on at
    least one of the timelines: `union_starts_inside([t.free_in(lo, hi) for t in
    timelines], 0, length)` without building each timeline's free spans."""
    found: Spans = []
    shift = length - 1
    # The free time between two busy spans of each timeline: from one's end to the next's start.
    gap_starts: list[int] = []
    gap_ends: list[int] = []
    for timeline in timelines:
        starts, ends = timeline.starts, timeline.ends
        i = bisect_right(ends, lo)
        j = bisect_left(starts, hi)
        if i == j:
            if hi - lo >= length:
                found.append((lo, hi - shift))
            continue
        if starts[i] - lo >= length:
            found.append((lo, starts[i] - shift))
        gap_starts += ends[i:j - 1]
        gap_ends += starts[i + 1:j]
        if hi - ends[j - 1] >= length:
            found.append((ends[j - 1], hi - shift))
    found += [(a, b - shift) for a, b in zip(gap_starts, gap_ends, strict=True) if b - a >= length]
    found.sort()
    return _merge_sorted(found)


def _merge_sorted(starts: Sequence[Span]) -> Spans:
    """Merge sorted, non-empty spans that overlap or touch."""
    out: Spans = []
    if not starts:
        return out
    cur_lo, cur_hi = starts[0]
    for lo, hi in starts:
        if lo <= cur_hi:
            if hi > cur_hi:
                cur_hi = hi
        else:
            out.append((cur_lo, cur_hi))
            cur_lo, cur_hi = lo, hi
    out.append((cur_lo, cur_hi))
    return out


class Timeline:
    """Busy time of one person, room or clinic: sorted, merged, searchable by bisect."""

    __slots__ = ("starts", "ends")

    def __init__(self, spans: Iterable[Span] = ()) -> None:
        merged = merge(spans)
        self.starts = [lo for lo, _ in merged]
        self.ends = [hi for _, hi in merged]

    @classmethod
    def from_sorted(cls, starts: Sequence[int], ends: Sequence[int]) -> Timeline:
        """From spans already sorted and disjoint (checked by the caller): no merge pass."""
        timeline = cls.__new__(cls)
        timeline.starts = list(starts)
        timeline.ends = list(ends)
        return timeline

    def __bool__(self) -> bool:
        return bool(self.starts)

    def overlaps(self, lo: int, hi: int) -> bool:
        """Whether anything busy meets [lo, hi)."""
        i = bisect_left(self.starts, hi)
        # Ends ascend with starts, so only the last span starting before hi can reach lo.
        return i > 0 and self.ends[i - 1] > lo

    def within(self, lo: int, hi: int) -> Spans:
        """The busy spans that meet [lo, hi), unclipped."""
        i = bisect_right(self.ends, lo)
        j = bisect_left(self.starts, hi)
        return list(zip(self.starts[i:j], self.ends[i:j], strict=True))

    def cut(self, spans: Sequence[Span]) -> Spans:
        """The parts of sorted, disjoint `spans` that nothing busy meets: the same as
        `subtract(spans, self.within(...))`, found by bisecting instead of slicing."""
        starts, ends = self.starts, self.ends
        n = len(starts)
        out: Spans = []
        for lo, hi in spans:
            i = bisect_right(ends, lo)  # the first busy span ending after lo
            cur = lo
            while i < n and starts[i] < hi:
                if starts[i] > cur:
                    out.append((cur, starts[i]))
                if ends[i] > cur:
                    cur = ends[i]
                if cur >= hi:
                    break
                i += 1
            if cur < hi:
                out.append((cur, hi))
        return out

    def free_in(self, lo: int, hi: int) -> Spans:
        """The parts of [lo, hi) that nothing busy meets (as `cut([(lo, hi)])`)."""
        starts, ends = self.starts, self.ends
        i = bisect_right(ends, lo)
        j = bisect_left(starts, hi)
        if i == j:
            return [(lo, hi)]
        out = [(lo, starts[i])] if starts[i] > lo else []
        out += [(a, b) for a, b in zip(ends[i:j - 1], starts[i + 1:j], strict=True) if a < b]
        if ends[j - 1] < hi:
            out.append((ends[j - 1], hi))
        return out

    def runs(self, spans: Sequence[Span], length: int) -> Spans:
        """The parts of sorted, disjoint `spans` that nothing busy meets and that last at
        least `length`: `[s for s in self.cut(spans) if s[1] - s[0] >= length]`."""
        starts, ends = self.starts, self.ends
        out: Spans = []
        for lo, hi in spans:
            i = bisect_right(ends, lo)
            j = bisect_left(starts, hi)
            if i == j:
                if hi - lo >= length:
                    out.append((lo, hi))
                continue
            # Busy spans i..j-1 meet [lo, hi): the free runs are before the first, between
            # neighbours, and after the last.
            if starts[i] - lo >= length:
                out.append((lo, starts[i]))
            out += [(a, b) for a, b in zip(ends[i:j - 1], starts[i + 1:j], strict=True) if b - a >= length]
            if hi - ends[j - 1] >= length:
                out.append((ends[j - 1], hi))
        return out

    def _free_runs(self, spans: Sequence[Span], offset: int, length: int,
                   allowed: Sequence[Span]) -> Iterator[tuple[int, int]]:
        """Free runs [lo, hi), at least `length` long, inside `spans` and inside the reach
        of the phases [start+offset, start+offset+length) of the allowed starts; only the
        busy time those phases could meet is looked at."""
        starts, ends = self.starts, self.ends
        n = len(starts)
        for x, y in allowed:
            window_lo = x + offset
            window_hi = y - 1 + offset + length
            for a, b in spans:
                if b <= window_lo:
                    continue
                if a >= window_hi:
                    break
                lo = a if a > window_lo else window_lo
                hi = b if b < window_hi else window_hi
                i = bisect_right(ends, lo)
                cur = lo
                while i < n and starts[i] < hi:
                    if starts[i] - cur >= length:
                        yield cur, starts[i]
                    cur = ends[i]  # past lo, and ends ascend
                    if cur >= hi:
                        break
                    i += 1
                if hi - cur >= length:
                    yield cur, hi

    def has_grid_start(self, spans: Sequence[Span], offset: int, length: int, allowed: Sequence[Span],
                       grid_start: int, slot: int, grid_last: int) -> bool:
        """Whether `starts_between(spans, offset, length, allowed)` holds an instant of the
        grid grid_start + k * slot (k >= 0, up to grid_last); stops at the first found."""
        for lo, hi in self._free_runs(spans, offset, length, allowed):
            # Starts lo - offset .. hi - offset - length (inclusive).
            first = lo - offset
            if first < grid_start:
                first = grid_start
            point = first + (grid_start - first) % slot
            if point <= hi - offset - length and point <= grid_last:
                return True
        return False

    def starts_between(self, spans: Sequence[Span], offset: int, length: int, allowed: Sequence[Span]) -> Spans:
        """`starts_inside_of(self.cut(spans), offset, length, allowed)`: the allowed starts
        whose phase [start+offset, start+offset+length) lies inside `spans` and meets
        nothing busy.

        With few allowed spans only the busy time their phases could meet is looked at:
        a free run clipped to that window gives exactly the part of its starts that the
        allowed span keeps."""
        if len(allowed) > 4:
            return starts_inside_of(self.runs(spans, length), offset, length, allowed)
        return [(lo - offset, hi - offset - length + 1) for lo, hi in self._free_runs(spans, offset, length, allowed)]


def grid_points(spans: Sequence[Span], grid: Sequence[int]) -> list[int]:
    """Indices of the sorted grid instants that fall in the spans."""
    out: list[int] = []
    for lo, hi in spans:
        i = bisect_left(grid, lo)
        j = bisect_left(grid, hi)
        out.extend(range(i, j))
    return out


def has_grid_point(spans: Sequence[Span], grid: Sequence[int]) -> bool:
    return any(bisect_left(grid, lo) < bisect_left(grid, hi) for lo, hi in spans)
