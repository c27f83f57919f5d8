"""The treatment protocol as numbers with units, bounds and what they change (area minutes
as a table, not JSON), and the message templates with a preview for a sample patient."""

import pytest
from django.urls import reverse

from clinic.models import AuditEntry
from frontdesk.setup.protocol_forms import ProtocolForm
from scheduling.models import MessageTemplate, TreatmentProtocol
from scheduling.services.protocol_setup import PROTOCOL_RULES

pytestmark = pytest.mark.django_db


def _protocol_data(protocol: TreatmentProtocol, **changes) -> dict:
    data = {name: ("" if value is None else str(value)) for name, value in ProtocolForm.initial_for(protocol).items()}
    data.update(changes)
    return data


def test_the_protocol_page_shows_units_bounds_and_area_minutes_as_a_table(admin, protocol):
    body = admin.get(reverse("frontdesk:setup-protocol", args=[protocol.pk])).content.decode()
    assert "Shortest gap between sessions (days)" in body and "From 1 to 365 days." in body
    assert "The next session is never planned sooner than this after the one before." in body
    assert 'name="area_face"' in body and 'value="30"' in body and "{&quot;face&quot;" not in body
    assert 'name="reminder_lead_hours"' in body and 'value="72, 24"' in body


def test_a_protocol_change_is_saved_and_audited_old_and_new(admin, protocol):
    url = reverse("frontdesk:setup-protocol", args=[protocol.pk])
    response = admin.post(url, _protocol_data(protocol, area_neck="15", numbing_minutes="25",
                                              reminder_lead_hours="48, 2"))
    assert response.status_code == 302
    protocol.refresh_from_db()
    assert protocol.area_minutes["neck"] == 15 and protocol.numbing_minutes == 25
    assert protocol.reminder_lead_hours == [48, 2]
    entry = AuditEntry.objects.get(object_type="treatmentprotocol", action="updated")
    assert entry.changes["numbing_minutes"] == [30, 25]
    assert entry.changes["area_minutes"][0]["neck"] == 10 and entry.changes["area_minutes"][1]["neck"] == 15


@pytest.mark.parametrize(("changes", "words"), [
    ({"healing_check_max_days": "30", "min_interval_days": "28"},
     "The healing check must come before the next session: its latest day (30) must be less than the shortest "
     "gap between sessions (28 days)."),
    ({"session_count_min": "5", "session_count_default": "4"}, "Fewest sessions (5) cannot be more than the usual "
                                                               "number (4)."),
    ({"target_interval_days": "50"}, "The target gap (50) cannot be more than the longest gap (42)."),
    ({"max_treatment_minutes": "75"}, "The longest treatment can be at most 60 minutes."),
    ({"session_count_max": "8"}, "The most sessions can be at most 6 sessions."),
    ({"area_face": "0"}, "The face needs at least 1 minute."),
    ({"area_face": "thirty"}, "The face&#x27;s minutes must be a whole number."),
    ({"reminder_lead_hours": "72, soon"}, "Give whole numbers of hours separated by commas, e.g. 72, 24."),
])
def test_every_protocol_rule_is_a_sentence_and_nothing_typed_is_lost(admin, protocol, changes, words):
    url = reverse("frontdesk:setup-protocol", args=[protocol.pk])
    response = admin.post(url, _protocol_data(protocol, **changes))
    body = response.content.decode()
    assert response.status_code == 400 and words in body
    for value in changes.values():
        assert f'value="{value}"' in body
    assert "protocol_" not in body and "Constraint" not in body and "JSON" not in body
    protocol.refresh_from_db()
    assert protocol.healing_check_max_days == 7 and protocol.max_treatment_minutes == 60


def test_each_database_rule_of_the_protocol_has_its_sentence():
    names = {constraint.name for constraint in TreatmentProtocol._meta.constraints}
    assert names == set(PROTOCOL_RULES)


def _template_data(template: MessageTemplate, **changes) -> dict:
    data = {name: getattr(template, name) for name in ("email_subject", "email_text", "email_html", "sms_body")}
    data.update(changes)
    return data


def test_the_preview_renders_for_a_sample_patient_as_the_admin_types(admin, location):
    template = MessageTemplate.objects.get(kind="pre_visit")
    url = reverse("frontdesk:setup-message-preview", args=["pre_visit"])
    answer = admin.post(url, _template_data(template, sms_body="Hi {{ first_name }}, see you {{ time }}.")).json()
    assert answer["sms"].startswith("Hi Amira, see you ") and answer["sms"].endswith(("GMT.", "BST."))
    assert answer["problems"] == {}
    assert "Amira" in answer["text"] and location.name in answer["text"]
    wrong = admin.post(url, _template_data(template, sms_body="Your {{ provider }} visit")).json()
    assert wrong["sms"] == ""
    assert wrong["problems"]["sms_body"] == ["Unknown variable {{ provider }}: use one of clinic, first_name, link, "
                                             "time."]


def test_the_preview_button_works_without_javascript_and_saves_nothing(admin, location):
    template = MessageTemplate.objects.get(kind="pre_visit")
    before = template.email_subject
    response = admin.post(reverse("frontdesk:setup-message", args=["pre_visit"]),
                          _template_data(template, email_subject="See you soon, {{ first_name }}", action="preview"))
    body = response.content.decode()
    assert response.status_code == 200 and "See you soon, Amira" in body
    template.refresh_from_db()
    assert template.email_subject == before


def test_a_template_is_saved_and_audited_and_a_bad_one_is_refused_with_the_reason(admin, location):
    template = MessageTemplate.objects.get(kind="pre_visit")
    url = reverse("frontdesk:setup-message", args=["pre_visit"])
    bad = admin.post(url, _template_data(template, email_text="{% load static %}Hello", action="save"))
    assert bad.status_code == 400
    assert "The {% load %} tag is not allowed" in bad.content.decode().replace("&#x27;", "'")
    assert "{% load static %}Hello" in bad.content.decode()
    response = admin.post(url, _template_data(template, email_subject="Your visit, {{ first_name }}", action="save"))
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.email_subject == "Your visit, {{ first_name }}"
    entry = AuditEntry.objects.get(object_type="messagetemplate", action="updated")
    assert entry.changes["email_subject"][1] == "Your visit, {{ first_name }}"


def test_an_unknown_kind_of_message_is_not_found_in_words(admin):
    response = admin.get(reverse("frontdesk:setup-message", args=["nonsense"]))
    assert response.status_code == 404


def test_the_html_preview_is_framed_so_the_template_cannot_reshape_the_page(admin, location):
    template = MessageTemplate.objects.get(kind="pre_visit")
    hostile = '<p>Hello {{ first_name }}</p></div></section><form action="/setup/" method="post"><h1 id="taken">X</h1>'
    response = admin.post(reverse("frontdesk:setup-message", args=["pre_visit"]),
                          _template_data(template, email_html=hostile, action="preview"))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<h1 id="taken">' not in body and '<form action="/setup/"' not in body
    assert "<iframe" in body and "sandbox" in body
    assert "&lt;p&gt;Hello Amira&lt;/p&gt;" in body
