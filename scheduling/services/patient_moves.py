"""A patient moving their own visit from their page: only to times that keep every rule,
with the later sessions that would follow shown before anything is saved, and applied
all or nothing through the same reschedule the desk uses."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from clinic.audit import audit_record
from clinic.errors import Conflict, InvalidRequest
from clinic.models import Provider
from patients.models import Patient

from .. import loader
from ..models import Appointment
from ..patient_home_links import ACTOR
from ..rules import cancellation_is_late, session_window
from .availability import availability_find
from .reschedule import ReschedulePreview, appointment_reschedule, appointment_reschedule_preview, preview_fingerprint
from .series import consultation_areas

# The kinds a patient moves themselves; healing checks and reviews follow their session.
MOVABLE_KINDS = (Appointment.Kind.CONSULTATION, Appointment.Kind.SESSION, Appointment.Kind.MAINTENANCE)
# How far either side of its time a visit outside a series' windows may move.
FREE_RANGE = timedelta(days=28)
MAX_OPTIONS = 8
# Each candidate is checked with the whole cascade: a few, spread over the days offered.
MAX_CANDIDATES = 10


@dataclass(frozen=True)
class MoveOption:
    starts_at: datetime
    preview: ReschedulePreview
    # The visit's own provider, or another one when theirs has no free time that day.
    provider: Provider

    @property
    def fingerprint(self) -> list[list]:
        return preview_fingerprint(self.preview)


def move_refusal(appointment: Appointment, now: datetime) -> str:
    """Why the patient cannot move this visit online ("" when they can): said in words,
    with the clinic's phone."""
    location = appointment.location
    call = f" Please call the clinic on {location.phone}." if location.phone else " Please call the clinic."
    if appointment.status not in Appointment.OPEN_STATUSES or appointment.starts_at <= now:
        return "This visit can no longer be moved." + call
    if appointment.kind not in MOVABLE_KINDS:
        return "Healing checks and reviews are arranged by the clinic around your sessions." + call
    if cancellation_is_late(appointment, now):
        return (
            f"Your visit is less than {location.late_cancel_notice_hours} hours away, inside the clinic's "
            "notice period, so it cannot be moved online." + call
        )
    return ""


def move_range(appointment: Appointment, now: datetime) -> tuple[datetime, datetime]:
    """Where the patient may move a visit to: a session after the first stays in its
    window after the session before it (the planner moves later ones as needed); any
    other visit within four weeks either side. Never inside the notice period."""
    earliest = now + timedelta(hours=appointment.location.late_cancel_notice_hours)
    start, end = appointment.starts_at - FREE_RANGE, appointment.starts_at + FREE_RANGE
    if appointment.kind == Appointment.Kind.SESSION and appointment.series_id and (appointment.session_number or 0) > 1:
        previous = (
            appointment.series.appointments.filter(
                kind=Appointment.Kind.SESSION, status__in=Appointment.ACTIVE_STATUSES,
                session_number__lt=appointment.session_number,
            )
            .order_by("-session_number")
            .first()
        )
        if previous is not None:
            zone = ZoneInfo(appointment.location.time_zone)
            start, end = session_window(previous.starts_at, protocol=appointment.series.protocol, zone=zone)
    return max(start, earliest), end


def _days(start: datetime, end: datetime, zone: ZoneInfo, count: int) -> list:
    """Up to `count` local days from start to end, picked evenly across the range."""
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    if len(days) <= count:
        return days
    step = (len(days) - 1) / (count - 1)
    return [days[round(index * step)] for index in range(count)]


