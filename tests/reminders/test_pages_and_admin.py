"""The patient's pages (message, unsubscribe) and what staff see in the admin."""

import pytest
import time_machine
from django.urls import reverse

from patients.models import Patient
from scheduling.models import Reminder
from scheduling.reminders.tokens import message_token, unsubscribe_token
from tests.conftest import london
from tests.factories import UserFactory

from .conftest import book

pytestmark = pytest.mark.django_db

NOW = london(2027, 3, 1, 9)
VISIT = london(2027, 3, 10, 10)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def unsubscribe_url(patient, channel="email"):
    return reverse("reminders:unsubscribe", kwargs={"token": unsubscribe_token(patient_id=patient.pk, channel=channel)})


def test_unsubscribe_link_asks_before_opting_out(client, email_patient):
    response = client.get(unsubscribe_url(email_patient))
    assert response.status_code == 200 and b"Stop emails" in response.content
    assert Patient.objects.get(pk=email_patient.pk).consent_email


def test_one_click_unsubscribe_opts_out_of_email_only(client, email_patient):
    email_patient.consent_sms = True
    email_patient.save()
    response = client.post(unsubscribe_url(email_patient), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    patient = Patient.objects.get(pk=email_patient.pk)
    assert not patient.consent_email and patient.consent_sms


def test_stop_everything_opts_out_of_every_channel(client, email_patient):
    email_patient.consent_sms = True
    email_patient.save()
    client.post(unsubscribe_url(email_patient), {"scope": "all"})
    patient = Patient.objects.get(pk=email_patient.pk)
    assert not patient.consent_email and not patient.consent_sms


def test_a_forged_unsubscribe_link_is_refused(client, email_patient):
    token = unsubscribe_token(patient_id=email_patient.pk, channel="email")
    response = client.post(reverse("reminders:unsubscribe", kwargs={"token": token[:-2] + "xx"}))
    assert response.status_code == 404
    assert Patient.objects.get(pk=email_patient.pk).consent_email


def test_the_link_in_a_text_shows_the_whole_message(client, clinic, sms_patient):
    book(clinic=clinic, patient=sms_patient, starts_at=VISIT)
    reminder = Reminder.objects.get(kind="confirmation")
    response = client.get(reverse("reminders:message", kwargs={"token": message_token(reminder_id=reminder.pk)}))
    assert response.status_code == 200
    assert b"Riverside Clinic" in response.content and b"Wednesday 10 March 2027 at 10:00" in response.content


def test_a_message_link_for_another_id_cannot_be_made_up(client, clinic, sms_patient):
    response = client.get(reverse("reminders:message", kwargs={"token": "1"}))
    assert response.status_code == 404


@pytest.fixture
def staff_client(client):
    user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_staff_see_failed_messages_with_their_error_and_can_send_them_again(staff_client, clinic, email_patient):
    book(clinic=clinic, patient=email_patient, starts_at=VISIT)
    Reminder.objects.filter(kind="confirmation").update(status="failed", attempts=5, last_error="SMTP 451 try later")
    page = staff_client.get(reverse("admin:scheduling_reminder_changelist") + "?status__exact=failed")
    assert page.status_code == 200 and b"SMTP 451 try later" in page.content
    failed = Reminder.objects.get(kind="confirmation")
    staff_client.post(
        reverse("admin:scheduling_reminder_changelist"), {"action": "send_again", "_selected_action": [failed.pk]}
    )
    failed.refresh_from_db()
    assert failed.status == "pending" and failed.attempts == 0


def test_clinic_edits_message_templates_in_the_admin(staff_client, templates):
    template = templates["aftercare"]
    url = reverse("admin:scheduling_messagetemplate_change", args=[template.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(
        url,
        {
            "email_subject": "Looking after your skin",
            "email_text": template.email_text,
            "email_html": template.email_html,
            "sms_body": "Hi {{ first_name }}: {{ link }}",
        },
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.email_subject == "Looking after your skin"
