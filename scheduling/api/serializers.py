"""Input and output shapes for the scheduling API: appointments, series, proposals, holds."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic.api.fields import AwareDateTimeField, NeedleDepthsField, ref, ref_messages
from clinic.api.serializers import ClinicalFieldsMixin, NamedRef, PatientRef, ProviderRef
from clinic.models import Location, Provider, Room
from patients.choices import SideEffect, TreatmentArea
from patients.models import Consultation, Patient

from ..models import Appointment, TreatmentSeries
from ..selectors import protocol_active
from ..visibility import patient_visible, series_visible


# --- Output ---------------------------------------------------------------------------
class TreatedAreaOut(serializers.Serializer):
    area = serializers.ChoiceField(choices=TreatmentArea.choices)
    depth_mm = serializers.DecimalField(max_digits=3, decimal_places=2)


class AppointmentOut(ClinicalFieldsMixin, serializers.Serializer):
    """A visit. Side effects, notes and treated areas are clinical: only providers and
    clinic admins receive them."""

    clinical_fields = ("side_effects", "notes", "treated_areas")

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Appointment.Kind.choices)
    status = serializers.ChoiceField(choices=Appointment.Status.choices)
    location = serializers.IntegerField(source="location_id")
    patient = PatientRef()
    provider = ProviderRef()
    room = NamedRef(allow_null=True)
    series = serializers.IntegerField(source="series_id", allow_null=True)
    session_number = serializers.IntegerField(allow_null=True)
    consultation = serializers.IntegerField(source="consultation_id", allow_null=True)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    provider_starts_at = serializers.DateTimeField()
    provider_ends_at = serializers.DateTimeField()
    room_ends_at = serializers.DateTimeField()
    local_starts_at = serializers.SerializerMethodField(help_text="Start in the location's time zone.")
    cancel_reason = serializers.CharField()
    cancelled_at = serializers.DateTimeField(allow_null=True)
    late_cancellation = serializers.BooleanField()
    checked_in_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    device = serializers.CharField()
    side_effects = serializers.ListField(child=serializers.ChoiceField(choices=SideEffect.choices), required=False)
    notes = serializers.CharField(required=False)
    treated_areas = TreatedAreaOut(many=True, required=False)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_local_starts_at(self, obj: Appointment) -> str:
        return obj.starts_at.astimezone(ZoneInfo(obj.location.time_zone)).isoformat()


class AppointmentBriefOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Appointment.Kind.choices)
    status = serializers.ChoiceField(choices=Appointment.Status.choices)
    provider = ProviderRef()
    room = NamedRef(allow_null=True)
    series = serializers.IntegerField(source="series_id", allow_null=True)
    session_number = serializers.IntegerField(allow_null=True)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class SeriesBriefOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=TreatmentSeries.Status.choices)
    status_reason = serializers.CharField()
    consultation = serializers.IntegerField(source="consultation_id")
    location = serializers.IntegerField(source="location_id")
    provider = ProviderRef(allow_null=True)
    session_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class SeriesOut(SeriesBriefOut):
    patient = PatientRef()
    protocol = serializers.IntegerField(source="protocol_id")
    appointments = serializers.SerializerMethodField()

    @extend_schema_field(AppointmentOut(many=True))
    def get_appointments(self, series: TreatmentSeries):
        visits = getattr(series, "visits_in_order", None)
        if visits is None:
            visits = (
                series.appointments.select_related("patient", "provider", "room", "location")
                .prefetch_related("treated_areas")
                .order_by("starts_at")
            )
        return AppointmentOut(visits, many=True, context=self.context).data


class PlannedVisitOut(serializers.Serializer):
    kind = serializers.CharField()
    number = serializers.IntegerField()
    provider = serializers.IntegerField(source="provider_id")
    room = serializers.IntegerField(source="room_id", allow_null=True)
    starts_at = serializers.DateTimeField(source="start")
    provider_starts_at = serializers.DateTimeField(source="provider_start")
    provider_ends_at = serializers.DateTimeField(source="provider_end")
    ends_at = serializers.DateTimeField(source="end")
    room_ends_at = serializers.DateTimeField(source="room_end")
    window_start = serializers.DateField()
    window_end = serializers.DateField()


class PlanOut(serializers.Serializer):
    proposal = serializers.CharField(help_text="Send this back to hold exactly this plan (valid for 30 minutes).")
    score = serializers.FloatField()
    completion = serializers.DateTimeField(allow_null=True)
    visits = PlannedVisitOut(many=True)


class ProblemOut(serializers.Serializer):
    message = serializers.CharField()
    kind = serializers.CharField()
    session_number = serializers.IntegerField(allow_null=True)
    window_start = serializers.DateField()
    window_end = serializers.DateField()
    reasons = serializers.DictField(child=serializers.IntegerField())


class PlanResultOut(serializers.Serializer):
    best = PlanOut(allow_null=True)
    alternatives = PlanOut(many=True)
    problem = ProblemOut(allow_null=True)


class HeldVisitOut(serializers.Serializer):
    kind = serializers.CharField()
    session_number = serializers.IntegerField(allow_null=True)
    provider = serializers.IntegerField(source="provider_id")
    room = serializers.IntegerField(source="room_id", allow_null=True)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    room_ends_at = serializers.DateTimeField()


class HoldOut(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    purpose = serializers.CharField()
    expires_at = serializers.DateTimeField()
    patient = serializers.IntegerField(source="patient_id")
    consultation = serializers.IntegerField(source="consultation_id", allow_null=True)
    location = serializers.IntegerField(source="location_id")
    series = serializers.IntegerField(source="series_id", allow_null=True)
    visits = serializers.SerializerMethodField()

    @extend_schema_field(HeldVisitOut(many=True))
    def get_visits(self, hold):
        return HeldVisitOut(hold.visits.all().order_by("starts_at"), many=True).data


class VisitChangeOut(serializers.Serializer):
    appointment = serializers.IntegerField(
        source="appointment_id", allow_null=True, help_text="Empty for a visit the move adds."
    )
    kind = serializers.CharField()
    number = serializers.IntegerField(allow_null=True)
    old_starts_at = serializers.DateTimeField(source="old_start", allow_null=True)
    new = PlannedVisitOut()


class ReschedulePreviewOut(serializers.Serializer):
    appointment = serializers.IntegerField(source="appointment_id")
    ok = serializers.BooleanField()
    message = serializers.CharField()
    changes = VisitChangeOut(many=True)
    cancelled = serializers.ListField(child=serializers.IntegerField(), help_text="Visits the move would cancel.")
    problem = ProblemOut(allow_null=True)


# --- Input ----------------------------------------------------------------------------
@extend_schema_field(OpenApiTypes.INT)
class VisibleRef(serializers.PrimaryKeyRelatedField):
    """A reference to a patient or series that the caller may see. One they may not see
    is refused with the very words used for one that does not exist ("No patient with
    id 7."), so a filter or an availability question is no oracle for who is a patient."""

    def __init__(self, visible, **kwargs) -> None:
        self.visible = visible
        super().__init__(**kwargs)

    def get_queryset(self):
        scope = self.context.get("scope")
        return self.visible(provider=scope() if scope is not None else None)


def visible_ref(visible, name: str, **kwargs) -> VisibleRef:
    return VisibleRef(visible, error_messages=ref_messages(name), **kwargs)


def provider_ref(**kwargs):
    return ref(Provider.objects.filter(is_active=True), "provider", **kwargs)


def location_ref(**kwargs):
    return ref(Location.objects.filter(is_active=True), "location", **kwargs)


class RangeIn(serializers.Serializer):
    def validate(self, data):
        start, end = data.get(self.start_field), data.get(self.end_field)
        if start is not None and end is not None and end <= start:
            raise serializers.ValidationError(
                {self.end_field: [f"Must be after {self.start_field.replace('_', ' ')}."]}
            )
        return data


class AppointmentFilterIn(RangeIn):
    start_field, end_field = "starts_after", "starts_before"
    starts_after = AwareDateTimeField(required=False, help_text="Visits starting at or after this time.")
    starts_before = AwareDateTimeField(required=False, help_text="Visits starting before this time.")
    location = location_ref(required=False)
    provider = ref(Provider.objects.all(), "provider", required=False)
    room = ref(Room.objects.all(), "room", required=False)
    patient = visible_ref(patient_visible, "patient", required=False)
    series = visible_ref(series_visible, "series", required=False)
    kind = serializers.MultipleChoiceField(choices=Appointment.Kind.choices, required=False)
    status = serializers.MultipleChoiceField(choices=Appointment.Status.choices, required=False)


class AvailabilityIn(RangeIn):
    start_field, end_field = "start", "end"
    location = location_ref()
    kind = serializers.ChoiceField(choices=Appointment.Kind.choices)
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    provider = provider_ref(required=False)
    patient = visible_ref(patient_visible, "patient", required=False)
    areas = serializers.MultipleChoiceField(
        choices=TreatmentArea.choices, required=False, help_text="For a session: the areas treated (sets its length)."
    )
    limit = serializers.IntegerField(min_value=1, max_value=200, default=50)

    def validate(self, data):
        data = super().validate(data)
        if data["end"] - data["start"] > timedelta(days=92):
            raise serializers.ValidationError({"end": ["Ask for at most 92 days at once."]})
        return data


class AvailabilityRepeatIn(AvailabilityIn):
    """An availability question read without looking anything up, to find an answer kept
    from before (AvailabilityApi). Ids must be plain digits, so whatever this accepts,
    AvailabilityIn reads the same way."""

    location = serializers.RegexField(r"^[0-9]{1,18}$")
    provider = serializers.RegexField(r"^[0-9]{1,18}$", required=False)
    patient = None


class SlotOut(serializers.Serializer):
    kind = serializers.CharField()
    provider = serializers.IntegerField(source="provider_id")
    room = serializers.IntegerField(source="room_id", allow_null=True)
    starts_at = serializers.DateTimeField(source="start")
    provider_starts_at = serializers.DateTimeField(source="provider_start")
    provider_ends_at = serializers.DateTimeField(source="provider_end")
    ends_at = serializers.DateTimeField(source="end")
    room_ends_at = serializers.DateTimeField(source="room_end")

    def to_representation(self, slot) -> dict:
        """Written out rather than walked field by field, since a day's free slots run to
        hundreds: the same keys, order and formats as the fields above (a test holds the
        two to the same output)."""
        zone = timezone.get_current_timezone()
        return {
            "kind": str(slot.kind),
            "provider": int(slot.provider_id),
            "room": None if slot.room_id is None else int(slot.room_id),
            "starts_at": _iso_time(slot.start, zone),
            "provider_starts_at": _iso_time(slot.provider_start, zone),
            "provider_ends_at": _iso_time(slot.provider_end, zone),
            "ends_at": _iso_time(slot.end, zone),
            "room_ends_at": _iso_time(slot.room_end, zone),
        }


def _iso_time(moment, zone) -> str:
    """As DRF's DateTimeField writes an aware time: ISO 8601 in the current zone, Z for UTC."""
    text = moment.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class PreferencesIn(serializers.Serializer):
    provider = provider_ref(required=False, help_text="Every visit with this provider.")
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        required=False,
        min_length=1,
        max_length=7,
        help_text="0 = Monday.",
    )
    earliest_time = serializers.TimeField(required=False)
    latest_time = serializers.TimeField(required=False)
    strict = serializers.BooleanField(default=False, help_text="Only the weekdays and hours given.")

    def validate(self, data):
        early, late = data.get("earliest_time"), data.get("latest_time")
        if early is not None and late is not None and late <= early:
            raise serializers.ValidationError({"latest_time": ["Must be after earliest time."]})
        return data


