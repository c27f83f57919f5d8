"""Patients edited in the admin are saved by the same services as at the front desk, so
the change is audited; consultations are shown there, not edited."""

from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from clinic.models import AuditEntry
from patients.models import Consultation, Patient, ScreeningRule
from tests import factories

pytestmark = pytest.mark.django_db

NO_CONSULTATIONS = {
    "consultations-TOTAL_FORMS": "0",
    "consultations-INITIAL_FORMS": "0",
    "consultations-MIN_NUM_FORMS": "0",
    "consultations-MAX_NUM_FORMS": "0",
}


def patient_form(patient: Patient, **changes) -> dict:
    data = {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "email": patient.email,
        "phone": str(patient.phone),
        "preferred_channel": patient.preferred_channel,
        "time_zone": patient.time_zone,
        "fitzpatrick_type": patient.fitzpatrick_type or "",
        "skin_concerns": "[]",
        **NO_CONSULTATIONS,
    }
    if patient.consent_email:
        data["consent_email"] = "on"
    if patient.consent_sms:
        data["consent_sms"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_patient_changed_in_the_admin_is_saved_by_the_service_and_audited(admin_client, admin_user, patient):
    url = reverse("admin:patients_patient_change", args=[patient.pk])

    response = admin_client.post(url, patient_form(patient, phone="+447911123457", consent_sms=None))

    assert response.status_code == 302
    patient.refresh_from_db()
    assert (str(patient.phone), patient.consent_sms) == ("+447911123457", False)
    entry = AuditEntry.objects.get(object_type="patient", object_id=str(patient.pk), action="updated")
    assert entry.actor == admin_user
    assert set(entry.changes) == {"phone", "consent_sms"}
    assert entry.changes["consent_sms"] == ["True", "False"]


def test_a_patient_added_in_the_admin_is_created_by_the_service(admin_client, admin_user):
    template = factories.PatientFactory.build(first_name="Ada", last_name="Lovelace", phone="+447400123456")

    response = admin_client.post(reverse("admin:patients_patient_add"), patient_form(template))

    assert response.status_code == 302
    patient = Patient.objects.get(first_name="Ada", last_name="Lovelace")
    entry = AuditEntry.objects.get(object_type="patient", object_id=str(patient.pk))
    assert (entry.action, entry.actor) == ("created", admin_user)


def test_a_change_the_service_refuses_is_not_saved_and_says_why(admin_client, patient):
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    born = patient.date_of_birth

    response = admin_client.post(url, patient_form(patient, date_of_birth=date(2999, 1, 1).isoformat()), follow=True)

    assert response.status_code == 200
    assert messages_of(response) == ["Not saved: The date of birth cannot be in the future."]
    patient.refresh_from_db()
    assert patient.date_of_birth == born
    assert not AuditEntry.objects.filter(object_type="patient", object_id=str(patient.pk)).exists()


def test_saving_an_unchanged_patient_writes_no_audit_entry(admin_client, patient):
    url = reverse("admin:patients_patient_change", args=[patient.pk])
    assert admin_client.post(url, patient_form(patient)).status_code == 302
    assert not AuditEntry.objects.filter(object_type="patient", object_id=str(patient.pk)).exists()


def test_a_patient_without_history_is_deleted_by_the_service(admin_client, admin_user, patient):
    pk = patient.pk
    response = admin_client.post(reverse("admin:patients_patient_delete", args=[pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Patient.objects.filter(pk=pk).exists()
    entry = AuditEntry.objects.get(object_type="patient", object_id=str(pk))
    assert (entry.action, entry.actor) == ("deleted", admin_user)


def test_consultations_are_view_only_in_the_admin(admin_client, patient):
    consultation = factories.ConsultationFactory(patient=patient)
    url = reverse("admin:patients_consultation_change", args=[consultation.pk])

    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"outcome": "eligible", "recommended_sessions": 6})

    assert response.status_code == 403
    consultation.refresh_from_db()
    assert (consultation.outcome, consultation.recommended_sessions) == (Consultation.Outcome.PENDING, None)
    assert admin_client.get(reverse("admin:patients_consultation_add")).status_code == 403


def test_a_screening_rule_changed_in_the_admin_is_audited(admin_client, admin_user):
    rule = ScreeningRule.objects.create(condition="test-rule", label="A test rule", effect="caution")
    url = reverse("admin:patients_screeningrule_change", args=[rule.pk])
    data = {"condition": rule.condition, "label": "A clearer label", "effect": "caution", "block_outcome": "",
            "lookback_days": "", "defer_days": "", "is_active": "on", "notes": ""}

    assert admin_client.post(url, data).status_code == 302

    rule.refresh_from_db()
    assert rule.label == "A clearer label"
    entry = AuditEntry.objects.get(object_type="screeningrule", object_id=str(rule.pk))
    assert (entry.action, entry.actor) == ("updated", admin_user)
    assert entry.changes == {"label": ["A test rule", "A clearer label"]}
