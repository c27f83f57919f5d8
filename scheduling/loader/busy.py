"""Busy time as the loader handles it: each provider's and room's merged [start, end)
epoch seconds, whether merged here from the visits or read already merged per week from
a busy-week table (PostgreSQL's or SQLite's, kept by triggers)."""

from __future__ import annotations

import math
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

from ..planner import BusySpans
from ..planner.intervals import merge

# No visit lasts a day (a check constraint says so), so every visit that touches a
# window starts at most a day before it.
LONGEST_VISIT = timedelta(days=1)

Spans = list[tuple[int, int]]


class Busy:
    """One provider's or room's busy time as sorted, disjoint [start, end) epoch seconds,
    in two parallel sequences (lists, or arrays straight from the database): the shape
    the planner's BusySpans takes without conversion."""

    __slots__ = ("starts", "ends")

    def __init__(self, starts: Sequence[int] = (), ends: Sequence[int] = ()) -> None:
        self.starts = starts
        self.ends = ends

    @classmethod
    def from_spans(cls, spans: Spans) -> Busy:
        merged = merge(spans)
        return cls([lo for lo, _ in merged], [hi for _, hi in merged])

    @classmethod
    def from_pairs(cls, pairs: array) -> Busy:
        """From interleaved start, end numbers."""
        return cls(pairs[0::2], pairs[1::2])

    def add(self, spans: Spans) -> Busy:
        return Busy.from_spans(list(zip(self.starts, self.ends, strict=True)) + spans) if spans else self

    def remove(self, lo: int, hi: int) -> None:
        """Free [lo, hi): the time of a visit being planned again. Live visits of one
        provider or room never overlap (the exclusion constraints on PostgreSQL, the
        booking services on SQLite), so what remains is exactly the others' time."""
        first = bisect_right(self.ends, lo)
        last = bisect_left(self.starts, hi)
        if first >= last:
            return
        pieces_starts, pieces_ends = [], []
        if self.starts[first] < lo:
            pieces_starts.append(self.starts[first])
            pieces_ends.append(lo)
        if self.ends[last - 1] > hi:
            pieces_starts.append(hi)
            pieces_ends.append(self.ends[last - 1])
        self.starts = [*self.starts[:first], *pieces_starts, *self.starts[last:]]
        self.ends = [*self.ends[:first], *pieces_ends, *self.ends[last:]]

    def spans(self) -> BusySpans:
        return BusySpans.merged(self.starts, self.ends)


def seconds(lo: datetime, hi: datetime) -> tuple[int, int]:
    """Outwards to whole seconds, so nothing busy is lost."""
    return math.floor(lo.timestamp()), math.ceil(hi.timestamp())


def inner_seconds(lo: datetime, hi: datetime) -> tuple[int, int]:
    """Inwards to whole seconds, so freeing a visit's time never frees a neighbour's."""
    return math.ceil(lo.timestamp()), math.floor(hi.timestamp())


# --- Busy weeks -----------------------------------------------------------------------
def unpack_weeks(packed: bytes, lo: int, hi: int, into: array) -> None:
    """Append to `into` the spans of busy weeks laid end to end (big-endian uint32
    start, end pairs) that meet [lo, hi), interleaved as they came."""
    numbers = array("I", packed)
    if sys.byteorder == "little":
        numbers.byteswap()
    pairs = memoryview(numbers)
    first, last = bisect_right(pairs[1::2], lo), bisect_left(pairs[0::2], hi)
    into.extend(numbers[2 * first:2 * last])


assert array("I").itemsize == 4, "busy time is packed as 4-byte integers"


def week_ranges(windows: list[tuple[datetime, datetime]]) -> list[tuple[date, date, int, int]]:
    """The Mondays of the UTC weeks the (sorted, disjoint) windows touch, as ranges that
    share no week (a week read twice would repeat its spans), each with the time its
    windows cover (epoch seconds) so the rest of its weeks can be left out."""
    weeks: list[tuple[date, date, int, int]] = []
    for lo, hi in windows:
        first, last = lo.astimezone(UTC).date(), (hi - timedelta(microseconds=1)).astimezone(UTC).date()
        first, last = first - timedelta(days=first.weekday()), last - timedelta(days=last.weekday())
        if weeks and first <= weeks[-1][1]:
            weeks[-1] = (weeks[-1][0], last, weeks[-1][2], math.ceil(hi.timestamp()))
        else:
            weeks.append((first, last, math.floor(lo.timestamp()), math.ceil(hi.timestamp())))
    return weeks


def busy_from_weeks(
    found: Iterable[tuple[str, int, object, object]],
    covered: dict,
    ignored: Iterable[tuple],
    decode: Callable[[str], bytes] | None = None,
) -> tuple[dict[int, Busy], dict[int, Busy]]:
    """Providers' and rooms' busy time from (owner, id, range key, packed weeks) rows in
    owner then week order, keeping only what `covered[range key]` (lo, hi) covers, less
    the time of the `ignored` visits (provider, room and their four times: visits being
    planned again). `decode` turns a row's packed weeks into bytes, where they come as text."""
    provider_busy: dict[int, Busy] = defaultdict(Busy)
    room_busy: dict[int, Busy] = defaultdict(Busy)
    owners = {"provider": provider_busy, "room": room_busy}
    pairs: dict[tuple[str, int], array] = defaultdict(lambda: array("I"))
    for owner, owner_id, key, packed in found:
        if packed:
            packed = packed if decode is None else decode(packed)
            unpack_weeks(packed, *covered[key], pairs[(owner, owner_id)])
    for (owner, owner_id), spans in pairs.items():
        owners[owner][owner_id] = Busy.from_pairs(spans)
    for provider_id, room_id, a, b, c, d in ignored:
        if provider_id in provider_busy:
            provider_busy[provider_id].remove(*inner_seconds(a, b))
        if room_id in room_busy:
            room_busy[room_id].remove(*inner_seconds(c, d))
    return provider_busy, room_busy
