"""Re-planning the visits a closure, time off, shorter hours or a room out of service now
disrupts: for each, the smallest change that keeps every rule, or the reason there is none
and the best options left.

A session of a series is moved with the same search and cascade as any reschedule
(`reschedule.series_session_moved`: the session inside its window after the session
before, later sessions moved only where they must, healing checks and the review
following their sessions). A consultation, follow-up or maintenance visit gets the nearest
free time, with the same provider first. Proposals for one board never take the same
provider, room or patient twice. Writing them is `replan_apply`."""

import hashlib
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from django.utils import timezone

from clinic.models import Location

from .. import loader
from ..disruptions import Disruption, visits_disrupted
from ..models import Appointment
from ..planner import Interval, PlannedVisit, VisitShape, find_slots
from .reschedule import ReschedulePreview, SeriesDiary, VisitChange, series_diary, series_session_moved

# How far either side of a visit with no window of its own the nearest free time is sought.
NEAREST_DAYS = 14
# How far past the end of a session's window the nearest time that breaks it is sought.
OUTSIDE_DAYS = 21
# New times tried per visit before the best of those that fit is taken.
TRIES = 8
ALTERNATIVES = 3
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Option:
    """One way to move a disrupted visit: where it goes, and what follows it."""

    new_start: datetime
    provider_id: int
    provider_name: str
    changes: tuple[VisitChange, ...]
    cancelled: tuple[int, ...] = ()
    keeps_rules: bool = True
    note: str = ""  # e.g. "With another provider." or why it breaks the series' window

    @property
    def size(self) -> tuple[int, float]:
        """Sessions moved, then hours shifted: smaller is a smaller change."""
        sessions = sum(1 for c in self.changes if c.kind == "session")
        hours = sum(abs((c.new.start - c.old_start).total_seconds()) for c in self.changes if c.old_start) / 3600
        return sessions, hours


@dataclass(frozen=True)
class Proposal:
    disruption: Disruption
    stamp: str  # the visit as it was when proposed: a later change makes the proposal stale
    best: Option | None
    alternatives: tuple[Option, ...] = ()
    explanation: str = ""  # when no move keeps every rule: why, in words
    follows: int | None = None  # the visit whose proposal already moves this one

    @property
    def appointment(self) -> Appointment:
        return self.disruption.appointment


def visit_stamp(appointment: Appointment) -> str:
    """The visit's place and state as a short token: any move, cancellation or edit changes it."""
    state = (appointment.starts_at.isoformat(), appointment.provider_id, appointment.room_id, appointment.status,
             appointment.updated_at.isoformat())
    return hashlib.sha1(repr(state).encode()).hexdigest()[:20]


@dataclass
class _Taken:
    """What earlier proposals on the same board already took, by provider, room and patient."""

    # Filed by each UTC date a span touches, so a check reads one or two short lists
    # however many proposals the board already holds.
    spans: dict[tuple[str, int | None, date], list[tuple[datetime, datetime]]] = field(default_factory=dict)

    @staticmethod
    def _dates(a: datetime, b: datetime) -> list[date]:
        first, last = a.astimezone(UTC).date(), (b - _TICK).astimezone(UTC).date()
        if first == last:
            return [first]
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def _meets(self, key: tuple[str, int | None], a: datetime, b: datetime) -> bool:
        return any(x < b and a < y for day in self._dates(a, b) for x, y in self.spans.get((*key, day), ()))

    def _file(self, key: tuple[str, int | None], a: datetime, b: datetime) -> None:
        for day in self._dates(a, b):
            self.spans.setdefault((*key, day), []).append((a, b))

    def clashes(self, visits: Iterable[PlannedVisit], patient_id: int) -> bool:
        return any(
            self._meets(("provider", v.provider_id), v.provider_start, v.provider_end)
            or (v.room_id is not None and self._meets(("room", v.room_id), v.start, v.room_end))
            or self._meets(("patient", patient_id), v.start, v.end)
            for v in visits
        )

    def add(self, visits: Iterable[PlannedVisit], patient_id: int) -> None:
        for v in visits:
            self._file(("provider", v.provider_id), v.provider_start, v.provider_end)
            if v.room_id is not None:
                self._file(("room", v.room_id), v.start, v.room_end)
            self._file(("patient", patient_id), v.start, v.end)


