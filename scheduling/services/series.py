"""A whole series: the planner's proposal, the signed token that carries it between
requests, the hold that keeps its slots while the patient decides, and the confirmation
that books every visit at once or none.

The planner (scheduling.planner) is pure; these services load its inputs, call it, and
write its answers back, re-checking everything inside one transaction."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.audit import audit_record
from clinic.errors import Conflict, InvalidRequest, NotFound
from clinic.models import Location
from patients.models import Consultation

from .. import loader
from ..models import HeldVisit, SeriesHold, TreatmentSeries
from ..planner import Plan, PlannedVisit, PlanResult, Preferences, SeriesRequest, plan_series
from ..reminders.events import reminders_series_booked
from ..selectors import consultation_planning_facts, protocol_active
from .booking import (
    VisitSpec,
    conflict_from_integrity_error,
    location_lock,
    slots_check_free,
    visit_spec,
    visits_book,
)
from .consultations import consultation_check_plannable

HOLD_MINUTES = getattr(settings, "SERIES_HOLD_MINUTES", 10)
# The first search looks this far past the natural end of a series; only if nothing
# fits does it widen to a whole year (same queries again, so a fixed count per stage).
SHORT_HORIZON_SLACK_DAYS = 35
LONG_HORIZON_DAYS = 365
# How many days late each session may fall in the first, narrow search.
TARGET_WINDOW_SLACK_DAYS = 3
PROPOSAL_SALT = "scheduling.proposal"
PROPOSAL_MAX_AGE = 30 * 60


# --- Propose --------------------------------------------------------------------------
def consultation_areas(consultation: Consultation) -> list[str]:
    """The areas the consultation's plan treats (the face when none was recorded)."""
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
            details={
                "session_count": [f"Must be between {protocol.session_count_min} and {protocol.session_count_max}."]
            },
        )
    if (
        target_interval_days is not None
        and not protocol.min_interval_days <= target_interval_days <= protocol.max_interval_days
    ):
        raise InvalidRequest(
            f"Sessions are {protocol.min_interval_days} to {protocol.max_interval_days} days apart "
            f"({protocol.min_interval_days // 7}-{protocol.max_interval_days // 7} weeks).",
            details={
                "target_interval_days": [
                    f"Must be between {protocol.min_interval_days} and {protocol.max_interval_days}."
                ]
            },
        )
    if earliest_start is not None and timezone.is_naive(earliest_start):
        raise InvalidRequest(
            "Give the earliest start with its time zone.", details={"earliest_start": ["Include a UTC offset."]}
        )
    start = max(earliest_start or now, now)
    preferences = preferences or Preferences()
    if (
        preferences.provider_id is not None
        and not location.working_hours.filter(provider_id=preferences.provider_id).exists()
    ):
        raise InvalidRequest(
            "That provider does not work at this location.", details={"provider": ["Not at this location."]}
        )
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
    return [
        (
            datetime.combine(lo, datetime.min.time(), tz),
            datetime.combine(hi + timedelta(days=1), datetime.min.time(), tz),
        )
        for lo, hi in spans
    ]


# --- The proposal token ---------------------------------------------------------------
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
        raise InvalidRequest(
            "This proposal is too old; ask for a new one.", details={"proposal": ["Expired."]}
        ) from error
    except signing.BadSignature as error:
        raise InvalidRequest(
            "This proposal is not one the planner made.", details={"proposal": ["Invalid."]}
        ) from error
    visits = tuple(
        PlannedVisit(kind=k, number=n, provider_id=p, room_id=r, start=datetime.fromisoformat(s),
                     provider_start=datetime.fromisoformat(ps), provider_end=datetime.fromisoformat(pe),
                     end=datetime.fromisoformat(e), room_end=datetime.fromisoformat(re),
                     window_start=date.fromisoformat(ws), window_end=date.fromisoformat(we),
                     local_date=date.fromisoformat(ld) if ld else None)
        for k, n, p, r, s, ps, pe, e, re, ws, we, ld in data["v"]
    )
    return data["c"], data["l"], Plan(visits=visits, score=data["s"])


