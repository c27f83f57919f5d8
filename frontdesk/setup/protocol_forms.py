"""Forms of the treatment protocol, the screening rules and the message templates.

Every number of the protocol is given with its unit, its bounds and one line of what it
changes; every rule the database holds on the protocol and the screening rules is
checked here first and said as a sentence, so no constraint's name reaches the page."""

from dataclasses import dataclass

from django import forms
from django.core.validators import RegexValidator

from patients.choices import TreatmentArea
from patients.models import ScreeningRule


@dataclass(frozen=True)
class Number:
    name: str
    label: str
    unit: str
    low: int
    high: int
    changes: str


# The protocol's numbers, in the order a clinic thinks of a course of treatment.
PROTOCOL_NUMBERS = (
    ("Sessions", (
        Number("session_count_min", "Fewest sessions", "sessions", 3, 6, "The smallest series a plan may offer."),
        Number("session_count_default", "Usual number of sessions", "sessions", 3, 6,
               "What a new plan proposes unless the provider recommends otherwise."),
        Number("session_count_max", "Most sessions", "sessions", 3, 6, "The largest series a plan may offer."),
        Number("min_interval_days", "Shortest gap between sessions", "days", 1, 365,
               "The next session is never planned sooner than this after the one before."),
        Number("target_interval_days", "Target gap between sessions", "days", 1, 365,
               "Plans aim for this gap; moves try to keep it."),
        Number("max_interval_days", "Longest gap between sessions", "days", 1, 365,
               "The window closes: a session later than this after the one before breaks the series' rule."),
    )),
    ("Visit lengths", (
        Number("consultation_minutes", "Consultation", "minutes", 5, 240, "How long a consultation is booked for."),
        Number("numbing_minutes", "Numbing cream", "minutes", 0, 90,
               "The patient holds a room this long before the provider starts; the provider is free meanwhile."),
        Number("max_treatment_minutes", "Longest treatment", "minutes", 5, 60,
               "Treatment time is capped at this, however many areas are treated."),
        Number("turnover_minutes", "Room turnover", "minutes", 0, 120,
               "The room is kept for cleaning this long after the patient leaves."),
        Number("healing_check_minutes", "Healing check", "minutes", 5, 120,
               "How long a healing check is booked for."),
        Number("review_minutes", "Series review", "minutes", 5, 120,
               "How long the review after a series is booked for."),
    )),
    ("Follow-ups", (
        Number("healing_check_min_days", "Healing check, earliest", "days after the session", 1, 365,
               "The healing check is planned no sooner than this after its session."),
        Number("healing_check_max_days", "Healing check, latest", "days after the session", 1, 365,
               "\u2026and no later than this (before the next session)."),
        Number("review_min_days", "Review, earliest", "days after the last session", 1, 365,
               "When results show: the review is planned no sooner than this."),
        Number("review_max_days", "Review, latest", "days after the last session", 1, 365,
               "\u2026and no later than this."),
        Number("maintenance_min_days", "Maintenance, earliest", "days after the series", 1, 730,
               "Maintenance sessions are offered from this many days after the series."),
        Number("maintenance_max_days", "Maintenance, latest", "days after the series", 1, 730,
               "\u2026and until this many days."),
        Number("consultation_valid_days", "Consultation valid for", "days", 1, 730,
               "An eligible consultation older than this needs a new one before a series starts."),
    )),
)
AREA_MINUTES = (1, 60)


def _number_field(number: Number) -> forms.IntegerField:
    bounds = f"From {number.low} to {number.high} {number.unit}."
    return forms.IntegerField(
        label=f"{number.label} ({number.unit})", min_value=number.low, max_value=number.high,
        help_text=f"{number.changes} {bounds}",
        error_messages={
            "required": f"Give the {number.label.lower()} in {number.unit}.",
            "invalid": f"The {number.label.lower()} must be a whole number of {number.unit}.",
            "min_value": f"The {number.label.lower()} must be at least {number.low} {number.unit}.",
            "max_value": f"The {number.label.lower()} can be at most {number.high} {number.unit}.",
        },
    )


