"""What a patient does on their own page besides moving a visit: ask for a link (the same
answer whether or not they are a patient, throttled), claim a waitlist offer (the first
claim wins), book the next maintenance visit, stop maintenance prompts."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone

from clinic.models import AuditEntry
from scheduling import services
from scheduling.models import Appointment, MessageTemplate, Reminder, TreatmentSeries, WaitlistEntry
from scheduling.patient_home_links import patient_home_url
from scheduling.reminders.maintenance_prompts import reminders_series_completed
from scheduling.reminders.reach import reminder_channel_for_row
from scheduling.reminders.rendering import reminder_render, sms_render
from scheduling.services.patient_self_service import maintenance_prompts_stop
from scheduling.waitlist import waitlist_entry_add
from tests.builders import at, sessions
from tests.factories import PatientFactory
from tests.reminders.conftest import book
from tests.reminders.journey import deliver_until, received

pytestmark = pytest.mark.django_db

LINK_SENT = "If we have your details, we have sent you a link"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def _ask(client, contact, born, address="203.0.113.9"):
    return client.post("/my-link/", {"contact": contact, "date_of_birth": born}, REMOTE_ADDR=address)


def test_the_link_form_answers_the_same_whether_or_not_the_details_match(client, clinic):
    patient = PatientFactory(email="ada@example.com", date_of_birth=date(1990, 5, 17), consent_email=True)
    matched = _ask(client, "Ada@Example.com", "1990-05-17", "203.0.113.1")
    wrong_birthday = _ask(client, "ada@example.com", "1990-05-18", "203.0.113.2")
    nobody = _ask(client, "nobody@example.com", "1990-05-17", "203.0.113.3")
    pages = [r.content.decode() for r in (matched, wrong_birthday, nobody)]
    assert {r.status_code for r in (matched, wrong_birthday, nobody)} == {200}
    assert all(LINK_SENT in page for page in pages)
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert len({token.sub("", page) for page in pages}) == 1, "nothing on the page tells them apart"
    [sent] = Reminder.objects.filter(kind="patient_link")
    assert sent.patient == patient and sent.channel == "email"
    assert AuditEntry.objects.filter(action="patient_link_sent", object_id=str(patient.pk)).count() == 1


def test_the_link_arrives_through_the_outbox_and_retires_the_old_one(clinic, django_capture_on_commit_callbacks):
    patient = PatientFactory(email="ada@example.com", date_of_birth=date(1990, 5, 17), consent_email=True)
    with time_machine.travel(at(2, 11), tick=False) as clock:
        old = patient_home_url(patient)
        assert Client().get(old).status_code == 200
        _ask(Client(), "ada@example.com", "1990-05-17")
        deliver_until(clock, at(2, 11, 5), django_capture_on_commit_callbacks)
        [message] = received(patient)
        assert message.subject.startswith("Your own page at")
        link = re.search(r"https?://[^/\s]+(/my/[^\s]+/)", message.body).group(1)
        assert Client().get(link).status_code == 200
        assert Client().get(old).status_code == 410, "the older link stops working"


def test_a_text_goes_to_the_number_typed(clinic):
    patient = PatientFactory(phone="+447700900123", date_of_birth=date(1985, 1, 2), preferred_channel="sms",
                             consent_sms=False, consent_email=False)
    assert LINK_SENT in _ask(Client(), "07700 900123", "1985-01-02").content.decode()
    [sent] = Reminder.objects.filter(kind="patient_link")
    assert sent.patient == patient and sent.channel == "sms"
    # Asked for by the patient: it goes by text although they take no reminders, and
    # the text carries the page's link.
    assert reminder_channel_for_row(sent.kind, sent.channel, patient) == "sms"
    text = sms_render(sent, MessageTemplate.objects.get(kind="patient_link"))
    assert re.search(r"/my/[^/\s]+/$", text)


@override_settings(PATIENT_LINK_REQUESTS_PER_HOUR=3)
def test_asking_is_throttled_per_contact_and_per_address(clinic):
    for _ in range(3):
        assert _ask(Client(), "someone@example.com", "1990-01-01", "203.0.113.5").status_code == 200
    fourth = _ask(Client(), "someone@example.com", "1990-01-01", "203.0.113.6")
    assert fourth.status_code == 429 and "too many times" in fourth.content.decode()
    for n in range(3):
        assert _ask(Client(), f"p{n}@example.com", "1990-01-01", "203.0.113.7").status_code == 200
    assert _ask(Client(), "p9@example.com", "1990-01-01", "203.0.113.7").status_code == 429


def test_bad_input_on_the_link_form_is_explained(client, clinic):
    assert client.get("/my-link/").status_code == 200
    no_date = _ask(client, "ada@example.com", "17/05/1990")
    assert no_date.status_code == 400 and "date of birth" in no_date.content.decode()
    no_contact = _ask(client, "not a number", "1990-05-17")
    assert no_contact.status_code == 400 and "email address or your phone number" in no_contact.content.decode()
    assert 'value="not a number"' in no_contact.content.decode(), "what was typed is kept"


def _offered(clinic, desk_user, clock, capture):
    patients = [PatientFactory(first_name=f"Waiting{n}", preferred_channel="email", consent_email=True)
                for n in range(2)]
    slot = at(4, 10)
    for patient in patients:
        waitlist_entry_add(patient=patient, location=clinic["location"], kind="consultation",
                           earliest_date=slot.date() - timedelta(days=2), latest_date=slot.date() + timedelta(days=2))
    freed = book(clinic=clinic, patient=PatientFactory(), starts_at=slot)
    services.appointment_cancel(appointment=freed, reason="Moving abroad", cancelled_by=desk_user)
    deliver_until(clock, at(2, 11, 5), capture)
    return patients


def test_two_patients_claim_one_slot_from_their_pages_and_one_wins(clinic, desk_user,
                                                                      django_capture_on_commit_callbacks):
    with time_machine.travel(at(2, 11), tick=False) as clock:
        first, second = _offered(clinic, desk_user, clock, django_capture_on_commit_callbacks)
        pages = [patient_home_url(p) for p in (first, second)]
        offers = [Client().get(url).context["home"].offers for url in pages]
        assert all(len(o) == 1 for o in offers)
        assert "Thursday 4 March 2027 at 10:00 GMT" == offers[0][0].time
        won = Client().post(pages[0], {"action": "claim", "offer": offers[0][0].reminder_id})
        assert won.status_code == 200 and "Booked" in won.content.decode()
        lost = Client().post(pages[1], {"action": "claim", "offer": offers[1][0].reminder_id})
        assert lost.status_code == 409 and "someone else has just taken this slot" in lost.content.decode()
        # Another patient's offer cannot be claimed from my page.
        cross = Client().post(pages[1], {"action": "claim", "offer": offers[0][0].reminder_id})
        assert cross.status_code == 400
        assert Client().post(pages[1], {"action": "claim", "offer": "x"}).status_code == 400
    assert Appointment.objects.get(starts_at=at(4, 10), status="booked").patient == first
    assert WaitlistEntry.objects.get(patient=second).status == "waiting"
    assert AuditEntry.objects.filter(action="patient_claimed_offer", actor_label="patient",
                                     changes__patient=first.pk).exists()


def _completed_series(world):
    """The series as it stands once every session is done: arranged directly, since
    checking in and completing visits are tested where they live."""
    series = world["series"]
    for visit in series.appointments.exclude(status="cancelled"):
        Appointment.objects.filter(pk=visit.pk).update(status="completed", completed_at=visit.ends_at)
    TreatmentSeries.objects.filter(pk=series.pk).update(status="completed")
    series.refresh_from_db()
    reminders_series_completed(series=series)
    return series


def test_booking_the_next_maintenance_visit_and_stopping_prompts(world):
    series = _completed_series(world)
    assert series.status == "completed"
    patient = world["patient"]
    with time_machine.travel(at(1, 10, month=5), tick=False):
        url = patient_home_url(patient)
        home = Client().get(url)
        assert home.context["maintenance_due"] and "Book your next maintenance visit" in home.content.decode()
        assert "Aftercare" in home.content.decode() and "sunscreen" in home.content.decode().lower()
        assert "After your treatment session 3 of 3 on Wednesday 28 April 2027:" in home.content.decode()
        page = Client().get(f"{url}maintenance/")
        options = page.context["options"]
        assert options
        booked = Client().post(f"{url}maintenance/", {"start": options[0]["epoch"]})
        assert booked.status_code == 200 and "Booked" in booked.content.decode()
        visit = Appointment.objects.get(patient=patient, kind="maintenance")
        assert int(visit.starts_at.timestamp()) == options[0]["epoch"]
        assert not Client().get(url).context["maintenance_due"], "booked: no prompt on the page"
        gone = Client().post(f"{url}maintenance/", {"start": options[0]["epoch"]})
        assert gone.status_code == 302
    assert AuditEntry.objects.filter(action="patient_booked_maintenance", changes__patient=patient.pk).exists()


def test_stopping_maintenance_prompts_withdraws_the_waiting_ones(world):
    series = _completed_series(world)
    patient = world["patient"]
    assert Reminder.objects.filter(patient=patient, kind="maintenance", status="pending").exists()
    response = Client().post(patient_home_url(patient), {"action": "stop_prompts"})
    assert "not send you any more reminders" in response.content.decode()
    assert not Reminder.objects.filter(patient=patient, kind="maintenance", status="pending").exists()
    assert maintenance_prompts_stop(patient=patient) is False, "asking twice changes nothing"
    # A series completed later starts no new chain either.
    reminders_series_completed(series=series)
    assert not Reminder.objects.filter(patient=patient, kind="maintenance", status="pending").exists()
    assert AuditEntry.objects.filter(action="patient_stopped_maintenance_prompts", actor_label="patient").exists()


def test_the_desk_sees_what_the_patient_did_online_and_can_send_a_new_link(world, desk):
    patient = world["patient"]
    one = sessions(world["series"])[0]
    old_link = patient_home_url(patient)
    from scheduling.patient_home_links import visit_token

    Client().post(old_link, {"action": "cancel", "visit": visit_token(one), "reason": "Unwell"})
    page = desk.get(f"/patients/{patient.pk}/")
    text = page.content.decode()
    assert "Done by the patient online" in text
    assert "Cancelled a visit online (Late cancellation)" in text
    sent = desk.post(f"/patients/{patient.pk}/send-link/")
    assert sent.status_code == 302
    assert Reminder.objects.filter(patient=patient, kind="patient_link").count() == 1
    assert Client().get(old_link).status_code == 410, "the desk's new link retires the old one"
    entry = AuditEntry.objects.get(action="patient_link_sent")
    assert entry.actor.username == "desk"
    assert "A link to their own page was sent (by email)" in desk.get(f"/patients/{patient.pk}/").content.decode()


def test_a_maintenance_prompt_leads_to_the_times_to_book_on_the_patients_page(world):
    _completed_series(world)
    patient = world["patient"]
    patient.consent_email = patient.consent_sms = True
    patient.save(update_fields=["consent_email", "consent_sms"])
    prompt = Reminder.objects.filter(patient=patient, kind="maintenance").first()
    template = MessageTemplate.objects.get(kind="maintenance")
    with time_machine.travel(at(1, 10, month=5), tick=False):
        rendered = reminder_render(prompt, template, now=timezone.now())
        link = re.search(r"https?://[^/\s]+(/my/\S+/maintenance/)", rendered.text).group(1)
        assert "book it online" in rendered.text and link in rendered.html
        assert re.search(r"https?://[^/\s]+(/my/\S+/maintenance/)", sms_render(prompt, template))
        page = Client().get(link)
        assert page.status_code == 200 and page.context["options"], "the prompt's link shows times to book"


def test_a_second_maintenance_booking_from_another_tab_is_refused(world, monkeypatch):
    from clinic.errors import Conflict
    from scheduling.services import patient_self_service
    from scheduling.services.maintenance import maintenance_propose
    from scheduling.services.patient_self_service import maintenance_book_by_patient

    series = _completed_series(world)
    patient = world["patient"]
    with time_machine.travel(at(1, 10, month=5), tick=False):
        # Two tabs booking at the same moment: both found their times before either booked.
        proposed = maintenance_propose(series=series, count=1, alternatives=3)
        monkeypatch.setattr(patient_self_service, "maintenance_propose", lambda **kwargs: proposed)
        times = [p.visits[0].start for p in proposed.plans]
        maintenance_book_by_patient(patient=patient, series=series, starts_at=times[0])
        with pytest.raises(Conflict, match="already booked your next maintenance visit"):
            maintenance_book_by_patient(patient=patient, series=series, starts_at=times[-1])
    assert Appointment.objects.filter(patient=patient, kind="maintenance").count() == 1
