"""The set-up pages of the demo clinic in a real browser at 1280x800 and 390x844, signed
in as its clinic admin: nothing scrolls sideways, every control is labelled, axe-core
finds nothing serious or critical, and a screenshot of each is left in var/screenshots/.
Then the admin adds a closure over booked visits, is warned, and saves it anyway.

The demo is seeded around Monday 8 March 2027 and the clock set to 10:00 that day."""

from datetime import datetime

import pytest
import time_machine
from django.core.management import call_command

from clinic.models import Closure, Location, Provider
from patients.models import ScreeningRule
from scheduling.models import Appointment, TreatmentProtocol
from tests.builders import LONDON
from tests.frontdesk.browsing import DESKTOP, PHONE, browser_session, check, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MONDAY = "2027-03-08"


@pytest.fixture(autouse=True)
def _playwright_beside_django(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test still reads the
    # database synchronously between browser steps, which is safe here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    yield from browser_session()


@pytest.fixture
def demo():
    with time_machine.travel(datetime(2027, 3, 8, 10, 0, tzinfo=LONDON), tick=True) as traveller:
        call_command("seed_demo", date=MONDAY, verbosity=0)
        yield traveller


def _pages() -> dict[str, str]:
    location = Location.objects.get()
    room = location.rooms.order_by("name").first()
    provider = Provider.objects.get(display_name="Dr Asha Patel")
    protocol = TreatmentProtocol.objects.order_by("pk").first()
    rule = ScreeningRule.objects.order_by("pk").first()
    return {
        "setup": "/setup/",
        "setup-location": f"/setup/locations/{location.pk}/",
        "setup-opening-hours": f"/setup/locations/{location.pk}/hours/",
        "setup-closures": f"/setup/locations/{location.pk}/closures/",
        "setup-rooms": f"/setup/locations/{location.pk}/rooms/",
        "setup-room": f"/setup/rooms/{room.pk}/",
        "setup-provider": f"/setup/providers/{provider.pk}/",
        "setup-protocol": f"/setup/protocol/{protocol.pk}/",
        "setup-screening": "/setup/screening/",
        "setup-screening-rule": f"/setup/screening/{rule.pk}/",
        "setup-messages": "/setup/messages/",
        "setup-message": "/setup/messages/pre_visit/",
    }


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_every_set_up_page_reads_at_this_size(live_server, browser, demo, viewport):
    base = live_server.url
    page = browser("admin", viewport)
    sign_in(page, base, "admin", "needlepoint-admin")
    for name, url in _pages().items():
        response = page.goto(base + url)
        assert response.status == 200, name
        check(page, name)


def test_an_admin_adds_a_closure_over_booked_visits_is_warned_and_saves_it_anyway(live_server, browser, demo):
    base = live_server.url
    page = browser("admin", DESKTOP)
    sign_in(page, base, "admin", "needlepoint-admin")
    location = Location.objects.get()
    booked = Appointment.objects.filter(status="booked", starts_at__date="2027-03-10").count()
    assert booked > 0
    page.goto(f"{base}/setup/")
    page.get_by_role("link", name="Closures").first.click()
    page.get_by_label("Reason").fill("Boiler repair")
    page.get_by_label("First day").fill("2027-03-10")
    page.get_by_label("Last day").fill("2027-03-10")
    page.get_by_role("button", name="Add the closure").click()
    warning = page.get_by_role("alert")
    words = warning.inner_text()
    assert f"Saving this would disrupt {booked} booked visit" in words
    assert "(Europe/London, GMT)" in words
    # Each visit is listed with its patient, visit, local time and provider, and the series are counted.
    first = Appointment.objects.filter(status="booked", starts_at__date="2027-03-10").select_related(
        "patient", "provider").order_by("starts_at").first()
    assert first.patient.full_name in words and first.provider.display_name in words
    in_series = Appointment.objects.filter(status="booked", starts_at__date="2027-03-10",
                                           series__isnull=False).count()
    assert (f"{in_series} of these belong" in words) if in_series else ("None of these belong" in words)
    check(page, "setup-closure-warning")
    assert not Closure.objects.filter(reason="Boiler repair").exists()
    page.get_by_role("button", name="Save anyway and re-plan these").click()
    page.wait_for_url(f"{base}/setup/locations/{location.pk}/closures/")
    body = page.locator("main").inner_text()
    assert "Closure saved: Boiler repair, from Wed 10 Mar 2027 00:00 (Europe/London, GMT)" in body
    assert "in a closure, time off, a room out of service or outside working hours" in body
    check(page, "setup-closure-saved")
    assert Closure.objects.filter(reason="Boiler repair").count() == 1
    page.get_by_role("link", name="Open the re-plan board").click()
    page.wait_for_url(f"{base}/replan/**")
    assert "Boiler repair" in page.locator("main").inner_text()
    moved_ids = list(Appointment.objects.filter(status="booked", starts_at__date="2027-03-10")
                     .values_list("pk", flat=True))
    page.locator("#accept-all").click()
    page.wait_for_load_state()
    still = Appointment.objects.filter(status="booked", starts_at__date="2027-03-10").count()
    assert still < booked
    moved = Appointment.objects.filter(pk__in=moved_ids, status="booked").exclude(starts_at__date="2027-03-10")
    assert moved.exists()
    # The schedule of that day draws the closure, hatched and labelled, with no visit left under it.
    page.goto(f"{base}/schedule/?location={location.pk}&date=2027-03-10")
    shade = page.locator(".shade.shade-closure", has_text="Boiler repair")
    assert shade.evaluate_all("els => els.some(e => e.offsetParent !== null)")
    check(page, "setup-closure-on-the-schedule")
    # The day a moved visit went to shows it there.
    target = moved.order_by("starts_at").select_related("patient").first()
    local_day = target.starts_at.astimezone(LONDON).date().isoformat()
    page.goto(f"{base}/schedule/?location={location.pk}&date={local_day}")
    assert target.patient.full_name in page.locator("main").inner_text()


def test_the_message_preview_follows_the_typing(live_server, browser, demo):
    base = live_server.url
    page = browser("admin", DESKTOP)
    sign_in(page, base, "admin", "needlepoint-admin")
    page.goto(f"{base}/setup/messages/pre_visit/")
    # The HTML part is drawn on opening, before anything is typed.
    page.frame_locator('iframe[data-part="html"]').locator("body", has_text="Amira").wait_for()
    page.get_by_label("Text message").fill("Hello {{ first_name }}, we look forward to {{ time }}.")
    sms = page.locator('[data-part="sms"]')
    sms.filter(has_text="Hello Amira, we look forward to").wait_for()
    page.get_by_label("Text message").fill("Hello {{ provider }}")
    page.locator('[data-part="problems"]').filter(has_text="Unknown variable {{ provider }}").wait_for()
    check(page, "setup-message-preview")
    # The HTML part is shown in a sandboxed frame: a script in it never runs on the page.
    page.get_by_label("Email, HTML").fill(
        '<p id="hello">Dear {{ first_name }}</p><img src=x onerror="document.title=1">')
    frame = page.frame_locator('iframe[data-part="html"]')
    frame.locator("#hello").filter(has_text="Dear Amira").wait_for()
    assert page.title() != "1"