def _shape(visit: Appointment) -> VisitShape:
    """The visit's own phases: a move does not change the treatment."""
    def minutes(a, b) -> int:
        return int((b - a).total_seconds()) // 60

    return VisitShape(minutes(visit.starts_at, visit.provider_starts_at),
                      minutes(visit.provider_starts_at, visit.provider_ends_at),
                      minutes(visit.ends_at, visit.room_ends_at), needs_room=visit.room_id is not None)


def _nearest(slots: Sequence[PlannedVisit], visit: Appointment) -> list[PlannedVisit]:
    """Free times nearest the visit's own first, the same provider before another."""
    return sorted(slots, key=lambda s: (s.provider_id != visit.provider_id, abs(s.start - visit.starts_at), s.start))


# --- Windows ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    lo: datetime
    hi: datetime
    words: str = ""  # the rule, e.g. "28-42 days after session 1"
    after: Appointment | None = None  # the visit the window counts from
    max_days: int | None = None


def _local_bounds(after: Appointment, lo_days: int, hi_days: int) -> tuple[datetime, datetime]:
    """From the start of local date +lo_days to the end of local date +hi_days after `after`:
    the rules count local calendar days, whatever the clocks do in between."""
    zone = ZoneInfo(after.location.time_zone)
    day = after.starts_at.astimezone(zone).date()
    first = datetime.combine(day + timedelta(days=lo_days), datetime.min.time(), zone)
    last = datetime.combine(day + timedelta(days=hi_days + 1), datetime.min.time(), zone)
    return first, last


def visit_window(visit: Appointment, siblings: Sequence[Appointment]) -> Window:
    """Where the rules let this visit go: a session after the one before it, a healing check
    after its session, the review after the last session; any other visit near its own time."""
    now = timezone.now()
    series = visit.series
    sessions = sorted((a for a in siblings if a.kind == "session"), key=lambda a: a.session_number or 0)
    if series is not None and visit.kind == "session":
        before = [a for a in sessions if (a.session_number or 0) < (visit.session_number or 0)]
        if before:
            p = series.protocol
            lo, hi = _local_bounds(before[-1], p.min_interval_days, p.max_interval_days)
            words = f"{p.min_interval_days}-{p.max_interval_days} days after session {before[-1].session_number}"
            return Window(max(lo, now), hi, words, before[-1], p.max_interval_days)
    if series is not None and visit.kind in ("healing_check", "review"):
        p = series.protocol
        if visit.kind == "healing_check":
            own = [a for a in sessions if a.session_number == visit.session_number]
            low, high, what = p.healing_check_min_days, p.healing_check_max_days, "its session"
        else:
            own, low, high, what = sessions[-1:], p.review_min_days, p.review_max_days, "the last session"
        if own:
            lo, hi = _local_bounds(own[0], low, high)
            return Window(max(lo, now), hi, f"{low}-{high} days after {what}", own[0], high)
    return Window(max(now, visit.starts_at - timedelta(days=NEAREST_DAYS)),
                  visit.starts_at + timedelta(days=NEAREST_DAYS))


# --- Proposals --------------------------------------------------------------------------
def _window_words(window: Window) -> str:
    zone = ZoneInfo(window.after.location.time_zone) if window.after else None
    last = (window.hi - timedelta(seconds=1)).astimezone(zone) if zone else window.hi
    first = window.lo.astimezone(zone) if zone else window.lo
    return f"{window.words}, so {first:%a} {first.day} {first:%b} to {last:%a} {last.day} {last:%b}"


def _outside_note(window: Window, slot: PlannedVisit) -> str:
    zone = ZoneInfo(window.after.location.time_zone)
    days = (slot.start.astimezone(zone).date() - window.after.starts_at.astimezone(zone).date()).days
    return (f"Outside the window: {days} days after the visit it follows, {days - window.max_days} past the "
            f"{window.max_days}-day limit ({window.words}). Later visits stay where they are.")


