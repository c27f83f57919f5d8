"""Planning and booking whole series: propose, hold, confirm, reschedule, maintenance.

The planner (scheduling.planner) is pure; these services load its inputs, call it, and
write its answers back, re-checking everything inside one transaction. A proposal the
front desk chose is held for a few minutes (SeriesHold) so another desk cannot take the
same slots; confirming turns it into appointments all at once or not at all."""

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from clinic.audit import audit_record
from clinic.errors import Conflict, InvalidRequest, NotFound
from clinic.models import Location, Provider, Room, TimeOff
from patients.models import Consultation, Patient
from patients.services import consultation_cautions_open

from .. import loader
from ..models import Appointment, HeldVisit, SeriesHold, TreatmentProtocol, TreatmentSeries
from ..planner import (
    Plan,
    PlannedVisit,
    PlanResult,
    Preferences,
    Problem,
    SeriesRequest,
    SlotRows,
    find_slot_rows,
    find_slots,
    plan_maintenance,
    plan_reschedule,
    plan_series,
)
from ..reminders.services import reminders_series_booked, reminders_sync_for_appointments
from ..selectors import VisitSpec, appointment_conflicts, consultation_planning_facts
from .booking import appointments_book, conflict_from_integrity_error

HOLD_MINUTES = getattr(settings, "SERIES_HOLD_MINUTES", 10)
# The first search looks this far past the natural end of a series; only if nothing
# fits does it widen to a whole year (same queries again, so a fixed count per stage).
SHORT_HORIZON_SLACK_DAYS = 35
LONG_HORIZON_DAYS = 365
# How many days late each session may fall in the first, narrow search.
TARGET_WINDOW_SLACK_DAYS = 3
PROPOSAL_SALT = "scheduling.proposal"
PROPOSAL_MAX_AGE = 30 * 60


# Read on every booking and every free-slot question: written out once, because building
# the query for a model of some fifty fields costs more than running it.
_ACTIVE_PROTOCOL_SQL = f"SELECT * FROM {TreatmentProtocol._meta.db_table} WHERE is_active ORDER BY id LIMIT 1"


def default_protocol() -> TreatmentProtocol:
    """The active protocol (the first, by id)."""
    protocol = next(iter(TreatmentProtocol.objects.raw(_ACTIVE_PROTOCOL_SQL)), None)
    if protocol is None:
        raise InvalidRequest("No active treatment protocol is configured.")
    return protocol


def _spec(visit: PlannedVisit) -> VisitSpec:
    return VisitSpec(
        kind=visit.kind,
        provider_id=visit.provider_id,
        room_id=visit.room_id,
        starts_at=visit.start,
        provider_starts_at=visit.provider_start,
        provider_ends_at=visit.provider_end,
        ends_at=visit.end,
        room_ends_at=visit.room_end,
        session_number=visit.number if visit.kind in ("session", "healing_check") else None,
    )


