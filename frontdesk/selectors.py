"""Reads for the front-desk pages, with the joins each page needs (no query per row)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Prefetch, QuerySet

from clinic.models import Location, Provider
from patients.models import Consultation, Patient
from scheduling.models import Appointment, HeldVisit, Reminder, SeriesHold, TreatmentSeries, WaitlistEntry
from scheduling.rules import session_window
from scheduling.visibility import appointments_narrowed, patient_visible

from .timeutil import zone

LIVE = Appointment.ACTIVE_STATUSES


def locations() -> QuerySet[Location]:
    return Location.objects.filter(is_active=True).order_by("name")


def location_chosen(value: str | None) -> Location | None:
    """The location asked for, else the first active one."""
    choices = locations()
    if value and str(value).isdigit():
        found = choices.filter(pk=int(value)).first()
        if found is not None:
            return found
    return choices.first()


def patient_page(*, provider: Provider | None) -> QuerySet[Patient]:
    """A patient with consultations (and their areas and visit), series (with protocol),
    visits (with provider, room, areas) and reminders: one query per relation. A provider
    sees every visit of a patient they may open (so a series shows no false gap); which
    visits' clinical record they read is scheduling.visibility.ClinicalReader's answer."""
    appointments = (Appointment.objects.select_related("provider", "room", "location")
                    .prefetch_related("treated_areas").order_by("starts_at", "pk"))
    consultations = (Consultation.objects.select_related("provider", "visit", "visit__provider", "visit__location")
                     .prefetch_related("recommended_areas").order_by("-created_at", "-pk"))
    series = TreatmentSeries.objects.select_related("location", "provider", "protocol").order_by("-created_at", "-pk")
    reminders = Reminder.objects.select_related("appointment").order_by("due_at", "pk")
    waitlist = WaitlistEntry.objects.select_related("location", "provider").order_by("-created_at")
    return patient_visible(provider=provider).prefetch_related(
        Prefetch("consultations", queryset=consultations),
        Prefetch("series", queryset=series),
        Prefetch("appointments", queryset=appointments),
        Prefetch("reminders", queryset=reminders),
        Prefetch("waitlist_entries", queryset=waitlist),
    )


def visit_page(*, provider: Provider | None) -> QuerySet[Appointment]:
    visits = (Appointment.objects.select_related("patient", "provider", "room", "location", "series", "consultation")
              .prefetch_related("treated_areas"))
    return appointments_narrowed(visits, provider=provider)


def hold_page() -> QuerySet[SeriesHold]:
    # A time held online has no patient yet and is confirmed only by its code.
    return SeriesHold.objects.filter(patient__isnull=False).select_related(
        "location", "patient", "consultation").prefetch_related(
        Prefetch("visits", queryset=HeldVisit.objects.select_related("provider", "room").order_by("starts_at")))


def waitlist_page(*, location: Location) -> list[WaitlistEntry]:
    """Who is waiting or has been offered a slot, each with `offer` (the last offer: the
    slot, when it went and how) and `offer_taken` (someone else has the slot since). Four
    queries: entries, offers, their providers, the visits that could take the slots."""
    offers = (Reminder.objects.filter(kind=Reminder.Kind.WAITLIST_OFFER).order_by("-created_at", "-pk"))
    entries = list(WaitlistEntry.objects.filter(location=location)
                   .exclude(status__in=[WaitlistEntry.Status.WITHDRAWN, WaitlistEntry.Status.BOOKED])
                   .select_related("patient", "provider", "location")
                   .prefetch_related(Prefetch("reminders", queryset=offers, to_attr="offers"))
                   .order_by("earliest_date", "created_at"))
    for entry in entries:
        entry.offer = entry.offers[0] if entry.offers else None
        entry.offer_taken = False
    offered = [e for e in entries if e.offer is not None and "provider_id" in e.offer.payload]
    if not offered:
        return entries
    names = dict(Provider.objects.filter(pk__in={e.offer.payload["provider_id"] for e in offered})
                 .values_list("pk", "display_name"))
    spans = {e.pk: (e.offer.payload["provider_id"], datetime.fromisoformat(e.offer.payload["provider_starts_at"]),
                    datetime.fromisoformat(e.offer.payload["provider_ends_at"])) for e in offered}
    busy = list(Appointment.objects.filter(
        provider_id__in={s[0] for s in spans.values()}, status__in=LIVE,
        provider_starts_at__lt=max(s[2] for s in spans.values()),
        provider_ends_at__gt=min(s[1] for s in spans.values()),
    ).values_list("provider_id", "provider_starts_at", "provider_ends_at"))
    for entry in offered:
        provider_id, start, end = spans[entry.pk]
        entry.offer_provider = names.get(provider_id, "")
        entry.offer_starts_at = start
        entry.offer_taken = any(p == provider_id and s < end and start < e for p, s, e in busy)
    return entries


# --- A series as a timeline -----------------------------------------------------------
@dataclass
class Step:
    """One row of a series timeline: a visit, or a session still to book."""

    kind: str
    label: str
    visit: Appointment | None
    window: tuple[date, date] | None
    day: date | None

    @property
    def in_window(self) -> bool | None:
        if self.window is None or self.day is None:
            return None
        return self.window[0] <= self.day <= self.window[1]


@dataclass
class Timeline:
    series: TreatmentSeries
    steps: list[Step]
    reminders: list[Reminder]
    first: date
    last: date
    marks: list[dict] = field(default_factory=list)
    bands: list[dict] = field(default_factory=list)


def _label(visit: Appointment) -> str:
    if visit.kind == "session":
        return f"Session {visit.session_number}"
    if visit.kind == "healing_check":
        return f"Healing check after session {visit.session_number}" if visit.session_number else "Healing check"
    return visit.get_kind_display()


def series_timeline(*, series: TreatmentSeries, visits: list[Appointment], consultation_visit: Appointment | None,
                    reminders: list[Reminder], today: date) -> Timeline:
    """Consultation, each session with the window it had to fall in, healing checks,
    review and maintenance; a session not yet booked shows its open window. Windows are
    counted in the location's local calendar from the previous live session."""
    protocol = series.protocol
    tz = zone(series.location)
    live = [v for v in visits if v.status in LIVE]
    local = {v.pk: v.starts_at.astimezone(tz).date() for v in visits}
    sessions = {v.session_number: v for v in live if v.kind == "session"}
    steps: list[Step] = []
    if consultation_visit is not None:
        steps.append(Step("consultation", "Consultation", consultation_visit, None,
                          consultation_visit.starts_at.astimezone(tz).date()))

    def window_of(number: int) -> tuple[date, date] | None:
        previous = sessions.get(number - 1)
        if previous is None:
            return None
        opens, closes = session_window(previous.starts_at, protocol=protocol, zone=tz)
        return opens.date(), closes.date()

    for visit in visits:
        window = None
        if visit.kind == "session" and visit.session_number:
            window = window_of(visit.session_number)
        elif visit.kind == "healing_check" and visit.session_number in sessions:
            day = local[sessions[visit.session_number].pk]
            window = (day + timedelta(days=protocol.healing_check_min_days),
                      day + timedelta(days=protocol.healing_check_max_days))
        elif visit.kind == "review" and sessions:
            day = local[sessions[max(sessions)].pk]
            window = day + timedelta(days=protocol.review_min_days), day + timedelta(days=protocol.review_max_days)
        elif visit.kind == "maintenance":
            before = [v for v in live if v.kind in ("session", "maintenance") and v.starts_at < visit.starts_at]
            if before:
                day = local[before[-1].pk]
                window = (day + timedelta(days=protocol.maintenance_min_days),
                          day + timedelta(days=protocol.maintenance_max_days))
        steps.append(Step(visit.kind, _label(visit), visit, window, local[visit.pk]))
    if series.status in ("active", "paused"):
        for number in range(1, series.session_count + 1):
            if number not in sessions:
                window = window_of(number)
                steps.append(Step("session", f"Session {number}: not booked", None, window, None))
                break
    if series.status == "completed":
        treated = [v for v in live if v.kind in ("session", "maintenance")]
        upcoming = [v for v in live if v.kind == "maintenance" and local[v.pk] >= today]
        if treated and not upcoming:
            day = local[treated[-1].pk]
            steps.append(Step("maintenance", "Maintenance due", None,
                              (day + timedelta(days=protocol.maintenance_min_days),
                               day + timedelta(days=protocol.maintenance_max_days)), None))

    def sort_key(step: Step):
        return step.day or (step.window[0] if step.window else date.max)

    steps.sort(key=sort_key)
    days = [s.day for s in steps if s.day] + [d for s in steps if s.window for d in s.window]
    first = min(days) if days else today
    last = max(days) if days else today
    span = max(1, (last - first).days + 1)
    timeline = Timeline(series=series, steps=steps, reminders=reminders, first=first, last=last)
    for step in steps:
        if step.window:
            timeline.bands.append({"left": (step.window[0] - first).days / span * 100,
                                   "width": ((step.window[1] - step.window[0]).days + 1) / span * 100,
                                   "kind": step.kind})
        if step.day:
            status = step.visit.status if step.visit else "open"
            timeline.marks.append({"left": ((step.day - first).days + 0.5) / span * 100, "kind": step.kind,
                                   "status": status, "label": step.label})
    return timeline


def patient_timelines(patient: Patient, *, today: date) -> tuple[list[Timeline], list[Reminder]]:
    """Each series of the (prefetched) patient as a timeline, and the reminders that
    belong to no series."""
    by_series: dict[int, list[Appointment]] = defaultdict(list)
    for visit in patient.appointments.all():
        if visit.series_id:
            by_series[visit.series_id].append(visit)
    consultation_visits = {c.pk: getattr(c, "visit", None) for c in patient.consultations.all()}
    reminders_by_series: dict[int | None, list[Reminder]] = defaultdict(list)
    for reminder in patient.reminders.all():
        key = reminder.series_id or (reminder.appointment.series_id if reminder.appointment_id else None)
        reminders_by_series[key].append(reminder)
    timelines = [
        series_timeline(series=series, visits=by_series.get(series.pk, []),
                        consultation_visit=consultation_visits.get(series.consultation_id),
                        reminders=reminders_by_series.get(series.pk, []), today=today)
        for series in patient.series.all()
    ]
    return timelines, reminders_by_series.get(None, [])
