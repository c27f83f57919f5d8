"""Free slots for a single visit, e.g. a consultation booked through the availability API."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice

from .availability import Availability
from .clock import to_datetime
from .placements import Placement
from .types import Interval, LocationDiary, PlannedVisit, VisitShape

# A free slot as four integers: its start (UTC epoch seconds), provider id, room id (None
# by phone) and local date's ordinal. A day's slots of every kind run to thousands, and
# integers are far cheaper to keep and copy than PlannedVisits.
SlotRow = tuple[int, int, int | None, int]


@dataclass(frozen=True)
class SlotRows:
    """Free slots of one kind, earliest first (ties by provider), as SlotRows: the
    PlannedVisits are made only for the slots handed out."""

    kind: str
    window: tuple[int, int]  # local ordinals of the first and last day searched
    phases: tuple[int, int, int]  # seconds from the start: provider starts, patient leaves, room free
    rows: tuple[SlotRow, ...]

    def visits(self, *, provider_id: int | None = None, limit: int | None = None) -> list[PlannedVisit]:
        """The first `limit` slots, of one provider or of everyone."""
        if not self.rows:
            return []
        rows = (row for row in self.rows if provider_id is None or row[1] == provider_id)
        kind, (first, last), (prep, patient, room) = self.kind, self.window, self.phases
        window_start, window_end = date.fromordinal(first), date.fromordinal(last)
        return [
            PlannedVisit(
                kind=kind,
                number=1,
                provider_id=provider,
                room_id=room_id,
                start=to_datetime(start),
                provider_start=to_datetime(start + prep),
                provider_end=to_datetime(start + patient),
                end=to_datetime(start + patient),
                room_end=to_datetime(start + room),
                window_start=window_start,
                window_end=window_end,
                local_date=date.fromordinal(ordinal),
            )
            for start, provider, room_id, ordinal in islice(rows, limit)
        ]


def find_slots(location: LocationDiary, shape: VisitShape, start: datetime, end: datetime,
               patient_busy: Iterable[Interval] = (), provider_id: int | None = None, limit: int = 50,
               kind: str = "consultation") -> list[PlannedVisit]:
    """Free single-visit slots whose whole visit (start..room_end) lies in [start, end),
    earliest first, one per (start time, provider) with a room chosen; ties in time go
    by provider id. Same hard constraints as a series; no preferences apply."""
    if limit <= 0:
        return []
    av = Availability(location, tuple(patient_busy), start, end)
    if provider_id is not None:
        location.provider(provider_id)  # KeyError for an unknown provider
        providers: tuple[int, ...] = (provider_id,)
    else:
        providers = av.provider_ids
    return _slot_rows(av, shape, providers, limit, kind).visits()


def find_slot_rows(location: LocationDiary, shapes: Mapping[str, VisitShape], start: datetime,
                   end: datetime, limit: int = 50) -> dict[str, SlotRows]:
    """find_slots with any provider and no patient for several kinds of visit at once:
    the free time of each day is worked out once for all of them, and kinds of the same
    shape (a maintenance visit and a session, say) share one search."""
    av = Availability(location, (), start, end)
    by_shape: dict[VisitShape, SlotRows] = {}
    found: dict[str, SlotRows] = {}
    for kind, shape in shapes.items():
        same = by_shape.get(shape)
        if same is None:
            found[kind] = by_shape[shape] = _slot_rows(av, shape, av.provider_ids, limit, kind)
        else:
            found[kind] = SlotRows(kind, same.window, same.phases, same.rows)
    return found


def _slot_rows(av: Availability, shape: VisitShape, providers: tuple[int, ...], limit: int,
               kind: str) -> SlotRows:
    visit_shape = av.shape(shape)
    rows: list[SlotRow] = []
    for day in range(av.first_ordinal, av.last_ordinal + 1):
        if len(rows) >= limit:
            break
        options = []
        for p in providers:
            utcs, walls = av.starts(day, visit_shape, p)
            options.extend((utc, p, wall) for utc, wall in zip(utcs, walls, strict=True))
        options.sort()
        for utc, p, wall in options:
            placed: Placement | None = av.place(day, visit_shape, p, utc, wall)
            assert placed is not None, "an allowed start always has a room"
            rows.append((utc, p, placed.room_id, day))
            if len(rows) >= limit:
                break
    phases = (visit_shape.prep, visit_shape.patient, visit_shape.room)
    return SlotRows(kind, (av.first_ordinal, av.last_ordinal), phases, tuple(rows))
