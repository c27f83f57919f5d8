"""The interval arithmetic under the planner, against plain sets of integers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.planner import Interval
from scheduling.planner.intervals import (
    Timeline,
    intersect,
    merge,
    starts_inside,
    starts_inside_of,
    starts_overlapping,
    subtract,
    union_free_starts,
    union_starts_inside,
)
from scheduling.planner.timelines import LazyTimeline

spans = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 12)).map(lambda t: (t[0], t[0] + t[1])), max_size=8)


def points(spans_) -> set[int]:
    return {t for lo, hi in spans_ for t in range(lo, hi)}


def well_formed(spans_) -> bool:
    return all(lo < hi for lo, hi in spans_) and all(a[1] < b[0] for a, b in zip(spans_, spans_[1:], strict=False))


@settings(max_examples=200)
@given(spans, spans)
def test_merge_intersect_and_subtract_agree_with_sets(a, b):
    ma, mb = merge(a), merge(b)
    assert well_formed(ma) and points(ma) == points(a)
    assert points(intersect(ma, mb)) == points(a) & points(b)
    assert points(subtract(ma, mb)) == points(a) - points(b)


@settings(max_examples=200)
@given(spans, st.integers(0, 5), st.integers(1, 6))
def test_start_sets_mean_what_they_say(free, offset, length):
    free = merge(free)
    inside = points(starts_inside(free, offset, length))
    overlapping = points(starts_overlapping(free, offset, length))
    for start in range(-20, 80):
        phase = set(range(start + offset, start + offset + length))
        assert (start in inside) == (phase <= points(free))
        assert (start in overlapping) == bool(phase & points(free))


@settings(max_examples=200)
@given(spans, st.integers(0, 70), st.integers(1, 20))
def test_timeline_finds_what_meets_a_window(busy, lo, length):
    timeline = Timeline(busy)
    hi = lo + length
    window = set(range(lo, hi))
    assert timeline.overlaps(lo, hi) == bool(points(busy) & window)
    assert points(timeline.within(lo, hi)) & window == points(busy) & window


@settings(max_examples=200)
@given(spans, st.integers(0, 70), st.integers(1, 20), st.booleans())
def test_bookings_searched_as_given_or_converted_give_the_same_answers(busy, lo, length, as_given):
    # Sorted, disjoint UTC bookings are searched as they are; anything else is converted.
    base = datetime(2027, 3, 1, tzinfo=UTC)
    minute = timedelta(minutes=1)
    booked = merge(busy) if as_given else busy
    intervals = tuple(Interval(base + a * minute, base + b * minute) for a, b in booked)
    lazy = LazyTimeline(intervals).get()
    reference = Timeline((int((base + a * minute).timestamp()), int((base + b * minute).timestamp())) for a, b in busy)
    t0 = int(base.timestamp())
    window = (t0 + lo * 60, t0 + (lo + length) * 60)
    assert lazy.overlaps(*window) == reference.overlaps(*window)
    assert points(merge(lazy.within(*window))) & set(range(*window)) == points(reference.within(*window)) & set(
        range(*window))


def loaded(busy) -> Timeline:
    """Busy time as a loader hands it over: sorted and disjoint, but neighbours may touch."""
    busy = merge(busy)
    # Split a span in two touching ones now and then, as separate bookings would be.
    split = [piece for lo, hi in busy for piece in (((lo, lo + 1), (lo + 1, hi)) if hi - lo > 2 else ((lo, hi),))]
    return Timeline.from_sorted([lo for lo, _ in split], [hi for _, hi in split])


@settings(max_examples=300)
@given(spans, spans, st.integers(1, 8))
def test_free_time_of_a_timeline(busy, window, length):
    timeline = loaded(busy)
    window = merge(window)
    free = subtract(window, merge(busy))
    assert timeline.cut(window) == free
    assert timeline.runs(window, length) == [s for s in free if s[1] - s[0] >= length]
    if window:
        assert timeline.free_in(*window[0]) == subtract(window[:1], merge(busy))


@settings(max_examples=300)
@given(spans, spans, spans, st.integers(0, 5), st.integers(1, 8), st.integers(-3, 3), st.integers(1, 7),
       st.integers(1, 20))
def test_starts_between_bookings(busy, work, allowed, offset, length, grid_start, slot, count):
    timeline = loaded(busy)
    work, allowed = merge(work), merge(allowed)
    expected = intersect(starts_inside(subtract(work, merge(busy)), offset, length), allowed)
    assert starts_inside_of(subtract(work, merge(busy)), offset, length, allowed) == expected
    assert timeline.starts_between(work, offset, length, allowed) == expected
    grid = {grid_start + k * slot for k in range(count)}
    assert timeline.has_grid_start(work, offset, length, allowed, grid_start, slot,
                                   grid_start + (count - 1) * slot) == bool(points(expected) & grid)


@settings(max_examples=300)
@given(st.lists(spans, max_size=4), st.integers(0, 30), st.integers(1, 40), st.integers(1, 8))
def test_union_of_free_starts(busy_lists, lo, length, visit):
    hi = lo + length
    timelines = [loaded(busy) for busy in busy_lists]
    frees = [subtract([(lo, hi)], merge(busy)) for busy in busy_lists]
    expected = merge(span for free in frees for span in starts_inside(free, 0, visit))
    assert union_starts_inside(frees, 0, visit) == expected
    assert union_free_starts(timelines, lo, hi, visit) == expected