def _lock_location(location: Location) -> None:
    """Serialise holds and confirmations per location: a transaction-scoped advisory
    lock on PostgreSQL; SQLite's immediate transactions already hold the write lock."""
    if connection.vendor == "postgresql":
        key = int.from_bytes(hashlib.blake2b(f"location:{location.pk}".encode(), digest_size=8).digest(), "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _held_conflicts(*, visits: list[VisitSpec], ignore_hold_id=None, now: datetime) -> list[str]:
    """Slots another desk holds right now."""
    problems = []
    held = (
        HeldVisit.objects.filter(hold__status=SeriesHold.Status.HELD, hold__expires_at__gt=now)
        .exclude(hold_id=ignore_hold_id)
        .select_related("provider", "room")
    )
    if visits:
        first = min(v.starts_at for v in visits)
        last = max(v.room_ends_at for v in visits)
        held = held.filter(starts_at__lt=last, room_ends_at__gt=first)
    for other in held:
        for visit in visits:
            if other.provider_id == visit.provider_id and other.provider_starts_at < visit.provider_ends_at \
                    and visit.provider_starts_at < other.provider_ends_at:
                problems.append(f"{other.provider} is held for another patient at that time.")
            if visit.room_id is not None and other.room_id == visit.room_id and other.starts_at < visit.room_ends_at \
                    and visit.starts_at < other.room_ends_at:
                problems.append(f"{other.room.name} is held for another patient at that time.")
    return list(dict.fromkeys(problems))


def _rule_conflicts(*, location: Location, visits: list[VisitSpec]) -> list[str]:
    """Closures and time off that appeared since the proposal was made."""
    if not visits:
        return []
    first, last = min(v.starts_at for v in visits), max(v.room_ends_at for v in visits)
    problems = []
    for closure in location.closures.filter(starts_at__lt=last, ends_at__gt=first):
        if any(v.starts_at < closure.ends_at and closure.starts_at < v.room_ends_at for v in visits):
            problems.append(f"The clinic is closed then ({closure.reason}).")
    provider_ids = {v.provider_id for v in visits}
    for off in TimeOff.objects.filter(provider_id__in=provider_ids, starts_at__lt=last, ends_at__gt=first).select_related("provider"):
        if any(v.provider_id == off.provider_id and v.provider_starts_at < off.ends_at and off.starts_at < v.provider_ends_at
               for v in visits):
            problems.append(f"{off.provider} is away then.")
    return problems


# --- Consultations and single visits --------------------------------------------------
def availability_find(
    *,
    location: Location,
    kind: str,
    start: datetime,
    end: datetime,
    provider: Provider | None = None,
    patient: Patient | None = None,
    areas: list[str] | None = None,
    limit: int = 50,
    protocol: TreatmentProtocol | None = None,
) -> list[PlannedVisit]:
    """Free slots for one visit of this kind, earliest first."""
    _check_range(start, end)
    protocol = protocol or default_protocol()
    try:
        shape = loader.visit_shape(protocol, kind, areas or ["face"])
    except ValueError as error:
        raise InvalidRequest(str(error), details={"kind": [str(error)]}) from error
    start = max(start, timezone.now())
    if end <= start:
        return []
    diary = loader.diary_load(location=location, start=start, end=end, patient=patient)
    if provider is not None and provider.pk not in {p.id for p in diary.location.providers}:
        raise InvalidRequest(f"{provider} does not work at {location}.", details={"provider": ["Does not work at this location."]})
    return find_slots(diary.location, shape, start, end, patient_busy=diary.patient_busy,
                      provider_id=provider.pk if provider else None, limit=limit, kind=kind)


def availability_every_kind(
    *, location: Location, start: datetime, end: datetime, areas: list[str] | None = None, limit: int = 50
) -> tuple[dict[str, SlotRows], frozenset[int]]:
    """Free slots of every kind of visit with any provider, earliest first, from one
    reading of the diary, and the active providers who work at the location."""
    _check_range(start, end)
    protocol = default_protocol()
    shapes = {kind: loader.visit_shape(protocol, kind, areas or ["face"]) for kind in Appointment.Kind.values}
    start = max(start, timezone.now())
    if end <= start:
        return {kind: SlotRows(kind, (0, 0), (0, 0, 0), ()) for kind in shapes}, frozenset(
            loader.location_provider_ids(location))
    diary = loader.diary_load(location=location, start=start, end=end)
    slots = find_slot_rows(diary.location, shapes, start, end, limit=limit)
    return slots, frozenset(p.id for p in diary.location.providers)


def _check_range(start: datetime, end: datetime) -> None:
    if end <= start:
        raise InvalidRequest("The end of the range must be after its start.", details={"end": ["Must be after start."]})
    if end - start > timedelta(days=92):
        raise InvalidRequest("Ask for at most 92 days of availability at once.", details={"end": ["At most 92 days after start."]})


def _single_visit(
    *, location: Location, kind: str, starts_at: datetime, provider: Provider, room: Room | None,
    patient: Patient, protocol: TreatmentProtocol, areas: list[str] | None = None, ignore_ids=(),
) -> PlannedVisit:
    """The planner's view of one visit at an exact time, or a clear refusal."""
    if timezone.is_naive(starts_at):
        raise InvalidRequest("Give the time with its time zone.", details={"starts_at": ["Include a UTC offset."]})
    if starts_at < timezone.now():
        raise InvalidRequest("That time has already passed.", details={"starts_at": ["Must be in the future."]})
    shape = loader.visit_shape(protocol, kind, areas or ["face"])
    window_end = starts_at + timedelta(minutes=shape.room_minutes + 1)
    diary = loader.diary_load(location=location, start=starts_at, end=window_end, patient=patient,
                              ignore_appointment_ids=ignore_ids)
    slots = find_slots(diary.location, shape, starts_at, window_end, patient_busy=diary.patient_busy,
                       provider_id=provider.pk, limit=50, kind=kind)
    for slot in slots:
        if slot.start == starts_at and (room is None or slot.room_id == room.pk or not shape.needs_room):
            return slot
    if room is not None and any(slot.start == starts_at for slot in slots):
        raise Conflict(f"{room.name} is not free then; another room is.")
    raise Conflict(
        f"{provider} cannot see the patient at that time: outside opening or working hours, "
        "on a closure or time off, or already taken."
    )


@transaction.atomic
def consultation_book(
    *, patient: Patient, location: Location, provider: Provider, starts_at: datetime,
    room: Room | None = None, booked_by=None,
) -> Appointment:
    """Book a consultation visit and open its (not yet assessed) clinical record."""
    protocol = default_protocol()
    visit = _single_visit(location=location, kind="consultation", starts_at=starts_at, provider=provider, room=room,
                          patient=patient, protocol=protocol)
    consultation = Consultation.objects.create(patient=patient)
    [appointment] = appointments_book(location=location, patient=patient, visits=[_spec(visit)],
                                      consultation=consultation, created_by=booked_by)
    audit_record(actor=booked_by, action="booked", obj=appointment,
                 changes={"kind": "consultation", "starts_at": appointment.starts_at, "provider": provider.pk})
    _sync_reminders([appointment])
    return appointment


# --- Series: propose, hold, confirm ---------------------------------------------------
def consultation_check_plannable(
    *, consultation: Consultation, protocol: TreatmentProtocol, now: datetime, has_live_series: bool | None = None
) -> None:
    """A series starts only from a recent eligible consultation whose caution (if any)
    a provider acknowledged, and only once (`has_live_series` when the caller has read
    it already)."""
    if consultation.outcome != Consultation.Outcome.ELIGIBLE:
        label = consultation.get_outcome_display().lower()
        raise InvalidRequest(f"A series can only be planned from an eligible consultation; this one is {label}.",
                             details={"consultation": ["Not eligible."]})
    if consultation.assessed_at is None or consultation.assessed_at < now - timedelta(days=protocol.consultation_valid_days):
        raise InvalidRequest(
            f"The consultation is older than {protocol.consultation_valid_days} days; book a new consultation first.",
            details={"consultation": ["Too old."]},
        )
    open_cautions = consultation_cautions_open(consultation)  # every caution, not only hyperpigmentation
    if open_cautions:
        raise InvalidRequest(
            "A provider must acknowledge the caution before a series is planned: " + "; ".join(open_cautions) + ".",
            details={"consultation": ["Caution not acknowledged."]},
        )
    if has_live_series is None:
        has_live_series = consultation.series.exclude(status=TreatmentSeries.Status.CANCELLED).exists()
    if has_live_series:
        raise InvalidRequest("This consultation already has a series.", details={"consultation": ["Already has a series."]})


def _areas(consultation: Consultation) -> list[str]:
    return [area.area for area in consultation.recommended_areas.order_by("id")] or ["face"]


def series_propose(
    *,
    consultation: Consultation,
    location: Location,
    earliest_start: datetime | None = None,
    session_count: int | None = None,
    target_interval_days: int | None = None,
    preferences: Preferences | None = None,
    alternatives: int = 3,
) -> PlanResult:
    """The planner's best whole series for this consultation, with alternatives, or
    a plain-English reason why none fits."""
    facts = consultation_planning_facts(consultation)
    protocol = facts.protocol
    if protocol is None:
        raise InvalidRequest("No active treatment protocol is configured.")
    now = timezone.now()
    consultation_check_plannable(consultation=consultation, protocol=protocol, now=now,
                                 has_live_series=facts.has_live_series)
    count = session_count or consultation.recommended_sessions or protocol.session_count_default
    if not protocol.session_count_min <= count <= protocol.session_count_max:
        raise InvalidRequest(
            f"A series has {protocol.session_count_min} to {protocol.session_count_max} sessions.",
            details={"session_count": [f"Must be between {protocol.session_count_min} and {protocol.session_count_max}."]},
        )
    if target_interval_days is not None and not protocol.min_interval_days <= target_interval_days <= protocol.max_interval_days:
        raise InvalidRequest(
            f"Sessions are {protocol.min_interval_days} to {protocol.max_interval_days} days apart "
            f"({protocol.min_interval_days // 7}-{protocol.max_interval_days // 7} weeks).",
            details={"target_interval_days": [f"Must be between {protocol.min_interval_days} and {protocol.max_interval_days}."]},
        )
    if earliest_start is not None and timezone.is_naive(earliest_start):
        raise InvalidRequest("Give the earliest start with its time zone.", details={"earliest_start": ["Include a UTC offset."]})
    start = max(earliest_start or now, now)
    preferences = preferences or Preferences()
    if preferences.provider_id is not None and not location.working_hours.filter(provider_id=preferences.provider_id).exists():
        raise InvalidRequest("That provider does not work at this location.", details={"provider": ["Not at this location."]})
    rules = loader.series_rules(protocol, session_count=count, areas=facts.areas or ["face"],
                                target_interval_days=target_interval_days)
    natural = (count - 1) * rules.target_interval_days + protocol.review_max_days + SHORT_HORIZON_SLACK_DAYS
    # First only the days a series at the target interval would use, which is where the
    # best plans lie; if nothing fits there, the whole horizon. Either stage costs the
    # same fixed number of queries.
    stages = [(natural, _target_windows(location=location, start=start, rules=rules)),
              (LONG_HORIZON_DAYS + natural, None)]
    result = None
    for days, windows in stages:
        end = start + timedelta(days=days)
        diary = loader.diary_load(location=location, start=start, end=end, patient=consultation.patient,
                                  windows=windows, now=now)
        request = SeriesRequest(
            location=diary.location,
            rules=rules,
            patient_busy=diary.patient_busy,
            earliest_start=start,
            horizon_end=end,
            preferences=preferences,
            alternatives=alternatives,
        )
        result = plan_series(request)
        if result.best is not None:
            break
    return result


def _target_windows(*, location: Location, start: datetime, rules) -> list[tuple[datetime, datetime]]:
    """Local days around each session at the target interval from the earliest start,
    with their healing checks and the review, as UTC ranges."""
    tz = ZoneInfo(location.time_zone)
    first = start.astimezone(tz).date()
    # A session up to SLACK days late, and its healing check up to two days into its window.
    reach = TARGET_WINDOW_SLACK_DAYS + rules.healing_check_min_days + 2
    spans = []
    for k in range(rules.session_count):
        day = first + timedelta(days=k * rules.target_interval_days)
        spans.append((day, day + timedelta(days=reach)))
    last = first + timedelta(days=(rules.session_count - 1) * rules.target_interval_days)
    spans.append((last + timedelta(days=rules.review_min_days),
                  last + timedelta(days=rules.review_min_days + 2 * TARGET_WINDOW_SLACK_DAYS)))
    # Midnight to midnight in local time: the days DST shortens or lengthens included.
    return [(datetime.combine(lo, datetime.min.time(), tz), datetime.combine(hi + timedelta(days=1), datetime.min.time(), tz))
            for lo, hi in spans]


def proposal_sign(*, consultation: Consultation, location: Location, plan: Plan) -> str:
    """A tamper-proof token for a proposal, so a client can hold exactly what the
    planner offered without the server storing every proposal it makes."""
    visits = [
        [v.kind, v.number, v.provider_id, v.room_id, v.start.isoformat(), v.provider_start.isoformat(),
         v.provider_end.isoformat(), v.end.isoformat(), v.room_end.isoformat(),
         v.window_start.isoformat(), v.window_end.isoformat(), v.local_date.isoformat() if v.local_date else None]
        for v in plan.visits
    ]
    return signing.dumps({"c": consultation.pk, "l": location.pk, "v": visits, "s": plan.score}, salt=PROPOSAL_SALT,
                         compress=True)


def proposal_unsign(*, token: str) -> tuple[int, int, Plan]:
    """(consultation id, location id, plan) from a proposal token; InvalidRequest if
    it was altered or is older than half an hour."""
    try:
        data = signing.loads(token, salt=PROPOSAL_SALT, max_age=PROPOSAL_MAX_AGE)
    except signing.SignatureExpired as error:
        raise InvalidRequest("This proposal is too old; ask for a new one.", details={"proposal": ["Expired."]}) from error
    except signing.BadSignature as error:
        raise InvalidRequest("This proposal is not one the planner made.", details={"proposal": ["Invalid."]}) from error
    visits = tuple(
        PlannedVisit(kind=k, number=n, provider_id=p, room_id=r, start=datetime.fromisoformat(s),
                     provider_start=datetime.fromisoformat(ps), provider_end=datetime.fromisoformat(pe),
                     end=datetime.fromisoformat(e), room_end=datetime.fromisoformat(re),
                     window_start=date.fromisoformat(ws), window_end=date.fromisoformat(we),
                     local_date=date.fromisoformat(ld) if ld else None)
        for k, n, p, r, s, ps, pe, e, re, ws, we, ld in data["v"]
    )
    return data["c"], data["l"], Plan(visits=visits, score=data["s"])


def _check_free(*, location: Location, patient: Patient, visits: list[VisitSpec], ignore_ids=(), ignore_hold_id=None) -> None:
    now = timezone.now()
    if any(v.starts_at < now for v in visits):
        raise Conflict("Part of this plan is already in the past; ask for a new proposal.")
    problems = (
        appointment_conflicts(patient_id=patient.pk, visits=visits, ignore_ids=ignore_ids)
        + _held_conflicts(visits=visits, ignore_hold_id=ignore_hold_id, now=now)
        + _rule_conflicts(location=location, visits=visits)
    )
    if problems:
        raise Conflict("Some of these slots were taken meanwhile: " + " ".join(problems), details={"conflicts": problems})


@transaction.atomic
def series_hold(
    *, consultation: Consultation, location: Location, plan: Plan, held_by=None, minutes: int = HOLD_MINUTES,
    purpose: str = "series", series: TreatmentSeries | None = None,
) -> SeriesHold:
    """Keep a proposal's slots for a few minutes so no other desk can take them."""
    if not plan.visits:
        raise InvalidRequest("The proposal has no visits.")
    protocol = default_protocol()
    if purpose == "series":
        consultation_check_plannable(consultation=consultation, protocol=protocol, now=timezone.now())
    _lock_location(location)
    specs = [_spec(v) for v in plan.visits]
    _check_free(location=location, patient=consultation.patient, visits=specs)
    hold = SeriesHold.objects.create(
        location=location, patient=consultation.patient, consultation=consultation, protocol=protocol, series=series,
        purpose=purpose, expires_at=timezone.now() + timedelta(minutes=minutes), created_by=held_by,
    )
    HeldVisit.objects.bulk_create(
        HeldVisit(hold=hold, kind=v.kind, session_number=v.session_number, provider_id=v.provider_id, room_id=v.room_id,
                  starts_at=v.starts_at, provider_starts_at=v.provider_starts_at, provider_ends_at=v.provider_ends_at,
                  ends_at=v.ends_at, room_ends_at=v.room_ends_at)
        for v in specs
    )
    return hold


def _hold_specs(hold: SeriesHold) -> list[VisitSpec]:
    return [
        VisitSpec(kind=v.kind, provider_id=v.provider_id, room_id=v.room_id, starts_at=v.starts_at,
                  provider_starts_at=v.provider_starts_at, provider_ends_at=v.provider_ends_at, ends_at=v.ends_at,
                  room_ends_at=v.room_ends_at, session_number=v.session_number)
        for v in hold.visits.all()
    ]


def _locked_hold(hold: SeriesHold) -> SeriesHold:
    try:
        return SeriesHold.objects.select_for_update(of=("self",)).select_related("location", "patient", "consultation").get(pk=hold.pk)
    except SeriesHold.DoesNotExist as error:
        raise NotFound("That hold does not exist.") from error


def series_confirm(*, hold: SeriesHold, confirmed_by=None) -> TreatmentSeries:
    """Book every visit of a held proposal as one series: all or nothing.

    An expired hold is confirmed too if its slots are still free; if anything was
    taken meanwhile the answer is a Conflict naming what, and nothing is saved."""
    try:
        with transaction.atomic():
            hold = _locked_hold(hold)
            if hold.status != SeriesHold.Status.HELD:
                raise Conflict(f"This proposal was already {hold.get_status_display().lower()}.")
            if hold.purpose != "series":
                raise InvalidRequest("This hold is not for a new series.")
            consultation = hold.consultation
            protocol = default_protocol()
            consultation_check_plannable(consultation=consultation, protocol=protocol, now=timezone.now())
            _lock_location(hold.location)
            specs = _hold_specs(hold)
            _check_free(location=hold.location, patient=hold.patient, visits=specs, ignore_hold_id=hold.pk)
            sessions = [s for s in specs if s.kind == "session"]
            providers = {s.provider_id for s in sessions}
            series = TreatmentSeries.objects.create(
                patient=hold.patient, consultation=consultation, protocol=hold.protocol, location=hold.location,
                provider_id=providers.pop() if len(providers) == 1 else None, session_count=len(sessions),
                created_by=confirmed_by,
            )
            appointments = appointments_book(location=hold.location, patient=hold.patient, visits=specs, series=series,
                                             created_by=confirmed_by)
            hold.status = SeriesHold.Status.CONFIRMED
            hold.series = series
            hold.save(update_fields=["status", "series"])
            audit_record(actor=confirmed_by, action="series_booked", obj=series,
                         changes={"sessions": len(sessions), "visits": [a.pk for a in appointments]})
            _series_booked_reminders(series, appointments)
            return series
    except IntegrityError as error:
        raise conflict_from_integrity_error(error) from error


@transaction.atomic
def hold_release(*, hold: SeriesHold, released_by=None) -> None:
    """Give the slots back before the hold runs out (the desk chose another plan)."""
    hold = _locked_hold(hold)
    if hold.status == SeriesHold.Status.HELD:
        hold.status = SeriesHold.Status.RELEASED
        hold.save(update_fields=["status"])


def holds_expire(*, now: datetime | None = None) -> int:
    """Mark expired holds released; availability already ignores them, this keeps the table small."""
    now = now or timezone.now()
    return SeriesHold.objects.filter(status=SeriesHold.Status.HELD, expires_at__lte=now).update(
        status=SeriesHold.Status.RELEASED
    )


# --- Rescheduling ---------------------------------------------------------------------
@dataclass(frozen=True)
class VisitChange:
    """One visit as it would move: appointment_id None is a new visit."""

    appointment_id: int | None
    kind: str
    number: int | None
    old_start: datetime | None
    new: PlannedVisit


@dataclass(frozen=True)
class ReschedulePreview:
    appointment_id: int
    changes: list[VisitChange] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    problem: Problem | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.problem is None and not self.message


def _as_planned(appointment: Appointment, tz_date) -> PlannedVisit:
    return PlannedVisit(
        kind=appointment.kind, number=appointment.session_number or 0, provider_id=appointment.provider_id,
        room_id=appointment.room_id, start=appointment.starts_at, provider_start=appointment.provider_starts_at,
        provider_end=appointment.provider_ends_at, end=appointment.ends_at, room_end=appointment.room_ends_at,
        window_start=tz_date(appointment.starts_at), window_end=tz_date(appointment.starts_at),
        local_date=tz_date(appointment.starts_at),
    )


def appointment_reschedule_preview(
    *, appointment: Appointment, new_start: datetime, provider: Provider | None = None
) -> ReschedulePreview:
    """What moving this visit would change, before anything is saved.

    Moving session k keeps later sessions where they are when their intervals still
    fit, and otherwise moves them by the smallest change that puts every interval back
    in its window; healing checks and the review follow the sessions they belong to."""
    if appointment.status not in ("booked", "confirmed"):
        raise InvalidRequest(f"A {appointment.get_status_display().lower()} visit cannot be moved.")
    if timezone.is_naive(new_start):
        raise InvalidRequest("Give the new time with its time zone.", details={"starts_at": ["Include a UTC offset."]})
    if new_start < timezone.now():
        raise InvalidRequest("That time has already passed.", details={"starts_at": ["Must be in the future."]})
    location = appointment.location
    tz = ZoneInfo(location.time_zone)

    def local_date(moment):
        return moment.astimezone(tz).date()

    if appointment.kind != "session" or appointment.series_id is None:
        protocol = appointment.series.protocol if appointment.series_id else default_protocol()
        areas = [a.area for a in appointment.treated_areas.all()] or (
            _areas(appointment.series.consultation) if appointment.series_id else ["face"])
        visit = _single_visit(location=location, kind=appointment.kind, starts_at=new_start,
                              provider=provider or appointment.provider, room=None, patient=appointment.patient,
                              protocol=protocol, areas=areas, ignore_ids=[appointment.pk])
        return ReschedulePreview(appointment_id=appointment.pk, changes=[
            VisitChange(appointment.pk, appointment.kind, appointment.session_number, appointment.starts_at, visit)])

    series = appointment.series
    protocol = series.protocol
    own = list(series.appointments.filter(status__in=("booked", "confirmed", "checked_in", "completed"))
               .exclude(kind="maintenance").order_by("starts_at"))
    # The planner numbers the sessions that still stand 1..m; a cancelled session
    # leaves no gap, so the intervals run between the sessions the patient will have.
    sessions = [a for a in own if a.kind == "session"]
    planner_number = {a.session_number: index for index, a in enumerate(sessions, start=1)}
    real_number = {index: number for number, index in planner_number.items()}
    booked = []
    for visit in own:
        if visit.kind == "review":
            booked.append(replace(_as_planned(visit, local_date), number=1))
        elif visit.session_number in planner_number:
            booked.append(replace(_as_planned(visit, local_date), number=planner_number[visit.session_number]))
    start = min(timezone.now(), new_start)
    # Far enough for every later session to move to the end of its window, and its review.
    reach = timedelta(days=protocol.max_interval_days * series.session_count + protocol.review_max_days)
    end = max(max(a.room_ends_at for a in own) + reach + timedelta(days=60), new_start + reach)
    diary = loader.diary_load(location=location, start=start, end=end, patient=series.patient,
                              ignore_appointment_ids=[a.pk for a in own])
    request = SeriesRequest(
        location=diary.location,
        rules=loader.series_rules(protocol, session_count=len(sessions), areas=_areas(series.consultation)),
        patient_busy=diary.patient_busy,
        earliest_start=start,
        horizon_end=end,
        preferences=Preferences(),
        alternatives=0,
    )
    # The follow-ups go in too: the planner carries over those of unchanged sessions.
    result = plan_reschedule(request, booked, planner_number[appointment.session_number], new_start,
                             provider_id=provider.pk if provider else None)
    if result.problem is not None:
        # The planner counts only the sessions that stand; staff know them by their own numbers.
        message = re.sub(r"\b([Ss]ession) (\d+)\b",
                         lambda m: f"{m.group(1)} {real_number.get(int(m.group(2)), m.group(2))}", result.problem.message)
        return ReschedulePreview(appointment_id=appointment.pk, problem=result.problem, message=message)

    # Match the new list of visits with the existing ones by kind and session; a visit
    # that did not move keeps its appointment untouched.
    existing = {(a.kind, a.session_number if a.kind != "review" else 0): a for a in own}
    changes: list[VisitChange] = []
    matched: set[int] = set()
    for visit in result.visits:
        number = 0 if visit.kind == "review" else real_number[visit.number]
        visit = replace(visit, number=number)
        current = existing.get((visit.kind, number))
        if current is not None:
            matched.add(current.pk)
            if (current.starts_at, current.provider_id, current.room_id) == (visit.start, visit.provider_id, visit.room_id):
                continue
            if current.status not in ("booked", "confirmed"):
                continue  # what already happened stays as it happened
        changes.append(VisitChange(current.pk if current else None, visit.kind, number or None,
                                   current.starts_at if current else None, visit))
    cancelled = [a.pk for a in own if a.pk not in matched and a.status in ("booked", "confirmed") and a.starts_at > timezone.now()]
    return ReschedulePreview(appointment_id=appointment.pk, changes=changes, cancelled=cancelled)


def appointment_reschedule(
    *, appointment: Appointment, new_start: datetime, provider: Provider | None = None, changed_by=None
) -> list[Appointment]:
    """Apply the same cascade the preview showed, in one transaction; a Conflict if the
    slots were taken since."""
    try:
        with transaction.atomic():
            appointment = Appointment.objects.select_for_update(of=("self",)).select_related("location", "series").get(
                pk=appointment.pk)
            _lock_location(appointment.location)
            preview = appointment_reschedule_preview(appointment=appointment, new_start=new_start, provider=provider)
            if not preview.ok:
                raise Conflict(preview.message or "That move does not fit.")
            ids = [c.appointment_id for c in preview.changes if c.appointment_id] + preview.cancelled
            rows = {a.pk: a for a in Appointment.objects.select_for_update().filter(pk__in=ids)}
            specs = [_spec(c.new) for c in preview.changes]
            _check_free(location=appointment.location, patient=appointment.patient, visits=specs, ignore_ids=ids)
            # Park the moving rows outside the exclusion constraints first, so a visit
            # moving into another's old slot of the same series never trips them midway.
            moving = [c.appointment_id for c in preview.changes if c.appointment_id]
            statuses = {pk: rows[pk].status for pk in moving}
            Appointment.objects.filter(pk__in=moving + preview.cancelled).update(status="cancelled", cancel_reason="Rescheduling")
            changed: list[Appointment] = []
            for change in preview.changes:
                visit = change.new
                if change.appointment_id is None:
                    [created] = appointments_book(location=appointment.location, patient=appointment.patient,
                                                  visits=[_spec(visit)], series=appointment.series, created_by=changed_by)
                    changed.append(created)
                    audit_record(actor=changed_by, action="booked", obj=created, changes={"starts_at": created.starts_at})
                    continue
                row = rows[change.appointment_id]
                before = {"starts_at": row.starts_at, "provider": row.provider_id, "room": row.room_id}
                row.starts_at, row.provider_starts_at, row.provider_ends_at = visit.start, visit.provider_start, visit.provider_end
                row.ends_at, row.room_ends_at = visit.end, visit.room_end
                row.provider_id, row.room_id = visit.provider_id, visit.room_id
                row.save(update_fields=["starts_at", "provider_starts_at", "provider_ends_at", "ends_at", "room_ends_at",
                                        "provider", "room", "updated_at"])
                changed.append(row)
                audit_record(actor=changed_by, action="rescheduled", obj=row, changes={
                    "starts_at": [before["starts_at"], row.starts_at], "provider": [before["provider"], row.provider_id],
                    "room": [before["room"], row.room_id]})
            for status in set(statuses.values()):
                Appointment.objects.filter(pk__in=[pk for pk, s in statuses.items() if s == status]).update(
                    status=status, cancel_reason="")
            dropped = Appointment.objects.filter(pk__in=preview.cancelled)
            dropped.update(cancel_reason="Replaced when the series was rescheduled", cancelled_at=timezone.now())
            for pk in preview.cancelled:
                audit_record(actor=changed_by, action="cancelled", obj=rows[pk], changes={"reason": "series rescheduled"})
            _sync_reminders(changed + list(dropped))
            return changed
    except IntegrityError as error:
        raise conflict_from_integrity_error(error) from error


# --- Maintenance ----------------------------------------------------------------------
def maintenance_propose(*, series: TreatmentSeries, count: int = 1, alternatives: int = 3) -> PlanResult:
    """Maintenance visits at the protocol's interval after the last session or
    maintenance visit of the series."""
    if not 1 <= count <= 4:
        raise InvalidRequest("Propose one to four maintenance visits at a time.", details={"count": ["Between 1 and 4."]})
    if series.status == TreatmentSeries.Status.CANCELLED:
        raise InvalidRequest("This series was cancelled.")
    protocol = series.protocol
    last = (series.appointments.filter(kind__in=("session", "maintenance"), status__in=Appointment.ACTIVE_STATUSES)
            .order_by("-starts_at").first())
    if last is None:
        raise InvalidRequest("The series has no session to follow.")
    now = timezone.now()
    start = max(now, last.ends_at)
    end = last.ends_at + timedelta(days=protocol.maintenance_max_days * count + 30)
    if end <= start:
        end = start + timedelta(days=protocol.maintenance_max_days * count + 30)
    diary = loader.diary_load(location=series.location, start=start, end=end, patient=series.patient)
    request = SeriesRequest(
        location=diary.location,
        rules=loader.series_rules(protocol, session_count=series.session_count, areas=_areas(series.consultation)),
        patient_busy=diary.patient_busy,
        earliest_start=start,
        horizon_end=end,
        preferences=Preferences(provider_id=series.provider_id) if series.provider_id else Preferences(),
        alternatives=alternatives,
    )
    result = plan_maintenance(request, after=last.starts_at, count=count)
    if result.best is None and series.provider_id:
        # The usual provider may be fully booked: any provider is better than none.
        request = SeriesRequest(location=request.location, rules=request.rules, patient_busy=request.patient_busy,
                                earliest_start=start, horizon_end=end, alternatives=alternatives)
        result = plan_maintenance(request, after=last.starts_at, count=count)
    return result


def maintenance_book(*, series: TreatmentSeries, plan: Plan, booked_by=None) -> list[Appointment]:
    """Book proposed maintenance visits for a series."""
    visits = [v for v in plan.visits if v.kind == "maintenance"]
    if not visits:
        raise InvalidRequest("The proposal has no maintenance visits.")
    try:
        with transaction.atomic():
            _lock_location(series.location)
            specs = [_spec(v) for v in visits]
            _check_free(location=series.location, patient=series.patient, visits=specs)
            appointments = appointments_book(location=series.location, patient=series.patient, visits=specs,
                                             series=series, created_by=booked_by)
            for appointment in appointments:
                audit_record(actor=booked_by, action="booked", obj=appointment,
                             changes={"kind": "maintenance", "starts_at": appointment.starts_at})
            _sync_reminders(appointments)
            return appointments
    except IntegrityError as error:
        raise conflict_from_integrity_error(error) from error


# --- Reminders ------------------------------------------------------------------------
# Reminders are written in the same transaction as the change that causes them.
def _sync_reminders(appointments: list[Appointment]) -> None:
    reminders_sync_for_appointments(appointments=appointments)


def _series_booked_reminders(series: TreatmentSeries, appointments: list[Appointment]) -> None:
    reminders_series_booked(series=series, appointments=appointments)
