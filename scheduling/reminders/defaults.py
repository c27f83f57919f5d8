# ruff: noqa: E501 - message text reads better unbroken than split at the column limit
"""The words each message starts with; clinics edit them in the admin afterwards.

The data migrations write these once. What each kind may use is listed in
`variables.TEMPLATE_VARIABLES`. The clinic's name, address, phone, opening hours, logo
and the unsubscribe link are added around every email by the renderer (branding.py),
so an edited template cannot lose them."""

# What happens at the visit, from its own phases: a treatment starts with numbing at the
# booked time (no "arrive early": the booked time already includes it); a phone check
# is a call from the clinic, at the time the sentence before it gives (said once).
_VISIT_TEXT = """{% if by_phone %}This is a phone call: we will call you{% if patient_phone %} on {{ patient_phone }}{% endif %} then{% if clinic_phone %}, from {{ clinic_phone }}{% endif %}. There is no need to come in.{% elif is_treatment %}Please arrive at {{ arrive_at }}.{% if numbing_minutes %} Numbing cream comes first and takes about {{ numbing_minutes }} minutes; your treatment starts at about {{ treatment_starts }}{% else %} Your treatment starts at about {{ treatment_starts }}{% endif %} and you should be done by about {{ done_by }}.{% else %}Please arrive at {{ arrive_at }}; it takes about {{ minutes }} minutes.{% endif %}"""

_VISIT_HTML = """<p>{% if by_phone %}This is a phone call: we will call you{% if patient_phone %} on {{ patient_phone }}{% endif %} then{% if clinic_phone %}, from {{ clinic_phone }}{% endif %}. There is no need to come in.{% elif is_treatment %}Please arrive at <strong>{{ arrive_at }}</strong>.{% if numbing_minutes %} Numbing cream comes first and takes about {{ numbing_minutes }} minutes; your treatment starts at about {{ treatment_starts }}{% else %} Your treatment starts at about {{ treatment_starts }}{% endif %} and you should be done by about {{ done_by }}.{% else %}Please arrive at <strong>{{ arrive_at }}</strong>; it takes about {{ minutes }} minutes.{% endif %}</p>"""

_PRE_CARE_TEXT = """{% if is_treatment and pre_care %}
Before your treatment:
{% for line in pre_care %}- {{ line }}
{% endfor %}{% endif %}"""

_PRE_CARE_HTML = """{% if is_treatment and pre_care %}<p><strong>Before your treatment</strong></p><ul>{% for line in pre_care %}<li>{{ line }}</li>{% endfor %}</ul>{% endif %}"""

_WHERE_TEXT = """{% if not by_phone %}{{ clinic }}, {{ clinic_address }}
{% endif %}"""

DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    "confirmation": {
        "email_subject": "{% if moved %}Your visit has moved{% else %}Your visit is booked{% endif %}: {{ time }}",
        "email_text": "Hello {{ first_name }},\n\n{% if moved %}Your visit has moved. {% endif %}"
        "Your {{ visit }} is booked for {{ time }}{% if provider %} with {{ provider }}{% endif %}.\n"
        + _VISIT_TEXT + "\n" + _WHERE_TEXT + "\nThe attached calendar file adds it to your calendar.\n" + _PRE_CARE_TEXT
        + "{% if intake_url %}\nBefore your consultation, please answer a few health questions (about 5 minutes): {{ intake_url }}\n{% endif %}",
        "email_html": "<p>Hello {{ first_name }},</p><p>{% if moved %}Your visit has moved. {% endif %}"
        "Your {{ visit }} is booked for <strong>{{ time }}</strong>{% if provider %} with {{ provider }}{% endif %}.</p>"
        + _VISIT_HTML + "<p>The attached calendar file adds it to your calendar.</p>" + _PRE_CARE_HTML
        + '{% if intake_url %}<p>Before your consultation, please <a href="{{ intake_url }}">answer a few health questions</a> (about 5 minutes).</p>{% endif %}',
        "sms_body": "Hi {{ first_name }}, you're booked at {{ clinic }} on {{ time }}. Details: {{ link }}",
    },
    "series_confirmation": {
        "email_subject": "Your treatment plan is booked: {{ session_count }} visits from {{ time }}",
        "email_text": "Hello {{ first_name }},\n\nYour visits at {{ clinic }} are booked:\n"
        "{% for item in visits %}- {{ item.label }}: {{ item.time }}\n{% endfor %}\n"
        "The attached calendar file adds them all to your calendar. We will remind you before each one, "
        "with what happens at it.\n{% if pre_care %}\nBefore each treatment:\n{% for line in pre_care %}- {{ line }}\n{% endfor %}{% endif %}"
        "{% if consent_url %}\nBefore your first treatment, please read and sign the consent form: {{ consent_url }}\n{% endif %}",
        "email_html": "<p>Hello {{ first_name }},</p><p>Your visits at {{ clinic }} are booked:</p><ul>"
        "{% for item in visits %}<li>{{ item.label }}: <strong>{{ item.time }}</strong></li>{% endfor %}</ul>"
        "<p>The attached calendar file adds them all to your calendar. We will remind you before each one, "
        "with what happens at it.</p>{% if pre_care %}<p><strong>Before each treatment</strong></p><ul>"
        "{% for line in pre_care %}<li>{{ line }}</li>{% endfor %}</ul>{% endif %}"
        '{% if consent_url %}<p>Before your first treatment, please <a href="{{ consent_url }}">read and sign the consent form</a>.</p>{% endif %}',
        "sms_body": "Hi {{ first_name }}, your visits at {{ clinic }} are booked, the first on {{ time }}. Details: {{ link }}",
    },
    "pre_visit": {
        "email_subject": "Reminder: {{ visit }} at {{ clinic }}, {{ time }}",
        "email_text": "Hello {{ first_name }},\n\nA reminder of your {{ visit }} on {{ time }}"
        "{% if provider %} with {{ provider }}{% endif %}.\n" + _VISIT_TEXT + "\n" + _WHERE_TEXT + _PRE_CARE_TEXT
        + "\nIf you need to change it, use the link below or call us{% if clinic_phone %} on {{ clinic_phone }}{% endif %}.\n",
        "email_html": "<p>Hello {{ first_name }},</p><p>A reminder of your {{ visit }} on "
        "<strong>{{ time }}</strong>{% if provider %} with {{ provider }}{% endif %}.</p>" + _VISIT_HTML + _PRE_CARE_HTML
        + "<p>If you need to change it, use the link below or call us{% if clinic_phone %} on {{ clinic_phone }}{% endif %}.</p>",
        "sms_body": "Hi {{ first_name }}, reminder: {{ clinic }} on {{ time }}. Details: {{ link }}",
    },
    "follow_up": {
        "email_subject": "Reminder: your {{ visit }} on {{ time }}",
        "email_text": "Hello {{ first_name }},\n\nYour {{ visit }} is on {{ time }}"
        "{% if provider %} with {{ provider }}{% endif %}. It is a chance to check how your skin is healing and to plan "
        "what comes next.\n" + _VISIT_TEXT + "\n" + _WHERE_TEXT,
        "email_html": "<p>Hello {{ first_name }},</p><p>Your {{ visit }} is on <strong>{{ time }}</strong>"
        "{% if provider %} with {{ provider }}{% endif %}. It is a chance to check how your skin is healing and to plan "
        "what comes next.</p>" + _VISIT_HTML,
        "sms_body": "Hi {{ first_name }}, a reminder of your follow-up with {{ clinic }} on {{ time }}. Details: {{ link }}",
    },
    "aftercare": {
        "email_subject": "Aftercare for your skin, from {{ clinic }}",
        "email_text": "Hello {{ first_name }},\n\nThank you for your visit to {{ clinic }}.\n\n"
        "Caring for your skin after your treatment:\n{% for line in aftercare %}- {{ line }}\n{% endfor %}\n"
        "Call us{% if clinic_phone %} on {{ clinic_phone }}{% endif %} straight away if you see pus or crusting, have a fever "
        "or notice dark patches, or if anything else about your skin worries you.\n",
        "email_html": "<p>Hello {{ first_name }},</p><p>Thank you for your visit to {{ clinic }}.</p>"
        "<p><strong>Caring for your skin after your treatment</strong></p><ul>{% for line in aftercare %}<li>{{ line }}</li>{% endfor %}</ul>"
        "<p><strong>Call us{% if clinic_phone %} on {{ clinic_phone }}{% endif %}</strong> straight away if you see pus or "
        "crusting, have a fever or notice dark patches, or if anything else about your skin worries you.</p>",
        "sms_body": "Hi {{ first_name }}, thank you for your visit to {{ clinic }}. Your aftercare advice: {{ link }}",
    },
    "series_nudge": {
        "email_subject": "Time to book your next visit at {{ clinic }}",
        "email_text": "Hello {{ first_name }},\n\nYour next visit (number {{ session_number }} of {{ session_count }}) is not "
        "booked yet. To keep to your plan it should take place by {{ window_closes }}. Please call us"
        "{% if clinic_phone %} on {{ clinic_phone }}{% endif %} to book.\n",
        "email_html": "<p>Hello {{ first_name }},</p><p>Your next visit (number {{ session_number }} of {{ session_count }}) "
        "is not booked yet. To keep to your plan it should take place by <strong>{{ window_closes }}</strong>. Please call us"
        "{% if clinic_phone %} on {{ clinic_phone }}{% endif %} to book.</p>",
        "sms_body": "Hi {{ first_name }}, please book your next visit at {{ clinic }} by {{ time }}: {{ link }}",
    },
    "maintenance": {
        "email_subject": "Keep your results: book a maintenance visit at {{ clinic }}",
        "email_text": "Hello {{ first_name }},\n\nIt has been a while since your last treatment. A maintenance visit every "
        "few months keeps your results going.\nChoose a time and book it online: {{ book_maintenance }}\n"
        "Or call us{% if clinic_phone %} on {{ clinic_phone }}{% endif %} to book.\n",
        "email_html": "<p>Hello {{ first_name }},</p><p>It has been a while since your last treatment. A maintenance visit "
        "every few months keeps your results going.</p><p><a href=\"{{ book_maintenance }}\">Choose a time and book it "
        "online</a></p><p>Or call us{% if clinic_phone %} on {{ clinic_phone }}{% endif %} to book.</p>",
        "sms_body": "Hi {{ first_name }}, it's time to book your next visit at {{ clinic }}: {{ link }}",
    },
    "waitlist_offer": {
        "email_subject": "A slot has opened at {{ clinic }}: {{ time }}",
        "email_text": "Hello {{ first_name }},\n\nA {{ visit }} slot has opened at {{ clinic }} on {{ time }}.\n"
        "To take it, open this link and choose \"Book this slot\": {{ claim_url }}\n"
        "We offer it to a few people waiting; the first to claim it gets it.\n",
        "email_html": "<p>Hello {{ first_name }},</p><p>A {{ visit }} slot has opened at {{ clinic }} on "
        "<strong>{{ time }}</strong>.</p><p><a href=\"{{ claim_url }}\">Book this slot</a></p>"
        "<p>We offer it to a few people waiting; the first to claim it gets it.</p>",
        "sms_body": "Hi {{ first_name }}, a slot opened at {{ clinic }} on {{ time }}. First to claim it gets it: {{ link }}",
    },
    "reschedule": {
        "email_subject": "{% if moves|length == 1 and not cancelled %}Your visit has moved{% else %}Your visits have moved{% endif %}: {{ clinic }}",
        "email_text": "Hello {{ first_name }},\n\n{% if moves|length == 1 and not cancelled %}Your visit at {{ clinic }} has moved:{% else %}Your visits at {{ clinic }} have changed:{% endif %}\n"
        "{% for move in moves %}- {{ move.label }}: was {{ move.before }}, now {{ move.after }}"
        "{% if move.link %}\n  Confirm or cancel it: {{ move.link }}{% endif %}\n{% endfor %}"
        "{% for item in cancelled %}- {{ item.label }} on {{ item.time }} is no longer needed\n{% endfor %}\n"
        "The attached calendar file updates your calendar. Every other visit stays as it was.\n",
        "email_html": "<p>Hello {{ first_name }},</p><p>{% if moves|length == 1 and not cancelled %}Your visit at {{ clinic }} has moved:{% else %}Your visits at {{ clinic }} have changed:{% endif %}</p><ul>"
        "{% for move in moves %}<li>{{ move.label }}: was {{ move.before }}, now <strong>{{ move.after }}</strong>"
        "{% if move.link %} (<a href=\"{{ move.link }}\">confirm or cancel it</a>){% endif %}</li>{% endfor %}"
        "{% for item in cancelled %}<li>{{ item.label }} on {{ item.time }} is no longer needed</li>{% endfor %}</ul>"
        "<p>The attached calendar file updates your calendar. Every other visit stays as it was.</p>",
        "sms_body": "Hi {{ first_name }}, your visits at {{ clinic }} have moved, the next on {{ time }}. Details: {{ link }}",
    },
    "cancellation": {
        "email_subject": "Your visit on {{ time }} is cancelled",
        "email_text": "Hello {{ first_name }},\n\nWe are sorry: we have had to cancel your {{ visit }} at {{ clinic }} "
        "on {{ time }}.\n{% if reason %}The reason: {{ reason }}\n{% endif %}\n"
        "To book again, call us{% if clinic_phone %} on {{ clinic_phone }}{% endif %} and we will find you a new time.\n",
        "email_html": "<p>Hello {{ first_name }},</p><p>We are sorry: we have had to cancel your {{ visit }} at {{ clinic }} "
        "on <strong>{{ time }}</strong>.</p>{% if reason %}<p>The reason: {{ reason }}</p>{% endif %}"
        "<p>To book again, call us{% if clinic_phone %} on {{ clinic_phone }}{% endif %} and we will find you a new time.</p>",
        "sms_body": "Hi {{ first_name }}, sorry: {{ clinic }} has had to cancel your visit on {{ time }}. Details and how to rebook: {{ link }}",
    },
    "patient_link": {
        "email_subject": "Your own page at {{ clinic }}",
        "email_text": "Hello {{ first_name }},\n\nHere is the link to your own page at {{ clinic }}: {{ my_page }}\n"
        "There you can see your visits and your treatment plan, move or cancel a visit, and read your messages.\n"
        "The link works for {{ link_days }} days, and any link we sent you before no longer works. "
        "If you did not ask for it, you can ignore this message.\n",
        "email_html": "<p>Hello {{ first_name }},</p><p><a href=\"{{ my_page }}\">Open your own page at {{ clinic }}</a></p>"
        "<p>There you can see your visits and your treatment plan, move or cancel a visit, and read your messages.</p>"
        "<p>The link works for {{ link_days }} days, and any link we sent you before no longer works. "
        "If you did not ask for it, you can ignore this message.</p>",
        "sms_body": "Hi {{ first_name }}, here is your own page at {{ clinic }}: {{ link }}",
    },
}

