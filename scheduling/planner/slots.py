"""Free slots for a single visit, e.g. a consultation booked through the availability API."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .availability import Availability
from .chain import to_planned
from .types import Interval, LocationCalendar, PlannedVisit, VisitShape


def find_slots(location: LocationCalendar, shape: VisitShape, start: datetime, end: datetime,
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
    visit_shape = av.shape(shape)
    window = (av.first_ordinal, av.last_ordinal)
    found: list[PlannedVisit] = []
    for day in range(av.first_ordinal, av.last_ordinal + 1):
        options = []
        for p in providers:
            utcs, walls = av.starts(day, visit_shape, p)
            options.extend((utc, p, wall) for utc, wall in zip(utcs, walls, strict=True))
        options.sort()
        for utc, p, wall in options:
            placed = av.place(day, visit_shape, p, utc, wall)
            assert placed is not None, "an allowed start always has a room"
            found.append(to_planned(kind, 1, placed, window))
            if len(found) >= limit:
                return found
    return found