def _first_free(appointment: Appointment, day, start: datetime, end: datetime,
                zone: ZoneInfo) -> tuple[datetime, int] | None:
    """The day's first free time, and whose: with the visit's own provider from the visit's
    own time of day (similar hours suit most patients), else from the morning, else with
    any provider; a wall-clock time in the location's zone."""
    own = appointment.starts_at.astimezone(zone).time()
    morning = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    # The next local midnight, counted on the wall clock so a summer-time change day is whole.
    night = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    areas = consultation_areas(appointment.series.consultation) if appointment.series_id else None
    protocol = appointment.series.protocol if appointment.series_id else None
    tries = ((datetime.combine(day, own, tzinfo=zone), appointment.provider), (morning, appointment.provider),
             (morning, None))
    for opens, provider in tries:
        span_start, span_end = max(opens, start), min(night, end)
        if span_end <= span_start:
            continue
        slots = availability_find(
            location=appointment.location, kind=appointment.kind, start=span_start, end=span_end,
            provider=provider, patient=appointment.patient, areas=areas, limit=3, protocol=protocol,
        )
        for slot in slots:
            if slot.start != appointment.starts_at:
                return slot.start, slot.provider_id
    return None


def move_provider(appointment: Appointment, provider_id: int | None) -> Provider:
    """The provider a move is with: the visit's own, or another active one who works at
    the visit's location; anything else is refused."""
    if provider_id is None or provider_id == appointment.provider_id:
        return appointment.provider
    if provider_id not in loader.location_provider_ids(appointment.location):
        raise InvalidRequest("That time is not one we can offer for this visit. Please choose one of the times shown.")
    return Provider.objects.get(pk=provider_id)


def move_options(*, appointment: Appointment, now: datetime | None = None) -> list[MoveOption]:
    """Times the patient may move this visit to, one a day across the range, each checked
    with its whole cascade: a time whose later sessions could not all stay in their
    windows is never offered."""
    now = now or timezone.now()
    if move_refusal(appointment, now):
        return []
    start, end = move_range(appointment, now)
    if end <= start:
        return []
    zone = ZoneInfo(appointment.location.time_zone)
    options: list[MoveOption] = []
    for day in _days(start, end, zone, MAX_CANDIDATES):
        found = _first_free(appointment, day, start, end, zone)
        if found is None:
            continue
        candidate, provider_id = found
        provider = move_provider(appointment, provider_id)
        try:
            preview = appointment_reschedule_preview(appointment=appointment, new_start=candidate, provider=provider)
        except (Conflict, InvalidRequest):
            continue
        if preview.ok:
            options.append(MoveOption(starts_at=candidate, preview=preview, provider=provider))
        if len(options) >= MAX_OPTIONS:
            break
    return options


def move_preview(
    *, appointment: Appointment, new_start: datetime, provider_id: int | None = None, now: datetime | None = None
) -> MoveOption:
    """The one time the patient chose, with the visits that would follow it; refused in
    words when it is not one the page may offer."""
    now = now or timezone.now()
    refusal = move_refusal(appointment, now)
    if refusal:
        raise InvalidRequest(refusal)
    start, end = move_range(appointment, now)
    if not start <= new_start <= end:
        raise InvalidRequest("That time is not one we can offer for this visit. Please choose one of the times shown.")
    provider = move_provider(appointment, provider_id)
    preview = appointment_reschedule_preview(appointment=appointment, new_start=new_start, provider=provider)
    if not preview.ok:
        raise Conflict("That time no longer fits. Please choose another.")
    return MoveOption(starts_at=new_start, preview=preview, provider=provider)


def appointment_move_by_patient(
    *, patient: Patient, appointment: Appointment, new_start: datetime, expected: list[list],
    provider_id: int | None = None,
) -> list[Appointment]:
    """Move the patient's visit and every visit that follows it, exactly as they were
    shown (`expected`), or nothing; one message tells the patient of all of it."""
    if appointment.patient_id != patient.pk:
        raise InvalidRequest("This visit is not yours to move.")
    option = move_preview(appointment=appointment, new_start=new_start, provider_id=provider_id)
    before = appointment.starts_at
    with transaction.atomic():
        moved = appointment_reschedule(
            appointment=appointment, new_start=new_start, provider=option.provider, actor_label=ACTOR,
            expected=expected,
        )
        audit_record(
            actor=None, actor_label=ACTOR, action="patient_moved_visit", obj=patient,
            changes={"patient": patient.pk, "visit": appointment.pk, "from": before, "to": new_start,
                     "also_moved": [visit.pk for visit in moved if visit.pk != appointment.pk]},
        )
    return moved
