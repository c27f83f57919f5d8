"""The re-planning board and the schedule's drawing in a real browser, at 1280x800 and
390x844: a closure added over booked visits of the demo clinic, the board worked with
"Accept all", then the schedule shows the closure hatched and labelled with the visits
moved out of it. Screenshots are left in var/screenshots/.

The demo is seeded around Monday 8 March 2027 and the clock set to 10:00 that day."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from clinic.models import Closure, Location
from scheduling.disruptions import visits_disrupted
from scheduling.models import Appointment
from tests.builders import LONDON

from ..frontdesk.browsing import DESKTOP, PHONE, browser_session, check, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CLOSED_DAY = datetime(2027, 3, 10, tzinfo=LONDON)  # Wednesday


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


def _close_wednesday_morning() -> Location:
    booked = Appointment.objects.filter(status="booked", starts_at__gte=CLOSED_DAY,
                                        starts_at__lt=CLOSED_DAY + timedelta(days=1)).order_by("starts_at").first()
    assert booked is not None, "the demo books visits on Wednesday"
    location = booked.location
    Closure.objects.create(location=location, reason="Boiler repair", starts_at=CLOSED_DAY.replace(hour=8),
                           ends_at=CLOSED_DAY.replace(hour=13))
    return location


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_an_admin_works_the_board_and_the_schedule_shows_the_closure(live_server, browser, demo, viewport):
    location = _close_wednesday_morning()
    disrupted = visits_disrupted(location_ids=[location.pk])
    assert disrupted
    page = browser("admin", viewport)
    sign_in(page, live_server.url, "admin", "needlepoint-admin")
    width = viewport["width"]

    page.goto(f"{live_server.url}/dashboard/?location={location.pk}")
    assert page.locator("#fig-disrupted").inner_text() == str(len(disrupted))
    page.get_by_role("link", name="Open the re-planning board").click()
    page.wait_for_url("**/replan/**")
    assert "The clinic is closed: Boiler repair (08:00-13:00 GMT)." in page.content()
    check(page, "replan-board")
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_load_state()
    assert "each patient is sent one message" in page.content()
    assert page.locator("#replan-empty").is_visible()
    check(page, "replan-board-worked")
    assert visits_disrupted(location_ids=[location.pk]) == []

    page.goto(f"{live_server.url}/dashboard/?location={location.pk}")
    assert page.locator("#fig-disrupted").inner_text() == "0"

    page.goto(f"{live_server.url}/schedule/?location={location.pk}&date=2027-03-10")
    label = "Closed: Boiler repair (08:00-13:00 GMT)"
    # Drawn across the day's columns (a list of the day's visits on a phone); either way in words.
    shown = page.locator(".shade-closure", has_text=label)
    assert shown.evaluate_all("els => els.some(e => e.offsetParent !== null)")
    check(page, "schedule-closure-day")
    page.goto(f"{live_server.url}/schedule/?location={location.pk}&date=2027-03-10&view=week")
    assert page.locator(".shade-note.shade-closure", has_text=label).is_visible()
    check(page, "schedule-closure-week")
    assert width in (1280, 390)
