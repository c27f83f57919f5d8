"""Consent rules under pressure: a treatment recorded without checking in first, a
version changed between reading and signing, and the desk's tablet handed to a patient."""

import html
import re
from datetime import timedelta

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.urls import reverse

from clinic.errors import Conflict
from scheduling import services
from scheduling.models import Appointment, ConsentDocument, ConsentSignature
from scheduling.patient_tasks import patient_tasks
from scheduling.services.consent import consent_version_publish
from scheduling.task_links import consent_url
from tests import factories
from tests.builders import at, booked_series, consent_signed, eligible_consultation, sessions

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(protocol) -> ConsentDocument:
    return ConsentDocument.objects.get(protocol=protocol)


@pytest.fixture
def unsigned(world, desk_user):
    patient = factories.PatientFactory(first_name="Maya", last_name="Okafor")
    consultation = eligible_consultation(clinic=world, when=at(2, 14), patient=patient)
    with time_machine.travel(at(2, 15), tick=False):
        return booked_series(clinic=world, consultation=consultation, user=desk_user, earliest_start=at(3, 9),
                             consented=False)


def _complete(visit, user):
    return services.appointment_complete(appointment=visit, areas={"face": "1.00"}, device="pen",
                                         side_effects=[], notes="", completed_by=user)


def test_recording_a_treatment_without_check_in_is_refused_without_consent(unsigned, desk_user):
    first = sessions(unsigned)[0]
    with time_machine.travel(first.starts_at + timedelta(minutes=5), tick=False):
        with pytest.raises(Conflict, match="Consent not signed"):
            _complete(first, desk_user)
        assert Appointment.objects.get(pk=first.pk).status == "booked"
        consent_signed(unsigned.patient)
        _complete(first, desk_user)
    assert Appointment.objects.get(pk=first.pk).status == "completed"


def test_the_signature_is_for_the_version_the_patient_read(unsigned, document, client, clinic_admin_user):
    patient = unsigned.patient
    url = consent_url(patient=patient, document=document)
    body = client.get(url).content.decode()
    titles = re.findall(r'name="section" value="([^"]+)"', body)
    version = document.versions.get()
    assert f'value="{version.number}"' in body
    current = version.sections
    consent_version_publish(document=document, title=version.title, published_by=clinic_admin_user,
                            sections=[*current[:-1], {**current[-1], "text": current[-1]["text"] + " Changed."}])
    response = client.post(url, {"section": titles, "signed_name": "Maya Okafor", "version": version.number})
    assert response.status_code == 409 and "changed this document" in response.content.decode()
    assert not ConsentSignature.objects.filter(patient=patient).exists()


def test_the_tablet_shows_only_the_signing_page_until_staff_type_their_password(unsigned, desk, document):
    first = sessions(unsigned)[0]
    sign_url = reverse("frontdesk:consent-sign", args=[unsigned.patient.pk, document.pk]) + f"?visit={first.pk}"
    body = desk.get(sign_url).content.decode()
    assert "Back to the visit" not in body and 'href="/visits/' not in body
    assert "Return to the front desk" in body
    # Whatever address the patient types, the staff site, the API and the admin lead back.
    for path in (reverse("frontdesk:patient", args=[unsigned.patient.pk]), reverse("frontdesk:schedule"),
                 f"/api/v1/appointments/{first.pk}/", "/admin/",
                 reverse("frontdesk:consent-sign", args=[unsigned.patient.pk, document.pk])):
        response = desk.get(path)
        assert response.status_code == 302 and response.url == sign_url, path
    refused = desk.post(reverse("frontdesk:check-in", args=[first.pk]))
    assert refused.status_code == 302 and refused.url == sign_url
    # A wrong password keeps the tablet on the signing page, and says so.
    wrong = desk.post(reverse("frontdesk:consent-kiosk-return"), {"password": "guess"})
    assert wrong.url == sign_url
    assert "That password is not right" in desk.get(sign_url).content.decode()
    assert desk.get(reverse("frontdesk:schedule")).status_code == 302
    back = desk.post(reverse("frontdesk:consent-kiosk-return"), {"password": factories.PASSWORD})
    assert back.url == reverse("frontdesk:visit", args=[first.pk])
    assert desk.get(reverse("frontdesk:schedule")).status_code == 200


def test_the_patients_own_link_is_not_a_kiosk(unsigned, document, client):
    url = consent_url(patient=unsigned.patient, document=document)
    body = client.get(url).content.decode()
    assert "Return to the front desk" not in body and "password" not in body.lower()


def test_the_consent_task_is_open_when_the_signature_runs_out_before_a_later_session(unsigned):
    first, second = sessions(unsigned)[:2]
    # Signed long ago: still counts for session 1, runs out before session 2.
    signed = second.starts_at - relativedelta(months=12) - timedelta(days=1)
    assert signed + relativedelta(months=12) > first.starts_at
    with time_machine.travel(signed, tick=False):
        consent_signed(unsigned.patient)
    with time_machine.travel(first.starts_at - timedelta(days=1), tick=False):
        task = next(t for t in patient_tasks(unsigned.patient) if "onsent" in t.label)
    assert not task.done and task.label == "Read and sign your consent"


def test_the_series_confirmation_carries_the_consent_link_while_none_counts(unsigned, world):
    from scheduling.models import Reminder
    from scheduling.reminders.rendering import message_render_for_staff

    reminder = Reminder.objects.get(series=unsigned, kind="series_confirmation")
    rendered = message_render_for_staff(reminder)
    link = consent_url(patient=unsigned.patient, document=unsigned.protocol.consent_document)
    assert "read and sign the consent form" in rendered.text and link in rendered.text
    assert link in rendered.html
    consent_signed(unsigned.patient)
    assert "consent" not in message_render_for_staff(reminder).text
    signed = Reminder.objects.get(series=world["series"], kind="series_confirmation")
    assert "consent" not in message_render_for_staff(signed).text


def test_a_patient_who_signed_a_consent_is_kept_with_a_sentence(admin_client, clinic_admin_user):
    from patients.models import Patient
    from patients.services import patient_delete

    patient = factories.PatientFactory(first_name="Lena", last_name="Vogel")
    consent_signed(patient, witnessed_by=clinic_admin_user)
    with pytest.raises(Conflict, match="signed consent"):
        patient_delete(patient=patient, deleted_by=clinic_admin_user)
    response = admin_client.post(reverse("admin:patients_patient_delete", args=[patient.pk]), {"post": "yes"})
    assert response.status_code in (200, 302)
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_a_signature_running_out_before_a_booked_session_is_signed_again_from_the_link(unsigned, client):
    first, second = sessions(unsigned)[:2]
    signed = second.starts_at - relativedelta(months=12) - timedelta(days=1)
    with time_machine.travel(signed, tick=False):
        consent_signed(unsigned.patient)
    url = consent_url(patient=unsigned.patient, document=unsigned.protocol.consent_document)
    with time_machine.travel(first.starts_at - timedelta(days=1), tick=False):
        body = client.get(url).content.decode()
        assert "Sign the consent" in body and "nothing more to do" not in body
        titles = re.findall(r'name="section" value="([^"]+)"', body)
        response = client.post(url, {"section": [html.unescape(t) for t in titles], "signed_name": "Maya Okafor",
                                     "version": re.search(r'name="version" value="(\d+)"', body)[1]})
        assert "your consent is signed" in response.content.decode()
        assert ConsentSignature.objects.filter(patient=unsigned.patient).count() == 2
        assert next(t for t in patient_tasks(unsigned.patient) if "onsent" in t.label).done
