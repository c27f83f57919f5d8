"""Consultations: booking one, recording the provider's assessment against the clinic's
screening rules and the protocol, and deciding whether a series may be planned from it.

These live in scheduling, not patients, because each of them reads the treatment protocol
or writes the consultation's visit; the screening itself is pure (patients.screening)."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.audit import audit_record
from clinic.errors import Conflict, InvalidRequest
from clinic.models import Location, Provider, Room
from patients.areas import needle_depths_check
from patients.choices import CAUTION_FITZPATRICK_FROM, Contraindication
from patients.models import Consultation, Patient, RecommendedArea, ScreeningRule
from patients.screening import (
    CAUTION_PENDING_MESSAGE,
    FITZPATRICK_CONDITION,
    Finding,
    Screening,
    assessment_outcome,
    consultation_cautions_open,
    screening_evaluate,
)
from patients.services import provider_recording

from ..models import Appointment, TreatmentProtocol, TreatmentSeries
from ..selectors import protocol_active
from .availability import availability_slot_at
from .booking import location_lock, visit_spec, visits_book
from .visits import appointment_complete

Outcome = Consultation.Outcome


@transaction.atomic
def consultation_book(
    *,
    patient: Patient,
    location: Location,
    provider: Provider,
    starts_at: datetime,
    room: Room | None = None,
    booked_by=None,
    booked_as: str = "",
) -> Appointment:
    """Book a consultation visit and open its (not yet assessed) clinical record, taking
    turns with every other booking and hold at the location."""
    location_lock(location)
    protocol = protocol_active()
    visit = availability_slot_at(
        location=location, kind="consultation", starts_at=starts_at, provider=provider, room=room,
        patient=patient, protocol=protocol,
    )
    consultation = Consultation.objects.create(patient=patient)
    [appointment] = visits_book(
        location=location, patient=patient, visits=[visit_spec(visit)], consultation=consultation,
        booked_by=booked_by, booked_as=booked_as,
    )
    return appointment


def consultation_check_plannable(
    *, consultation: Consultation, protocol: TreatmentProtocol, now: datetime, has_live_series: bool | None = None
) -> None:
    """A series starts only from a recent eligible consultation whose caution (if any)
    a provider acknowledged, and only once (`has_live_series` when the caller has read
    it already)."""
    if consultation.outcome != Outcome.ELIGIBLE:
        label = consultation.get_outcome_display().lower()
        raise InvalidRequest(
            f"A series can only be planned from an eligible consultation; this one is {label}.",
            details={"consultation": ["Not eligible."]},
        )
    too_old = now - timedelta(days=protocol.consultation_valid_days)
    if consultation.assessed_at is None or consultation.assessed_at < too_old:
        raise InvalidRequest(
            f"The consultation is older than {protocol.consultation_valid_days} days; book a new consultation first.",
            details={"consultation": ["Too old."]},
        )
    open_cautions = consultation_cautions_open(consultation)  # every caution, not only hyperpigmentation
    if open_cautions:
        raise InvalidRequest(CAUTION_PENDING_MESSAGE, details={"consultation": ["Caution not acknowledged."]},
        )
    if has_live_series is None:
        has_live_series = consultation.series.exclude(status=TreatmentSeries.Status.CANCELLED).exists()
    if has_live_series:
        raise InvalidRequest(
            "This consultation already has a series.", details={"consultation": ["Already has a series."]}
        )


def _plan_check(*, outcome: str, recommended_sessions: int | None, areas: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """The recommended plan checked against the active protocol; the areas as Decimals."""
    protocol = protocol_active()
    errors: dict[str, list[str]] = {}
    low, high = protocol.session_count_min, protocol.session_count_max
    if recommended_sessions is not None and not low <= recommended_sessions <= high:
        errors["recommended_sessions"] = [
            f"A series has {low} to {high} sessions; {recommended_sessions} is not possible."
        ]
    cleaned, area_errors = needle_depths_check(areas)
    if area_errors:
        errors["areas"] = area_errors
    if outcome == Outcome.ELIGIBLE:
        if recommended_sessions is None:
            errors.setdefault("recommended_sessions", []).append(
                "An eligible patient needs a recommended number of sessions."
            )
        if not areas:
            errors.setdefault("areas", []).append("An eligible patient needs at least one area with its needle depth.")
    if errors:
        raise InvalidRequest(next(iter(errors.values()))[0], details=errors)
    return cleaned


def _consultation_visit(consultation: Consultation, now: datetime) -> Appointment | None:
    """The consultation's visit, locked; the assessment is recorded during or after it."""
    visit = Appointment.objects.select_for_update().filter(consultation=consultation).first()
    if visit is not None:
        if visit.status in (Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW):
            raise InvalidRequest(f"The consultation visit was {visit.get_status_display().lower()}; book a new one.")
        if visit.starts_at > now:
            raise InvalidRequest(
                "The consultation visit has not started yet; record the assessment during or after it."
            )
    return visit


