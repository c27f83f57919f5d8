"""The diary laid out for the day and week views: columns per provider or room, each
visit placed by its times as a share of the opening day."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone

from clinic.models import Location, OpeningHours, Provider, Room
from scheduling.models import Appointment
from scheduling.visibility import appointments_narrowed

from .schedule_shades import Shade, shades_build
from .timeutil import day_bounds, zone

DEFAULT_OPEN, DEFAULT_CLOSE = time(8), time(20)
KIND_LABELS = dict(Appointment.Kind.choices)
STATUS_LABELS = dict(Appointment.Status.choices)
HIDDEN_BY_DEFAULT = ("cancelled",)


@dataclass
class Block:
    """One visit in one column: top and height as a percentage of the day shown. The
    text and style are worked out here once, so a busy week renders quickly."""

    visit: Appointment
    top: float
    height: float
    starts: datetime
    ends: datetime
    lane: int = 0
    lanes: int = 1
    url: str = ""
    local_start: str = ""
    local_end: str = ""
    who: str = ""

    @property
    def style(self) -> str:
        return (f"top:{self.top:.3f}%;height:{self.height:.3f}%;"
                f"left:{100 * self.lane / self.lanes:.3f}%;width:{100 / self.lanes:.3f}%")

    @property
    def what(self) -> str:
        visit = self.visit
        if visit.kind == "session":
            return f"Session {visit.session_number}"
        return KIND_LABELS[visit.kind]

    @property
    def label(self) -> str:
        """The full detail, read on hover and focus and by screen readers."""
        return (f"{self.local_start} to {self.local_end}: {self.what} for {self.visit.patient.full_name}"
                f"{', ' + self.who if self.who else ''} ({STATUS_LABELS[self.visit.status]})")


@dataclass
class Column:
    key: int | None
    label: str
    blocks: list[Block] = field(default_factory=list)
    shades: list[Shade] = field(default_factory=list)  # time off, a day off, out of service

    @property
    def short(self) -> str:
        """What fits above a narrow week column: the name without a title, first word."""
        words = [w for w in self.label.split() if w.rstrip(".").lower() not in ("dr", "mr", "mrs", "ms", "nurse")]
        return (words or [self.label])[0]


@dataclass
class FreeSlot:
    """An empty half hour in a column, offered for booking."""

    top: float
    at: str
    column: Column

    @property
    def style(self) -> str:
        return f"top:{self.top:.3f}%"


@dataclass
class Day:
    day: date
    columns: list[Column]
    is_today: bool
    closed: bool
    free: list[FreeSlot] = field(default_factory=list)
    shades: list[Shade] = field(default_factory=list)  # closures, across every column
    notes: list[Shade] = field(default_factory=list)  # everything drawn, for the week's list

    @property
    def agenda(self) -> list[Block]:
        """Every visit of the day by time, whichever column it is in (the week view, and
        the day on a phone)."""
        return sorted((b for c in self.columns for b in c.blocks), key=lambda b: (b.starts, b.who))


@dataclass
class Diary:
    location: Location
    days: list[Day]
    by: str
    opens: time
    closes: time
    hours: list[time]
    now_top: float | None
    day_start_ms: int
    day_minutes: int
    visit_count: int


def diary_resources(*, location: Location, by: str, provider: Provider | None) -> list[tuple[int | None, str]]:
    """The columns: the location's providers (or the signed-in provider alone) or its rooms."""
    if by == "room":
        rooms = Room.objects.filter(location=location, is_active=True).order_by("name")
        return [(room.pk, room.name) for room in rooms]
    if provider is not None:
        return [(provider.pk, provider.display_name)]
    providers = (Provider.objects.filter(is_active=True, working_hours__location=location).distinct()
                 .order_by("display_name"))
    return [(p.pk, p.display_name) for p in providers]


def _opening_span(location: Location, weekdays: set[int]) -> tuple[time, time]:
    spans = list(OpeningHours.objects.filter(location=location, weekday__in=weekdays).values_list("opens", "closes"))
    if not spans:
        return DEFAULT_OPEN, DEFAULT_CLOSE
    opens = min(s[0] for s in spans)
    closes = max(s[1] for s in spans)
    # Round out to whole hours so the grid reads cleanly.
    return time(opens.hour), time(min(23, closes.hour + (1 if closes.minute else 0)))


def _lanes(blocks: list[Block]) -> None:
    """Side by side when two visits overlap in a column (a no-show and its replacement)."""
    blocks.sort(key=lambda b: (b.starts, b.ends))
    group: list[Block] = []
    group_end = None
    for block in blocks + [None]:
        if block is None or (group_end is not None and block.starts >= group_end):
            lanes_end: list[datetime] = []
            for member in group:
                for index, end in enumerate(lanes_end):
                    if member.starts >= end:
                        member.lane, lanes_end[index] = index, member.ends
                        break
                else:
                    member.lane = len(lanes_end)
                    lanes_end.append(member.ends)
            for member in group:
                member.lanes = max(1, len(lanes_end))
            group, group_end = [], None
        if block is not None:
            group.append(block)
            group_end = block.ends if group_end is None else max(group_end, block.ends)


SLOT_MINUTES = 30