class ProposalIn(serializers.Serializer):
    consultation = ref(Consultation.objects.all(), "consultation")
    location = location_ref()
    earliest_start = AwareDateTimeField(required=False)
    session_count = serializers.IntegerField(
        required=False,
        help_text="3 to 6 (the protocol's bounds).",
        error_messages={"invalid": "Give the number of sessions as a whole number."},
    )
    target_interval_days = serializers.IntegerField(
        required=False,
        help_text="Days between sessions, within the protocol's 4-6 weeks.",
        error_messages={"invalid": "Give the interval in days as a whole number."},
    )
    preferences = PreferencesIn(required=False)
    alternatives = serializers.IntegerField(min_value=0, max_value=5, default=3)

    def _protocol(self):
        return protocol_active()

    def validate_session_count(self, value):
        protocol = self._protocol()
        if not protocol.session_count_min <= value <= protocol.session_count_max:
            raise serializers.ValidationError(
                f"A series has {protocol.session_count_min} to {protocol.session_count_max} sessions; "
                f"{value} is not possible."
            )
        return value

    def validate_target_interval_days(self, value):
        protocol = self._protocol()
        if not protocol.min_interval_days <= value <= protocol.max_interval_days:
            raise serializers.ValidationError(
                f"Sessions are {protocol.min_interval_days} to {protocol.max_interval_days} days apart "
                f"({protocol.min_interval_days / 7:g}-{protocol.max_interval_days / 7:g} weeks); "
                f"{value} days is outside that."
            )
        return value