class ProtocolForm(forms.Form):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for _, numbers in PROTOCOL_NUMBERS:
            for number in numbers:
                self.fields[number.name] = _number_field(number)
        for area in TreatmentArea:
            low, high = AREA_MINUTES
            self.fields[f"area_{area.value}"] = forms.IntegerField(
                label=f"{area.label} (minutes)", min_value=low, max_value=high,
                error_messages={"required": f"Give the treatment minutes for the {area.label.lower()}.",
                                "invalid": f"The {area.label.lower()}'s minutes must be a whole number.",
                                "min_value": f"The {area.label.lower()} needs at least {low} minute.",
                                "max_value": f"The {area.label.lower()} can take at most {high} minutes."})
        self.fields["reminder_lead_hours"] = forms.CharField(
            label="Reminders before a visit (hours)", max_length=40,
            help_text="Hours before each visit a reminder goes out, separated by commas, e.g. 72, 24. "
                      "From 1 to 336 hours, at most four.")
        self.fields["pre_care_text"] = forms.CharField(
            label="Before a treatment", widget=forms.Textarea(attrs={"rows": 5}),
            help_text="Sent with each treatment's reminders: one point a line.")
        self.fields["aftercare_text"] = forms.CharField(
            label="Aftercare", widget=forms.Textarea(attrs={"rows": 6}),
            help_text="Sent after each treatment: one point a line.")

    def groups(self):
        return [(title, [self[n.name] for n in numbers]) for title, numbers in PROTOCOL_NUMBERS]

    def area_rows(self):
        return [(area.label, self[f"area_{area.value}"]) for area in TreatmentArea]

    @staticmethod
    def initial_for(protocol) -> dict:
        initial = {n.name: getattr(protocol, n.name) for _, numbers in PROTOCOL_NUMBERS for n in numbers}
        for area in TreatmentArea:
            initial[f"area_{area.value}"] = protocol.area_minutes.get(area.value)
        initial["reminder_lead_hours"] = ", ".join(str(h) for h in protocol.reminder_lead_hours)
        initial["pre_care_text"] = protocol.pre_care_text
        initial["aftercare_text"] = protocol.aftercare_text
        return initial

    def clean_reminder_lead_hours(self) -> list[int]:
        text = self.cleaned_data["reminder_lead_hours"]
        parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
        if not parts or not all(part.isdigit() for part in parts):
            raise forms.ValidationError("Give whole numbers of hours separated by commas, e.g. 72, 24.")
        hours = sorted({int(part) for part in parts}, reverse=True)
        if len(hours) > 4 or not all(1 <= hour <= 336 for hour in hours):
            raise forms.ValidationError("Give at most four reminders, each from 1 to 336 hours before the visit.")
        return hours

    def clean(self):
        data = super().clean()
        self._order("session_count_min", "session_count_default", "Fewest sessions", "the usual number")
        self._order("session_count_default", "session_count_max", "The usual number of sessions", "the most")
        self._order("min_interval_days", "target_interval_days", "The shortest gap", "the target gap")
        self._order("target_interval_days", "max_interval_days", "The target gap", "the longest gap")
        self._order("healing_check_min_days", "healing_check_max_days", "The healing check's earliest day",
                    "its latest day")
        self._order("review_min_days", "review_max_days", "The review's earliest day", "its latest day")
        self._order("maintenance_min_days", "maintenance_max_days", "Maintenance's earliest day", "its latest day")
        latest, gap = data.get("healing_check_max_days"), data.get("min_interval_days")
        if latest is not None and gap is not None and latest >= gap:
            self.add_error("healing_check_max_days",
                           f"The healing check must come before the next session: its latest day ({latest}) must "
                           f"be less than the shortest gap between sessions ({gap} days).")
        data["area_minutes"] = {area.value: data[f"area_{area.value}"] for area in TreatmentArea
                                if data.get(f"area_{area.value}") is not None}
        return data

    def _order(self, low: str, high: str, low_words: str, high_words: str) -> None:
        a, b = self.cleaned_data.get(low), self.cleaned_data.get(high)
        if a is not None and b is not None and a > b:
            self.add_error(high, f"{low_words} ({a}) cannot be more than {high_words} ({b}).")

    def changes(self) -> dict:
        data = self.cleaned_data
        names = [n.name for _, numbers in PROTOCOL_NUMBERS for n in numbers]
        return {**{name: data[name] for name in names}, "area_minutes": data["area_minutes"],
                "reminder_lead_hours": data["reminder_lead_hours"], "pre_care_text": data["pre_care_text"],
                "aftercare_text": data["aftercare_text"]}


