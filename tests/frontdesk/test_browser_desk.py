"""The desk's work on the demo clinic in a real browser at 1280x800, bullet by bullet of
the front-desk pages, counting the clicks each task takes (the figures in README.md):

- find a patient and book a consultation (from an empty time on the schedule);
- plan and confirm a series;
- move session 2;
- add to the waitlist, and book the slot offered.

The demo is seeded around Monday 8 March 2027, the clock at 10:00 that day."""

import re
from datetime import datetime

import pytest
import time_machine
from django.core.management import call_command

from patients.models import Consultation, Patient
from scheduling.models import Appointment, TreatmentSeries, WaitlistEntry
from tests.builders import LONDON

from .browsing import DESKTOP, browser_session, check, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _playwright_beside_django(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    yield from browser_session()


@pytest.fixture
def demo():
    with time_machine.travel(datetime(2027, 3, 8, 10, 0, tzinfo=LONDON), tick=True) as traveller:
        call_command("seed_demo", date="2027-03-08", verbosity=0)
        yield traveller


class Clicks:
    """Counts what the desk clicks; typing is not a click."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, locator) -> None:
        self.count += 1
        locator.click()


@pytest.fixture
def desk(live_server, browser, demo):
    page = browser("desk", DESKTOP)
    sign_in(page, live_server.url, "frontdesk", "needlepoint-desk")
    return page


def test_the_week_reads_at_1280_with_time_patient_kind_and_provider(desk, live_server):
    desk.goto(f"{live_server.url}/schedule/?date=2027-03-08&view=week")
    days = desk.locator(".week-agenda .agenda-day")
    assert days.count() == 7
    first = days.first.locator(".visit-row").first
    assert re.match(r"^\d\d:\d\d .+\n?.*(Consultation|session|check|review).* · ", first.inner_text())
    assert "(Booked)" in first.get_attribute("title") or "(" in first.get_attribute("title")
    assert first.bounding_box()["width"] > 140, "a week column is wide enough to read"
    desk.goto(f"{live_server.url}/schedule/?date=2027-03-08")
    block = desk.locator(".diary .visit").first
    block.focus()
    assert re.match(r"^\d\d:\d\d to \d\d:\d\d: .+ for .+, .+ \(.+\)$", block.get_attribute("title"))
    check(desk, "bullet-schedule-week-focus")


def test_a_closed_today_offers_the_next_open_day(desk, live_server, demo):
    demo.move_to(datetime(2027, 3, 14, 10, 0, tzinfo=LONDON))
    desk.goto(f"{live_server.url}/schedule/")
    assert desk.get_by_text("is closed today").is_visible()
    desk.get_by_role("link", name="Show the next open day, Monday 15 March").click()
    desk.get_by_role("heading", name=re.compile("Monday 15 March 2027")).wait_for()
    assert desk.locator(".diary .visit").count() > 0
    check(desk, "bullet-schedule-next-open-day")


def test_an_empty_time_books_a_consultation_for_the_patient_chosen_next(desk, live_server):
    click = Clicks()
    patient = Patient.objects.filter(appointments__isnull=True).order_by("pk").first() or Patient.objects.last()
    desk.goto(f"{live_server.url}/schedule/?date=2027-03-09")
    free = desk.locator(".diary .free").first
    label = free.get_attribute("aria-label")
    at = re.search(r"at (\d\d:\d\d) with (.+)$", label)
    click(free)
    desk.get_by_text("Booking a consultation with").wait_for()
    desk.get_by_label("Find a patient by name, phone or email").press_sequentially(patient.last_name[:4], delay=30)
    click(desk.locator("#patient-results li a", has_text=patient.full_name).first)
    assert desk.locator("input[name=slot]:checked").count() == 1, "the chosen time is already selected"
    check(desk, "bullet-book-from-empty-time")
    click(desk.get_by_role("button", name="Book this consultation"))
    desk.get_by_text(f"Consultation booked with {at.group(2)} on Tue 09 Mar 2027 at {at.group(1)}.").wait_for()
    assert click.count == 3


def test_plan_and_confirm_a_series_then_move_session_2_counting_clicks(desk, live_server):
    consultation = (Consultation.objects.filter(outcome="eligible", series__isnull=True,
                                                hyperpigmentation_caution=False).order_by("pk").first())
    desk.goto(f"{live_server.url}/patients/{consultation.patient_id}/")
    click = Clicks()
    click(desk.get_by_role("link", name="Plan a series"))
    click(desk.get_by_role("button", name="Propose a series"))
    click(desk.locator("#option-1").get_by_role("button", name="Hold these times"))
    click(desk.get_by_role("button", name="Confirm the series"))
    desk.get_by_text(re.compile(r"Series of \d sessions booked for")).wait_for()
    planning = click.count

    series = TreatmentSeries.objects.get(consultation=consultation)
    second = series.appointments.get(kind="session", session_number=2)
    new_day = (second.starts_at.astimezone(LONDON)).date().replace(day=second.starts_at.day)
    click = Clicks()
    click(desk.locator("ol.timeline").get_by_role("link", name="Session 2", exact=True))
    click(desk.get_by_role("link", name="Reschedule"))
    desk.get_by_label("New date").fill(new_day.isoformat())
    desk.get_by_label("New time").fill("16:30")
    click(desk.get_by_role("button", name="Show what would change"))
    desk.locator(".cascade, .alert").first.wait_for()
    if desk.get_by_role("button", name="Confirm the move").count():
        click(desk.get_by_role("button", name="Confirm the move"))
        desk.get_by_text("Moved to").wait_for()
    assert planning == 4 and click.count <= 4


def test_add_to_the_waitlist_and_book_the_offered_slot(desk, live_server):
    patient = Patient.objects.filter(waitlist_entries__isnull=True).order_by("-pk").first()
    desk.goto(f"{live_server.url}/patients/{patient.pk}/")
    click = Clicks()
    click(desk.get_by_role("link", name="Add to the waitlist"))
    click(desk.get_by_role("button", name="Add to the waitlist"))
    desk.get_by_text("is on the waitlist").wait_for()
    assert WaitlistEntry.objects.filter(patient=patient, status="waiting").exists()
    offered = WaitlistEntry.objects.filter(status="offered", kind="consultation").order_by("created_at").first()
    click(desk.get_by_role("link", name="Waitlist"))
    row = desk.locator(f"#entry-{offered.pk}")
    assert re.search(r"Offered \w{3} \d+ \w{3}, \d\d:\d\d", row.inner_text())
    check(desk, "bullet-waitlist-offers")
    click(row.get_by_role("button", name=re.compile("Book the offered slot")))
    desk.get_by_text(re.compile(rf"Booked {offered.patient.full_name} with .+; they are off the waitlist\.")).wait_for()
    assert Appointment.objects.filter(patient=offered.patient, kind="consultation", status="booked").exists()
    assert click.count == 4


def test_pause_and_resume_a_series_from_its_timeline(desk, live_server):
    series = TreatmentSeries.objects.filter(status="active").order_by("pk").first()
    desk.goto(f"{live_server.url}/patients/{series.patient_id}/")
    section = desk.locator(f"section[aria-labelledby='series-{series.pk}-h']")
    section.get_by_text("Pause the series").first.click()
    section.get_by_label("Reason for the pause").fill("Travelling for a month.")
    section.get_by_role("button", name="Pause the series").click()
    desk.get_by_text("The series is paused").wait_for()
    desk.locator(f"section[aria-labelledby='series-{series.pk}-h']").get_by_role(
        "button", name="Resume the series").click()
    desk.get_by_text("The series is going ahead again.").wait_for()
    series.refresh_from_db()
    assert series.status == "active"


def test_registering_someone_already_there_offers_to_open_them(desk, live_server):
    existing = Patient.objects.order_by("pk").first()
    desk.goto(f"{live_server.url}/patients/new/")
    desk.get_by_label("First name").fill("Someone")
    desk.get_by_label("Last name").fill("Else")
    desk.get_by_label("Date of birth").fill("1990-01-01")
    desk.get_by_label("Email", exact=True).fill(existing.email)
    desk.get_by_role("button", name="Register").click()
    desk.get_by_text("This may be someone already registered").wait_for()
    check(desk, "bullet-likely-duplicate")
    desk.get_by_role("link", name="Open this patient").click()
    desk.get_by_role("heading", name=re.compile(existing.full_name)).wait_for()
