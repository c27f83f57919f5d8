"""Links built from the one public address, that stop working when they should; no token
in any log; the clinic's branding in every email and on every patient page; the words
each template may use listed in one place."""

import io
import logging
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
import yaml
from django.core import mail, signing
from django.template import Template, TemplateSyntaxError
from django.test import Client

from clinic.log_filters import TokenRedactingFilter, tokens_redact
from clinic.models import OpeningHours
from scheduling.models import Reminder
from scheduling.patient_links import patient_link_url
from scheduling.reminders.defaults import DEFAULT_TEMPLATES
from scheduling.reminders.tokens import message_url, unsubscribe_url, waitlist_claim_url
from scheduling.reminders.variables import ITEM_ATTRIBUTES, TEMPLATE_VARIABLES, template_variables
from tests.builders import at
from tests.factories import UserFactory

from .conftest import book, first_session, set_status
from .journey import deliver_until

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


@pytest.fixture
def branded(location):
    location.logo_url = "https://clinic.example.com/logo.png"
    location.address = "1 River St\nLondon W1"
    location.save()
    OpeningHours.objects.filter(location=location).delete()
    for day in range(5):
        OpeningHours.objects.create(location=location, weekday=day, opens="09:00", closes="18:00")
    return location


def test_every_link_starts_with_the_one_public_address(settings):
    settings.PUBLIC_SITE_URL = "http://127.0.0.1:8765"
    for url in (message_url(reminder_id=1), unsubscribe_url(patient_id=1, channel="email"),
                waitlist_claim_url(reminder_id=1)):
        assert url.startswith("http://127.0.0.1:8765/reminders/")


def test_make_run_sets_the_public_address_from_port():
    dry_run = subprocess.run(["make", "-n", "run", "PORT=8765"], cwd=ROOT, capture_output=True, text=True, check=True)
    [line] = [line for line in dry_run.stdout.splitlines() if "honcho start" in line]
    assert "PUBLIC_SITE_URL=${PUBLIC_SITE_URL:-http://127.0.0.1:8765}" in line and "--port 8765" in line


def test_compose_sets_the_public_address_from_its_own_variable():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["PUBLIC_SITE_URL"] == "${PUBLIC_SITE_URL:-http://localhost:8000}"


def test_a_message_page_expires_after_the_configured_days(clinic, email_patient, settings):
    settings.MESSAGE_PAGE_MAX_AGE_DAYS = 60
    with time_machine.travel(at(1, 9), tick=False) as clock:
        visit = book(clinic=clinic, patient=email_patient, starts_at=at(10, 10))
        row = Reminder.objects.get(appointment=visit, kind="confirmation")
        url = message_url(reminder_id=row.pk).removeprefix(settings.PUBLIC_SITE_URL)
        assert Client().get(url).status_code == 200
        clock.move_to(at(1, 9) + timedelta(days=59))
        assert Client().get(url).status_code == 200
        clock.move_to(at(1, 9) + timedelta(days=61))
        expired = Client().get(url)
    assert expired.status_code == 410 and b"This message has expired" in expired.content


def test_no_valid_token_is_written_to_a_log(clinic, email_patient):
    visit = book(clinic=clinic, patient=email_patient, starts_at=at(10, 10))
    links = [patient_link_url(visit), message_url(reminder_id=7), unsubscribe_url(patient_id=3, channel="sms"),
             waitlist_claim_url(reminder_id=9)]
    stream = io.StringIO()
    [console] = [h for h in logging.getLogger().handlers if any(isinstance(f, TokenRedactingFilter)
                                                                 for f in h.filters)]
    original = console.setStream(stream)
    try:
        for link in links:
            logging.getLogger("django.server").info('"GET %s HTTP/1.1" 200 1234', link)
            logging.getLogger("scheduling").warning("Opened %s", link)
    finally:
        console.setStream(original)
    written = stream.getvalue()
    tokens = [re.search(r"/(?:visit/\d+|reminders/\w+)/([^/]+)/", link).group(1) for link in links]
    assert written.count("[token]") == 2 * len(links)
    assert not any(token in written for token in tokens)


def test_a_signed_value_outside_a_known_path_is_hidden_too():
    token = signing.dumps({"a": 1}, salt="anything")
    assert token not in tokens_redact(f"payload {token} end")


