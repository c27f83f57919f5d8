"""The demo's own diary: who is busy when, so the demo books no clash (the booking
service would refuse one) and can say how full each provider's day is."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clinic.models import Provider, Room
from scheduling.services.booking import VisitSpec

Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class Shape:
    """A visit's minutes: numbing before the provider starts, the provider's part, and the
    room's turnover after; `room` is the kind of room it takes ("" for a phone call)."""

    prep: int
    provider: int
    turnover: int
    room: str = "treatment"


class Diary:
    """Busy spans per provider, room and patient, on a 15-minute grid within opening hours."""

    def __init__(self, tz: ZoneInfo, rooms: dict[str, list[Room]], opening: dict[int, tuple[time, time]],
                 closures: list[Span]) -> None:
        self.tz = tz
        self.rooms = rooms
        self.opening = opening
        self.closures = closures
        # (provider id, weekday) -> working hours; provider id -> time off
        self.working: dict[tuple[int, int], tuple[time, time]] = {}
        self.time_off: dict[int, list[Span]] = defaultdict(list)
        self.busy: dict[tuple[str, int], list[Span]] = defaultdict(list)

    def _free(self, key: tuple[str, int], start: datetime, end: datetime) -> bool:
        return all(end <= s or start >= e for s, e in self.busy[key])

    def working_span(self, provider: Provider, day: date) -> Span | None:
        """The provider's hours that day at the clinic, or None on a day off or on leave."""
        hours = self.working.get((provider.pk, day.weekday()))
        if hours is None or day.weekday() not in self.opening:
            return None
        start, end = datetime.combine(day, hours[0], self.tz), datetime.combine(day, hours[1], self.tz)
        if any(s <= start and end <= e for s, e in self.time_off[provider.pk] + self.closures):
            return None
        return start, end

    def provider_minutes(self, provider: Provider, day: date) -> int:
        start = datetime.combine(day, time(0), self.tz)
        end = start + timedelta(days=1)
        return sum(int((e - s).total_seconds() // 60) for s, e in self.busy[("provider", provider.pk)]
                   if start <= s < end)

    def try_at(self, start: datetime, shape: Shape, patient_id: int, kind: str, provider: Provider,
               number: int | None = None) -> VisitSpec | None:
        """The visit at exactly `start`, if the opening hours, the closures, the provider, a
        room of the right kind and the patient are all free then."""
        local = start.astimezone(self.tz)
        hours = self.opening.get(local.weekday())
        working = self.working_span(provider, local.date())
        p_start = start + timedelta(minutes=shape.prep)
        p_end = p_start + timedelta(minutes=shape.provider)
        room_end = p_end + timedelta(minutes=shape.turnover)
        if hours is None or local.time() < hours[0] or room_end.astimezone(self.tz).time() > hours[1] \
                or room_end.astimezone(self.tz).date() != local.date():
            return None
        if working is None or p_start < working[0] or p_end > working[1]:
            return None
        if any(start < e and room_end > s for s, e in self.closures + self.time_off[provider.pk]):
            return None
        if not self._free(("provider", provider.pk), p_start, p_end):
            return None
        if not self._free(("patient", patient_id), start, p_end):
            return None
        room = None
        if shape.room:
            # A consultation takes a treatment room when both consulting rooms are in use.
            rooms = self.rooms[shape.room] + (self.rooms["treatment"] if shape.room == "consulting" else [])
            room = next((r for r in rooms if self._free(("room", r.pk), start, room_end)), None)
            if room is None:
                return None
            self.busy[("room", room.pk)].append((start, room_end))
        self.busy[("provider", provider.pk)].append((p_start, p_end))
        self.busy[("patient", patient_id)].append((start, p_end))
        return VisitSpec(kind=kind, provider_id=provider.pk, room_id=room.pk if room else None, starts_at=start,
                         provider_starts_at=p_start, provider_ends_at=p_end, ends_at=p_end, room_ends_at=room_end,
                         session_number=number)

    def place(self, day: date, shape: Shape, patient_id: int, kind: str, provider: Provider,
              number: int | None = None) -> VisitSpec:
        """The first time from `day` on that suits everyone, moving to the next open day
        when the day is full."""
        for offset in range(0, 21):
            current = day + timedelta(days=offset)
            for minutes in range(0, 24 * 60, 15):
                start = datetime.combine(current, time(minutes // 60, minutes % 60), self.tz)
                spec = self.try_at(start, shape, patient_id, kind, provider, number)
                if spec is not None:
                    return spec
        raise RuntimeError(f"The demo diary is full around {day}")