def proposal_read(*, token: str, consultation: Consultation | None = None) -> tuple[Consultation, Location, Plan]:
    """The consultation, location and plan a proposal token carries, checked the same way
    for the API and the pages: signed by us, recent, for a consultation and an active
    location that still exist (and for `consultation`, when the caller is on its page)."""
    consultation_id, location_id, plan = proposal_unsign(token=token)
    if consultation is not None and consultation.pk != consultation_id:
        raise InvalidRequest(
            "This proposal was made for another consultation; ask for a new one.",
            details={"proposal": ["Made for another consultation."]},
        )
    found = Consultation.objects.select_related("patient").filter(pk=consultation_id).first()
    location = Location.objects.filter(pk=location_id, is_active=True).first()
    if found is None or location is None:
        raise InvalidRequest(
            "This proposal no longer matches a consultation and location.",
            details={"proposal": ["Ask for a new proposal."]},
        )
    return found, location, plan


# --- Hold, confirm, release -----------------------------------------------------------
@transaction.atomic
def series_hold(
    *, consultation: Consultation, location: Location, plan: Plan, held_by=None, minutes: int = HOLD_MINUTES,
    purpose: str = "series", series: TreatmentSeries | None = None,
) -> SeriesHold:
    """Keep a proposal's slots for a few minutes so no other desk can take them."""
    if not plan.visits:
        raise InvalidRequest("The proposal has no visits.")
    protocol = protocol_active()
    if purpose == "series":
        consultation_check_plannable(consultation=consultation, protocol=protocol, now=timezone.now())
    location_lock(location)
    specs = [visit_spec(v) for v in plan.visits]
    slots_check_free(location=location, patient=consultation.patient, visits=specs)
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
    audit_record(actor=held_by, action="held", obj=hold,
                 changes={"purpose": purpose, "visits": len(specs), "expires_at": hold.expires_at})
    return hold


def _hold_specs(hold: SeriesHold) -> list[VisitSpec]:
    return [VisitSpec.of_row(visit) for visit in hold.visits.all()]


def _locked_hold(hold: SeriesHold) -> SeriesHold:
    try:
        return (
            SeriesHold.objects.select_for_update(of=("self",))
            .select_related("location", "patient", "consultation")
            .get(pk=hold.pk)
        )
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
            protocol = protocol_active()
            consultation_check_plannable(consultation=consultation, protocol=protocol, now=timezone.now())
            location_lock(hold.location)
            specs = _hold_specs(hold)
            slots_check_free(location=hold.location, patient=hold.patient, visits=specs, ignore_hold_id=hold.pk)
            sessions = [s for s in specs if s.kind == "session"]
            providers = {s.provider_id for s in sessions}
            series = TreatmentSeries.objects.create(
                patient=hold.patient, consultation=consultation, protocol=hold.protocol, location=hold.location,
                provider_id=providers.pop() if len(providers) == 1 else None, session_count=len(sessions),
                created_by=confirmed_by,
            )
            # One audit entry for the series and one confirmation for every visit.
            appointments = visits_book(location=hold.location, patient=hold.patient, visits=specs, series=series,
                                       booked_by=confirmed_by, audited=False, reminders=False)
            hold.status = SeriesHold.Status.CONFIRMED
            hold.series = series
            hold.save(update_fields=["status", "series"])
            audit_record(actor=confirmed_by, action="confirmed", obj=hold, changes={"series": series.pk})
            audit_record(actor=confirmed_by, action="series_booked", obj=series,
                         changes={"sessions": len(sessions), "visits": [a.pk for a in appointments]})
            reminders_series_booked(series=series, appointments=appointments)
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
        audit_record(actor=released_by, action="released", obj=hold, changes={"visits": hold.visits.count()})


