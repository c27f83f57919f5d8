"""Writes for patients and consultations: create and update patients, record an
assessment against the clinic's screening rules, acknowledge a caution."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.audit import audit_changes, audit_record
from clinic.errors import Conflict, InvalidRequest
from clinic.models import Provider

from .choices import CAUTION_FITZPATRICK_FROM, MAX_DEPTH_MM, MIN_DEPTH_MM, Contraindication, TreatmentArea
from .models import Consultation, Patient, RecommendedArea, ScreeningRule

# The screening rule the patient's skin type answers, rather than a finding staff type in.
FITZPATRICK_CONDITION = "fitzpatrick_iv_vi"

PATIENT_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "email",
    "phone",
    "preferred_channel",
    "consent_email",
    "consent_sms",
    "time_zone",
    "fitzpatrick_type",
    "skin_concerns",
)
OUTCOME_STRICTNESS = {
    Consultation.Outcome.ELIGIBLE: 0,
    Consultation.Outcome.DEFERRED: 1,
    Consultation.Outcome.NOT_ELIGIBLE: 2,
}


# --- Patients -------------------------------------------------------------------------
def _contact_rules(patient: Patient) -> None:
    """The database's channel constraints, as messages the desk can act on."""
    errors = {}
    if patient.preferred_channel == "sms" and not patient.phone:
        errors["phone"] = ["A patient who prefers SMS needs a phone number."]
    if patient.preferred_channel == "email" and not patient.email:
        errors["email"] = ["A patient who prefers email needs an email address."]
    if patient.date_of_birth and patient.date_of_birth > timezone.localdate():
        errors["date_of_birth"] = ["The date of birth cannot be in the future."]
    if errors:
        raise InvalidRequest(next(iter(errors.values()))[0], details=errors)


def _save_patient(patient: Patient) -> None:
    _contact_rules(patient)
    try:
        patient.full_clean(validate_constraints=False)
    except ValidationError as error:
        raise InvalidRequest("Some patient details are not valid.", details=error.message_dict) from error
    patient.save()


@transaction.atomic
def patient_create(*, created_by, **details) -> Patient:
    """Register a new patient (contact details, consent, skin type)."""
    unknown = set(details) - set(PATIENT_FIELDS)
    if unknown:
        raise InvalidRequest(f"Unknown patient fields: {', '.join(sorted(unknown))}.")
    patient = Patient(**details)
    _save_patient(patient)
    audit_record(
        actor=created_by,
        action="created",
        obj=patient,
        changes={"first_name": patient.first_name, "last_name": patient.last_name},
    )
    return patient


@transaction.atomic
def patient_update(*, patient: Patient, updated_by, **changes) -> Patient:
    """Change some of a patient's details; only what changed is audited."""
    unknown = set(changes) - set(PATIENT_FIELDS)
    if unknown:
        raise InvalidRequest(f"Unknown patient fields: {', '.join(sorted(unknown))}.")
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    before = {name: getattr(patient, name) for name in changes}
    for name, value in changes.items():
        setattr(patient, name, value)
    _save_patient(patient)
    diff = audit_changes({k: str(v) for k, v in before.items()}, {k: str(getattr(patient, k)) for k in changes})
    if diff:
        audit_record(actor=updated_by, action="updated", obj=patient, changes=diff)
    return patient


