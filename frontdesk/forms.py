"""The pages' forms: they check what a person typed; the services keep the clinic's rules."""

import zoneinfo
from datetime import date, datetime
from decimal import Decimal

import phonenumbers
from django import forms

from clinic.models import Location, Provider, Weekday
from clinic.validators import validate_person_name
from patients.choices import (
    MAX_DEPTH_MM,
    MIN_DEPTH_MM,
    Channel,
    FitzpatrickType,
    SideEffect,
    SkinConcern,
    TreatmentArea,
)
from patients.models import Consultation, ScreeningRule
from scheduling.models import Appointment, WaitlistEntry

from .phones import phone_example, phone_region

DEPTH = {"min_value": Decimal(MIN_DEPTH_MM), "max_value": Decimal(MAX_DEPTH_MM), "decimal_places": 2, "max_digits": 3}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


def _sane(value: date | None) -> date | None:
    if value is not None and not 1900 <= value.year <= 2200:
        raise forms.ValidationError("Give a date between the years 1900 and 2200.")
    return value


class SaneDateField(forms.DateField):
    """A date between 1900 and 2200: year 1 or 9999 would overflow the day arithmetic
    and the database's range, so it is refused in words."""

    def clean(self, value):
        return _sane(super().clean(value))


class ProviderChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Provider) -> str:
        return obj.display_name


def location_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(Location.objects.filter(is_active=True).order_by("name"), empty_label=None,
                                  label="Location")


def provider_field(*, required: bool = False, empty: str = "Any provider") -> ProviderChoice:
    return ProviderChoice(Provider.objects.filter(is_active=True).order_by("display_name"), required=required,
                          empty_label=empty, label="Provider")


# --- Patients -------------------------------------------------------------------------
TIME_ZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


class PatientForm(forms.Form):
    """Every detail the desk keeps for a patient: registering and editing use it alike."""

    first_name = forms.CharField(max_length=80, validators=[validate_person_name])
    last_name = forms.CharField(max_length=80, validators=[validate_person_name])
    date_of_birth = SaneDateField(widget=DateInput())
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=32, required=False)
    preferred_channel = forms.ChoiceField(choices=Channel.choices, label="Preferred channel for reminders")
    consent_email = forms.BooleanField(required=False, label="Consents to email reminders")
    consent_sms = forms.BooleanField(required=False, label="Consents to SMS reminders")
    time_zone = forms.ChoiceField(choices=[(z, z.replace("_", " ")) for z in TIME_ZONES], initial="Europe/London",
                                  required=False, label="Time zone", help_text="Reminders give times in this zone.")
    skin_concerns = forms.MultipleChoiceField(choices=SkinConcern.choices, required=False,
                                              widget=forms.CheckboxSelectMultiple, label="Skin concerns")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.region = phone_region()
        example = phone_example(self.region)
        self.fields["phone"].help_text = f"As you would dial it here, e.g. {example}, or with + and the country code."

    def clean_date_of_birth(self):
        return _sane(self.cleaned_data["date_of_birth"])

    def clean_time_zone(self):
        return self.cleaned_data["time_zone"] or "Europe/London"

    def clean_phone(self):
        text = self.cleaned_data["phone"].strip()
        if not text:
            return ""
        message = f"Give a phone number that can be dialled, e.g. {phone_example(self.region)}."
        try:
            number = phonenumbers.parse(text, self.region)
        except phonenumbers.NumberParseException as error:
            raise forms.ValidationError(message) from error
        if not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(message)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class DuplicateForm(forms.Form):
    duplicate_reason = forms.CharField(max_length=300, required=False,
                                       label="Register anyway, because…",
                                       help_text="For example: a different person with the same name and birthday.")


class SearchForm(forms.Form):
    q = forms.CharField(max_length=200, required=False, label="Name, phone or email")


# --- Consultations --------------------------------------------------------------------
class ConsultationSlotsForm(forms.Form):
    location = location_field()
    provider = provider_field()
    day = SaneDateField(widget=DateInput(), label="From")

    def clean_day(self):
        return _sane(self.cleaned_data["day"])