def _single(visit: Appointment, slot: PlannedVisit, name: str, *, keeps_rules=True, note="") -> Option:
    change = VisitChange(visit.pk, visit.kind, visit.session_number, visit.starts_at, slot)
    return Option(slot.start, slot.provider_id, name, (change,), keeps_rules=keeps_rules, note=note)


class _Planner:
    """Proposals for one board: diaries loaded once per series or visit, and what earlier
    proposals took kept out of later ones."""

    def __init__(self, disruptions: Sequence[Disruption]) -> None:
        self.disruptions = disruptions
        self.shared: dict[int, tuple] = {}  # location -> (its diary, each patient's busy time)
        self.taken = _Taken()
        self.series: dict[int, SeriesDiary] = {}
        self.moved_by: dict[int, int] = {}  # visit -> the disrupted visit whose proposal moves it
        self.sessions: dict[tuple[int, int], int] = {}  # (series, session number) -> a disrupted session
        self.days: dict[tuple, list[PlannedVisit]] = {}  # free times of a day, by shape and provider
        self.day_keys: dict[tuple, list[tuple]] = {}  # (location, day) -> its lists in `days`

    def _follows(self, visit: Appointment, siblings: Sequence[Appointment]) -> int | None:
        """The disrupted visit this one goes with: moved by its proposal, or a follow-up of a
        disrupted session (it is placed again when its session moves)."""
        if visit.pk in self.moved_by:
            return self.moved_by[visit.pk]
        if visit.series_id is None:
            return None
        if visit.kind == "healing_check":
            return self.sessions.get((visit.series_id, visit.session_number or 0))
        if visit.kind == "review":
            last = max((a.session_number or 0 for a in siblings if a.kind == "session"), default=0)
            return self.sessions.get((visit.series_id, last))
        return None

    def propose(self, disruption: Disruption, siblings: Sequence[Appointment]) -> Proposal:
        visit = disruption.appointment
        follows = self._follows(visit, siblings)
        if follows is not None:
            return Proposal(disruption, visit_stamp(visit), None, follows=follows)
        if visit.kind == "session" and visit.series_id is not None:
            self.sessions[(visit.series_id, visit.session_number or 0)] = visit.pk
        proposal = self._propose(disruption, siblings)
        if proposal.best is not None:
            for change in proposal.best.changes:
                if change.appointment_id and change.appointment_id != visit.pk:
                    self.moved_by.setdefault(change.appointment_id, visit.pk)
        return proposal

    def _propose(self, disruption: Disruption, siblings: Sequence[Appointment]) -> Proposal:
        visit = disruption.appointment
        window = visit_window(visit, siblings)
        found = self.series.get(visit.series_id) if visit.series_id else None
        if visit.kind == "session" and visit.series_id is not None:
            if found is None:
                found = self.series[visit.series_id] = series_diary(appointment=visit, latest=window.hi)
            options = self._session_options(visit, window, found)
            location, patient_busy = found.request.location, found.request.patient_busy
        else:
            location, busy = self._shared(visit.location)
            patient_busy = busy.get(visit.patient_id, [])
            options = self._visit_options(visit, window, location, patient_busy)
        fitting = [o for o in options if o.keeps_rules]
        if fitting:
            best = min(fitting[:ALTERNATIVES + 1], key=lambda o: (o.provider_id != visit.provider_id, o.size))
            self.taken.add([c.new for c in best.changes], visit.patient_id)
            self._forget([c.new for c in best.changes], visit)
            rest = tuple(o for o in options if o is not best)[:ALTERNATIVES]
            return Proposal(disruption, visit_stamp(visit), best, rest)
        explanation = f"No free time keeps this {visit.get_kind_display().lower()}"
        explanation += f" inside its window ({_window_words(window)})." if window.after else (
            f" within {NEAREST_DAYS} days of its time.")
        if window.after:
            outside = self._outside(visit, window, location, patient_busy)
            options = outside + options
            if outside:
                explanation += " The nearest time outside it is offered below; staff decide."
        return Proposal(disruption, visit_stamp(visit), None, tuple(options[:ALTERNATIVES + 1]), explanation)

    def _session_options(self, visit: Appointment, window: Window, found: SeriesDiary) -> list[Option]:
        location = found.request.location
        slots = find_slots(location, _shape(visit), window.lo, window.hi, patient_busy=found.request.patient_busy,
                           limit=5000, kind="session")
        options: list[Option] = []
        tried = 0
        for slot in _nearest(slots, visit):
            if tried >= TRIES or len(options) > ALTERNATIVES:
                break
            if self.taken.clashes([slot], visit.patient_id) or any(o.new_start == slot.start for o in options):
                continue
            tried += 1
            preview: ReschedulePreview = series_session_moved(found, new_start=slot.start, provider_id=slot.provider_id)
            if not preview.ok or self.taken.clashes([c.new for c in preview.changes], visit.patient_id):
                continue
            note = "" if slot.provider_id == visit.provider_id else "With another provider."
            options.append(Option(slot.start, slot.provider_id, location.provider(slot.provider_id).name,
                                  tuple(preview.changes), tuple(preview.cancelled), note=note))
        return options

    def _shared(self, location: Location) -> tuple:
        """One diary of the location for every visit on the board that is not a session (the
        disrupted visits left out: they are moving), and each patient's other visits."""
        if location.pk not in self.shared:
            mine = [d.appointment for d in self.disruptions if d.appointment.location_id == location.pk]
            moving = [v.pk for v in mine if not (v.kind == "session" and v.series_id)]
            now = timezone.now()
            end = max(v.starts_at for v in mine) + timedelta(days=NEAREST_DAYS + OUTSIDE_DAYS + 60)
            diary = loader.diary_load(location=location, start=now, end=end, ignore_appointment_ids=moving)
            busy: dict[int, list[Interval]] = defaultdict(list)
            others = Appointment.objects.filter(
                patient_id__in={v.patient_id for v in mine}, status__in=Appointment.ACTIVE_STATUSES,
                starts_at__lt=end, ends_at__gt=now).exclude(pk__in=moving)
            for patient_id, a, b in others.values_list("patient_id", "starts_at", "ends_at"):
                busy[patient_id].append(Interval(a, b))
            self.shared[location.pk] = (diary.location, busy)
        return self.shared[location.pk]

    def _rings(self, visit: Appointment, window: Window, location, patient_busy, *, provider_id: int | None,
               enough: int) -> list[PlannedVisit]:
        """Free times nearest the visit's own, looked for a day either side first, then
        wider, up to the window: the nearest are found without listing a fortnight."""
        for days in (1, 3, 7, NEAREST_DAYS):
            lo = max(window.lo, min(visit.starts_at - timedelta(days=days), window.hi))
            hi = min(window.hi, max(visit.starts_at + timedelta(days=days), window.lo))
            if lo >= hi:
                continue
            slots = self._free_between(visit, location, lo, hi, patient_busy, provider_id=provider_id)
            # Nearest first; only as many as are wanted are checked against earlier proposals.
            candidates = (s for s in _nearest(slots, visit)
                          if provider_id is not None or s.provider_id != visit.provider_id)
            free = list(islice((s for s in candidates if not self.taken.clashes([s], visit.patient_id)), enough))
            if len(free) >= enough or (days >= NEAREST_DAYS and free) or (lo, hi) == (window.lo, window.hi):
                return free
        return []

    def _day_slots(self, visit: Appointment, location, day, provider_id: int | None) -> list[PlannedVisit]:
        """Every free time of one local day for this shape of visit, with no patient in mind,
        listed once per board: the diary does not change while the board is worked out (what
        earlier proposals took is kept apart, in `taken`)."""
        shape = _shape(visit)
        key = (visit.location_id, shape, visit.kind, provider_id, day)
        found = self.days.get(key)
        if found is None:
            zone = ZoneInfo(visit.location.time_zone)
            # Local midnights: a day is 23 or 25 hours long when the clocks change.
            lo = datetime.combine(day, datetime.min.time(), zone)
            hi = datetime.combine(day + timedelta(days=1), datetime.min.time(), zone)
            self.day_keys.setdefault((visit.location_id, day), []).append(key)
            found = self.days[key] = find_slots(location, shape, lo, hi, provider_id=provider_id, limit=100_000,
                                                kind=visit.kind)
        return found

    def _forget(self, visits: Sequence[PlannedVisit], visit: Appointment) -> None:
        """Drop from the listed days the free times these proposed visits take (their provider
        or room), so later visits do not look at them again."""
        zone = ZoneInfo(visit.location.time_zone)
        for v in visits:
            for key in self.day_keys.get((visit.location_id, v.start.astimezone(zone).date()), ()):
                self.days[key] = [
                    s for s in self.days[key]
                    if not ((s.provider_id == v.provider_id and s.provider_start < v.provider_end
                             and v.provider_start < s.provider_end)
                            or (s.room_id is not None and s.room_id == v.room_id and s.start < v.room_end
                                and v.start < s.room_end))]

    def _free_between(self, visit: Appointment, location, lo: datetime, hi: datetime, patient_busy,
                      *, provider_id: int | None) -> list[PlannedVisit]:
        """Free times whose whole visit lies in [lo, hi), the patient free throughout."""
        zone = ZoneInfo(visit.location.time_zone)
        day, last = lo.astimezone(zone).date(), hi.astimezone(zone).date()
        busy = [(b.start, b.end) for b in patient_busy if b.start < hi and lo < b.end]
        slots: list[PlannedVisit] = []
        while day <= last:
            slots += [s for s in self._day_slots(visit, location, day, provider_id)
                      if lo <= s.start and s.room_end <= hi and not any(a < s.end and s.start < b for a, b in busy)]
            day += timedelta(days=1)
        return slots

    def _visit_options(self, visit: Appointment, window: Window, location, patient_busy) -> list[Option]:
        """The nearest free times with the same provider first, then the nearest with another."""
        works_here = any(p.id == visit.provider_id for p in location.providers)
        same = self._rings(visit, window, location, patient_busy, provider_id=visit.provider_id,
                           enough=ALTERNATIVES) if works_here else []
        other = self._rings(visit, window, location, patient_busy, provider_id=None, enough=1)
        options = [_single(visit, slot, location.provider(slot.provider_id).name) for slot in same[:ALTERNATIVES]]
        options += [_single(visit, slot, location.provider(slot.provider_id).name, note="With another provider.")
                    for slot in other[:1]]
        return options

    def _outside(self, visit: Appointment, window: Window, location, patient_busy) -> list[Option]:
        """The nearest free time after the window closes, the same provider first."""
        slots = find_slots(location, _shape(visit), window.hi, window.hi + timedelta(days=OUTSIDE_DAYS),
                           patient_busy=patient_busy, limit=5000, kind=visit.kind)
        free = [s for s in slots if not self.taken.clashes([s], visit.patient_id)]
        same = [s for s in free if s.provider_id == visit.provider_id][:1]
        other = [s for s in free if s.provider_id != visit.provider_id][:1]
        return [_single(visit, s, location.provider(s.provider_id).name, keeps_rules=False,
                        note=_outside_note(window, s)) for s in sorted(same + other, key=lambda s: s.start)]


def replan_proposals(*, location_ids=None, disruptions: Sequence[Disruption] | None = None,
                     timings: list[float] | None = None) -> list[Proposal]:
    """A proposal for every disrupted visit (at these locations), in time order per patient
    and series, none taking what an earlier one took. `timings`, if given, receives the
    seconds each proposal took (the benchmark reads them)."""
    if disruptions is None:
        disruptions = visits_disrupted(location_ids=location_ids)
    series_ids = {d.appointment.series_id for d in disruptions if d.appointment.series_id}
    siblings: dict[int, list[Appointment]] = {}
    rows = Appointment.objects.filter(series_id__in=series_ids, status__in=Appointment.ACTIVE_STATUSES)
    for row in rows.select_related("location"):
        siblings.setdefault(row.series_id, []).append(row)
    planner = _Planner(disruptions)
    ordered = sorted(disruptions, key=lambda d: (d.appointment.starts_at, d.appointment.pk))
    proposals = []
    for disruption in ordered:
        began = time.perf_counter()
        proposals.append(planner.propose(disruption, siblings.get(disruption.appointment.series_id, [])))
        if timings is not None:
            timings.append(time.perf_counter() - began)
    return proposals