class ProposalTokenIn(serializers.Serializer):
    proposal = serializers.CharField(max_length=20000, help_text="The `proposal` of a plan from a proposal answer.")


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Said in plain words; kept on the record.")


class ResumeIn(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class RescheduleIn(serializers.Serializer):
    starts_at = AwareDateTimeField(help_text="The new start of this visit.")
    provider = provider_ref(required=False, help_text="Another provider for this visit.")


class CompleteIn(serializers.Serializer):
    areas = NeedleDepthsField(example="1.50")
    device = serializers.ChoiceField(choices=Appointment.Device.choices, required=False, allow_blank=True, default="")
    side_effects = serializers.ListField(
        child=serializers.ChoiceField(choices=SideEffect.choices),
        required=False,
        default=list,
        max_length=len(SideEffect.values),
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

class MaintenanceProposalIn(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=4, default=1)
    alternatives = serializers.IntegerField(min_value=0, max_value=5, default=3)


class SeriesFilterIn(serializers.Serializer):
    patient = visible_ref(patient_visible, "patient", required=False)
    status = serializers.MultipleChoiceField(choices=TreatmentSeries.Status.choices, required=False)
    location = location_ref(required=False)


class ConsultationBookIn(serializers.Serializer):
    patient = ref(Patient.objects.all(), "patient")
    location = location_ref()
    provider = provider_ref()
    starts_at = AwareDateTimeField()
    room = ref(Room.objects.filter(is_active=True), "room", required=False, allow_null=True)

    def validate(self, data):
        room = data.get("room")
        if room is not None and room.location_id != data["location"].pk:
            raise serializers.ValidationError({"room": [f"{room.name} is not at {data['location']}."]})
        return data


class CalendarFeedOut(serializers.Serializer):
    url = serializers.CharField(help_text="Secret address of the .ics feed; anyone with it can read the calendar.")