class ConsultationBookForm(forms.Form):
    location = location_field()
    slot = forms.CharField(max_length=80, label="Time")

    def clean_slot(self) -> tuple[int, datetime]:
        try:
            provider_id, moment = self.cleaned_data["slot"].split("|", 1)
            starts_at = datetime.fromisoformat(moment)
        except ValueError as error:
            raise forms.ValidationError("Choose one of the free times.") from error
        if starts_at.tzinfo is None or not 1900 <= starts_at.year <= 2200 or not provider_id.isdigit():
            raise forms.ValidationError("Choose one of the free times.")
        return int(provider_id), starts_at


class AssessmentForm(forms.Form):
    """The provider's assessment; one yes/no (and a date for look-back rules) per
    screening rule the clinic keeps, so a new rule appears here without code."""

    fitzpatrick_type = forms.TypedChoiceField(choices=[("", "Not recorded")] + list(FitzpatrickType.choices),
                                              coerce=int, empty_value=None, required=False,
                                              label="Fitzpatrick skin type")
    concerns = forms.MultipleChoiceField(choices=SkinConcern.choices, required=False,
                                         widget=forms.CheckboxSelectMultiple, label="Concerns treated")
    recommended_sessions = forms.TypedChoiceField(
        choices=[("", "None (not eligible)")] + [(n, str(n)) for n in range(3, 7)],
        coerce=int,
        empty_value=None,
        required=False,
        label="Recommended sessions",
    )
    clinical_notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=10000)
    outcome = forms.ChoiceField(
        choices=[("", "Let the screening decide")] + [c for c in Consultation.Outcome.choices if c[0] != "pending"],
        required=False, label="Outcome")
    deferred_until = SaneDateField(widget=DateInput(), required=False, label="Re-consult after (for a deferral)")

    def __init__(self, *args, rules: list[ScreeningRule], **kwargs):
        super().__init__(*args, **kwargs)
        self.rules = [rule for rule in rules if rule.condition != "fitzpatrick_iv_vi"]
        for rule in self.rules:
            self.fields[f"finding_{rule.condition}"] = forms.BooleanField(required=False, label=rule.label)
            if rule.lookback_days:
                self.fields[f"last_{rule.condition}"] = SaneDateField(
                    widget=DateInput(), required=False, label=f"{rule.label}: last present on")
        for area, label in TreatmentArea.choices:
            self.fields[f"depth_{area}"] = forms.DecimalField(
                required=False, label=f"{label}: needle depth (mm)", **DEPTH,
                widget=forms.NumberInput(attrs={"step": "0.25", "min": MIN_DEPTH_MM, "max": MAX_DEPTH_MM}))

    def finding_fields(self):
        for rule in self.rules:
            yield self[f"finding_{rule.condition}"], (self[f"last_{rule.condition}"] if rule.lookback_days else None)

    def area_fields(self):
        return [self[f"depth_{area}"] for area in TreatmentArea.values]

    def findings(self) -> list[tuple[str, date | None]]:
        data = self.cleaned_data
        return [(rule.condition, data.get(f"last_{rule.condition}")) for rule in self.rules
                if data.get(f"finding_{rule.condition}")]

    def areas(self) -> dict[str, Decimal]:
        return {area: self.cleaned_data[f"depth_{area}"] for area in TreatmentArea.values
                if self.cleaned_data.get(f"depth_{area}") is not None}


# --- Series ---------------------------------------------------------------------------
class PlanForm(forms.Form):
    location = location_field()
    provider = provider_field()
    weekdays = forms.TypedMultipleChoiceField(choices=Weekday.choices, coerce=int, required=False,
                                              widget=forms.CheckboxSelectMultiple, label="Preferred weekdays")
    earliest_time = forms.TimeField(required=False, widget=TimeInput(), label="Not before")
    latest_time = forms.TimeField(required=False, widget=TimeInput(), label="Finished by")
    strict = forms.BooleanField(required=False, label="Only these days and hours")
    session_count = forms.TypedChoiceField(choices=[(n, str(n)) for n in range(3, 7)], coerce=int, label="Sessions")
    target_interval_days = forms.TypedChoiceField(
        choices=[(28, "4 weeks"), (35, "5 weeks"), (42, "6 weeks")], coerce=int, label="Target interval")
    earliest_start = SaneDateField(required=False, widget=DateInput(), label="First session from")

    def clean_earliest_start(self):
        return _sane(self.cleaned_data.get("earliest_start"))

    def clean(self):
        data = super().clean()
        early, late = data.get("earliest_time"), data.get("latest_time")
        if early and late and late <= early:
            self.add_error("latest_time", "Must be after the earliest time.")
        return data


