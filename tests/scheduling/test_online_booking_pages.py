"""The public booking page, /book/<location>/: times, details, code and link, and every
way they can go wrong, in words."""

import re
from datetime import date, timedelta
from urllib.parse import unquote

import pytest
import time_machine
from django.test import Client

from patients.models import Patient
from scheduling.models import Appointment, OnlineBooking, Reminder
from scheduling.reminders.booking_codes import online_booking_code, online_booking_link
from scheduling.services.consultations import consultation_book
from tests.builders import at
from tests.factories import LocationFactory, PatientFactory

pytestmark = pytest.mark.django_db

NOW = at(1, 9)  # Monday 1 March 2027, 09:00 London
BORN = date(1990, 4, 12)
FORM = {"first_name": "Nia", "last_name": "Okafor", "date_of_birth": "1990-04-12", "email": "nia@example.com",
        "phone": "07911 123456", "code_channel": "email", "consent_email": "on"}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def page(clinic):
    return f"/book/{clinic['location'].slug}/"


def time_links(html: str) -> list[str]:
    return [unquote(link).replace("&amp;", "&") for link in re.findall(r'href="([^"]*/details/\?time=[^"]+)"', html)]


def first_time(client, page) -> str:
    return time_links(client.get(page).content.decode())[0]


def ask(client, page, form=FORM, address="203.0.113.5"):
    return client.post(first_time(client, page), form, REMOTE_ADDR=address)


def code_of(booking: OnlineBooking) -> str:
    return online_booking_code(booking.pk)


def test_the_page_shows_free_consultation_times_by_day_in_the_clinics_zone(client, page, clock):
    html = client.get(page).content.decode()
    assert "Book a free consultation" in html and "London time (GMT)" in html
    assert "Monday 1 March 2027" in html and "Tuesday 2 March 2027" in html and "Wednesday 3 March 2027" in html
    assert "Thursday 4 March" not in html  # a few days at a time
    monday = html.split("Monday 1 March 2027")[1].split("<h2")[0]
    assert ">10:00<" in monday and ">09:45<" not in monday  # an hour ahead at least
    assert 'href="/book/' in html and "Later times" in html
    later = client.get(f"{page}?from=2027-03-04").content.decode()
    assert "Thursday 4 March 2027" in later and "Earlier times" in later


def test_a_desk_booking_leaves_the_page_and_its_cancellation_comes_back(client, page, clinic, clock):
    html = client.get(page).content.decode()
    assert ">10:00<" in html.split("Tuesday 2 March 2027")[1].split("<h2")[0]
    for provider in (clinic["provider"], clinic["other_provider"]):
        consultation_book(patient=PatientFactory(), location=clinic["location"], provider=provider,
                          starts_at=at(2, 10))
    tuesday = client.get(page).content.decode().split("Tuesday 2 March 2027")[1].split("<h2")[0]
    assert ">10:00<" not in tuesday


