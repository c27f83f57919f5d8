"""A message template's words for a sample patient, as the admin edits it: the same
checks as saving (template_checks) and the same variables the renderer fills, with a
made-up patient and visit at the clinic's first location, so nothing real is needed."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.template import Context, Template
from django.utils import timezone

from clinic.models import Location

from ..models.series import AFTERCARE_DEFAULT, PRE_CARE_DEFAULT
from .branding import branding_for, email_text_wrap
from .rendering import local_date_text, local_time_text
from .template_checks import TEMPLATE_FIELDS, template_problems
from .variables import SMS_VARIABLES, TEMPLATE_VARIABLES

SAMPLE_FIRST_NAME = "Amira"
SAMPLE_LINK = "https://clinic.example/m/sample"


@dataclass
class TemplatePreview:
    subject: str = ""
    text: str = ""
    html: str = ""
    sms: str = ""
    problems: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"subject": self.subject, "text": self.text, "html": self.html, "sms": self.sms,
                "problems": self.problems}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def sample_context(kind: str, location: Location | None) -> dict:
    """Every variable the kind may use, with believable values: a treatment session at
    10:00 a week from now in the location's own zone."""
    zone = ZoneInfo(location.time_zone if location else "UTC")
    local = (timezone.now().astimezone(zone) + timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)
    visit_at = datetime(local.year, local.month, local.day, 10, 0, tzinfo=zone)
    later = visit_at + timedelta(days=28)
    words = {
        "first_name": SAMPLE_FIRST_NAME,
        "clinic": location.name if location else "the clinic",
        "clinic_phone": location.phone if location else "",
        "clinic_address": location.address if location else "",
        "link": SAMPLE_LINK,
        "unsubscribe_url": f"{SAMPLE_LINK}/unsubscribe",
        "time": local_time_text(visit_at, zone),
        "visit": "treatment session 2 of 3",
        "provider": "Dr Asha Patel",
        "is_treatment": True,
        "by_phone": False,
        "arrive_at": f"{visit_at:%H:%M}",
        "numbing_minutes": 30,
        "treatment_starts": f"{visit_at + timedelta(minutes=30):%H:%M}",
        "done_by": f"{visit_at + timedelta(minutes=70):%H:%M}",
        "minutes": 70,
        "patient_phone": "+44 7700 900123",
        "pre_care": _lines(PRE_CARE_DEFAULT),
        "aftercare": _lines(AFTERCARE_DEFAULT),
        "moved": False,
        "lead_hours": 24,
        "session_number": 2,
        "session_count": 3,
        "window_closes": local_date_text(later, zone),
        "claim_url": f"{SAMPLE_LINK}/claim",
        "reason": "The clinic is closed for staff training.",
        "visits": [{"label": f"Treatment session {n} of 3",
                    "time": local_time_text(visit_at + timedelta(days=28 * (n - 1)), zone)} for n in (1, 2, 3)],
        "moves": [{"label": "Treatment session 2 of 3", "before": local_time_text(visit_at, zone),
                   "after": local_time_text(visit_at + timedelta(days=1), zone), "link": SAMPLE_LINK}],
        "cancelled": [],
    }
    allowed = TEMPLATE_VARIABLES.get(kind, frozenset())
    return {name: value for name, value in words.items() if name in allowed or name in SMS_VARIABLES}


def template_preview(*, kind: str, fields: dict[str, str], location: Location | None) -> TemplatePreview:
    """The four parts rendered for the sample patient; a part with problems is not
    rendered and its problems are given instead, as saving would give them."""
    preview = TemplatePreview()
    for name in TEMPLATE_FIELDS:
        problems = template_problems(fields.get(name, ""), kind=kind, field=name)
        if problems:
            preview.problems[name] = problems
    context = sample_context(kind, location)
    sms_context = {name: context.get(name, "") for name in SMS_VARIABLES}
    brand = branding_for(location)
    unsubscribe = context.get("unsubscribe_url", "")
    if "email_subject" not in preview.problems:
        subject = Template(fields.get("email_subject", "")).render(Context(context, autoescape=False))
        preview.subject = " ".join(subject.split())
    if "email_text" not in preview.problems:
        body = Template(fields.get("email_text", "")).render(Context(context, autoescape=False))
        preview.text = email_text_wrap(body=body, branding=brand, unsubscribe_url=unsubscribe)
    if "email_html" not in preview.problems:
        # The body alone: the page shows it inside its own frame; the header and footer
        # every email carries are the clinic's branding, not the template's.
        preview.html = Template(fields.get("email_html", "")).render(Context(context))
    if "sms_body" not in preview.problems:
        sms = Template(fields.get("sms_body", "")).render(Context(sms_context, autoescape=False))
        preview.sms = " ".join(sms.split())
    return preview
