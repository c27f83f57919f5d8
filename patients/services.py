"""Writes for patients: create, update and remove patients, acknowledge a consultation's
caution, and keep the clinic's screening rules. Recording an assessment books against
the protocol and the consultation visit, so it lives with the consultations service in
scheduling."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.audit import audit_changes, audit_record
from clinic.errors import Conflict, InvalidRequest
from clinic.models import Provider

from .models import Consultation, Patient, ScreeningRule
from .screening import consultation_cautions_open

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


# --- Patients -------------------------------------------------------------------------
def _contact_rules(patient: Patient, changed: set[str]) -> None:
    """The database's channel constraints (which every row keeps), and a date of birth
    not in the future when it is given, as messages the desk can act on."""
    errors = {}
    if patient.preferred_channel == "sms" and not patient.phone:
        errors["phone"] = ["A patient who prefers SMS needs a phone number."]
    if patient.preferred_channel == "email" and not patient.email:
        errors["email"] = ["A patient who prefers email needs an email address."]
    if "date_of_birth" in changed and patient.date_of_birth and patient.date_of_birth > timezone.localdate():
        errors["date_of_birth"] = ["The date of birth cannot be in the future."]
    if errors:
        raise InvalidRequest(next(iter(errors.values()))[0], details=errors)


def _save_patient(patient: Patient, *, changed: set[str]) -> None:
    """Check the fields given now and save. A field not changed is not checked again:
    a value stored before today's rules (a phone number an older import kept) must not
    stop the desk correcting an email address."""
    _contact_rules(patient, changed)
    unchanged = [f.name for f in Patient._meta.concrete_fields if f.name not in changed]
    try:
        patient.full_clean(exclude=unchanged, validate_constraints=False)
    except ValidationError as error:
        raise InvalidRequest("Some patient details are not valid.", details=error.message_dict) from error
    patient.save()


@transaction.atomic
def patient_create(*, created_by, duplicate_reason: str = "", created_as: str = "", **details) -> Patient:
    """Register a new patient (contact details, consent, skin type). `duplicate_reason`
    is why the desk registered them although a likely duplicate was shown; it is audited.
    `created_as` names who did it when nobody signed in (a patient booking online)."""
    unknown = set(details) - set(PATIENT_FIELDS)
    if unknown:
        raise InvalidRequest(f"Unknown patient fields: {', '.join(sorted(unknown))}.")
    patient = Patient(**details)
    _save_patient(patient, changed=set(PATIENT_FIELDS))
    audit_record(
        actor=created_by,
        actor_label=created_as,
        action="created",
        obj=patient,
        changes={"first_name": patient.first_name, "last_name": patient.last_name,
                 **({"registered_despite_likely_duplicate": duplicate_reason[:300]} if duplicate_reason else {})},
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
    changed = {name for name in changes if before[name] != getattr(patient, name)}
    if "email" in changed:
        # A new address has not bounced: email goes to it again.
        patient.email_bounced_at, patient.email_bounce_reason = None, ""
    _save_patient(patient, changed=changed)
    diff = audit_changes({k: str(v) for k, v in before.items()}, {k: str(getattr(patient, k)) for k in changes})
    if diff:
        audit_record(actor=updated_by, action="updated", obj=patient, changes=diff)
    return patient


@transaction.atomic
def patient_email_bounce_record(*, email: str, reason: str, at=None) -> int:
    """The email provider reported that mail to this address bounced or was marked as
    spam: the patients with it are marked (the desk sees it on the patient's page) and
    no more email is sent to it until the address changes. Returns how many."""
    at = at or timezone.now()
    patients = list(Patient.objects.select_for_update().filter(email__iexact=email, email_bounced_at__isnull=True))
    for patient in patients:
        patient.email_bounced_at, patient.email_bounce_reason = at, reason[:200]
        patient.save(update_fields=["email_bounced_at", "email_bounce_reason", "updated_at"])
        audit_record(actor=None, actor_label="email provider", action="email_bounced", obj=patient,
                     changes={"reason": reason[:200]})
    return len(patients)


@transaction.atomic
def patient_delete(*, patient: Patient, deleted_by) -> None:
    """Remove a patient registered by mistake; one with any history is kept."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.consultations.exists() or patient.appointments.exists() or patient.series.exists():
        raise Conflict("This patient has consultations or visits, so the record is kept.")
    if patient.consent_signatures.exists():  # a signed consent is a legal record
        raise Conflict("This patient has a signed consent, so the record is kept.")
    audit_record(actor=deleted_by, action="deleted", obj=patient, changes={"name": patient.full_name})
    patient.delete()


# --- Consultations --------------------------------------------------------------------
def provider_recording(user) -> Provider:
    """The active provider behind a login that records clinical findings, or a refusal."""
    provider = Provider.objects.filter(user=user, is_active=True).first() if user is not None else None
    if provider is None:
        raise InvalidRequest("Only a provider can record this.")
    return provider


@transaction.atomic
def consultation_acknowledge_caution(*, consultation: Consultation, acknowledged_by) -> Consultation:
    """A provider confirms they have weighed the cautions (hyperpigmentation risk and any
    caution rule that matched) before a series is planned."""
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    provider_recording(acknowledged_by)
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
    audit_record(actor=created_by, action="created", obj=rule,
                 changes={name: [None, getattr(rule, name)] for name in ("condition", "effect", *fields)})
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