@transaction.atomic
def patient_delete(*, patient: Patient, deleted_by) -> None:
    """Remove a patient registered by mistake; one with any history is kept."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.consultations.exists() or patient.appointments.exists() or patient.series.exists():
        raise Conflict("This patient has consultations or visits, so the record is kept.")
    audit_record(actor=deleted_by, action="deleted", obj=patient, changes={"name": patient.full_name})
    patient.delete()


# --- Screening ------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """A condition the provider found, and for look-back rules the date it was last present."""

    condition: str
    last_present_on: date | None = None


@dataclass(frozen=True)
class Screening:
    outcome: str
    deferred_until: date | None
    matches: list[dict] = field(default_factory=list)

    @property
    def cautions(self) -> list[dict]:
        return [m for m in self.matches if m["effect"] == ScreeningRule.Effect.CAUTION]


def screening_evaluate(*, rules: Iterable[ScreeningRule], findings: Sequence[Finding], assessed_on: date) -> Screening:
    """What the clinic's rules make of these findings. Pure: no queries.

    A block rule makes the outcome deferred (until its date) or not eligible; a caution
    rule needs a provider's acknowledgement; a look-back rule applies only when the
    condition was present within its window before the assessment."""
    by_condition = {rule.condition: rule for rule in rules}
    errors: list[str] = []
    seen: set[str] = set()
    matches: list[dict] = []
    outcome = Consultation.Outcome.ELIGIBLE
    deferred_until: date | None = None
    for finding in findings:
        if finding.condition in seen:
            errors.append(f"'{finding.condition}' is listed twice.")
            continue
        seen.add(finding.condition)
        rule = by_condition.get(finding.condition)
        if rule is None:
            errors.append(f"Unknown condition '{finding.condition}'. Known: {', '.join(sorted(by_condition))}.")
            continue
        if finding.last_present_on and finding.last_present_on > assessed_on:
            errors.append(f"{rule.label}: the date it was last present cannot be after the consultation.")
            continue
        if rule.lookback_days is not None:
            if finding.last_present_on is None:
                errors.append(
                    f"{rule.label}: give the date it was last present (the rule looks back {rule.lookback_days} days)."
                )
                continue
            window_ends = finding.last_present_on + timedelta(days=rule.lookback_days)
            if window_ends <= assessed_on:
                continue  # outside the look-back window: recorded by the provider, no effect
        match = {
            "condition": rule.condition,
            "label": rule.label,
            "effect": rule.effect,
            "outcome": rule.block_outcome or None,
            "last_present_on": finding.last_present_on.isoformat() if finding.last_present_on else None,
        }
        if rule.effect == ScreeningRule.Effect.BLOCK:
            if rule.block_outcome == ScreeningRule.BlockOutcome.NOT_ELIGIBLE:
                outcome = Consultation.Outcome.NOT_ELIGIBLE
            else:
                if rule.lookback_days is not None:
                    until = finding.last_present_on + timedelta(days=rule.lookback_days)
                else:
                    until = assessed_on + timedelta(days=rule.defer_days or 0)
                deferred_until = max(deferred_until or until, until)
                if outcome == Consultation.Outcome.ELIGIBLE:
                    outcome = Consultation.Outcome.DEFERRED
            match["until"] = (
                None
                if rule.block_outcome == ScreeningRule.BlockOutcome.NOT_ELIGIBLE
                else (
                    (finding.last_present_on + timedelta(days=rule.lookback_days)).isoformat()
                    if rule.lookback_days is not None
                    else (assessed_on + timedelta(days=rule.defer_days or 0)).isoformat()
                )
            )
        matches.append(match)
    if errors:
        raise InvalidRequest(errors[0], details={"findings": errors})
    if outcome == Consultation.Outcome.NOT_ELIGIBLE:
        deferred_until = None
    return Screening(outcome=outcome, deferred_until=deferred_until, matches=matches)


def consultation_cautions_open(consultation: Consultation) -> list[str]:
    """Cautions a provider has not yet acknowledged (labels), empty when none."""
    if consultation.caution_acknowledged_at is not None:
        return []
    labels = [m["label"] for m in consultation.screening if m.get("effect") == ScreeningRule.Effect.CAUTION]
    if consultation.hyperpigmentation_caution and not labels:
        labels = ["Hyperpigmentation risk (Fitzpatrick IV-VI)"]
    return labels


def _provider_for(user) -> Provider:
    provider = Provider.objects.filter(user=user, is_active=True).first() if user is not None else None
    if provider is None:
        raise InvalidRequest("Only a provider can record this.")
    return provider


def _validate_plan(
    *, outcome: str, recommended_sessions: int | None, areas: Mapping[str, Decimal]
) -> dict[str, Decimal]:
    """The recommended plan checked against the protocol; the areas as Decimals."""
    from scheduling.services import default_protocol

    protocol = default_protocol()
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Decimal] = {}
    if recommended_sessions is not None and not (
        protocol.session_count_min <= recommended_sessions <= protocol.session_count_max
    ):
        errors["recommended_sessions"] = [
            f"A series has {protocol.session_count_min} to {protocol.session_count_max} sessions; "
            f"{recommended_sessions} is not possible."
        ]
    for area, depth in areas.items():
        try:
            value = Decimal(str(depth))
        except ArithmeticError:
            value = None
        if area not in TreatmentArea.values:
            errors.setdefault("areas", []).append(
                f"Unknown area '{area}'. Choose from: {', '.join(TreatmentArea.values)}."
            )
        elif value is None or not value.is_finite() or not Decimal(MIN_DEPTH_MM) <= value <= Decimal(MAX_DEPTH_MM):
            errors.setdefault("areas", []).append(
                f"{TreatmentArea(area).label}: needle depth {depth} mm is outside {MIN_DEPTH_MM}-{MAX_DEPTH_MM} mm."
            )
        else:
            cleaned[area] = value.quantize(Decimal("0.01"))
    if outcome == Consultation.Outcome.ELIGIBLE:
        if recommended_sessions is None:
            errors.setdefault("recommended_sessions", []).append(
                "An eligible patient needs a recommended number of sessions."
            )
        if not areas:
            errors.setdefault("areas", []).append("An eligible patient needs at least one area with its needle depth.")
    if errors:
        raise InvalidRequest(next(iter(errors.values()))[0], details=errors)
    return cleaned


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
    from scheduling.models import Appointment

    consultation = Consultation.objects.select_for_update().select_related("patient").get(pk=consultation.pk)
    if consultation.outcome != Consultation.Outcome.PENDING:
        raise Conflict(f"This consultation was already assessed ({consultation.get_outcome_display().lower()}).")
    provider = _provider_for(assessed_by)
    now = timezone.now()
    visit = Appointment.objects.select_for_update().filter(consultation=consultation).first()
    if visit is not None:
        if visit.status in (Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW):
            raise InvalidRequest(f"The consultation visit was {visit.get_status_display().lower()}; book a new one.")
        if visit.starts_at > now:
            raise InvalidRequest(
                "The consultation visit has not started yet; record the assessment during or after it."
            )

    patient = consultation.patient
    if fitzpatrick_type is not None and fitzpatrick_type != patient.fitzpatrick_type:
        audit_record(
            actor=assessed_by,
            action="updated",
            obj=patient,
            changes={"fitzpatrick_type": [patient.fitzpatrick_type, fitzpatrick_type]},
        )
        patient.fitzpatrick_type = fitzpatrick_type
        patient.save(update_fields=["fitzpatrick_type", "updated_at"])

    rules = list(ScreeningRule.objects.filter(is_active=True))
    found = list(findings)
    if (patient.fitzpatrick_type or 0) >= CAUTION_FITZPATRICK_FROM and FITZPATRICK_CONDITION not in {
        f.condition for f in found
    }:
        if any(rule.condition == FITZPATRICK_CONDITION for rule in rules):
            found.append(Finding(FITZPATRICK_CONDITION))
    assessed_on = timezone.localdate(now)
    screening = screening_evaluate(rules=rules, findings=found, assessed_on=assessed_on)

    final = screening.outcome
    final_until = screening.deferred_until
    if outcome is not None:
        if OUTCOME_STRICTNESS.get(outcome) is None:
            raise InvalidRequest(
                "Choose eligible, deferred or not eligible.", details={"outcome": ["Not a valid outcome."]}
            )
        if OUTCOME_STRICTNESS[outcome] < OUTCOME_STRICTNESS[screening.outcome]:
            blocking = ", ".join(m["label"] for m in screening.matches if m["effect"] == "block")
            raise InvalidRequest(
                f"Screening found {blocking}, so the outcome cannot be {Consultation.Outcome(outcome).label.lower()}.",
                details={
                    "outcome": [
                        f"At least {Consultation.Outcome(screening.outcome).label.lower()} because of: {blocking}."
                    ]
                },
            )
        final = outcome
    if final == Consultation.Outcome.DEFERRED:
        if deferred_until is not None:
            if deferred_until <= assessed_on:
                raise InvalidRequest(
                    "A deferral needs a re-consult date after today.",
                    details={"deferred_until": ["Must be after today."]},
                )
            if final_until is not None and deferred_until < final_until:
                raise InvalidRequest(
                    f"Screening defers this patient until at least {final_until:%d %b %Y}.",
                    details={"deferred_until": [f"On or after {final_until.isoformat()}."]},
                )
            final_until = deferred_until
        elif final_until is None:
            raise InvalidRequest(
                "Give the date to re-consult after.",
                details={"deferred_until": ["Required when the outcome is deferred."]},
            )
    else:
        final_until = None

    areas = _validate_plan(outcome=final, recommended_sessions=recommended_sessions, areas=dict(areas or {}))

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
        from scheduling.services.visits import appointment_complete

        appointment_complete(
            appointment=visit, areas={}, device="", side_effects=[], notes="", completed_by=assessed_by
        )
    return consultation


@transaction.atomic
def consultation_acknowledge_caution(*, consultation: Consultation, acknowledged_by) -> Consultation:
    """A provider confirms they have weighed the cautions (hyperpigmentation risk and any
    caution rule that matched) before a series is planned."""
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    _provider_for(acknowledged_by)
    if consultation.caution_acknowledged_at is not None:
        raise Conflict("The caution was already acknowledged.")
    if not consultation_cautions_open(consultation):
        raise InvalidRequest("This consultation has no caution to acknowledge.")
    consultation.caution_acknowledged_by = acknowledged_by
    consultation.caution_acknowledged_at = timezone.now()
    consultation.save(update_fields=["caution_acknowledged_by", "caution_acknowledged_at", "updated_at"])
    audit_record(actor=acknowledged_by, action="caution_acknowledged", obj=consultation)
    return consultation


# --- Screening rules (the clinic's configuration) -------------------------------------
def _save_rule(rule: ScreeningRule) -> ScreeningRule:
    try:
        rule.full_clean()
    except ValidationError as error:
        raise InvalidRequest("The screening rule is not valid.", details=error.message_dict) from error
    rule.save()
    return rule


@transaction.atomic
def screening_rule_create(*, created_by, **fields) -> ScreeningRule:
    rule = _save_rule(ScreeningRule(**fields))
    audit_record(
        actor=created_by, action="created", obj=rule, changes={"condition": rule.condition, "effect": rule.effect}
    )
    return rule


@transaction.atomic
def screening_rule_update(*, rule: ScreeningRule, updated_by, **changes) -> ScreeningRule:
    rule = ScreeningRule.objects.select_for_update().get(pk=rule.pk)
    before = {name: getattr(rule, name) for name in changes}
    for name, value in changes.items():
        setattr(rule, name, value)
    _save_rule(rule)
    diff = audit_changes(before, {name: getattr(rule, name) for name in changes})
    if diff:
        audit_record(actor=updated_by, action="updated", obj=rule, changes=diff)
    return rule


@transaction.atomic
def screening_rule_delete(*, rule: ScreeningRule, deleted_by) -> None:
    """Past assessments keep their own copy of the rules that matched, so a rule can go."""
    audit_record(actor=deleted_by, action="deleted", obj=rule, changes={"condition": rule.condition})
    rule.delete()
