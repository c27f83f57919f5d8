"""Booking a consultation online: the ten-minute hold, the one-time code, returning
patients, throttles, and what happens when the time is lost."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail

from clinic.audit import AuditEntry
from clinic.errors import Conflict, InvalidRequest
from patients.models import Patient
from scheduling.models import Appointment, OnlineBooking, Reminder, SeriesHold
from scheduling.reminders.booking_codes import online_booking_code
from scheduling.reminders.dispatch import reminders_dispatch_due, reminders_send_batch
from scheduling.services.availability import availability_find
from scheduling.services.booking import VisitSpec, appointments_book
from scheduling.services.consultations import consultation_book
from scheduling.services.online_booking import (
    ALREADY_SEEN,
    EXPIRED,
    TAKEN,
    TOO_MANY_CODES,
    BookingNotMade,
    OnlineDetails,
    TooManyRequests,
    online_booking_confirm,
    online_booking_request,
)
from tests.builders import at
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

NOW = at(1, 9)  # Monday 1 March 2027, 09:00 London
TEN = at(2, 10)
BORN = date(1990, 4, 12)


def details(**changes) -> OnlineDetails:
    values = dict(first_name="Nia", last_name="Okafor", date_of_birth=BORN, email="nia@example.com",
                  phone="+447911123456", consent_email=True, consent_sms=False, code_channel="email")
    return OnlineDetails(**(values | changes))


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def ask(clinic, *, starts_at=TEN, address="203.0.113.5", **changes) -> OnlineBooking:
    return online_booking_request(location=clinic["location"], provider=clinic["provider"], room=None,
                                  starts_at=starts_at, details=details(**changes), address=address)


def code_of(booking: OnlineBooking) -> str:
    return online_booking_code(booking.pk)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def free_at(clinic, moment) -> bool:
    slots = availability_find(location=clinic["location"], kind="consultation", start=moment,
                              end=moment + timedelta(minutes=30), provider=clinic["provider"])
    return any(slot.start == moment for slot in slots)


def test_asking_holds_the_time_for_ten_minutes_and_writes_no_patient(clinic, clock):
    somebody = PatientFactory()
    patients = Patient.objects.count()
    booking = ask(clinic)
    assert booking.hold.status == SeriesHold.Status.HELD and booking.hold.patient is None
    assert booking.expires_at == NOW + timedelta(minutes=10)
    assert not free_at(clinic, TEN)
    with pytest.raises(Conflict):
        consultation_book(patient=somebody, location=clinic["location"], provider=clinic["provider"],
                          starts_at=TEN)
    assert Patient.objects.count() == patients
    code = Reminder.objects.get(online_booking=booking)
    assert code.kind == "booking_code" and code.patient is None and code.due_at == NOW
    assert len(code_of(booking)) == 6 and code_of(booking).isdigit()
    # Neither the code nor the link carrying it is written in the outbox: staff read it there.
    assert code.payload == {"minutes": 10}
    clock.shift(timedelta(minutes=10, seconds=1))
    assert free_at(clinic, TEN)


def test_two_people_cannot_hold_the_same_time(clinic, clock):
    ask(clinic)
    with pytest.raises(Conflict):
        ask(clinic, email="someone.else@example.com", address="198.51.100.7")


def test_the_right_code_books_the_consultation_as_the_patient_online(clinic, clock):
    booking = ask(clinic)
    online_booking_confirm(booking_id=booking.pk, code=code_of(booking))
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    patient = booking.patient
    assert (patient.first_name, patient.last_name, patient.date_of_birth) == ("Nia", "Okafor", BORN)
    assert patient.email == "nia@example.com" and patient.consent_email and not patient.consent_sms
    visit = booking.appointment
    assert (visit.kind, visit.starts_at, visit.status, visit.patient_id) == ("consultation", TEN, "booked", patient.pk)
    assert visit.consultation.patient_id == patient.pk
    assert booking.hold.status == SeriesHold.Status.CONFIRMED
    labels = set(AuditEntry.objects.filter(actor_label="patient online").values_list("action", "object_type"))
    assert {("held", "serieshold"), ("created", "patient"), ("booked", "appointment"),
            ("confirmed", "onlinebooking")} <= labels
    # The desk's own confirmation follows, as for any consultation booked at the desk.
    assert Reminder.objects.filter(appointment=visit, kind=Reminder.Kind.CONFIRMATION).count() == 1


def test_a_code_works_once(clinic, clock):
    booking = ask(clinic)
    online_booking_confirm(booking_id=booking.pk, code=code_of(booking))
    with pytest.raises(Conflict, match="already booked"):
        online_booking_confirm(booking_id=booking.pk, code=code_of(booking))
    assert Appointment.objects.filter(kind="consultation").count() == 1


def test_wrong_codes_count_down_then_release_the_time(clinic, clock):
    booking = ask(clinic)
    code = code_of(booking)
    with pytest.raises(InvalidRequest, match="You have 4 more tries"):
        online_booking_confirm(booking_id=booking.pk, code=wrong(code))
    for _ in range(3):
        with pytest.raises(InvalidRequest):
            online_booking_confirm(booking_id=booking.pk, code=wrong(code))
    with pytest.raises(BookingNotMade, match=TOO_MANY_CODES):
        online_booking_confirm(booking_id=booking.pk, code=wrong(code))
    with pytest.raises(BookingNotMade):
        online_booking_confirm(booking_id=booking.pk, code=code)
    booking.refresh_from_db()
    assert booking.status == "failed" and booking.hold.status == SeriesHold.Status.RELEASED
    assert free_at(clinic, TEN)
    assert not Appointment.objects.exists()


def test_the_code_expires_with_the_hold(clinic, clock):
    booking = ask(clinic)
    clock.shift(timedelta(minutes=10))
    with pytest.raises(BookingNotMade, match=EXPIRED):
        online_booking_confirm(booking_id=booking.pk, code=code_of(booking))
    booking.refresh_from_db()
    assert booking.status == "failed" and booking.patient is None
    assert not Appointment.objects.exists() and not Patient.objects.filter(email="nia@example.com").exists()


def test_a_time_taken_meanwhile_books_nothing_and_registers_nobody(clinic, clock):
    booking = ask(clinic)
    held = booking.hold.visits.get()
    # Written straight to the diary, past the hold, as a race lost at the database would be.
    appointments_book(location=clinic["location"], patient=PatientFactory(), visits=[VisitSpec.of_row(held)])
    patients = Patient.objects.count()
    with pytest.raises(BookingNotMade, match=TAKEN):
        online_booking_confirm(booking_id=booking.pk, code=code_of(booking))
    assert Patient.objects.count() == patients
    booking.refresh_from_db()
    assert booking.status == "failed" and booking.failure == TAKEN and booking.hold.status == "released"


@pytest.mark.parametrize("contact", [{"email": "NIA@example.com", "phone": ""},
                                     {"email": "", "phone": "+447911123456", "code_channel": "sms"}])
def test_a_returning_patient_is_linked_by_email_or_phone_and_date_of_birth(clinic, clock, contact):
    known = PatientFactory(first_name="Nia", last_name="Okafor-Reid", date_of_birth=BORN, email="nia@example.com",
                           phone="+447911123456")
    patients = Patient.objects.count()
    booking = ask(clinic, **contact)
    online_booking_confirm(booking_id=booking.pk, code=code_of(booking))
    booking.refresh_from_db()
    assert booking.patient_id == known.pk
    assert Patient.objects.count() == patients
    assert booking.appointment.patient_id == known.pk


def test_the_same_email_with_another_date_of_birth_is_a_new_patient(clinic, clock):
    known = PatientFactory(date_of_birth=date(1961, 1, 1), email="nia@example.com")
    booking = ask(clinic)
    online_booking_confirm(booking_id=booking.pk, code=code_of(booking))
    booking.refresh_from_db()
    assert booking.patient_id != known.pk
    assert Patient.objects.filter(email="nia@example.com").count() == 2


def test_details_a_patient_record_could_not_hold_are_refused_before_anything_is_held(clinic, clock):
    with pytest.raises(InvalidRequest, match="Please check your details"):
        ask(clinic, phone="+4412")
    assert not OnlineBooking.objects.exists() and not SeriesHold.objects.exists()


def test_online_a_time_is_booked_an_hour_ahead_at_least(clinic, clock):
    with pytest.raises(Conflict, match="from an hour ahead"):
        ask(clinic, starts_at=at(1, 9, 45))


def test_too_many_codes_for_one_contact_are_refused_with_a_wait(clinic, clock):
    for hour in (10, 11, 12):
        ask(clinic, starts_at=at(2, hour), address=f"198.51.100.{hour}")
    with pytest.raises(TooManyRequests) as refused:
        ask(clinic, starts_at=at(2, 13), address="198.51.100.99")
    assert 0 < refused.value.retry_after <= 3601
    assert refused.value.status_code == 429
    clock.shift(timedelta(hours=1, minutes=1))
    ask(clinic, starts_at=at(2, 14), address="198.51.100.99")


def test_too_many_requests_from_one_address_are_refused(clinic, clock):
    for number in range(10):
        ask(clinic, starts_at=at(2, 8) + timedelta(minutes=30 * number), email=f"p{number}@example.com")
    with pytest.raises(TooManyRequests, match="from your connection"):
        ask(clinic, starts_at=at(3, 10), email="another@example.com")
    ask(clinic, starts_at=at(3, 10), email="another@example.com", address="192.0.2.1")


def test_the_code_goes_at_once_to_the_address_given(clinic, clock, django_capture_on_commit_callbacks):
    booking = ask(clinic)
    tokens: list[str] = []
    with django_capture_on_commit_callbacks(execute=True):
        reminders_dispatch_due(enqueue=tokens.append)
    for token in tokens:
        reminders_send_batch(token=token)
    [message] = mail.outbox
    assert message.to == ["nia@example.com"]
    assert code_of(booking) in message.subject and code_of(booking) in message.body
    assert "/book/" in message.body and "Tuesday 2 March 2027 at 10:00 GMT" in message.body
    assert Reminder.objects.get(online_booking=booking).status == "sent"


def test_a_code_no_longer_needed_is_not_sent(clinic, clock, django_capture_on_commit_callbacks):
    booking = ask(clinic)
    online_booking_confirm(booking_id=booking.pk, code=code_of(booking))
    tokens: list[str] = []
    with django_capture_on_commit_callbacks(execute=True):
        reminders_dispatch_due(enqueue=tokens.append)
    for token in tokens:
        reminders_send_batch(token=token)
    assert Reminder.objects.get(online_booking=booking).status == "cancelled"
    assert all("code" not in m.subject for m in mail.outbox)


def test_a_code_by_text_goes_at_once_even_at_night(clinic, tmp_path, settings, django_capture_on_commit_callbacks):
    from scheduling.reminders.sms import FileSmsBackend

    settings.REMINDERS_SMS_BACKEND = "scheduling.reminders.sms.FileSmsBackend"
    settings.REMINDERS_SMS_FILE_DIR = str(tmp_path / "sms")
    with time_machine.travel(at(1, 23, 30), tick=False):
        booking = ask(clinic, code_channel="sms", email="")
        tokens: list[str] = []
        with django_capture_on_commit_callbacks(execute=True):
            reminders_dispatch_due(enqueue=tokens.append)
        for token in tokens:
            reminders_send_batch(token=token)
    [text] = FileSmsBackend(tmp_path / "sms").messages()
    assert text["to"] == "+447911123456"
    assert text["body"].startswith(code_of(booking)) and "/book/" in text["body"]
    assert Reminder.objects.get(online_booking=booking).status == "sent"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_people_asking_for_the_same_time_at_once_get_one_hold(clinic):
    """Both requests take the location's lock; the second sees the first's hold."""
    import threading

    from django.db import connection

    start, outcomes = threading.Barrier(2), []

    def person(number: int) -> None:
        try:
            start.wait(5)
            ask(clinic, email=f"person{number}@example.com", address=f"198.51.100.{number}")
            outcomes.append("held")
        except Conflict:
            outcomes.append("refused")
        finally:
            connection.close()

    with time_machine.travel(NOW, tick=True):
        threads = [threading.Thread(target=person, args=(n,)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(outcomes) == ["held", "refused"]
    assert SeriesHold.objects.filter(status="held").count() == 1


def test_staff_cannot_read_the_code_or_its_link_in_the_admin(clinic, clock, client, django_capture_on_commit_callbacks):
    from django.urls import reverse

    from tests.factories import UserFactory

    booking = ask(clinic)
    code = code_of(booking)
    row = Reminder.objects.get(online_booking=booking)
    client.force_login(UserFactory(username="owner", is_staff=True, is_superuser=True))
    pages = [reverse("admin:scheduling_reminder_changelist"), reverse("admin:scheduling_reminder_change",
                                                                      args=[row.pk])]
    tokens: list[str] = []
    with django_capture_on_commit_callbacks(execute=True):
        reminders_dispatch_due(enqueue=tokens.append)
    for token in tokens:
        reminders_send_batch(token=token)
    [message] = mail.outbox
    assert code in message.body  # the person gets it
    pages += [reverse("admin:scheduling_sentmessage_changelist"),
              reverse("admin:scheduling_sentmessage_change", args=[row.pk])]
    for path in pages:
        answer = client.get(path)
        assert answer.status_code == 200, path
        html = answer.content.decode()
        assert code not in html and "/book/" not in html, path


def test_a_returning_patient_already_seen_at_that_time_is_told_so_not_that_it_was_taken(clinic, clock):
    known = PatientFactory(first_name="Nia", last_name="Okafor", date_of_birth=BORN, email="nia@example.com")
    consultation_book(patient=known, location=clinic["location"], provider=clinic["other_provider"], starts_at=TEN)
    stranger = ask(clinic, email="stranger@example.com", address="198.51.100.9", starts_at=at(2, 11))
    booking = ask(clinic)
    # Until the code comes back, the request reads exactly like a stranger's.
    assert booking.status == stranger.status == "pending" and booking.hold.status == stranger.hold.status
    visits, patients = Appointment.objects.count(), Patient.objects.count()
    with pytest.raises(BookingNotMade) as ended:
        online_booking_confirm(booking_id=booking.pk, code=code_of(booking))
    # Only the owner of the email on the record reads this (the code went there).
    assert ended.value.message == ALREADY_SEEN and "taken" not in ended.value.message
    assert (Appointment.objects.count(), Patient.objects.count()) == (visits, patients)
    booking.refresh_from_db()
    assert booking.status == "failed" and booking.failure == ALREADY_SEEN and booking.hold.status == "released"


def test_booked_online_the_patient_gets_a_desk_bookings_messages_and_the_code(clinic, clock,
                                                                                django_capture_on_commit_callbacks):
    desk_patient = PatientFactory(consent_email=True, consent_sms=False, preferred_channel="email")
    at_desk = consultation_book(patient=desk_patient, location=clinic["location"], provider=clinic["provider"],
                                starts_at=at(2, 11))
    booking = ask(clinic, phone="")
    tokens: list[str] = []
    with django_capture_on_commit_callbacks(execute=True):
        reminders_dispatch_due(enqueue=tokens.append)
    for token in tokens:
        reminders_send_batch(token=token)
    assert [m.to for m in mail.outbox if code_of(booking) in m.subject] == [["nia@example.com"]]
    online_booking_confirm(booking_id=booking.pk, code=code_of(booking))
    booking.refresh_from_db()

    def kinds(appointment):
        return sorted(Reminder.objects.filter(appointment=appointment).values_list("kind", flat=True))

    assert kinds(booking.appointment) == kinds(at_desk) and kinds(at_desk)
    assert Reminder.objects.filter(patient=booking.patient).exclude(appointment=booking.appointment).count() == 0
    assert Reminder.objects.filter(online_booking=booking).count() == 1


def test_someone_typing_a_patients_phone_with_their_own_email_learns_nothing_of_the_patients_visits(clinic, clock):
    known = PatientFactory(date_of_birth=BORN, email="nia@example.com", phone="+447911123456")
    consultation_book(patient=known, location=clinic["location"], provider=clinic["other_provider"], starts_at=TEN)
    booking = ask(clinic, email="someone.else@example.com")  # Nia's phone and birthday, another's email
    with pytest.raises(BookingNotMade) as ended:
        online_booking_confirm(booking_id=booking.pk, code=code_of(booking))
    assert ended.value.message == TAKEN
