"""Message templates are checked when saved: syntax, variables, and tags that reach beyond
the message are refused with the reason; a text message uses only the SMS variables."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from scheduling.models import MessageTemplate, Reminder
from scheduling.reminders.template_checks import template_check, template_problems
from scheduling.reminders.variables import SMS_VARIABLES, TEMPLATE_VARIABLES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "source,field,reason",
    [
        ("{% for item %}{% endfor %}", "email_text", "syntax error"),
        ("{% if moved %}Moved", "email_text", "syntax error"),
        ("{{ time|nosuchfilter }}", "email_text", "syntax error"),
        ("Hello {{ patient.date_of_birth }}", "email_text", "Unknown variable {{ patient }}"),
        ("{% if secret_notes %}x{% endif %}", "email_text", "Unknown variable {{ secret_notes }}"),
        ("{{ time|default:clinical_notes }}", "email_text", "Unknown variable {{ clinical_notes }}"),
        ('{% include "admin/base.html" %}', "email_text", "{% include %} tag is not allowed"),
        ('{% extends "admin/base.html" %}', "email_text", "{% extends %} tag is not allowed"),
        ("{% load admin_urls %}x", "email_text", "{% load %} tag is not allowed"),
        ("{% load static %}{% static 'x.png' %}", "email_text", "{% load %} tag is not allowed"),
        ("{% debug %}", "email_text", "{% debug %} tag is not allowed"),
        ('{% url "admin:index" %}', "email_text", "{% url %} tag is not allowed"),
        ("{% csrf_token %}", "email_text", "{% csrf_token %} tag is not allowed"),
        ("Your {{ visit }} is at {{ time }}", "sms_body", "Unknown variable {{ visit }}"),
        ("{{ provider }}", "sms_body", "Unknown variable {{ provider }}"),
        ("{% for v in visits %}{{ v.time }}{% endfor %}", "sms_body", "Unknown variable {{ visits }}"),
    ],
)
def test_a_template_that_would_break_or_reach_out_is_refused_with_the_reason(source, field, reason):
    problems = template_problems(source, kind="series_confirmation", field=field)
    assert any(reason in problem for problem in problems), problems
    with pytest.raises(ValidationError):
        template_check(source, kind="series_confirmation", field=field)


@pytest.mark.parametrize(
    "source,kind,field",
    [
        ("Hi {{ first_name }}, {{ clinic }} on {{ time }}: {{ link }}", "pre_visit", "sms_body"),
        (
            "{% for item in visits %}{{ forloop.counter }}. {{ item.label }} {{ item.time|upper }}{% endfor %}",
            "series_confirmation",
            "email_text",
        ),
        ("{% with name=first_name|title %}{{ name }}{% endwith %}{% firstof provider clinic %}", "pre_visit",
         "email_text"),
        ("{% if moved and not is_treatment %}x{% elif numbing_minutes > 1 %}y{% endif %}{# note #}", "confirmation",
         "email_html"),
        ("{{ clinic_address|linebreaksbr }} {% now 'Y' %} {% spaceless %}<p> a </p>{% endspaceless %}", "maintenance",
         "email_html"),
    ],
)
def test_the_words_and_variables_a_clinic_uses_are_accepted(source, kind, field):
    assert template_problems(source, kind=kind, field=field) == []


def test_every_template_the_clinic_starts_with_passes(db):
    for template in MessageTemplate.objects.all():
        for field in ("email_subject", "email_text", "email_html", "sms_body"):
            assert template_problems(getattr(template, field), kind=template.kind, field=field) == [], (
                template.kind,
                field,
            )


def test_each_kind_may_use_only_its_own_variables():
    """A waitlist offer's claim link means nothing in a pre-visit reminder, and a text
    message never sees a visit's details, whatever its kind."""
    assert "claim_url" in TEMPLATE_VARIABLES["waitlist_offer"]
    problems = template_problems("Claim: {{ claim_url }}", kind="pre_visit", field="email_text")
    assert any("Unknown variable {{ claim_url }}" in problem for problem in problems)
    assert template_problems("Claim: {{ claim_url }}", kind="waitlist_offer", field="email_text") == []
    assert SMS_VARIABLES == {"first_name", "time", "clinic", "link"}
    assert template_problems("{{ claim_url }}", kind="waitlist_offer", field="sms_body") != []


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


DEEP = {
    "nested if": "{% if time %}" * 3000 + "x" + "{% endif %}" * 3000,
    "nested for": "{% for v in visits %}" * 3000 + "{% endfor %}" * 3000,
    "long condition": "{% if " + " and ".join(["time"] * 20000) + " %}x{% endif %}",
    "chain of not": "{% if " + "not " * 50000 + "time %}x{% endif %}",
}


@pytest.mark.parametrize("name", list(DEEP))
def test_a_template_nested_too_deeply_to_read_is_refused_in_words(name):
    problems = template_problems(DEEP[name], kind="series_confirmation", field="email_text")
    assert problems == ["The template nests tags or conditions too deeply to read; simplify it."]


def test_the_admin_refuses_a_template_nested_too_deeply_with_the_reason(admin_client):
    template = MessageTemplate.objects.get(kind=Reminder.Kind.PRE_VISIT)
    url = reverse("admin:scheduling_messagetemplate_change", args=[template.pk])
    form = {"email_subject": template.email_subject, "email_text": DEEP["nested if"],
            "email_html": template.email_html, "sms_body": template.sms_body}
    refused = admin_client.post(url, form)
    assert refused.status_code == 200 and "too deeply to read" in refused.content.decode()