def _skin_type_record(*, patient: Patient, fitzpatrick_type: int | None, assessed_by) -> None:
    if fitzpatrick_type is None or fitzpatrick_type == patient.fitzpatrick_type:
        return
    audit_record(
        actor=assessed_by,
        action="updated",
        obj=patient,
        changes={"fitzpatrick_type": [patient.fitzpatrick_type, fitzpatrick_type]},
    )
    patient.fitzpatrick_type = fitzpatrick_type
    patient.save(update_fields=["fitzpatrick_type", "updated_at"])


def _screen(*, patient: Patient, findings: Sequence[Finding], assessed_on: date) -> Screening:
    """The clinic's active rules applied to the findings; Fitzpatrick IV-VI is a finding
    the patient's skin type answers, when the clinic has that rule."""
    rules = list(ScreeningRule.objects.filter(is_active=True))
    found = list(findings)
    dark_skin = (patient.fitzpatrick_type or 0) >= CAUTION_FITZPATRICK_FROM
    if dark_skin and FITZPATRICK_CONDITION not in {f.condition for f in found}:
        if any(rule.condition == FITZPATRICK_CONDITION for rule in rules):
            found.append(Finding(FITZPATRICK_CONDITION))
    return screening_evaluate(rules=rules, findings=found, assessed_on=assessed_on)


@transaction.atomic
def consultation_assess(
    *,
    consultation: Consultation,
    assessed_by,
    findings: Sequence[Finding] = (),
    fitzpatrick_type: int | None = None,
    concerns: Sequence[str] = (),
    recommended_sessions: int | None = None,
    areas: Mapping[str, Decimal] | None = None,
    clinical_notes: str = "",
    outcome: str | None = None,
    deferred_until: date | None = None,
) -> Consultation:
    """Record a provider's assessment: screening decides the outcome (a provider may
    choose a stricter one, never a more lenient one); Fitzpatrick IV-VI adds the
    hyperpigmentation caution. The consultation visit is marked completed."""
    consultation = Consultation.objects.select_for_update().select_related("patient").get(pk=consultation.pk)
    if consultation.outcome != Outcome.PENDING:
        raise Conflict(f"This consultation was already assessed ({consultation.get_outcome_display().lower()}).")
    provider = provider_recording(assessed_by)
    now = timezone.now()
    visit = _consultation_visit(consultation, now)
    _skin_type_record(patient=consultation.patient, fitzpatrick_type=fitzpatrick_type, assessed_by=assessed_by)
    assessed_on = timezone.localdate(now)
    screening = _screen(patient=consultation.patient, findings=findings, assessed_on=assessed_on)
    final, final_until = assessment_outcome(
        screening=screening, chosen=outcome, chosen_until=deferred_until, assessed_on=assessed_on
    )
    areas = _plan_check(outcome=final, recommended_sessions=recommended_sessions, areas=dict(areas or {}))

    consultation.provider = provider
    consultation.assessed_at = now
    consultation.concerns = list(concerns)
    consultation.contraindications = [
        m["condition"] for m in screening.matches if m["condition"] in Contraindication.values
    ]
    consultation.screening = screening.matches
    consultation.outcome = final
    consultation.deferred_until = final_until
    consultation.recommended_sessions = recommended_sessions
    consultation.hyperpigmentation_caution = any(
        m["condition"] == FITZPATRICK_CONDITION and m["effect"] == ScreeningRule.Effect.CAUTION
        for m in screening.matches
    )
    consultation.clinical_notes = clinical_notes
    try:
        consultation.full_clean(exclude=["patient", "provider", "caution_acknowledged_by"])
    except ValidationError as error:
        raise InvalidRequest("The assessment is not valid.", details=error.message_dict) from error
    consultation.save()
    consultation.recommended_areas.all().delete()
    RecommendedArea.objects.bulk_create(
        RecommendedArea(consultation=consultation, area=area, depth_mm=depth) for area, depth in areas.items()
    )
    audit_record(
        actor=assessed_by,
        action="assessed",
        obj=consultation,
        changes={"outcome": final, "deferred_until": final_until, "cautions": len(screening.cautions)},
    )
    if (
        visit is not None
        and visit.status in Appointment.ACTIVE_STATUSES
        and visit.status != Appointment.Status.COMPLETED
    ):
        appointment_complete(
            appointment=visit, areas={}, device="", side_effects=[], notes="", completed_by=assessed_by
        )
    return consultation