class ProposalForm(forms.Form):
    proposal = forms.CharField(max_length=20000, widget=forms.HiddenInput)


# --- Visits ---------------------------------------------------------------------------
class RescheduleForm(forms.Form):
    day = SaneDateField(widget=DateInput(), label="New date")
    at = forms.TimeField(widget=TimeInput(), label="New time")
    provider = provider_field(empty="Same provider")

    def clean_day(self):
        return _sane(self.cleaned_data["day"])


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Reason for cancelling",
                             widget=forms.TextInput(attrs={"placeholder": "e.g. Patient unwell"}))


class CompleteForm(forms.Form):
    device = forms.ChoiceField(choices=[("", "No device (not a treatment)")] + list(Appointment.Device.choices),
                               required=False)
    side_effects = forms.MultipleChoiceField(choices=SideEffect.choices, required=False,
                                             widget=forms.CheckboxSelectMultiple, label="Side effects observed")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for area, label in TreatmentArea.choices:
            self.fields[f"depth_{area}"] = forms.DecimalField(
                required=False, label=f"{label}: depth used (mm)", **DEPTH,
                widget=forms.NumberInput(attrs={"step": "0.25", "min": MIN_DEPTH_MM, "max": MAX_DEPTH_MM}))

    def area_fields(self):
        return [self[f"depth_{area}"] for area in TreatmentArea.values]

    def areas(self) -> dict[str, Decimal]:
        return {area: self.cleaned_data[f"depth_{area}"] for area in TreatmentArea.values
                if self.cleaned_data.get(f"depth_{area}") is not None}


class WaitlistForm(forms.Form):
    location = location_field()
    provider = provider_field()
    kind = forms.ChoiceField(choices=Appointment.Kind.choices, label="Visit wanted")
    earliest_date = SaneDateField(widget=DateInput(), label="From")
    latest_date = SaneDateField(widget=DateInput(), label="Until")
    preferred_times = forms.MultipleChoiceField(choices=WaitlistEntry.TimeOfDay.choices, required=False,
                                                widget=forms.CheckboxSelectMultiple, label="Time of day")
    notes = forms.CharField(max_length=300, required=False)

    def clean(self):
        data = super().clean()
        first, last = data.get("earliest_date"), data.get("latest_date")
        if first and last and last < first:
            self.add_error("latest_date", "Must be on or after the first date.")
        return data


class DashboardForm(forms.Form):
    location = location_field()
    start = SaneDateField(widget=DateInput(), label="From")
    end = SaneDateField(widget=DateInput(), label="To")




# --- Consent documents ----------------------------------------------------------------
class ConsentDocumentForm(forms.Form):
    """The words of a consent document as sections (heading and text), with room for two
    more; publishing makes them the next version."""

    EXTRA = 2
    title = forms.CharField(max_length=200, label="Title")
    validity_months = forms.IntegerField(min_value=1, max_value=60, label="A signature counts for (months)")

    def __init__(self, *args, current=None, validity_months: int = 12, **kwargs):
        sections = list(current.sections) if current else []
        initial = {"title": current.title if current else "", "validity_months": validity_months}
        for index, section in enumerate(sections):
            initial[f"heading_{index}"] = section["title"]
            initial[f"text_{index}"] = section["text"]
        super().__init__(*args, initial=initial, **kwargs)
        self.current = current
        self.count = len(sections) + self.EXTRA
        for index in range(self.count):
            self.fields[f"heading_{index}"] = forms.CharField(
                max_length=200, required=False, label=f"Section {index + 1}: heading")
            self.fields[f"text_{index}"] = forms.CharField(
                max_length=5000, required=False, label=f"Section {index + 1}: text",
                widget=forms.Textarea(attrs={"rows": 4}))

    def section_fields(self):
        return [(self[f"heading_{index}"], self[f"text_{index}"]) for index in range(self.count)]

    def sections(self) -> list[dict[str, str]]:
        data = self.cleaned_data
        return [{"title": data.get(f"heading_{index}", ""), "text": data.get(f"text_{index}", "")}
                for index in range(self.count)]

    def words_changed(self) -> bool:
        if self.current is None:
            return True
        kept = [s for s in self.sections() if s["title"].strip() or s["text"].strip()]
        now = [{"title": s["title"].strip(), "text": s["text"].strip()} for s in kept]
        return self.cleaned_data["title"].strip() != self.current.title or now != self.current.sections
