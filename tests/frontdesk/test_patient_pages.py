"""Patients from the pages: every detail edited with audit, a likely duplicate noticed at
registration, phone numbers typed as the clinic dials them, history at a glance."""

import re

import pytest
from django.urls import reverse

from clinic.models import AuditEntry
from patients.models import Patient
from scheduling.models import Appointment
from tests import factories

pytestmark = pytest.mark.django_db

AMELIA = {"first_name": "Amelia", "last_name": "Hart", "date_of_birth": "1988-04-12",
          "email": "amelia@example.com", "phone": "07911 123456", "preferred_channel": "email",
          "consent_email": "on", "time_zone": "Europe/London"}


def test_the_phone_hints_own_example_is_accepted(clinic, desk):
    body = desk.get(reverse("frontdesk:patient-new")).content.decode()
    example = re.search(r"As you would dial it here, e\.g\. ([0-9 ]+), or", body).group(1)
    response = desk.post(reverse("frontdesk:patient-new"), {**AMELIA, "phone": example})
    assert response.status_code == 302
    assert Patient.objects.get().phone.national_number


def test_a_number_that_cannot_be_dialled_is_refused_with_an_example(clinic, desk):
    response = desk.post(reverse("frontdesk:patient-new"), {**AMELIA, "phone": "07700 900123"})
    assert "Give a phone number that can be dialled, e.g." in response.content.decode()
    assert not Patient.objects.exists()


@pytest.mark.parametrize("same", ["name_and_birthday", "email", "phone"])
def test_a_likely_duplicate_is_shown_with_open_or_register_anyway(clinic, desk, same):
    existing = factories.PatientFactory(first_name="Amelia", last_name="Hart", email="other@example.com",
                                        phone="+447400123456")
    typed = dict(AMELIA)
    if same == "name_and_birthday":
        existing.date_of_birth = "1988-04-12"
        existing.save()
    elif same == "email":
        existing.first_name, existing.email = "Emily", "amelia@example.com"
        existing.save()
    else:
        existing.first_name = "Emily"
        existing.save()
        typed["phone"] = "07400 123456"
    response = desk.post(reverse("frontdesk:patient-new"), typed)
    body = response.content.decode()
    assert response.status_code == 200 and "This may be someone already registered" in body
    assert reverse("frontdesk:patient", args=[existing.pk]) in body and "Open this patient" in body
    assert Patient.objects.count() == 1

    no_reason = desk.post(reverse("frontdesk:patient-new"), {**typed, "anyway": "1"})
    assert "Say why this is a different person" in no_reason.content.decode()
    assert Patient.objects.count() == 1

    desk.post(reverse("frontdesk:patient-new"), {**typed, "anyway": "1", "duplicate_reason": "Twin sister."})
    created = Patient.objects.exclude(pk=existing.pk).get()
    entry = AuditEntry.objects.get(object_type="patient", object_id=str(created.pk), action="created")
    assert entry.changes["registered_despite_likely_duplicate"] == "Twin sister."


def test_every_detail_is_edited_from_the_page_and_the_change_is_audited(clinic, desk):
    patient = factories.PatientFactory(first_name="Amelia", last_name="Hart", phone="+447911123456",
                                       consent_sms=False)
    form = desk.get(reverse("frontdesk:patient-edit", args=[patient.pk])).content.decode()
    assert 'value="07911 123456"' in form, "the number is shown as the desk dials it"
    response = desk.post(reverse("frontdesk:patient-edit", args=[patient.pk]), {
        **AMELIA, "first_name": "Amelie", "phone": "07400 654321", "preferred_channel": "sms", "consent_sms": "on",
        "time_zone": "Europe/Paris", "skin_concerns": ["acne_scars"]}, follow=True)
    assert "Saved the details of Amelie Hart." in response.content.decode()
    patient.refresh_from_db()
    assert (patient.first_name, str(patient.phone), patient.consent_sms, patient.time_zone, patient.skin_concerns) == (
        "Amelie", "+447400654321", True, "Europe/Paris", ["acne_scars"])
    entry = AuditEntry.objects.get(object_type="patient", object_id=str(patient.pk), action="updated")
    assert entry.changes["first_name"] == ["Amelia", "Amelie"] and "time_zone" in entry.changes


def test_a_provider_cannot_edit_a_patient(world, doctor):
    assert doctor.get(reverse("frontdesk:patient-edit", args=[world["patient"].pk])).status_code == 403


def test_the_patient_page_shows_history_at_a_glance_and_cautions_only_to_providers(world, desk, doctor):
    patient = world["patient"]
    first = Appointment.objects.filter(patient=patient, kind="session").order_by("starts_at").first()
    world["clock"].move_to(first.ends_at)
    Appointment.objects.filter(pk=first.pk).update(status="completed", side_effects=["pinpoint_bleeding"])
    url = reverse("frontdesk:patient", args=[patient.pk])
    desk_page = desk.get(url).content.decode()
    assert "At a glance" in desk_page and "1 of 3 sessions done" in desk_page
    assert re.search(r"Messages</dt><dd><div>[^<]+ by Email: (sent|pending)", desk_page), "messages are listed"
    assert "Pinpoint bleeding" not in desk_page and "Cautions" not in desk_page
    doctor_page = doctor.get(url).content.decode()
    assert "Pinpoint bleeding" in doctor_page and "pinpoint_bleeding" not in doctor_page