# Sent at once to the email or phone given on the public booking page: the code proves it
# is theirs; the link does the same in one tap. No visit detail beyond its time.
DEFAULT_TEMPLATES["booking_code"] = {
    "email_subject": "Your code to confirm your consultation: {{ code }}",
    "email_text": "Hello {{ first_name }},\n\nTo confirm your consultation at {{ clinic }} on {{ time }}, enter this code "
    "on the booking page: {{ code }}\n\nOr open this link: {{ link }}\n\nThe time is kept for you for "
    "{{ minutes }} minutes. If you did not ask for this, you can ignore this email.\n",
    "email_html": "<p>Hello {{ first_name }},</p><p>To confirm your consultation at {{ clinic }} on "
    "<strong>{{ time }}</strong>, enter this code on the booking page:</p>"
    "<p style=\"font-size:1.5rem;letter-spacing:.2rem\"><strong>{{ code }}</strong></p>"
    "<p>Or <a href=\"{{ link }}\">confirm your consultation here</a>.</p>"
    "<p>The time is kept for you for {{ minutes }} minutes. If you did not ask for this, you can ignore this email.</p>",
    "sms_body": "{{ code }} is your code to confirm your consultation at {{ clinic }} on {{ time }}. Or tap: {{ link }}",
}


def message_templates_install(model) -> int:
    """Write the default template of each kind that has none yet (never overwrites a clinic's edits)."""
    created = 0
    for kind, fields in DEFAULT_TEMPLATES.items():
        _, was_created = model.objects.get_or_create(kind=kind, defaults=fields)
        created += int(was_created)
    return created