def free_slots_place(day: Day, free_times: list[tuple[int, datetime]], *, tz, opens: time, minutes: int) -> None:
    """Place the free consultation times (provider, start) the availability service found
    in their provider's column, on the half hour and clear of the visits drawn there, so
    a click books one."""
    day_open = datetime.combine(day.day, opens, tz)
    columns = {c.key: c for c in day.columns}
    for provider_id, start in sorted(free_times, key=lambda t: (t[0], t[1])):
        column = columns.get(provider_id)
        offset = (start - day_open).total_seconds() / 60
        if column is None or offset < 0 or offset > minutes - SLOT_MINUTES or offset % SLOT_MINUTES:
            continue
        end = start + timedelta(minutes=SLOT_MINUTES)
        if any(b.starts < end and start < b.ends for b in column.blocks):
            continue  # free during another patient's numbing, but drawn under that visit
        day.free.append(FreeSlot(top=offset / minutes * 100, at=f"{start.astimezone(tz):%H:%M}", column=column))


def next_open_day(*, location: Location, after: date) -> date | None:
    """The first day after `after` the location opens, within a fortnight."""
    open_days = set(OpeningHours.objects.filter(location=location).values_list("weekday", flat=True))
    for offset in range(1, 15):
        day = after + timedelta(days=offset)
        if day.weekday() in open_days:
            return day
    return None


def diary_build(
    *, location: Location, first_day: date, days: int, by: str, provider: Provider | None,
    show_cancelled: bool = False, now: datetime | None = None, free_times: list[tuple[int, datetime]] | None = None,
) -> Diary:
    """Visits of `days` local days from `first_day`, in columns, with closures, time off,
    days off and rooms out of service drawn behind them. Queries: opening hours, resources,
    working days, visits (with patient, provider, room), and three for what is drawn behind
    (closures; time off and working hours, or rooms out of service): seven at most,
    whatever the size."""
    now = now or timezone.now()
    tz = zone(location)
    dates = [first_day + timedelta(days=n) for n in range(days)]
    opens, closes = _opening_span(location, {d.weekday() for d in dates})
    resources = diary_resources(location=location, by=by, provider=provider)
    open_days = set(OpeningHours.objects.filter(location=location).values_list("weekday", flat=True).distinct())

    start, _ = day_bounds(location, dates[0])
    _, end = day_bounds(location, dates[-1])
    visits = Appointment.objects.filter(location=location, starts_at__gte=start, starts_at__lt=end)
    visits = appointments_narrowed(visits, provider=provider)
    if not show_cancelled:
        visits = visits.exclude(status__in=HIDDEN_BY_DEFAULT)
    visits = list(visits.select_related("patient").only(
        "kind", "status", "session_number", "provider_id", "room_id", "starts_at", "ends_at", "room_ends_at",
        "patient__first_name", "patient__last_name").order_by("starts_at", "pk"))
    url = reverse("frontdesk:visit", args=[0])[:-2]

    minutes = (closes.hour * 60 + closes.minute) - (opens.hour * 60 + opens.minute)
    grouped: dict[tuple[date, int | None], list[Block]] = defaultdict(list)
    for visit in visits:
        if by == "room":
            key, begin, finish = visit.room_id, visit.starts_at, visit.room_ends_at
        else:
            key, begin, finish = visit.provider_id, visit.starts_at, visit.ends_at
        local_begin, local_finish = begin.astimezone(tz), finish.astimezone(tz)
        day = local_begin.date()
        day_open = datetime.combine(day, opens, tz)
        top = (local_begin - day_open).total_seconds() / 60 / minutes * 100
        height = (local_finish - local_begin).total_seconds() / 60 / minutes * 100
        grouped[(day, key)].append(Block(visit=visit, top=max(0.0, top), height=max(2.5, height),
                                         starts=begin, ends=finish, url=f"{url}{visit.pk}/",
                                         local_start=f"{local_begin:%H:%M}", local_end=f"{local_finish:%H:%M}"))
    if by == "room":
        if any(key is None for (_, key) in grouped):
            resources.append((None, "By phone (no room)"))
    else:
        known = {key for key, _ in resources}
        extra = sorted({key for (_, key) in grouped if key not in known})
        if extra:  # a visit with a provider no longer on the rota still shows
            names = dict(Provider.objects.filter(pk__in=extra).values_list("pk", "display_name"))
            resources += [(pk, names.get(pk, "Provider")) for pk in extra]

    today = now.astimezone(tz).date()
    shades = shades_build(location=location, dates=dates, by=by, resources=resources, opens=opens, minutes=minutes)
    built_days = []
    for day in dates:
        columns = []
        for key, label in resources:
            blocks = grouped.get((day, key), [])
            _lanes(blocks)
            for block in blocks:
                block.who = label
            columns.append(Column(key=key, label=label, blocks=blocks, shades=shades.columns.get((day, key), [])))
        built = Day(day=day, columns=columns, is_today=day == today, closed=day.weekday() not in open_days,
                    shades=shades.days.get(day, []), notes=shades.notes(day))
        if free_times and days == 1 and by == "provider":
            free_slots_place(built, free_times, tz=tz, opens=opens, minutes=minutes)
        built_days.append(built)

    now_top = None
    if today in dates:
        local_now = now.astimezone(tz)
        offset = (local_now - datetime.combine(today, opens, tz)).total_seconds() / 60
        if 0 <= offset <= minutes:
            now_top = offset / minutes * 100
    hours = [time(h) for h in range(opens.hour, closes.hour + (0 if closes.minute == 0 else 1))]
    return Diary(location=location, days=built_days, by=by, opens=opens, closes=closes, hours=hours,
                 now_top=now_top, day_start_ms=int(datetime.combine(today, opens, tz).timestamp() * 1000),
                 day_minutes=minutes, visit_count=len(visits))
