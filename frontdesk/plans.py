"""A proposed series laid out for the desk: a summary line, the visits in order, and
month calendars with each session's window shaded."""

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from clinic.models import Provider, Room
from scheduling.planner import Plan, PlannedVisit

SHORT = {"session": "S", "healing_check": "Check", "review": "Review", "maintenance": "M"}


@dataclass
class VisitRow:
    visit: PlannedVisit
    label: str
    short: str
    local_start: object
    local_end: object
    provider: str
    room: str


@dataclass
class CalendarDay:
    day: date | None
    window: int | None = None
    check_window: bool = False
    visits: list[VisitRow] = field(default_factory=list)


@dataclass
class Month:
    title: str
    weeks: list[list[CalendarDay]]


@dataclass
class PlanView:
    token: str
    rows: list[VisitRow]
    months: list[Month]
    summary: str
    providers: str
    last_session: object
    score: float


def _label(visit: PlannedVisit) -> tuple[str, str]:
    if visit.kind == "session":
        return f"Session {visit.number}", f"S{visit.number}"
    if visit.kind == "healing_check":
        return f"Healing check after session {visit.number}", f"Check {visit.number}"
    if visit.kind == "review":
        return "Series review", "Review"
    return f"Maintenance {visit.number}", f"M{visit.number}"


def plan_view(plan: Plan, *, token: str, tz: ZoneInfo, providers: dict[int, str], rooms: dict[int, str]) -> PlanView:
    rows = []
    for visit in plan.visits:
        label, short = _label(visit)
        rows.append(VisitRow(visit=visit, label=label, short=short, local_start=visit.start.astimezone(tz),
                             local_end=visit.end.astimezone(tz), provider=providers.get(visit.provider_id, ""),
                             room=rooms.get(visit.room_id, "By phone") if visit.room_id else "By phone"))
    by_day: dict[date, list[VisitRow]] = {}
    for row in rows:
        by_day.setdefault(row.local_start.date(), []).append(row)
    windows: dict[date, int] = {}
    check_windows: set[date] = set()
    for visit in plan.visits:
        if visit.kind == "session" and visit.number == 1:
            continue  # the first session may fall anywhere from the earliest start: no window to shade
        span = [visit.window_start + timedelta(days=n) for n in range((visit.window_end - visit.window_start).days + 1)]
        if visit.kind in ("session", "maintenance"):
            windows.update(dict.fromkeys(span, visit.number))
        else:
            check_windows.update(span)
    days = list(by_day) + list(windows)
    first, last = min(days), max(days)
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        weeks = []
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            weeks.append([
                CalendarDay(day=d, window=windows.get(d), check_window=d in check_windows, visits=by_day.get(d, []))
                if d.month == month else CalendarDay(day=None) for d in week])
        months.append(Month(title=f"{calendar.month_name[month]} {year}", weeks=weeks))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    sessions = [row for row in rows if row.visit.kind in ("session", "maintenance")]
    summary = ", ".join(f"{row.local_start:%a %d %b}" for row in sessions)
    names = list(dict.fromkeys(row.provider for row in sessions))
    return PlanView(token=token, rows=rows, months=months, summary=summary, providers=" and ".join(names),
                    last_session=sessions[-1].local_start if sessions else None, score=plan.score)


def names_for(plans: list[Plan]) -> tuple[dict[int, str], dict[int, str]]:
    """Provider and room names for every visit of these plans: two queries."""
    provider_ids = {v.provider_id for plan in plans for v in plan.visits}
    room_ids = {v.room_id for plan in plans for v in plan.visits if v.room_id}
    return (dict(Provider.objects.filter(pk__in=provider_ids).values_list("pk", "display_name")),
            dict(Room.objects.filter(pk__in=room_ids).values_list("pk", "name")))