def test_nonsense_in_the_address_is_answered_in_words(client, page, clinic, clock):
    assert client.get(f"{page}?from=yesterday").status_code == 200
    assert client.get("/book/no-such-clinic/").status_code == 404
    broken = client.get(f"{page}details/?time=not-a-time")
    assert broken.status_code == 400 and "Please choose a time from the list" in broken.content.decode()
    other = LocationFactory()
    foreign = first_time(client, page).replace(f"/book/{clinic['location'].slug}/", f"/book/{other.slug}/")
    assert client.get(foreign).status_code == 400
    assert client.get(f"{page}confirm/forged-token/").status_code == 404
    assert client.get(f"{page}code/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_details_are_checked_and_nothing_typed_is_lost(client, page, clock):
    answer = ask(client, page, form={**FORM, "email": "", "date_of_birth": "2031-01-01"})
    html = answer.content.decode()
    assert answer.status_code == 400
    assert "Enter your email address so we can send you the code." in html
    assert "Your date of birth cannot be in the future." in html
    assert 'value="Okafor"' in html and not OnlineBooking.objects.exists()


def test_the_code_page_books_the_consultation(client, page, clock):
    answer = ask(client, page)
    assert answer.status_code == 302
    booking = OnlineBooking.objects.get()
    code_page = client.get(answer["Location"]).content.decode()
    assert "We have sent a 6-digit code to the email address you gave" in code_page
    assert "Monday 1 March 2027 at 10:00 GMT" in code_page
    wrong = client.post(answer["Location"], {"code": "000000" if code_of(booking) != "000000" else "111111"})
    assert wrong.status_code == 400 and "You have 4 more tries" in wrong.content.decode()
    done = client.post(answer["Location"], {"code": code_of(booking)}, follow=True)
    html = done.content.decode()
    assert "Your consultation is booked" in html and "Monday 1 March 2027 at 10:00 GMT" in html
    assert Appointment.objects.get().patient.email == "nia@example.com"


def test_the_link_in_the_message_books_with_one_tap(client, page, clock):
    ask(client, page)
    link = online_booking_link(OnlineBooking.objects.get())
    path = link.split("testserver")[-1] if "testserver" in link else "/" + link.split("/", 3)[3]
    shown = client.get(path)
    assert shown.status_code == 200 and "Confirm my consultation" in shown.content.decode()
    assert not Appointment.objects.exists()  # opening the link alone books nothing
    done = client.post(path, follow=True)
    assert "Your consultation is booked" in done.content.decode()
    again = client.post(path, follow=True)
    assert "Your consultation is booked" in again.content.decode()
    assert Appointment.objects.count() == 1


def _normalised(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r"(code|confirm)/[^/\"]+/", r"\1/X/", html)


def test_the_page_answers_the_same_whether_or_not_the_person_is_a_patient(page, clinic, clock):
    """Nothing shows whether the details match a record: same status, same words, same steps."""
    PatientFactory(first_name="Nia", last_name="Okafor", date_of_birth=BORN, email="nia@example.com")
    answers = []
    for email in ("nia@example.com", "stranger@example.com"):
        client = Client()
        link = time_links(client.get(f"{page}?from=2027-03-02").content.decode())[0]
        details = client.get(link)
        asked = client.post(link, {**FORM, "email": email}, REMOTE_ADDR="203.0.113.5")
        code_page = client.get(asked["Location"])
        booking = OnlineBooking.objects.get(email=email)
        booked = client.post(asked["Location"], {"code": code_of(booking)}, follow=True)
        answers.append((details.status_code, asked.status_code, code_page.status_code, booked.status_code,
                        _normalised(code_page.content.decode()), _normalised(booked.content.decode())))
    assert answers[0] == answers[1]
    assert Patient.objects.filter(date_of_birth=BORN).count() == 2  # the stranger is new, Nia is linked


def test_a_time_taken_meanwhile_is_explained_with_the_next_free_times(client, page, clinic, clock):
    link = first_time(client, page)
    for provider in (clinic["provider"], clinic["other_provider"]):
        consultation_book(patient=PatientFactory(), location=clinic["location"], provider=provider,
                          starts_at=at(1, 10))
    answer = client.post(link, FORM, REMOTE_ADDR="203.0.113.5")
    html = answer.content.decode()
    assert answer.status_code == 409
    assert "that time has just been taken" in html and "The next free times" in html
    assert time_links(html) and not OnlineBooking.objects.exists()


def test_an_expired_hold_is_explained_with_the_next_free_times(client, page, clock):
    answer = ask(client, page)
    clock.shift(timedelta(minutes=11))
    shown = client.get(answer["Location"]).content.decode()
    assert "The ten minutes we kept this time for you have passed" in shown and time_links(shown)
    tried = client.post(answer["Location"], {"code": code_of(OnlineBooking.objects.get())})
    assert tried.status_code == 409 and "have passed" in tried.content.decode()
    assert not Appointment.objects.exists()


def test_too_many_requests_get_a_sentence_and_a_retry_after(client, page, clock):
    for number in range(3):
        link = time_links(client.get(page).content.decode())[number]
        assert client.post(link, FORM, REMOTE_ADDR=f"198.51.100.{number}").status_code == 302
    refused = client.post(time_links(client.get(page).content.decode())[5], FORM, REMOTE_ADDR="198.51.100.50")
    html = refused.content.decode()
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "We have already sent several codes" in html and 'value="Okafor"' in html


def test_sending_the_details_twice_leads_to_the_same_code_page_not_to_taken(client, page, clock):
    chosen = first_time(client, page)
    first = client.post(chosen, FORM, REMOTE_ADDR="203.0.113.5")
    again = client.post(chosen, FORM, REMOTE_ADDR="203.0.113.5")  # a double tap on "Send me a code"
    assert first.status_code == again.status_code == 302 and again["Location"] == first["Location"]
    assert OnlineBooking.objects.count() == 1
    assert Reminder.objects.filter(kind="booking_code").count() == 1
    # Someone else asking for that time is still refused, in words.
    other = client.post(chosen, {**FORM, "email": "someone@example.com"}, REMOTE_ADDR="198.51.100.4")
    assert other.status_code == 409 and "that time has just been taken" in other.content.decode()
