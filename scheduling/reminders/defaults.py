# ruff: noqa: E501 - message text reads better unbroken than split at the column limit
"""The words each message starts with; clinics edit them in the admin afterwards.

The data migration writes these once. Email templates may use: first_name, clinic,
clinic_phone, clinic_address, time, visit, provider, is_treatment, numbing_minutes,
lead_hours, session_number, session_count, visits (each with label and time),
window_closes, moved, link and unsubscribe_url. SMS templates only see first_name,
time, clinic and link."""

_FOOTER_TEXT = """
{{ clinic }}{% if clinic_phone %} - {{ clinic_phone }}{% endif %}
To stop these emails: {{ unsubscribe_url }}"""

_FOOTER_HTML = """
<p style="color:#666;font-size:12px">{{ clinic }}{% if clinic_phone %} &middot; {{ clinic_phone }}{% endif %}<br>
<a href="{{ unsubscribe_url }}">Stop these emails</a></p>"""

_PRE_CARE_TEXT = """Before your treatment:
- Come with clean skin, no make-up if you can.
- Avoid retinoids, exfoliating acids and scrubs for a few days before.
- Avoid sunburn and tanning beforehand.
- Please arrive {{ numbing_minutes }} minutes early: numbing cream is applied and needs time to work."""

_PRE_CARE_HTML = """<p><strong>Before your treatment</strong></p>
<ul><li>Come with clean skin, no make-up if you can.</li>
<li>Avoid retinoids, exfoliating acids and scrubs for a few days before.</li>
<li>Avoid sunburn and tanning beforehand.</li>
<li><strong>Please arrive {{ numbing_minutes }} minutes early</strong>: numbing cream is applied and needs time to work.</li></ul>"""

_AFTERCARE_TEXT = """Caring for your skin after today's treatment:
- Avoid direct sun and wear a broad-spectrum sunscreen every day.
- Wash with a gentle cleanser, without scrubbing.
- Use a regular non-comedogenic moisturiser.
- No harsh or abrasive products until your skin has settled.
- Expect redness and sensitivity like a mild sunburn for a few days; some dryness or peeling is normal.

Call us on {{ clinic_phone|default:"the clinic's number" }} if you notice increasing pain, swelling or warmth,
pus or crusting, a fever, dark patches, or redness that is not fading after a few days,
or if anything else about your skin worries you."""

_AFTERCARE_HTML = """<p><strong>Caring for your skin after today's treatment</strong></p>
<ul><li>Avoid direct sun and wear a broad-spectrum sunscreen every day.</li>
<li>Wash with a gentle cleanser, without scrubbing.</li>
<li>Use a regular non-comedogenic moisturiser.</li>
<li>No harsh or abrasive products until your skin has settled.</li>
<li>Expect redness and sensitivity like a mild sunburn for a few days; some dryness or peeling is normal.</li></ul>
<p><strong>Call us on {{ clinic_phone|default:"the clinic's number" }}</strong> if you notice increasing pain, swelling or
warmth, pus or crusting, a fever, dark patches, or redness that is not fading after a few days, or if anything else about
your skin worries you.</p>"""

DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    "confirmation": {
        "email_subject": "{% if moved %}Your visit has moved{% else %}Your visit is booked{% endif %}: {{ time }}",
        "email_text": "Hello {{ first_name }},\n\n{% if moved %}Your visit has moved. {% endif %}"
        "Your {{ visit }} at {{ clinic }} is booked for {{ time }}{% if provider %} with {{ provider }}{% endif %}.\n"
        "{{ clinic_address }}\n\nThe attached calendar file adds it to your calendar.\n"
        "{% if is_treatment %}\n" + _PRE_CARE_TEXT + "\n{% endif %}" + _FOOTER_TEXT,
        "email_html": "<p>Hello {{ first_name }},</p><p>{% if moved %}Your visit has moved. {% endif %}"
        "Your {{ visit }} at {{ clinic }} is booked for <strong>{{ time }}</strong>"
        "{% if provider %} with {{ provider }}{% endif %}.</p><p>{{ clinic_address|linebreaksbr }}</p>"
        "<p>The attached calendar file adds it to your calendar.</p>{% if is_treatment %}"
        + _PRE_CARE_HTML
        + "{% endif %}"
        + _FOOTER_HTML,
        "sms_body": "Hi {{ first_name }}, you're booked at {{ clinic }} on {{ time }}. Details: {{ link }}",
    },
    "series_confirmation": {
        "email_subject": "Your treatment plan is booked: {{ session_count }} visits from {{ time }}",
        "email_text": "Hello {{ first_name }},\n\nYour visits at {{ clinic }} are booked:\n"
        "{% for item in visits %}- {{ item.label }}: {{ item.time }}\n{% endfor %}\n"
        "The attached calendar file adds them all to your calendar. We will remind you before each one.\n"
        + _FOOTER_TEXT,
        "email_html": "<p>Hello {{ first_name }},</p><p>Your visits at {{ clinic }} are booked:</p><ul>"
        "{% for item in visits %}<li>{{ item.label }}: <strong>{{ item.time }}</strong></li>{% endfor %}</ul>"
        "<p>The attached calendar file adds them all to your calendar. We will remind you before each one.</p>"
        + _FOOTER_HTML,
        "sms_body": "Hi {{ first_name }}, your visits at {{ clinic }} are booked, the first on {{ time }}. Details: {{ link }}",
    },
    "pre_visit": {
        "email_subject": "Reminder: {{ visit }} at {{ clinic }}, {{ time }}",
        "email_text": "Hello {{ first_name }},\n\nA reminder of your {{ visit }} at {{ clinic }} on {{ time }}"
        "{% if provider %} with {{ provider }}{% endif %}.\n{{ clinic_address }}\n"
        "{% if is_treatment %}\n" + _PRE_CARE_TEXT + "\n{% endif %}\n"
        "If you need to change it, please call us{% if clinic_phone %} on {{ clinic_phone }}{% endif %}.\n"
        + _FOOTER_TEXT,
        "email_html": "<p>Hello {{ first_name }},</p><p>A reminder of your {{ visit }} at {{ clinic }} on "
        "<strong>{{ time }}</strong>{% if provider %} with {{ provider }}{% endif %}.</p>"
        "<p>{{ clinic_address|linebreaksbr }}</p>{% if is_treatment %}" + _PRE_CARE_HTML + "{% endif %}"
        "<p>If you need to change it, please call us{% if clinic_phone %} on {{ clinic_phone }}{% endif %}.</p>"
        + _FOOTER_HTML,
        "sms_body": "Hi {{ first_name }}, reminder: {{ clinic }} on {{ time }}. Details: {{ link }}",
    },
    "follow_up": {
        "email_subject": "Reminder: your {{ visit }} on {{ time }}",
        "email_text": "Hello {{ first_name }},\n\nYour {{ visit }} with {{ clinic }} is on {{ time }}"
        "{% if provider %} with {{ provider }}{% endif %}. It is a chance to check how your skin is healing and to plan "
        "what comes next.\n" + _FOOTER_TEXT,
        "email_html": "<p>Hello {{ first_name }},</p><p>Your {{ visit }} with {{ clinic }} is on <strong>{{ time }}</strong>"
        "{% if provider %} with {{ provider }}{% endif %}. It is a chance to check how your skin is healing and to plan "
        "what comes next.</p>" + _FOOTER_HTML,
        "sms_body": "Hi {{ first_name }}, reminder: {{ clinic }} follow-up on {{ time }}. Details: {{ link }}",
    },
    "aftercare": {
        "email_subject": "Aftercare for your skin, from {{ clinic }}",
        "email_text": "Hello {{ first_name }},\n\nThank you for visiting {{ clinic }} today.\n\n"
        + _AFTERCARE_TEXT
        + "\n"
        + _FOOTER_TEXT,
        "email_html": "<p>Hello {{ first_name }},</p><p>Thank you for visiting {{ clinic }} today.</p>"
        + _AFTERCARE_HTML
        + _FOOTER_HTML,
        "sms_body": "Hi {{ first_name }}, thank you for visiting {{ clinic }} today. Your aftercare advice: {{ link }}",
    },
    "series_nudge": {
        "email_subject": "Time to book your next visit at {{ clinic }}",
        "email_text": "Hello {{ first_name }},\n\nYour next visit (number {{ session_number }} of {{ session_count }}) is not "
        "booked yet. To keep to your plan it should take place by {{ window_closes }}. Please call us"
        "{% if clinic_phone %} on {{ clinic_phone }}{% endif %} to book.\n" + _FOOTER_TEXT,
        "email_html": "<p>Hello {{ first_name }},</p><p>Your next visit (number {{ session_number }} of {{ session_count }}) "
        "is not booked yet. To keep to your plan it should take place by <strong>{{ window_closes }}</strong>. Please call us"
        "{% if clinic_phone %} on {{ clinic_phone }}{% endif %} to book.</p>" + _FOOTER_HTML,
        "sms_body": "Hi {{ first_name }}, please book your next visit at {{ clinic }} by {{ time }}: {{ link }}",
    },
    "maintenance": {
        "email_subject": "Keep your results: book a maintenance visit at {{ clinic }}",
        "email_text": "Hello {{ first_name }},\n\nIt has been a while since your last treatment. A maintenance visit every "
        "few months keeps your results going. Please call us{% if clinic_phone %} on {{ clinic_phone }}{% endif %} "
        "to book.\n" + _FOOTER_TEXT,
        "email_html": "<p>Hello {{ first_name }},</p><p>It has been a while since your last treatment. A maintenance visit "
        "every few months keeps your results going. Please call us{% if clinic_phone %} on {{ clinic_phone }}{% endif %} "
        "to book.</p>" + _FOOTER_HTML,
        "sms_body": "Hi {{ first_name }}, it's time to book your next visit at {{ clinic }}: {{ link }}",
    },
    "waitlist_offer": {
        "email_subject": "A slot has opened at {{ clinic }}: {{ time }}",
        "email_text": "Hello {{ first_name }},\n\nA {{ visit }} slot has opened at {{ clinic }} on {{ time }}. "
        "If you would like it, please call us{% if clinic_phone %} on {{ clinic_phone }}{% endif %} soon: "
        "we offer it to a few people and the first to call gets it.\n" + _FOOTER_TEXT,
        "email_html": "<p>Hello {{ first_name }},</p><p>A {{ visit }} slot has opened at {{ clinic }} on "
        "<strong>{{ time }}</strong>. If you would like it, please call us{% if clinic_phone %} on {{ clinic_phone }}"
        "{% endif %} soon: we offer it to a few people and the first to call gets it.</p>" + _FOOTER_HTML,
        "sms_body": "Hi {{ first_name }}, a slot opened at {{ clinic }} on {{ time }}. Interested? {{ link }}",
    },
}


def message_templates_install(model) -> int:
    """Write the default template of each kind that has none yet (never overwrites a clinic's edits)."""
    created = 0
    for kind, fields in DEFAULT_TEMPLATES.items():
        _, was_created = model.objects.get_or_create(kind=kind, defaults=fields)
        created += int(was_created)
    return created
