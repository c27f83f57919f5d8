"""Forms of the clinic's resources: locations, their week, closures, providers' weeks and
time off, rooms. They check what an admin typed and say what is wrong in a sentence;
the services (scheduling.services.clinic_setup) keep the clinic's rules."""

import zoneinfo
from datetime import time
from functools import cache

from django import forms

from clinic.models import Weekday

from ..forms import TimeInput
from .local_fields import LocalSpanForm

SPANS_PER_DAY = 2


@cache
def zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone by name; the old aliases (US/Eastern, GB...) are left out so each place has one name."""
    names = sorted(name for name in zoneinfo.available_timezones() if "/" in name and not name.startswith(
        ("Etc/", "SystemV/", "US/", "Canada/", "Mexico/", "Brazil/", "Chile/")))
    return [(name, name.replace("_", " ")) for name in names]


class LocationForm(forms.Form):
    name = forms.CharField(max_length=120, label="Name")
    time_zone = forms.ChoiceField(
        label="Time zone", choices=(), help_text="Every time at this location is entered and shown in this zone.")
    address = forms.CharField(label="Address", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="Quoted in patients' messages and calendar entries.")
    phone = forms.CharField(label="Phone", max_length=32, required=False,
                            help_text="Patients are told to call this number to change a visit.")
    email = forms.EmailField(label="Email", required=False, error_messages={
        "invalid": "Give an email address such as hello@clinic.example."})
    late_cancel_notice_hours = forms.IntegerField(
        label="Notice period (hours)", min_value=0, max_value=336,
        help_text="A cancellation with less notice than this is marked late. From 0 to 336 hours (two weeks).",
        error_messages={"min_value": "The notice period cannot be negative.",
                        "max_value": "The notice period can be at most 336 hours (two weeks)."})
    slot_minutes = forms.IntegerField(
        label="Slot grid (minutes)", min_value=5, max_value=60,
        help_text="Visits may start every this many minutes from the hour. From 5 to 60 minutes.",
        error_messages={"min_value": "The slot grid must be at least 5 minutes.",
                        "max_value": "The slot grid can be at most 60 minutes."})

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = zone_choices()
        current = (self.initial or {}).get("time_zone")
        if current and current not in dict(choices):
            # A zone stored before this list (UTC, or an old alias such as US/Eastern) stays choosable.
            choices = [(current, current), *choices]
        self.fields["time_zone"].choices = choices
        self.fields["time_zone"].error_messages["invalid_choice"] = (
            "Choose the time zone from the list (a city name such as Europe/London).")


class WeekHoursForm(forms.Form):
    """A week as a table: one row a weekday, up to two spans a row (a lunch break makes
    two). An empty row is a day off or a closed day."""

    def __init__(self, *args, what: str, zone_name: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.what = what
        self.zone_name = zone_name
        for day in Weekday:
            for span in range(1, SPANS_PER_DAY + 1):
                for edge, word in (("start", "from"), ("end", "until")):
                    label = f"{day.label}, {'first' if span == 1 else 'second'} span, {word} ({zone_name})"
                    self.fields[f"d{day.value}_{span}_{edge}"] = forms.TimeField(
                        required=False, widget=TimeInput(attrs={"aria-label": label}), label=label,
                        error_messages={"invalid": f"{day.label}: give a time such as 09:00."},
                    )

    @classmethod
    def initial_from(cls, rows: list[tuple[int, time, time]]) -> dict:
        initial: dict = {}
        counts: dict[int, int] = {}
        for day, start, end in sorted(rows):
            counts[day] = counts.get(day, 0) + 1
            if counts[day] <= SPANS_PER_DAY:
                initial[f"d{day}_{counts[day]}_start"] = start
                initial[f"d{day}_{counts[day]}_end"] = end
        return initial

    def rows(self):
        """For the template: (weekday label, [(start field, end field), ...])."""
        return [
            (day.label, [(self[f"d{day.value}_{s}_start"], self[f"d{day.value}_{s}_end"])
                         for s in range(1, SPANS_PER_DAY + 1)])
            for day in Weekday
        ]

    def clean(self):
        data = super().clean()
        spans: dict[int, list[tuple[time, time]]] = {}
        for day in Weekday:
            for span in range(1, SPANS_PER_DAY + 1):
                start_name, end_name = f"d{day.value}_{span}_start", f"d{day.value}_{span}_end"
                if self.has_error(start_name) or self.has_error(end_name):
                    continue
                start, end = data.get(start_name), data.get(end_name)
                if start is None and end is None:
                    continue
                if start is None or end is None:
                    self.add_error(end_name if end is None else start_name,
                                   f"{day.label}: give both the start and the end of the {self.what}, "
                                   "or leave both empty.")
                    continue
                if start >= end:
                    self.add_error(end_name, f"{day.label}: the {self.what} must end after they start "
                                             f"({start:%H:%M} to {end:%H:%M}). Spans past midnight are not "
                                             "supported.")
                    continue
                spans.setdefault(day.value, []).append((start, end))
        data["spans"] = spans
        return data


class ReasonSpanForm(LocalSpanForm):
    reason = forms.CharField(label="Reason", max_length=200, help_text="Shown on the schedule, e.g. Staff training.")

    field_order = ["reason", "starts_on", "starts_time", "ends_on", "ends_time"]


class ClosureForm(ReasonSpanForm):
    repeats_yearly = forms.BooleanField(
        label="Every year on the same dates and times", required=False,
        help_text="For a holiday on a fixed date, such as 25 December.")


class TimeOffForm(ReasonSpanForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = False
        self.fields["reason"].help_text = "Optional, e.g. Annual leave. Seen by staff only."


class RoomForm(forms.Form):
    name = forms.CharField(label="Room name", max_length=80)


class RoomOutOfServiceForm(ReasonSpanForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = False
        self.fields["reason"].help_text = "Optional, e.g. Laser servicing. Shown on the schedule."