def test_every_email_carries_the_clinics_branding_in_html_and_text(
    clinic, branded, email_patient, django_capture_on_commit_callbacks
):
    with time_machine.travel(at(1, 9), tick=False) as clock:
        book(clinic=clinic, patient=email_patient, starts_at=at(10, 10))
        deliver_until(clock, at(1, 9, 5), django_capture_on_commit_callbacks)
    [message] = mail.outbox
    html = message.alternatives[0][0] if hasattr(message.alternatives[0], "__getitem__") else ""
    for text in (message.body, html):
        assert "Riverside Clinic Marylebone" in text and "1 River St" in text and "London W1" in text
        assert "+44 20 7946 0000" in text and "Monday to Friday 09:00-18:00" in text
    assert 'href="tel:+442079460000"' in html
    assert 'src="https://clinic.example.com/logo.png"' in html


def test_every_patient_page_carries_the_clinics_branding(clinic, branded, email_patient, settings):
    with time_machine.travel(at(1, 9), tick=False):
        visit = book(clinic=clinic, patient=email_patient, starts_at=at(10, 10))
        row = Reminder.objects.get(appointment=visit, kind="confirmation")
        pages = [patient_link_url(visit), message_url(reminder_id=row.pk),
                 unsubscribe_url(patient_id=email_patient.pk, channel="email")]
        for url in pages:
            page = Client().get(url.removeprefix(settings.PUBLIC_SITE_URL))
            assert page.status_code == 200, url
            assert b"tel:+442079460000" in page.content and b"Monday to Friday 09:00-18:00" in page.content
            assert b"logo.png" in page.content


def _names(source: str) -> set[tuple[str, str]]:
    """(variable, attribute) pairs a template reads, loop variables resolved to their list."""
    loops = dict(re.findall(r"{%\s*for\s+(\w+)\s+in\s+(\w+)\s*%}", source))
    used = set()
    for expression in re.findall(r"{{\s*([\w.]+)|{%\s*(?:if|elif)\s+(?:not\s+)?([\w.]+)", source):
        name = next(part for part in expression if part)
        head, _, attribute = name.partition(".")
        used.add((loops.get(head, head), attribute if head in loops else ""))
    for list_name in loops.values():
        used.add((list_name, ""))
    return used


@pytest.mark.parametrize("kind", sorted(DEFAULT_TEMPLATES))
def test_the_default_templates_use_only_the_variables_their_kind_lists(kind):
    assert set(TEMPLATE_VARIABLES) == set(DEFAULT_TEMPLATES)
    for field, source in DEFAULT_TEMPLATES[kind].items():
        try:
            Template(source)
        except TemplateSyntaxError as error:  # pragma: no cover - the message says which
            pytest.fail(f"{kind}.{field}: {error}")
        allowed = template_variables(kind, field)
        for name, attribute in _names(source):
            if name in ("and", "or"):
                continue
            assert name in allowed, f"{kind}.{field} uses {name}"
            if attribute:
                assert attribute in ITEM_ATTRIBUTES[name], f"{kind}.{field} uses {name}.{attribute}"


def test_pre_care_and_aftercare_are_each_protocols_own_words_edited_in_the_admin(
    client, clinic, email_patient, protocol, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    page = client.get(f"/admin/scheduling/treatmentprotocol/{protocol.pk}/change/").content.decode()
    assert 'name="pre_care_text"' in page and 'name="aftercare_text"' in page
    protocol.aftercare_text = "Sunscreen every day.\nNo make-up for 24 hours."
    protocol.save()
    with time_machine.travel(at(1, 9), tick=False) as clock:
        visit = first_session(clinic=clinic, patient=email_patient, starts_at=at(1, 10))
        visit.series.protocol = protocol
        visit.series.save()
        clock.move_to(at(1, 11))
        set_status(visit, "completed")
        mail.outbox.clear()
        deliver_until(clock, at(1, 11, 5), django_capture_on_commit_callbacks)
    [aftercare] = [m for m in mail.outbox if m.subject.startswith("Aftercare")]
    assert "- Sunscreen every day.\n- No make-up for 24 hours." in aftercare.body
