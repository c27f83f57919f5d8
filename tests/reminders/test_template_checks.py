"""Message templates are checked when saved: syntax, variables, and tags that reach beyond
the message are refused with the reason; a text message uses only the SMS variables."""

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from scheduling.models import MessageTemplate, Reminder
from scheduling.reminders.rendering import EMAIL_VARIABLES, SMS_VARIABLES, reminder_context
from scheduling.reminders.template_checks import template_check, template_problems
from tests.builders import london

from .conftest import book

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "source,channel,reason",
    [
        ("{% for item %}{% endfor %}", "email", "syntax error"),
        ("{% if moved %}Moved", "email", "syntax error"),
        ("{{ time|nosuchfilter }}", "email", "syntax error"),
        ("Hello {{ patient.date_of_birth }}", "email", "Unknown variable {{ patient }}"),
        ("{% if secret_notes %}x{% endif %}", "email", "Unknown variable {{ secret_notes }}"),
        ("{{ time|default:clinical_notes }}", "email", "Unknown variable {{ clinical_notes }}"),
        ('{% include "admin/base.html" %}', "email", "{% include %} tag is not allowed"),
        ('{% extends "admin/base.html" %}', "email", "{% extends %} tag is not allowed"),
        ("{% load admin_urls %}x", "email", "{% load %} tag is not allowed"),
        ("{% load static %}{% static 'x.png' %}", "email", "{% load %} tag is not allowed"),
        ("{% debug %}", "email", "{% debug %} tag is not allowed"),
        ('{% url "admin:index" %}', "email", "{% url %} tag is not allowed"),
        ("{% csrf_token %}", "email", "{% csrf_token %} tag is not allowed"),
        ("Your {{ visit }} is at {{ time }}", "sms", "Unknown variable {{ visit }}"),
        ("{{ provider }}", "sms", "Unknown variable {{ provider }}"),
        ("{% for v in visits %}{{ v.time }}{% endfor %}", "sms", "Unknown variable {{ visits }}"),
    ],
)
def test_a_template_that_would_break_or_reach_out_is_refused_with_the_reason(source, channel, reason):
    problems = template_problems(source, channel=channel)
    assert any(reason in problem for problem in problems), problems
    with pytest.raises(ValidationError):
        template_check(source, channel=channel)


@pytest.mark.parametrize(
    "source,channel",
    [
        ("Hi {{ first_name }}, {{ clinic }} on {{ time }}: {{ link }}", "sms"),
        ("{% for item in visits %}{{ forloop.counter }}. {{ item.label }} {{ item.time|upper }}{% endfor %}", "email"),
        ("{% with name=first_name|title %}{{ name }}{% endwith %}{% firstof provider clinic %}", "email"),
        ("{% if moved and not is_treatment %}x{% elif session_number > 1 %}y{% endif %}{# note #}", "email"),
        ("{{ clinic_address|linebreaksbr }} {% now 'Y' %} {% spaceless %}<p> a </p>{% endspaceless %}", "email"),
    ],
)
def test_the_words_and_variables_a_clinic_uses_are_accepted(source, channel):
    assert template_problems(source, channel=channel) == []


def test_every_template_the_clinic_starts_with_passes(db):
    for template in MessageTemplate.objects.all():
        for field, channel in (("email_subject", "email"), ("email_text", "email"), ("email_html", "email"),
                               ("sms_body", "sms")):
            assert template_problems(getattr(template, field), channel=channel) == [], (template.kind, field)


def test_the_allowed_email_variables_are_what_rendering_provides(clinic, email_patient):
    with time_machine.travel(london(2027, 3, 1, 9), tick=False):
        book(clinic=clinic, patient=email_patient, starts_at=london(2027, 3, 10, 10))
    reminder = Reminder.objects.filter(patient=email_patient).first()
    assert set(reminder_context(reminder)) | {"link", "unsubscribe_url", "manage_url"} == EMAIL_VARIABLES
    assert SMS_VARIABLES == {"first_name", "time", "clinic", "link"}


def test_the_admin_refuses_a_bad_template_and_saves_a_good_one(admin_client):
    template = MessageTemplate.objects.get(kind=Reminder.Kind.PRE_VISIT)
    url = reverse("admin:scheduling_messagetemplate_change", args=[template.pk])
    form = {"email_subject": template.email_subject, "email_text": template.email_text,
            "email_html": template.email_html, "sms_body": "{{ first_name }}: {{ visit }} {% include 'x.html' %}"}
    refused = admin_client.post(url, form)
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "Unknown variable {{ visit }}" in body and "{% include %} tag is not allowed" in body
    assert MessageTemplate.objects.get(pk=template.pk).sms_body == template.sms_body
    saved = admin_client.post(url, {**form, "sms_body": "{{ first_name }}, see you {{ time }}. {{ link }}"})
    assert saved.status_code == 302
    assert MessageTemplate.objects.get(pk=template.pk).sms_body == "{{ first_name }}, see you {{ time }}. {{ link }}"
