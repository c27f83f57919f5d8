"""What each kind of message template may use: the one list the renderer fills and the
admin's checks read (an edited template naming anything else is refused when saved).

An SMS body sees only first name, time, clinic and link, whatever its kind, so no
treatment or health detail can reach a text message."""

# Every email knows the patient's first name, the clinic and the patient's own links
# (my_page: the patient's own page, where they see and change their visits).
COMMON = ("first_name", "clinic", "clinic_phone", "clinic_address", "link", "unsubscribe_url", "my_page")
# A message about one visit: its local time and what happens at it, from its own phases.
VISIT = (
    "time",
    "visit",
    "provider",
    "is_treatment",
    "by_phone",
    "arrive_at",
    "numbing_minutes",
    "treatment_starts",
    "done_by",
    "minutes",
    "patient_phone",
    "pre_care",
)

TEMPLATE_VARIABLES: dict[str, frozenset[str]] = {
    "confirmation": frozenset((*COMMON, *VISIT, "moved", "intake_url")),
    "series_confirmation": frozenset((*COMMON, "time", "session_count", "visits", "pre_care", "consent_url")),
    "pre_visit": frozenset((*COMMON, *VISIT, "lead_hours")),
    "follow_up": frozenset((*COMMON, *VISIT, "lead_hours")),
    "aftercare": frozenset((*COMMON, "aftercare")),
    "series_nudge": frozenset((*COMMON, "time", "session_number", "session_count", "window_closes")),
    "maintenance": frozenset((*COMMON, "book_maintenance")),
    "waitlist_offer": frozenset((*COMMON, "time", "visit", "claim_url")),
    "reschedule": frozenset((*COMMON, "time", "moves", "cancelled")),
    "cancellation": frozenset((*COMMON, "time", "visit", "reason")),
    # The person is not a patient yet: no unsubscribe link, nothing about them but their name.
    "booking_code": frozenset(("first_name", "clinic", "clinic_phone", "clinic_address", "link", "time", "code",
                               "minutes")),
    "patient_link": frozenset((*COMMON, "link_days")),
}

SMS_VARIABLES = frozenset(("first_name", "time", "clinic", "link"))
# The code an online booking's text carries is the whole point of that text.
SMS_VARIABLES_BY_KIND = {"booking_code": SMS_VARIABLES | {"code"}}

# Attributes of the items in a list variable: visits, moves and cancelled.
ITEM_ATTRIBUTES = {
    "visits": frozenset(("label", "time")),
    "moves": frozenset(("label", "before", "after", "link")),
    "cancelled": frozenset(("label", "time")),
}


def template_variables(kind: str, field: str) -> frozenset[str]:
    """The names a template of this kind may use in this field (email_subject, email_text,
    email_html or sms_body)."""
    if field == "sms_body":
        return SMS_VARIABLES_BY_KIND.get(kind, SMS_VARIABLES)
    return TEMPLATE_VARIABLES[kind]
