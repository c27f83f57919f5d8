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
from collections.abc import Iterable, Sequence

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


def starts_overlapping(busy: Sequence[Span], offset: int, length: int) -> Spans:
    """Starts whose phase [start+offset, start+offset+length) overlaps some busy span."""
    return merge((u - offset - length + 1, v - offset) for u, v in busy)


def union(lists: Iterable[Sequence[Span]]) -> Spans:
    return merge(span for spans in lists for span in spans)


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