class ScreeningRuleForm(forms.Form):
    condition = forms.CharField(
        label="Code", max_length=60,
        validators=[RegexValidator(r"^[a-z0-9_-]+$", "Use lower-case letters, digits, - and _ only, "
                                                     "e.g. isotretinoin or chemical_peel.")],
        help_text="What staff record when they find it, e.g. isotretinoin. Lower-case letters, digits, - and _.")
    label = forms.CharField(label="As staff read it", max_length=160,
                            help_text="e.g. Isotretinoin in the last 6 months.")
    effect = forms.ChoiceField(label="What it does", choices=ScreeningRule.Effect.choices, widget=forms.RadioSelect)
    block_outcome = forms.ChoiceField(
        label="When it blocks", required=False, choices=[("", "Not a block")] + ScreeningRule.BlockOutcome.choices,
        help_text="Only for a rule that blocks: defer the series, or not eligible at all.")
    lookback_days = forms.IntegerField(
        label="Look back (days)", required=False, min_value=1, max_value=3650,
        help_text="Applies when present within this many days before the consultation. Empty: when present now.",
        error_messages={"min_value": "Look back at least 1 day, or leave it empty.",
                        "max_value": "Look back at most 3650 days (ten years)."})
    defer_days = forms.IntegerField(
        label="Re-consult after (days)", required=False, min_value=1, max_value=3650,
        help_text="For a deferral of a condition present now: how long until a new consultation.",
        error_messages={"min_value": "Defer by at least 1 day, or leave it empty.",
                        "max_value": "Defer by at most 3650 days (ten years)."})
    is_active = forms.BooleanField(label="In use at consultations", required=False)
    notes = forms.CharField(label="Notes for staff", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        effect, outcome = data.get("effect"), data.get("block_outcome")
        if effect == ScreeningRule.Effect.CAUTION and outcome:
            self.add_error("block_outcome", "A caution does not block: choose \u201cNot a block\u201d, "
                                            "or make the rule block.")
        if effect == ScreeningRule.Effect.BLOCK and not outcome:
            self.add_error("block_outcome", "A rule that blocks must say whether the series is deferred or the "
                                            "patient is not eligible.")
        if (outcome == ScreeningRule.BlockOutcome.DEFERRED and data.get("defer_days") is None
                and data.get("lookback_days") is None):
            self.add_error("defer_days", "A deferral needs a date: give the days until a new consultation, "
                                         "or a look-back period after which it no longer applies.")
        return data


class MessageTemplateForm(forms.Form):
    email_subject = forms.CharField(label="Email subject", max_length=200)
    email_text = forms.CharField(label="Email, plain text", widget=forms.Textarea(attrs={"rows": 10}))
    email_html = forms.CharField(label="Email, HTML", widget=forms.Textarea(attrs={"rows": 10}))
    sms_body = forms.CharField(
        label="Text message", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only {{ first_name }}, {{ time }}, {{ clinic }} and {{ link }}: no treatment or health detail.")
