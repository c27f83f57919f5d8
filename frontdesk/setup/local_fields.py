"""Dates and times typed in a location's own zone, for every set-up form that takes them
(closures, time off, a room out of service).

The conversion and its daylight-saving sentences are clinic.localtime's; this form only
labels the fields with the zone and puts each sentence on the field it is about."""

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from django import forms

from clinic.localtime import FIRST, SECOND, LocalTimeMissing, ambiguity_note, local_midnight_utc, local_to_utc

from ..forms import DateInput, SaneDateField, TimeInput


class LocalSpanForm(forms.Form):
    """From a local date (and time) to a local date (and time). Without times the span is
    whole days: from local midnight of the first day to local midnight after the last.

    After cleaning, `starts_at` and `ends_at` are UTC; `notes` holds how a time that
    happens twice (clocks going back) was read."""

    starts_on = SaneDateField(label="First day", widget=DateInput())
    starts_time = forms.TimeField(label="From", required=False, widget=TimeInput())
    ends_on = SaneDateField(label="Last day", widget=DateInput())
    ends_time = forms.TimeField(label="Until", required=False, widget=TimeInput())

    def __init__(self, *args, zone_name: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.zone_name = zone_name
        self.notes: list[str] = []
        self.fields["starts_time"].label = f"From (local time, {zone_name})"
        self.fields["ends_time"].label = f"Until (local time, {zone_name})"
        self.fields["starts_time"].help_text = "Leave both times empty for whole days."
        self.fields["ends_on"].help_text = "The same as the first day for a few hours or a single day."

    @staticmethod
    def initial_for(starts_at, ends_at, zone_name: str) -> dict:
        """A stored span as the form shows it: local dates, and no times when it runs
        from one local midnight to another (whole days)."""
        zone = ZoneInfo(zone_name)
        start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
        if start.time() == time(0) and end.time() == time(0):
            return {"starts_on": start.date(), "ends_on": end.date() - timedelta(days=1)}
        return {"starts_on": start.date(), "starts_time": start.time(), "ends_on": end.date(),
                "ends_time": end.time()}

    def clean(self):
        data = super().clean()
        first, last = data.get("starts_on"), data.get("ends_on")
        start_clock, end_clock = data.get("starts_time"), data.get("ends_time")
        if first is None or last is None or self.has_error("starts_time") or self.has_error("ends_time"):
            return data
        if (start_clock is None) != (end_clock is None):
            missing = "ends_time" if end_clock is None else "starts_time"
            self.add_error(missing, "Give both times for a span of hours, or leave both empty for whole days.")
            return data
        if last < first:
            self.add_error("ends_on", "The last day must be on or after the first day.")
            return data
        if start_clock is None:
            # Whole days: local midnight to local midnight, 23 or 25 hours on the days the clocks change.
            data["starts_at"] = local_midnight_utc(first, self.zone_name)
            data["ends_at"] = local_midnight_utc(last + timedelta(days=1), self.zone_name)
            data["whole_days"] = True
            return data
        try:
            data["starts_at"] = local_to_utc(first, start_clock, self.zone_name, occurrence=FIRST)
        except LocalTimeMissing as error:
            self.add_error("starts_time", str(error))
        try:
            data["ends_at"] = local_to_utc(last, end_clock, self.zone_name, occurrence=SECOND)
        except LocalTimeMissing as error:
            self.add_error("ends_time", str(error))
        if "starts_at" in data and "ends_at" in data:
            if data["ends_at"] <= data["starts_at"]:
                self.add_error("ends_time", "The end must be after the start.")
            for day, clock, which in ((first, start_clock, FIRST), (last, end_clock, SECOND)):
                note = ambiguity_note(day, clock, self.zone_name, occurrence=which)
                if note:
                    self.notes.append(note)
        data["whole_days"] = False
        return data
